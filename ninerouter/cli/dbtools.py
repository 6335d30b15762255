"""CLI: backup, restore, db check/migrate, import 9router, config export/apply, doctor."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds these commands to the root app."""
