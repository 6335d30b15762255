"""The two 9Router fixture homes (tests/golden/9router/) and a view of what routing sees."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from ninerouter.store import Store

GOLDEN = Path(__file__).parent.parent / "golden"
LEGACY = GOLDEN / "9router" / "legacy-0.4"
SCHEMA = GOLDEN / "9router-0.5.69-schema.sql"
ROWS = GOLDEN / "9router" / "sqlite-0.5" / "data.sql"
SECRETS = (
    "sk-or-v1-fixture-main-0000000000000001",
    "sk-or-v1-fixture-backup-000000000000002",
    "sk-lab-fixture-00000000000000000003",
    "sk-ant-oat01-fixture-0000000000000004",
    "sk-ant-ort01-fixture-0000000000000004",
    "tp-fixture-000000000000000000000005",
    "sk-0123456789abcdef-a1b2c3-deadbeef",
    "fixturepw",
    "$2a$10$fixture",
)


def legacy_home(root: Path) -> Path:
    """A 9Router 0.4.x home: db.json, usage.json, disabledModels.json."""
    shutil.copytree(LEGACY, root)
    return root


def sqlite_home(root: Path) -> Path:
    """A 9Router 0.5.69 home: db/data.sqlite built from the schema and the rows."""
    (root / "db").mkdir(parents=True)
    conn = sqlite3.connect(root / "db" / "data.sqlite")
    conn.executescript(SCHEMA.read_text())
    conn.executescript(ROWS.read_text())
    conn.commit()
    conn.close()
    return root


def routing_state(path: Path) -> dict[str, Any]:
    """Everything the router loads from a database: accounts, nodes, keys, combos, settings."""
    store = Store(path)
    try:
        return {
            "connections": [
                (
                    c.id,
                    c.provider,
                    c.auth_type,
                    c.name,
                    c.email,
                    c.priority,
                    c.is_active,
                    dict(c.data),
                    c.created_at,
                    c.updated_at,
                )
                for c in store.connections.all()
            ],
            "nodes": [n.public() for n in store.nodes.all()],
            "keys": [(k.id, k.key, k.name, k.is_active, k.machine_id) for k in store.keys.all()],
            "combos": [c.public() for c in store.combos.all()],
            "settings": store.settings.get(),
            "pools": [p.public() | {"proxyUrl": p.proxy_url} for p in store.proxy_pools.all()],
            "aliases": store.kv.scope("modelAliases"),
        }
    finally:
        store.close()
