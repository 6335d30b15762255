"""Checking a database file without changing it: is it SQLite, intact, our schema, readable JSON?

`verify_file(path)` is what `restore` runs on a candidate and what `db check` runs on the live file.
Every finding is a Problem (code, message, fix); an empty list means the file is usable. The file is
opened read-only, so a check never writes, recovers or re-creates anything. `read_snapshot(path)`
then gives the domain checks (in services/) the rows as dataclasses, also read-only.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ninerouter.errors import StoreError
from ninerouter.models import ApiKey, Combo, Connection, ProviderNode, ProxyPool
from ninerouter.store.proxy_pools import pool_from_row
from ninerouter.store.rows import (
    combo_from_row,
    connection_from_row,
    key_from_row,
    load_json,
    node_from_row,
)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 5.0

# 9Router 0.5.69's tables and columns (tests/golden/9router-0.5.69-schema.sql).
EXPECTED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "_meta": ("key", "value"),
    "settings": ("id", "data"),
    "providerConnections": (
        "id",
        "provider",
        "authType",
        "name",
        "email",
        "priority",
        "isActive",
        "data",
        "createdAt",
        "updatedAt",
    ),
    "providerNodes": ("id", "type", "name", "data", "createdAt", "updatedAt"),
    "proxyPools": ("id", "isActive", "testStatus", "data", "createdAt", "updatedAt"),
    "apiKeys": ("id", "key", "name", "machineId", "isActive", "createdAt"),
    "combos": ("id", "name", "kind", "models", "createdAt", "updatedAt"),
    "kv": ("scope", "key", "value"),
    "usageHistory": (
        "id",
        "timestamp",
        "provider",
        "model",
        "connectionId",
        "apiKey",
        "endpoint",
        "promptTokens",
        "completionTokens",
        "cost",
        "status",
        "tokens",
        "meta",
    ),
    "usageDaily": ("dateKey", "data"),
    "requestDetails": ("id", "timestamp", "provider", "model", "connectionId", "status", "data"),
}

JSON_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "settings": ("data",),
    "providerConnections": ("data",),
    "providerNodes": ("data",),
    "proxyPools": ("data",),
    "combos": ("models",),
    "kv": ("value",),
    "usageHistory": ("tokens", "meta"),
    "usageDaily": ("data",),
    "requestDetails": ("data",),
}

RESTORE_FIX = "Pick another backup (ls <home>/db/backups), or check the file with 'ninerouter db check --file FILE'."


@dataclass(frozen=True)
class Problem:
    """One finding. `message` never holds a secret; `fix` says what to do about it."""

    code: str
    message: str
    fix: str = ""

    def public(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "fix": self.fix}


class Refused(StoreError):
    """A file was checked and found unusable; nothing was changed (exit 3)."""

    exit_code = 3

    def __init__(self, message: str, problems: list[Problem]) -> None:
        reasons = "; ".join(p.message for p in problems[:5])
        super().__init__(f"{message}: {reasons}")
        self.problems = problems


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        yield conn
    finally:
        conn.close()


def verify_file(
    path: Path, *, max_schema_version: int, known_migrations: tuple[str, ...] = ()
) -> list[Problem]:
    """Structural checks, cheapest first; stops early when later checks would only add noise."""
    header = _header_problem(path)
    if header is not None:
        return [header]
    try:
        with read_only(path) as conn:
            problems = _integrity(conn)
            if problems:
                return problems
            problems = _schema(conn)
            problems += _schema_version(conn, max_schema_version, known_migrations)
            if not any(p.code == "missing-table" for p in problems):
                problems += _json_columns(conn)
            problems += _foreign_keys(conn)
            return problems
    except sqlite3.DatabaseError as exc:
        return [Problem("unreadable", f"{path}: {exc}", RESTORE_FIX)]


def _header_problem(path: Path) -> Problem | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as exc:
        return Problem("unreadable", f"cannot read {path}: {exc.strerror}", "Check the path.")
    if len(head) < 100 or not head.startswith(SQLITE_HEADER):
        what = "empty" if not head else "not an SQLite database"
        return Problem("not-sqlite", f"{path} is {what}", RESTORE_FIX)
    page_size = int.from_bytes(head[16:18], "big") or 65536
    pages = int.from_bytes(head[28:32], "big") if head[92:96] == head[24:28] else 0
    size = path.stat().st_size
    if pages and size < page_size * pages and not Path(f"{path}-wal").exists():
        return Problem(
            "truncated",
            f"{path} is truncated: {size} bytes, the header promises {page_size * pages}",
            RESTORE_FIX,
        )
    return None


def _integrity(conn: sqlite3.Connection) -> list[Problem]:
    rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
    if rows == ["ok"]:
        return []
    return [Problem("integrity", f"integrity_check: {row}", RESTORE_FIX) for row in rows]


def _foreign_keys(conn: sqlite3.Connection) -> list[Problem]:
    rows = conn.execute("PRAGMA foreign_key_check").fetchall()
    return [
        Problem(
            "foreign-key",
            f"table {r[0]} row {r[1]} points at a missing row of {r[2]}",
            "Delete or fix the row, or restore a backup.",
        )
        for r in rows[:20]
    ]


def table_columns(conn: sqlite3.Connection) -> dict[str, list[str]]:
    tables = [
        str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    return {t: [str(c[1]) for c in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}


def _schema(conn: sqlite3.Connection) -> list[Problem]:
    present = table_columns(conn)
    problems: list[Problem] = []
    for table, expected in EXPECTED_COLUMNS.items():
        if table not in present:
            problems.append(
                Problem(
                    "missing-table",
                    f"table {table} is missing: not a 9Router/ninerouter database",
                    RESTORE_FIX,
                )
            )
            continue
        missing = [c for c in expected if c not in present[table]]
        if missing:
            problems.append(
                Problem(
                    "missing-column",
                    f"table {table} lacks column(s) {', '.join(missing)}",
                    RESTORE_FIX,
                )
            )
    return problems


def _schema_version(
    conn: sqlite3.Connection, max_version: int, known_migrations: tuple[str, ...]
) -> list[Problem]:
    problems: list[Problem] = []
    with contextlib.suppress(sqlite3.OperationalError):
        row = conn.execute("SELECT value FROM _meta WHERE key = 'schemaVersion'").fetchone()
        version = str(row[0]) if row else ""
        if version.isdigit() and int(version) > max_version:
            problems.append(
                Problem(
                    "newer-schema",
                    f"schema version {version} is newer than this ninerouter understands "
                    f"({max_version})",
                    "Upgrade ninerouter before using this file.",
                )
            )
    if known_migrations:
        with contextlib.suppress(sqlite3.OperationalError):
            names = [
                str(r[0])
                for r in conn.execute(
                    "SELECT name FROM nr_migrations WHERE migration_set = 'ninerouter'"
                )
            ]
            unknown = [n for n in names if n not in known_migrations]
            if unknown:
                problems.append(
                    Problem(
                        "newer-schema",
                        f"made by a newer ninerouter (migrations {', '.join(unknown)})",
                        "Upgrade ninerouter before using this file.",
                    )
                )
    return problems


def _json_columns(conn: sqlite3.Connection) -> list[Problem]:
    problems: list[Problem] = []
    for table, columns in JSON_COLUMNS.items():
        for column in columns:
            sql = (
                f'SELECT rowid FROM "{table}" WHERE "{column}" IS NOT NULL AND "{column}" != \'\' '
                f'AND NOT json_valid("{column}") LIMIT 6'
            )
            bad = [str(r[0]) for r in conn.execute(sql)]
            if bad:
                listed = ", ".join(bad[:5]) + (", …" if len(bad) > 5 else "")
                problems.append(
                    Problem(
                        "bad-json",
                        f"{table}.{column} is not valid JSON in row(s) {listed} (rowid)",
                        "Fix or delete those rows with sqlite3, or restore a backup.",
                    )
                )
    return problems


@dataclass(frozen=True)
class Snapshot:
    """What the router would load from a file, read without writing to it."""

    connections: tuple[Connection, ...] = ()
    nodes: tuple[ProviderNode, ...] = ()
    keys: tuple[ApiKey, ...] = ()
    combos: tuple[Combo, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    proxy_pools: tuple[ProxyPool, ...] = ()


def read_snapshot(path: Path) -> Snapshot:
    """The configuration rows of a structurally sound file (see verify_file first)."""
    with read_only(path) as conn:
        conn.row_factory = sqlite3.Row

        def rows(sql: str) -> list[dict[str, Any]]:
            return [dict(r) for r in conn.execute(sql)]

        settings_rows = rows("SELECT data FROM settings WHERE id = 1")
        settings = load_json(settings_rows[0]["data"], {}) if settings_rows else {}
        return Snapshot(
            connections=tuple(
                connection_from_row(r) for r in rows("SELECT * FROM providerConnections")
            ),
            nodes=tuple(node_from_row(r) for r in rows("SELECT * FROM providerNodes")),
            keys=tuple(key_from_row(r) for r in rows("SELECT * FROM apiKeys")),
            combos=tuple(combo_from_row(r) for r in rows("SELECT * FROM combos")),
            settings=settings if isinstance(settings, dict) else {},
            proxy_pools=tuple(pool_from_row(r) for r in rows("SELECT * FROM proxyPools")),
        )
