"""CLI: probe and password."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds these commands to the root app."""
