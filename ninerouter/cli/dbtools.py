"""CLI: backup, restore, db check/migrate, import 9router, config export/apply, doctor."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ninerouter.cli._console import (
    JsonOpt,
    confirm,
    emit,
    message,
    open_store,
    print_table,
    state,
    wants_json,
)

if TYPE_CHECKING:
    from ninerouter.store.verify import Problem

db_app = typer.Typer(no_args_is_help=True)
import_app = typer.Typer(no_args_is_help=True)
config_app = typer.Typer(no_args_is_help=True)

YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking.")]


def _problem_rows(problems: list[Problem]) -> list[tuple[str, str, str]]:
    return [(p.code, p.message, p.fix) for p in problems]


def backup(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write here (default: <home>/db/backups/, timestamped)."),
    ] = None,
    keep: Annotated[
        int | None,
        typer.Option("--keep", help="Keep only the newest N backups ninerouter made there."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Copy the database consistently (SQLite backup API; safe while the server writes)."""
    from ninerouter.services.backup import backup as take_backup

    result = take_backup(state(ctx).home, out, keep)

    def human() -> None:
        print(result.backup.path)
        message(f"backed up {result.backup.size} bytes to {result.backup.path}")
        for old in result.deleted:
            message(f"removed old backup {old.name}")

    emit(ctx, json_out, result.public(), human)


def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A backup made by 'ninerouter backup'.")],
    yes: YesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Replace the database with FILE, after checking it; the current one is backed up first.

    A running server switches to the restored data within a second, without a restart."""
    from ninerouter.services.backup import restore as do_restore
    from ninerouter.store.verify import Refused

    confirm(f"Replace the database with {file}?", yes=yes)
    try:
        result = do_restore(state(ctx).home, file)
    except Refused as exc:
        problems = exc.problems
    else:
        problems = []
    if problems:
        message(f"error: {file} was not restored; the current database is unchanged.", style="red")
        emit(
            ctx,
            json_out,
            {"restored": False, "problems": [p.public() for p in problems]},
            lambda: print_table(("CODE", "PROBLEM", "FIX"), _problem_rows(problems), empty=""),
        )
        raise typer.Exit(3)

    def human() -> None:
        print(result.restored)
        if result.previous:
            message(f"restored {file}; the previous database is saved as {result.previous.path}")
        else:
            message(f"restored {file}")

    emit(ctx, json_out, result.public(), human)


def db_check(
    ctx: typer.Context,
    file: Annotated[
        Path | None, typer.Option("--file", help="Check this file instead of the live database.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Integrity, foreign keys, schema, JSON columns and configuration. Exit 3 on any problem."""
    from ninerouter.services.doctor import check_database

    path = file or state(ctx).home.db_path
    problems = check_database(path)
    emit(
        ctx,
        json_out,
        {"ok": not problems, "path": str(path), "problems": [p.public() for p in problems]},
        lambda: print_table(
            ("CODE", "PROBLEM", "FIX"), _problem_rows(problems), empty=f"ok: no problems in {path}"
        ),
    )
    if problems:
        raise typer.Exit(3)


def db_migrate(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Apply pending schema migrations, after an automatic backup."""
    from ninerouter.services.backup import migrate

    result = migrate(state(ctx).home)

    def human() -> None:
        if not result.applied:
            message("the database is up to date")
            return
        message(f"applied {len(result.applied)} migration(s): {', '.join(result.applied)}")
        if result.backup:
            message(f"backup taken first: {result.backup.path}")

    emit(ctx, json_out, result.public(), human)


def import_9router(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="9Router home (default ~/.9router), its db.json or data.sqlite."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Import a 9Router home idempotently, in one transaction; reports what was skipped and why."""
    from ninerouter.importers.nine_router import import_9router as run_import

    store = open_store(ctx)
    try:
        report = run_import(store, path or Path.home() / ".9router")
    finally:
        store.close()
    kinds = sorted({*report.imported, *(s.kind for s in report.skipped)})
    skipped = {k: sum(s.count for s in report.skipped if s.kind == k) for k in kinds}

    def human() -> None:
        rows = [(k, report.imported.get(k, 0), skipped[k]) for k in kinds]
        print_table(("KIND", "IMPORTED", "SKIPPED"), rows, empty="nothing to import")
        for skip in report.skipped:
            message(f"skipped {skip.kind} {skip.name}: {skip.reason}")
        for warning in report.warnings:
            message(f"warning: {warning}")

    emit(ctx, json_out, report.public(), human)


def config_export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml",
    include_secrets: Annotated[
        bool, typer.Option("--include-secrets", help="Also write keys, tokens and passwords.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Print the configuration as one declarative file (secrets left out by default)."""
    from ninerouter.services.config_file import dumps, export_config

    store = open_store(ctx)
    try:
        doc = export_config(store, include_secrets)
    finally:
        store.close()
    sys.stdout.write(dumps(doc, "json" if wants_json(ctx, json_out) else fmt))
    if include_secrets:
        message("warning: this output holds secrets; keep it private (chmod 600).")


def config_apply(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="The file, or - for stdin.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete what a section of the file does not name.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Make the database match FILE: shows the plan, then writes it in one transaction."""
    from ninerouter.errors import UserError
    from ninerouter.services.config_apply import apply_config
    from ninerouter.services.config_file import loads

    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {file}: {exc.strerror}") from None
    doc = loads(text)
    store = open_store(ctx)
    try:
        result = apply_config(store, doc, prune=prune, dry_run=True)
        if not wants_json(ctx, json_out):
            rows = [(c.action, c.kind, c.name, ", ".join(c.fields)) for c in result.changes]
            empty = "no changes: the database already matches the file"
            print_table(("ACTION", "KIND", "NAME", "FIELDS"), rows, empty=empty)
        for warning in result.warnings:
            message(f"warning: {warning}")
        if not dry_run and result.changes:
            result = apply_config(store, doc, prune=prune)
    finally:
        store.close()
    done = f"applied {len(result.changes)} change(s)" if result.applied else "nothing written"
    emit(ctx, json_out, result.public(), lambda: message(done))


def doctor(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Check permissions, database, password, server, port, tokens and proxies. Exit 3 on failure."""
    from ninerouter.cli.process import healthy, is_ninerouter, pid_alive, read_pid_file
    from ninerouter.services.doctor import ServerProbe, run_doctor

    def port_owner(port: int) -> str | None:
        from ninerouter.proxy.server import port_owner as owner

        return owner(port)

    home = state(ctx).home
    probe = ServerProbe(
        pid_info=read_pid_file(home),
        alive=lambda pid: pid_alive(pid) and is_ninerouter(pid),
        healthy=lambda host, port: healthy(host, port),
        port_owner=port_owner,
    )
    checks = run_doctor(home, probe)
    rows = [(c.status, c.name, c.message, c.fix) for c in checks]
    emit(
        ctx,
        json_out,
        {"ok": all(c.status != "fail" for c in checks), "checks": [c.public() for c in checks]},
        lambda: print_table(("STATUS", "CHECK", "RESULT", "FIX"), rows, empty=""),
    )
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    """Adds these commands to the root app."""
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("doctor")(doctor)
    db_app.command("check")(db_check)
    db_app.command("migrate")(db_migrate)
    app.add_typer(db_app, name="db", help="Database checks and schema migrations.")
    import_app.command("9router")(import_9router)
    app.add_typer(import_app, name="import", help="Import data from another router.")
    config_app.command("export")(config_export)
    config_app.command("apply")(config_apply)
    app.add_typer(config_app, name="config", help="The configuration as one declarative file.")
