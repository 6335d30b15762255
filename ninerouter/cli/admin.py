"""CLI: `probe` (is the router up, and which admin methods does it answer) and `password set`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ninerouter.cli._console import JsonOpt, emit, message, open_store, print_table

if TYPE_CHECKING:
    from ninerouter.services.probe import Report

password_app = typer.Typer(no_args_is_help=True)

_STATUS_STYLE = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "info": "-"}


def probe(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Argument(help="Base URL of the router (ninerouter or 9Router).")
    ] = "http://127.0.0.1:20128",
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar="NINEROUTER_PASSWORD",
            help="Dashboard password for the admin checks (default: try 123456). "
            "Prefer $NINEROUTER_PASSWORD: options show in `ps`.",
        ),
    ] = None,
    methods: Annotated[
        bool,
        typer.Option("--methods", help="Also probe each admin resource's method matrix."),
    ] = False,
    record: Annotated[
        Path | None,
        typer.Option("--record", hidden=True, help="Write the raw matrix replies (a fixture)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a running router: health, /v1/models, whether chat needs a key, login, and (with
    --methods) which methods each admin resource answers. Changes nothing. Exit 3 on problems."""
    import asyncio

    from ninerouter.services.probe import run_probe

    report = asyncio.run(run_probe(url, password=password, methods=methods))
    if record is not None:
        data = {"url": report.url, "server": report.server, "replies": report.replies}
        record.write_text(json.dumps(data, indent=2) + "\n")
    emit(ctx, json_out, report.to_json(), lambda: _print_report(report))
    for problem in report.problems:
        message(f"problem: {problem}", style="red")
    if report.problems:
        raise typer.Exit(3)


def _print_report(report: Report) -> None:
    print_table(
        ("CHECK", "RESULT", "DETAIL"),
        [(c.name, _STATUS_STYLE[c.status], c.detail) for c in report.checks],
        empty="no checks ran",
    )
    if report.matrix is None:
        return
    from ninerouter.services.probe import METHODS

    rows = []
    allowed = report.matrix.allowed()
    for resource, cells in report.matrix.by_resource().items():
        statuses = [str(cells[m].status) if m in cells else "" for m in METHODS]
        rows.append((resource, *statuses, " ".join(allowed.get(resource, ["(absent)"]))))
    print()
    print_table(("RESOURCE", *METHODS, "ANSWERS"), rows, empty="no resources probed")
    if report.matrix.silent_405s():
        message(
            f"note: {report.matrix.silent_405s()} answers were 405 with an empty body "
            "(9Router's style: the client sees no reason)."
        )


@password_app.command("set")
def password_set(
    ctx: typer.Context,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the new password from stdin (one line).")
    ] = False,
) -> None:
    """Set the dashboard password (stored as a scrypt hash). Ends every dashboard session of a
    running server within a second."""
    from ninerouter.errors import NotInteractive
    from ninerouter.services.auth import set_password

    if stdin:
        new = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        new = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        raise NotInteractive(
            "no terminal to ask for the password: pipe it in with --stdin "
            '(e.g. `printf %s "$PW" | ninerouter password set --stdin`).'
        )
    store = open_store(ctx)
    try:
        set_password(store, new)
    finally:
        store.close()
    emit(ctx, False, {"ok": True}, lambda: message("password set."))


def register(app: typer.Typer) -> None:
    """Adds `probe` and `password` to the root app."""
    app.command("probe")(probe)
    app.add_typer(password_app, name="password", help="The dashboard password.")
