"""Queries per table group. Each write method is one transaction (see Store.write)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlite_utils

from ninerouter.models import DEFAULT_SETTINGS, ApiKey, Connection, ProviderNode
from ninerouter.store.rows import (
    connection_from_row,
    dump_json,
    key_from_row,
    load_json,
    new_id,
    node_from_row,
    now_iso,
)


class Connections:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def all(self, provider: str | None = None) -> list[Connection]:
        sql = "SELECT * FROM providerConnections"
        params: list[Any] = []
        if provider is not None:
            sql += " WHERE provider = ?"
            params.append(provider)
        sql += " ORDER BY provider, COALESCE(priority, 999), updatedAt DESC"
        return [connection_from_row(row) for row in self.db.query(sql, params)]

    def get(self, connection_id: str) -> Connection | None:
        rows = list(
            self.db.query("SELECT * FROM providerConnections WHERE id = ?", [connection_id])
        )
        return connection_from_row(rows[0]) if rows else None

    def find(self, provider: str, name: str) -> Connection | None:
        rows = list(
            self.db.query(
                "SELECT * FROM providerConnections WHERE provider = ? AND name = ?",
                [provider, name],
            )
        )
        return connection_from_row(rows[0]) if rows else None

    def by_name(self, name: str) -> list[Connection]:
        sql = "SELECT * FROM providerConnections WHERE name = ? OR id = ?"
        return [connection_from_row(row) for row in self.db.query(sql, [name, name])]

    def next_priority(self, provider: str) -> int:
        row = next(
            self.db.query(
                "SELECT MAX(priority) AS p FROM providerConnections WHERE provider = ?", [provider]
            )
        )
        return int(row["p"] or 0) + 1

    def insert(
        self,
        *,
        provider: str,
        name: str,
        auth_type: str,
        priority: int,
        data: Mapping[str, Any],
        email: str | None = None,
        is_active: bool = True,
    ) -> Connection:
        now = now_iso()
        row = {
            "id": new_id(),
            "provider": provider,
            "authType": auth_type,
            "name": name,
            "email": email,
            "priority": priority,
            "isActive": 1 if is_active else 0,
            "data": dump_json(dict(data)),
            "createdAt": now,
            "updatedAt": now,
        }
        self.db.table("providerConnections").insert(row)
        return connection_from_row(row)

    def delete(self, connection_id: str) -> None:
        self.db.execute("DELETE FROM providerConnections WHERE id = ?", [connection_id])

    def update(
        self,
        connection_id: str,
        *,
        columns: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Connection:
        """An edit by a person: change columns and merge `data` (null removes a key); bumps updatedAt."""
        sets = ["updatedAt = ?"]
        params: list[Any] = [now_iso()]
        for column, value in (columns or {}).items():
            if column not in ("name", "priority", "isActive", "email"):
                raise ValueError(f"not an editable column: {column}")
            sets.append(f"{column} = ?")
            params.append(value)
        if data:
            sets.append("data = json_patch(data, ?)")
            params.append(dump_json(dict(data)))
        self.db.execute(
            f"UPDATE providerConnections SET {', '.join(sets)} WHERE id = ?",
            [*params, connection_id],
        )
        updated = self.get(connection_id)
        if updated is None:
            raise LookupError(connection_id)
        return updated

    def patch_data(self, patches: Mapping[str, Mapping[str, Any]]) -> None:
        """Merge runtime state into each row's JSON `data` (RFC 7396: a null removes the key).
        `updatedAt` is left alone: it marks edits by people, which lift an auth lock."""
        self.db.conn.executemany(
            "UPDATE providerConnections SET data = json_patch(data, ?) WHERE id = ?",
            [(dump_json(dict(patch)), conn_id) for conn_id, patch in patches.items()],
        )


class Nodes:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def all(self) -> list[ProviderNode]:
        return [
            node_from_row(r) for r in self.db.query("SELECT * FROM providerNodes ORDER BY name")
        ]

    def get(self, node_id: str) -> ProviderNode | None:
        rows = list(self.db.query("SELECT * FROM providerNodes WHERE id = ?", [node_id]))
        return node_from_row(rows[0]) if rows else None

    def by_prefix(self, prefix: str) -> ProviderNode | None:
        return next((n for n in self.all() if n.prefix == prefix), None)

    def insert(
        self, *, node_type: str, name: str, prefix: str, base_url: str, api_type: str
    ) -> ProviderNode:
        now = now_iso()
        kind = f"{node_type}-{api_type}" if node_type == "openai-compatible" else node_type
        row = {
            "id": f"{kind}-{new_id()}",
            "type": node_type,
            "name": name,
            "data": dump_json({"prefix": prefix, "apiType": api_type, "baseUrl": base_url}),
            "createdAt": now,
            "updatedAt": now,
        }
        self.db.table("providerNodes").insert(row)
        return node_from_row(row)

    def delete(self, node_id: str) -> None:
        self.db.execute("DELETE FROM providerNodes WHERE id = ?", [node_id])

    def update(self, node_id: str, *, name: str, fields: Mapping[str, Any]) -> None:
        """Rename and merge `fields` (prefix, apiType, baseUrl) into the node's JSON data."""
        self.db.execute(
            "UPDATE providerNodes SET name = ?, data = json_patch(COALESCE(data, '{}'), ?), "
            "updatedAt = ? WHERE id = ?",
            [name, dump_json({**fields, "name": name}), now_iso(), node_id],
        )


class Keys:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def all(self) -> list[ApiKey]:
        return [key_from_row(r) for r in self.db.query("SELECT * FROM apiKeys ORDER BY createdAt")]

    def insert(self, *, key: str, name: str, machine_id: str | None) -> ApiKey:
        row = {
            "id": new_id(),
            "key": key,
            "name": name,
            "machineId": machine_id,
            "isActive": 1,
            "createdAt": now_iso(),
        }
        self.db.table("apiKeys").insert(row)
        return key_from_row(row)

    def get(self, key_id: str) -> ApiKey | None:
        rows = list(self.db.query("SELECT * FROM apiKeys WHERE id = ?", [key_id]))
        return key_from_row(rows[0]) if rows else None

    def delete(self, key_id: str) -> None:
        self.db.execute("DELETE FROM apiKeys WHERE id = ?", [key_id])

    def set_active(self, key_id: str, active: bool) -> None:
        self.db.execute(
            "UPDATE apiKeys SET isActive = ? WHERE id = ?", [1 if active else 0, key_id]
        )


class Settings:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def stored(self) -> dict[str, Any]:
        rows = list(self.db.query("SELECT data FROM settings WHERE id = 1"))
        data = load_json(rows[0]["data"], {}) if rows else {}
        return data if isinstance(data, dict) else {}

    def get(self) -> dict[str, Any]:
        """Stored settings over the defaults."""
        return {**DEFAULT_SETTINGS, **self.stored()}

    def patch(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        merged = {**self.stored(), **changes}
        self.db.execute(
            "INSERT INTO settings (id, data) VALUES (1, ?) "
            "ON CONFLICT(id) DO UPDATE SET data = excluded.data",
            [dump_json(merged)],
        )
        return {**DEFAULT_SETTINGS, **merged}
