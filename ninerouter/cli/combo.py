"""`ninerouter combo ...`: named, ordered lists of models."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)
