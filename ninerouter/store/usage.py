"""usageHistory / usageDaily: one row per finished request and a per-day summary (9Router-compatible)."""

from __future__ import annotations

import sqlite_utils


class UsageLog:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
