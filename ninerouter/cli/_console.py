"""Output and the error funnel: data to stdout (a table, or JSON with --json), messages to stderr.

Domain errors become exit codes here and nowhere else: NineRouterError.exit_code (1, or 3 for
"ran fine, found problems"), 2 for usage errors (Typer), 130 for Ctrl-C.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from ninerouter.errors import NineRouterError, NotInteractive
from ninerouter.home import Home, resolve_data_dir

if TYPE_CHECKING:
    from ninerouter.store import Store

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


@dataclass
class CliState:
    data_dir: str | None = None
    json: bool = False
    verbose: bool = False

    @property
    def home(self) -> Home:
        return Home(resolve_data_dir(self.data_dir))


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def wants_json(ctx: typer.Context, flag: bool) -> bool:
    return flag or state(ctx).json


def open_store(ctx: typer.Context) -> Store:
    from ninerouter.store import Store

    home = state(ctx).home.ensure()
    return Store(home.db_path)


def message(text: str, *, style: str | None = None) -> None:
    """A human message on stderr (never data)."""
    if style and not os.environ.get("NO_COLOR") and sys.stderr.isatty():
        from rich.console import Console

        Console(stderr=True).print(text, style=style, markup=False, highlight=False)
    else:
        print(text, file=sys.stderr, flush=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def print_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str) -> None:
    rows = list(rows)
    if not rows:
        message(empty)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns, box=None, header_style="bold", pad_edge=False)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    width = None if sys.stdout.isatty() else 1000
    Console(no_color=bool(os.environ.get("NO_COLOR")), width=width).print(table)


def emit(ctx: typer.Context, json_flag: bool, data: Any, human: Callable[[], None]) -> None:
    if wants_json(ctx, json_flag):
        print_json(data)
    else:
        human()


def confirm(question: str, *, yes: bool, flag: str = "--yes") -> None:
    """Ask on a terminal; refuse without a terminal unless --yes was given."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise NotInteractive(
            f"{question.rstrip('?')}: not confirmed. Pass {flag} to do it without a prompt."
        )
    if not typer.confirm(question, default=False):
        raise typer.Exit(1)


class FunnelGroup(TyperGroup):
    """Root command group: renders NineRouterError as a message and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NineRouterError as exc:
            message(f"error: {exc.message}", style="red")
            raise typer.Exit(exc.exit_code) from None
