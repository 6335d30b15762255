"""The combos table: id, name (unique), kind, models (JSON array)."""

from __future__ import annotations

import sqlite_utils

from ninerouter.models import Combo
from ninerouter.store.rows import combo_from_row


class Combos:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def all(self) -> list[Combo]:
        return [combo_from_row(r) for r in self.db.query("SELECT * FROM combos ORDER BY name")]
