"""`ninerouter recipe NAME`: print a ready unit file, container file or client configuration."""

from __future__ import annotations

from typing import Annotated

import typer

from ninerouter.cli._console import state
from ninerouter.home import DEFAULT_PORT


def recipe(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="systemd, docker, compose, claude-code, codex, cursor or hermes.")
    ],
    port: Annotated[
        int, typer.Option("-p", "--port", help="The port the server listens on.")
    ] = DEFAULT_PORT,
    host: Annotated[str, typer.Option("-H", "--host", help="The address it binds.")] = "127.0.0.1",
    with_key: Annotated[
        bool,
        typer.Option("--with-key", help="Write the initial API key itself instead of a $(cat …)."),
    ] = False,
) -> None:
    """Print a config for this install (its port, binary path and key file) on stdout."""
    from ninerouter.services.keys import read_initial_key
    from ninerouter.services.recipes import Install, find_binary, render

    home = state(ctx).home
    key = read_initial_key(home) if with_key else None
    print(render(name, Install(port, host, find_binary(), home.root, key)), end="")


def register(app: typer.Typer) -> None:
    app.command("recipe")(recipe)
