"""CLI: proxy import/list/show/test/remove/set-global/clear-global/assign/rotate."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ninerouter.cli._console import (
    JsonOpt,
    confirm,
    emit,
    message,
    open_store,
    print_json,
    print_table,
    state,
    wants_json,
)

if TYPE_CHECKING:
    from ninerouter.services.proxies import ProbeOutcome, Progress
    from ninerouter.store import Store

app = typer.Typer(no_args_is_help=True)

PoolArg = Annotated[str, typer.Argument(help="Pool id, id prefix or name.")]
ConnArg = Annotated[str, typer.Argument(help="Connection id or name.")]
UrlOpt = Annotated[
    str | None,
    typer.Option("--url", help="URL fetched through each proxy (default: a 204 page of Google)."),
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds per proxy.")]
ConcurrencyOpt = Annotated[int, typer.Option("--concurrency", help="Proxies tested at once.")]


def register(app_: typer.Typer) -> None:
    """Adds these commands to the root app."""
    app_.add_typer(
        app, name="proxy", help="Egress proxies: import proxies.txt, test, assign, global proxy."
    )


def _open(ctx: typer.Context) -> tuple[Store, bool]:
    """The store, and whether it belongs to 9Router (checked before opening it)."""
    from ninerouter.services.proxies import is_9router_home

    foreign = is_9router_home(state(ctx).home)
    return open_store(ctx), foreign


def _written(foreign: bool) -> None:
    if foreign:
        from ninerouter.services.proxies import RESTART_HINT

        message(f"warning: {RESTART_HINT}", style="yellow")


@contextlib.contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Progress | None]:
    """A rich progress bar on stderr when it is a terminal; else nothing."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar

    with Bar(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(phase: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"{label} ({phase})")

        yield update


def _probe(
    store: Store, pool_ids: list[str], url: str | None, timeout: float, n: int, bar: bool
) -> list[ProbeOutcome]:
    from ninerouter.services.proxies import DEFAULT_TEST_URL, pools_of, probe_pools

    pools = [p for p in (pools_of(store).get(i) for i in pool_ids) if p is not None]
    with _progress(bar, "testing proxies") as progress:
        return probe_pools(
            store,
            pools,
            url=url or DEFAULT_TEST_URL,
            timeout=timeout,
            concurrency=n,
            progress=progress,
        )


def _print_tests(outcomes: list[ProbeOutcome]) -> None:
    rows = [
        (o.pool.id[:8], o.pool.name, "active" if o.result.ok else "error", o.result.latency_ms)
        + (o.result.error or "",)
        for o in outcomes
    ]
    print_table(("ID", "NAME", "STATUS", "MS", "ERROR"), rows, empty="no proxies to test")


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A proxies.txt file, or - for stdin.")],
    scheme: Annotated[
        str,
        typer.Option(
            "--type", help="Scheme for lines without one: http, https, socks5, socks5h, socks4."
        ),
    ] = "http",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; write nothing.")] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Import nothing if any line is invalid (exit 2).")
    ] = False,
    test: Annotated[bool, typer.Option("--test", help="Test the new proxies afterwards.")] = False,
    url: UrlOpt = None,
    timeout: TimeoutOpt = 8.0,
    concurrency: ConcurrencyOpt = 20,
    json_out: JsonOpt = False,
) -> None:
    """Bulk-import proxies into proxy pools: every line checked first, duplicates skipped, one
    transaction after an automatic backup. Exit 3 when some lines were invalid."""
    from ninerouter.services import proxies as svc

    home = state(ctx).home
    parsed = svc.parse_source(svc.read_source(source, sys.stdin.buffer), scheme)
    store, foreign = _open(ctx)
    as_json = wants_json(ctx, json_out)
    with _progress(not as_json, "importing") as progress:
        report = svc.import_proxies(
            store, home, parsed, source=source, dry_run=dry_run, strict=strict, progress=progress
        )
    tests = _probe(store, report.new_ids, url, timeout, concurrency, not as_json) if test else []
    wrote = bool(report.imported or report.updated) and not (dry_run or report.aborted)
    if as_json:
        print_json({**report.as_json(), "tests": [o.as_json() for o in tests]})
    else:
        for reject in report.rejected:
            message(f"line {reject.line}: {reject.reason}")
        if report.backup:
            message(f"backup: {report.backup}")
        if tests:
            _print_tests(tests)
        if parsed.lines - parsed.skipped == 0:
            message(f"warning: 0 proxies in {source}", style="yellow")
        message(report.summary() + (" (nothing written: --strict)" if report.aborted else ""))
    if wrote:
        _written(foreign)
    if report.aborted:
        raise typer.Exit(2)
    if report.rejected or any(not o.result.ok for o in tests):
        raise typer.Exit(3)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="Only unknown, active or error.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """List proxy pools; passwords are masked."""
    from ninerouter.redact import mask_url
    from ninerouter.services.proxies import list_pools

    pools = list_pools(open_store(ctx), status)
    rows = [
        (p.id[:8], p.name, mask_url(p.proxy_url), "yes" if p.is_active else "no", p.test_status)
        + (p.data.get("latencyMs"), p.data.get("lastTestedAt"), used, p.data.get("lastError"))
        for p, used in pools
    ]
    columns = ("ID", "NAME", "PROXY", "ACTIVE", "STATUS", "MS", "TESTED", "USED BY", "LAST ERROR")
    emit(
        ctx,
        json_out,
        [{**p.public(), "connections": used} for p, used in pools],
        lambda: print_table(columns, rows, empty="no proxies yet: 'ninerouter proxy import FILE'"),
    )


@app.command("show")
def show(ctx: typer.Context, pool: PoolArg, json_out: JsonOpt = False) -> None:
    """One pool with the accounts and providers that use it."""
    from ninerouter.services.proxies import pool_details

    details = pool_details(open_store(ctx), pool)

    def human() -> None:
        for key, value in details.items():
            if key == "connections":
                value = ", ".join(f"{c['name']} ({c['provider']})" for c in value) or "-"
            elif key == "providers":
                value = ", ".join(value) or "-"
            print(f"{key}: {'' if value is None else value}")

    emit(ctx, json_out, details, human)


@app.command("test")
def test_(
    ctx: typer.Context,
    pools: Annotated[list[str] | None, typer.Argument(help="Pools to test (default: all).")] = None,
    url: UrlOpt = None,
    timeout: TimeoutOpt = 8.0,
    concurrency: ConcurrencyOpt = 20,
    json_out: JsonOpt = False,
) -> None:
    """Fetch a URL through each proxy; record testStatus, latency and lastError. A failed proxy is
    marked 'error' but stays active. Exit 3 when any failed."""
    from ninerouter.services.proxies import pools_of, resolve_pool

    store, foreign = _open(ctx)
    ids = [resolve_pool(store, ref).id for ref in pools] if pools else []
    ids = ids or [p.id for p in pools_of(store).all()]
    as_json = wants_json(ctx, json_out)
    outcomes = _probe(store, ids, url, timeout, concurrency, not as_json)
    emit(ctx, json_out, [o.as_json() for o in outcomes], lambda: _print_tests(outcomes))
    failed = sum(1 for o in outcomes if not o.result.ok)
    if not as_json:
        message(f"tested {len(outcomes)}: {len(outcomes) - failed} active, {failed} error")
    _written(foreign and bool(outcomes))
    if failed:
        raise typer.Exit(3)


@app.command("remove")
def remove(
    ctx: typer.Context,
    pools: Annotated[list[str], typer.Argument(help="Pool ids, id prefixes or names.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Also deactivate and unbind the accounts that use them.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Remove pools. A pool in use is refused unless --force, which deactivates and unbinds its
    accounts (they never go direct)."""
    from ninerouter.services.proxies import remove_pools, resolve_pool

    store, foreign = _open(ctx)
    found = [resolve_pool(store, ref) for ref in pools]
    confirm(f"Remove {len(found)} proxy pool(s)?", yes=yes)
    removed, deactivated = remove_pools(store, [p.id for p in found], force=force)
    data: dict[str, Any] = {
        "removed": [p.id for p in removed],
        "deactivatedConnections": [{"id": c.id, "name": c.name} for c in deactivated],
    }
    names = ", ".join(c.name for c in deactivated)
    emit(
        ctx,
        json_out,
        data,
        lambda: message(
            f"removed {len(removed)} pool(s)"
            + (f"; deactivated accounts that used them: {names}" if names else "")
        ),
    )
    _written(foreign)


