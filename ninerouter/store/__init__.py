"""The only package that talks to SQLite. `Store(path)` opens, checks and migrates on construction."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from ninerouter.store.backup import backup_into
from ninerouter.store.combos import Combos
from ninerouter.store.database import open_database, write_transaction
from ninerouter.store.kv import KV
from ninerouter.store.migrations import SCHEMA_VERSION, migrations
from ninerouter.store.proxy_pools import ProxyPools
from ninerouter.store.repos import Connections, Keys, Nodes, Settings
from ninerouter.store.usage import UsageLog

__all__ = ["Store"]


class Store:
    def __init__(self, path: Path, *, thorough_check: bool = False) -> None:
        """thorough_check: run `integrity_check` rather than `quick_check` (at server start)."""
        self.path = path
        self.db = open_database(path, SCHEMA_VERSION, thorough_check)
        try:
            if self.db.table_names() and migrations.pending(self.db):
                # An existing DB (ours or 9Router's) is copied before its schema is touched.
                backup_into(path, path.parent / "backups", label="pre-migrate")
            migrations.apply(self.db)
        except BaseException:
            self.db.close()
            raise
        self.connections = Connections(self.db)
        self.nodes = Nodes(self.db)
        self.keys = Keys(self.db)
        self.combos = Combos(self.db)
        self.settings = Settings(self.db)
        self.usage = UsageLog(self.db)
        self.kv = KV(self.db)
        self.proxy_pools = ProxyPools(self.db)

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        with write_transaction(self.db) as db:
            yield db

    def data_version(self) -> int:
        """Changes whenever another connection commits (PRAGMA data_version)."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self.db.close()
