"""The combos table: id, name (unique), kind, models (JSON array). Call writes inside Store.write()."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils

from ninerouter.models import Combo
from ninerouter.store.rows import combo_from_row, dump_json, new_id, now_iso


class Combos:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def all(self) -> list[Combo]:
        return [combo_from_row(r) for r in self.db.query("SELECT * FROM combos ORDER BY name")]

    def get(self, id_or_name: str) -> Combo | None:
        """By id, else by name (an id match wins if a name happens to equal another row's id)."""
        rows = list(
            self.db.query(
                "SELECT * FROM combos WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1",
                [id_or_name, id_or_name, id_or_name],
            )
        )
        return combo_from_row(rows[0]) if rows else None

    def insert(self, name: str, models: Sequence[str], kind: str | None = None) -> Combo:
        now = now_iso()
        row = {
            "id": new_id(),
            "name": name,
            "kind": kind,
            "models": dump_json(list(models)),
            "createdAt": now,
            "updatedAt": now,
        }
        self.db.table("combos").insert(row)
        return combo_from_row(row)

    def update(
        self,
        combo_id: str,
        *,
        name: str | None = None,
        models: Sequence[str] | None = None,
        kind: str | None = None,
    ) -> Combo:
        """Change the given fields (None leaves a field as it is) and bump updatedAt."""
        changes: dict[str, Any] = {"updatedAt": now_iso()}
        if name is not None:
            changes["name"] = name
        if models is not None:
            changes["models"] = dump_json(list(models))
        if kind is not None:
            changes["kind"] = kind
        assignments = ", ".join(f'"{column}" = ?' for column in changes)
        cursor = self.db.execute(
            f"UPDATE combos SET {assignments} WHERE id = ?", [*changes.values(), combo_id]
        )
        if cursor.rowcount != 1:
            raise LookupError(f"no combo with id {combo_id}")
        rows = list(self.db.query("SELECT * FROM combos WHERE id = ?", [combo_id]))
        return combo_from_row(rows[0])

    def delete(self, combo_id: str) -> None:
        self.db.execute("DELETE FROM combos WHERE id = ?", [combo_id])
