"""`ninerouter alias ...`: short names for model strings (9Router's modelAliases)."""

from __future__ import annotations

from typing import Annotated

import typer

from ninerouter.cli._console import JsonOpt, emit, message, open_store, print_table

app = typer.Typer(no_args_is_help=True)


@app.command("set")
def set_(
    ctx: typer.Context,
    alias: Annotated[str, typer.Argument(help="The name clients send, e.g. sonnet.")],
    target: Annotated[
        str, typer.Argument(help="The model it stands for, e.g. kr/claude-sonnet-4.5.")
    ],
    json_out: JsonOpt = False,
) -> None:
    """Make ALIAS stand for TARGET (a prefix/model string)."""
    from ninerouter.services.aliases import set_alias

    set_alias(open_store(ctx), alias, target)
    emit(ctx, json_out, {alias: target}, lambda: message(f"{alias} -> {target}"))


@app.command("list")
def list_(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """All aliases."""
    from ninerouter.routing.config import normalize_aliases
    from ninerouter.store.kv import MODEL_ALIASES

    aliases = normalize_aliases(open_store(ctx).kv.scope(MODEL_ALIASES))
    emit(
        ctx,
        json_out,
        aliases,
        lambda: print_table(
            ("ALIAS", "MODEL"),
            sorted(aliases.items()),
            empty="no aliases: 'ninerouter alias set NAME MODEL'",
        ),
    )


@app.command("remove")
def remove(ctx: typer.Context, alias: str, json_out: JsonOpt = False) -> None:
    """Delete an alias."""
    from ninerouter.services.aliases import remove_alias

    remove_alias(open_store(ctx), alias)
    emit(ctx, json_out, {"removed": alias}, lambda: message(f"removed alias {alias}"))
