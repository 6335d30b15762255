"""The kv table (scope, key, value): 9Router's modelAliases, customModels, pricing, disabledModels."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

MODEL_ALIASES = "modelAliases"


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text  # 9Router may store a bare string


class KV:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def scope(self, scope: str) -> dict[str, Any]:
        rows = self.db.query("SELECT key, value FROM kv WHERE scope = ? ORDER BY key", [scope])
        return {row["key"]: _decode(row["value"]) for row in rows}

    def put(self, scope: str, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO kv (scope, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT(scope, key) DO UPDATE SET value = excluded.value",
            [scope, key, json.dumps(value)],
        )

    def delete(self, scope: str, key: str) -> bool:
        cursor = self.db.execute("DELETE FROM kv WHERE scope = ? AND key = ?", [scope, key])
        return bool(cursor.rowcount)
