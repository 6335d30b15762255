"""The `ninerouter` command. Imports of the core happen inside commands, so --help stays fast."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ninerouter import __version__
from ninerouter.cli import (
    admin,
    alias,
    combo,
    dbtools,
    init,
    keys,
    models,
    provider,
    proxies,
    recipe,
    serve,
    settings,
    usage,
)
from ninerouter.cli._console import CliState, FunnelGroup

app = typer.Typer(
    name="ninerouter",
    cls=FunnelGroup,
    rich_markup_mode=None,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    help="Local LLM router: one endpoint in front of many provider accounts.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        str | None,
        typer.Option(
            "--data-dir",
            help="Home directory (else $NINEROUTER_DATA_DIR, $DATA_DIR, ~/.ninerouter).",
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON on stdout.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="More detail on stderr.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "-v", "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    ctx.obj = CliState(data_dir=data_dir, json=json_out, verbose=verbose)


serve.register(app)
app.add_typer(provider.app, name="provider", help="Provider connections (accounts).")
app.add_typer(keys.app, name="keys", help="API keys for /v1 clients.")
app.add_typer(settings.app, name="settings", help="Router settings (9Router keys).")
app.add_typer(alias.app, name="alias", help="Short names for model strings (modelAliases).")
app.add_typer(combo.app, name="combo", help="Combos: one model name for an ordered list of models.")
usage.register(app)
models.register(app)
recipe.register(app)
init.register(app)
dbtools.register(app)
proxies.register(app)
admin.register(app)

_GLOBAL_WITH_VALUE = {"--data-dir"}
_GLOBAL_FLAGS = {"--json", "--verbose"}
_SERVE_FLAGS = {
    "-p",
    "--port",
    "-H",
    "--host",
    "-n",
    "--no-browser",
    "-t",
    "--tray",
    "-l",
    "--log",
    "--skip-update",
    "--daemon",
    "--workers",
}


def normalize_argv(argv: list[str]) -> list[str]:
    """Accept 9Router's flag-only form: `ninerouter -p 20128 -n -t -l` means `ninerouter serve ...`."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in _GLOBAL_WITH_VALUE:
            i += 2
            continue
        if token.split("=", 1)[0] in _GLOBAL_WITH_VALUE or token in _GLOBAL_FLAGS:
            i += 1
            continue
        if token.split("=", 1)[0] in _SERVE_FLAGS:
            return [*argv[:i], "serve", *argv[i:]]
        break
    return argv


def main(argv: list[str] | None = None) -> None:
    args = normalize_argv(list(sys.argv[1:] if argv is None else argv))
    app(args=args, prog_name="ninerouter")