@app.command("set-global")
def set_global(
    ctx: typer.Context,
    proxy: Annotated[str, typer.Argument(help="Proxy URL (any import form) or a pool.")],
    no_proxy: Annotated[
        str, typer.Option("--no-proxy", help="Hosts that bypass it: '*', .suffix, host, CIDR.")
    ] = "",
    json_out: JsonOpt = False,
) -> None:
    """Send every account without its own proxy through this one (outboundProxyUrl)."""
    from ninerouter.services.proxies import set_global as apply

    store, foreign = _open(ctx)
    view = apply(store, proxy, no_proxy)
    emit(ctx, json_out, view, lambda: message(f"global proxy: {view['outboundProxyUrl']}"))
    _written(foreign)


@app.command("clear-global")
def clear_global(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Turn the global proxy off (accounts without a proxy go direct)."""
    from ninerouter.services.proxies import clear_global as apply

    store, foreign = _open(ctx)
    view = apply(store)
    emit(ctx, json_out, view, lambda: message("global proxy cleared"))
    _written(foreign)


@app.command("assign")
def assign(
    ctx: typer.Context,
    connection: ConnArg,
    pool: Annotated[str | None, typer.Argument(help="Pool id, id prefix or name.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Unbind the account's pool.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Route an account through a pool (its providerSpecificData.proxyPoolId)."""
    from ninerouter.errors import UserError
    from ninerouter.services.proxies import assign_pool

    if (pool is None) != clear:
        raise UserError("give a POOL, or --clear to unbind the account's pool (not both).")
    store, foreign = _open(ctx)
    conn = assign_pool(store, connection, pool)
    pool_id = conn.specific.get("proxyPoolId")
    text = f"'{conn.name}' now uses pool {pool_id}" if pool_id else f"'{conn.name}' has no pool"
    emit(ctx, json_out, {"connection": conn.id, "proxyPoolId": pool_id}, lambda: message(text))
    _written(foreign)


@app.command("rotate")
def rotate(ctx: typer.Context, connection: ConnArg, json_out: JsonOpt = False) -> None:
    """Start a new sticky proxy session for an account (the {session} in the proxy user name)."""
    from ninerouter.services.proxies import rotate_session

    store, foreign = _open(ctx)
    conn, rotation, token = rotate_session(store, connection)
    data = {"connection": conn.id, "rotation": rotation, "session": token}
    emit(ctx, json_out, data, lambda: message(f"'{conn.name}': new proxy session {token}"))
    _written(foreign)
