"""proxyPools rows, stored exactly as 9Router 0.5.x writes them, and a consistent copy of the file.

A row: id (uuid4), isActive, testStatus ('unknown' | 'active' | 'error'), createdAt, updatedAt, and the
JSON `data` {"name", "proxyUrl", "noProxy", "type", "strictProxy", "lastTestedAt", "lastError"} in
9Router's key order (`createProxyPool`). `type` is 9Router's relay kind (http | vercel | cloudflare |
deno): a SOCKS proxy is type "http" with a socks5:// proxyUrl. We add `latencyMs` after a test.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from ninerouter.models import Connection
from ninerouter.models import ProxyPool as ProxyPool  # moved to models; re-exported
from ninerouter.store.rows import connection_from_row, dump_json, load_json, new_id, now_iso


@dataclass(frozen=True)
class ProbeRecord:
    """One proxy test: testStatus 'active' or 'error', with when, how fast and why it failed."""

    pool_id: str
    status: str
    tested_at: str
    latency_ms: float | None
    error: str | None


def pool_from_row(row: Mapping[str, Any]) -> ProxyPool:
    data = load_json(row.get("data"), {})
    data = data if isinstance(data, dict) else {}
    return ProxyPool(
        id=row["id"],
        name=str(data.get("name") or ""),
        proxy_url=str(data.get("proxyUrl") or ""),
        no_proxy=str(data.get("noProxy") or ""),
        type=str(data.get("type") or "http"),
        is_active=row.get("isActive") in (1, True, None),
        strict=data.get("strictProxy") is True,
        test_status=row.get("testStatus"),
        data=data,
        created_at=row.get("createdAt") or "",
        updated_at=row.get("updatedAt") or "",
    )


def new_pool_row(name: str, proxy_url: str, now: str | None = None) -> dict[str, Any]:
    """A row as 9Router's createProxyPool writes it (strict: a proxied account never goes direct)."""
    stamp = now or now_iso()
    data = {
        "name": name,
        "proxyUrl": proxy_url,
        "noProxy": "",
        "type": "http",
        "strictProxy": True,
        "lastTestedAt": None,
        "lastError": None,
    }
    return {
        "id": new_id(),
        "isActive": 1,
        "testStatus": "unknown",
        "data": dump_json(data),
        "createdAt": stamp,
        "updatedAt": stamp,
    }


_INSERT = (
    "INSERT INTO proxyPools (id, isActive, testStatus, data, createdAt, updatedAt) "
    "VALUES (:id, :isActive, :testStatus, :data, :createdAt, :updatedAt)"
)


class ProxyPools:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def all(self) -> list[ProxyPool]:
        rows = self.db.query("SELECT * FROM proxyPools ORDER BY createdAt, rowid")
        return [pool_from_row(row) for row in rows]

    def get(self, pool_id: str) -> ProxyPool | None:
        rows = list(self.db.query("SELECT * FROM proxyPools WHERE id = ?", [pool_id]))
        return pool_from_row(rows[0]) if rows else None

    def find(self, ref: str) -> list[ProxyPool]:
        """By id, by a unique id prefix (4+ characters), or by name."""
        exact = self.get(ref)
        if exact is not None:
            return [exact]
        sql = "SELECT * FROM proxyPools WHERE json_extract(data, '$.name') = ?"
        params = [ref]
        if len(ref) >= 4:
            sql += " OR id LIKE ? ESCAPE '\\'"
            params.append(ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        return [pool_from_row(row) for row in self.db.query(sql, params)]

    def insert_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Rows from new_pool_row (consumed lazily; the caller holds the transaction)."""
        self.db.conn.executemany(_INSERT, rows)

    def set_urls(self, changes: Iterable[tuple[str, str]]) -> None:
        """(pool id, new proxyUrl) pairs: a changed password on an existing endpoint."""
        now = now_iso()
        self.db.conn.executemany(
            "UPDATE proxyPools SET data = json_set(data, '$.proxyUrl', ?), updatedAt = ? "
            "WHERE id = ?",
            [(url, now, pool_id) for pool_id, url in changes],
        )

    def record_tests(self, results: Iterable[ProbeRecord]) -> None:
        """Write test outcomes (nulls kept, as 9Router writes them); isActive is never touched."""
        self.db.conn.executemany(
            "UPDATE proxyPools SET testStatus = ?, updatedAt = ?, data = json_set(data, "
            "'$.lastTestedAt', ?, '$.latencyMs', ?, '$.lastError', ?) WHERE id = ?",
            [
                (r.status, r.tested_at, r.tested_at, r.latency_ms, r.error, r.pool_id)
                for r in results
            ],
        )

    def update(self, pool_id: str, fields: Mapping[str, Any], active: bool | None) -> None:
        """Merge `fields` into the pool's JSON data; set isActive when given; bump updatedAt."""
        self.db.execute(
            "UPDATE proxyPools SET data = json_patch(data, ?), "
            "isActive = COALESCE(?, isActive), updatedAt = ? WHERE id = ?",
            [dump_json(dict(fields)), None if active is None else int(active), now_iso(), pool_id],
        )

    def delete(self, pool_ids: Iterable[str]) -> None:
        self.db.conn.executemany("DELETE FROM proxyPools WHERE id = ?", [(i,) for i in pool_ids])

    def bound_connections(self, pool_id: str) -> list[Connection]:
        sql = (
            "SELECT * FROM providerConnections "
            "WHERE json_extract(data, '$.providerSpecificData.proxyPoolId') = ? ORDER BY name"
        )
        return [connection_from_row(row) for row in self.db.query(sql, [pool_id])]

    def usage_counts(self) -> dict[str, int]:
        """Pool id -> how many connections name it."""
        sql = (
            "SELECT json_extract(data, '$.providerSpecificData.proxyPoolId') AS pool, COUNT(*) AS n "
            "FROM providerConnections WHERE pool IS NOT NULL GROUP BY pool"
        )
        return {str(row["pool"]): int(row["n"]) for row in self.db.query(sql)}


def load_pools(db: sqlite_utils.Database) -> tuple[ProxyPool, ...]:
    """Every pool, for the server's config snapshot (runs on the database thread)."""
    return tuple(ProxyPools(db).all())


def written_by_9router(path: Path) -> bool:
    """Whether 9Router (not ninerouter) owns this database: it has 9Router's `_meta.appVersion`, or
    our migrations table is absent. Reads only; call it before opening a Store on the file."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return False
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "_meta" not in tables:
            return False
        app = conn.execute("SELECT value FROM _meta WHERE key = 'appVersion'").fetchone()
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
    return app is not None or "nr_migrations" not in tables
