"""`ninerouter usage`: requests and tokens per combo, connection or model."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds the `usage` command to the root app."""
