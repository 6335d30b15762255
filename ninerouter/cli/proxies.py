"""CLI: proxy import/list/show/test/remove/set-global/clear-global/assign/rotate."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds these commands to the root app."""
