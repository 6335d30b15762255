"""`ninerouter settings ...`: 9Router's settings keys (fallbackStrategy, comboStrategy, rtkEnabled, …)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ninerouter.cli._console import JsonOpt, emit, message, open_store, print_table

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """All settings (defaults included), without secrets."""
    from ninerouter.models import public_settings

    settings = public_settings(open_store(ctx).settings.get())
    rows = [(k, json.dumps(v)) for k, v in sorted(settings.items())]
    emit(ctx, json_out, settings, lambda: print_table(("KEY", "VALUE"), rows, empty="no settings"))


@app.command("get")
def get(ctx: typer.Context, key: str, json_out: JsonOpt = False) -> None:
    """Print one setting's value (as JSON)."""
    from ninerouter.services.settings import get_setting

    value = get_setting(open_store(ctx), key)
    emit(ctx, json_out, {key: value}, lambda: print(json.dumps(value)))


@app.command("set")
def set_(
    ctx: typer.Context,
    key: str,
    value: Annotated[
        str, typer.Argument(help="Parsed as JSON when it parses (true, 3, {...}), else a string.")
    ],
    json_out: JsonOpt = False,
) -> None:
    """Change one setting; a running server applies it within a second."""
    from ninerouter.services.settings import parse_value, set_setting

    parsed = parse_value(value)
    settings = set_setting(open_store(ctx), key, parsed)
    emit(
        ctx,
        json_out,
        {key: settings.get(key)},
        lambda: message(f"{key} = {json.dumps(settings.get(key))}"),
    )
