"""`ninerouter provider ...`: connections (accounts) per provider."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import typer

from ninerouter.cli._console import JsonOpt, confirm, emit, message, open_store, print_table

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    provider: Annotated[
        str,
        typer.Argument(
            help="Registry id (openai, openrouter, xiaomi-tokenplan, …) or openai-compatible / anthropic-compatible."
        ),
    ],
    name: Annotated[
        str, typer.Option("--name", help="Label of this account, unique per provider.")
    ],
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="The provider API key.", envvar="NINEROUTER_PROVIDER_KEY"),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="API root, e.g. https://host/v1 (required for custom nodes)."
        ),
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option("--prefix", help="Model prefix of a custom node (clients send PREFIX/model)."),
    ] = None,
    priority: Annotated[
        int | None, typer.Option("--priority", help="1 is tried first; default: after the others.")
    ] = None,
    proxy: Annotated[
        str | None, typer.Option("--proxy", help="Egress proxy URL for this account.")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="Region for providers that have them (xiaomi-tokenplan: sgp, cn, ams)."
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Add an account. Nothing is written unless every check passes."""
    from ninerouter.services.providers import NewConnection, add_connection

    store = open_store(ctx)
    conn = add_connection(
        store,
        NewConnection(
            provider=provider,
            name=name,
            api_key=api_key,
            base_url=base_url,
            prefix=prefix,
            priority=priority,
            proxy=proxy,
            region=region,
        ),
    )
    emit(
        ctx,
        json_out,
        conn.public(),
        lambda: message(f"added {provider} connection '{conn.name}' ({conn.id})"),
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Only this provider id.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """List connections; secrets are masked."""
    store = open_store(ctx)
    conns = store.connections.all(provider)
    nodes = {n.id: n for n in store.nodes.all()}

    def label(provider_id: str) -> str:
        node = nodes.get(provider_id)
        return f"{node.type}:{node.prefix}" if node else provider_id

    rows = [
        (
            c.name,
            label(c.provider),
            c.priority,
            "yes" if c.is_active else "no",
            c.public().get("apiKey", ""),
            c.data.get("testStatus", ""),
            _cooling(c.data),
            c.data.get("lastError") or "",
            c.id,
        )
        for c in conns
    ]
    emit(
        ctx,
        json_out,
        [c.public() for c in conns],
        lambda: print_table(
            ("NAME", "PROVIDER", "PRIO", "ACTIVE", "KEY", "STATUS", "COOLING", "LAST ERROR", "ID"),
            rows,
            empty="no connections yet: add one with 'ninerouter provider add'",
        ),
    )


def _cooling(data: Mapping[str, object]) -> str:
    """Active locks as 'model until HH:MM:SS' (all models: '*')."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    out = []
    for key, value in data.items():
        if key.startswith("modelLock_") and isinstance(value, str):
            try:
                until = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if until > now:
                model = key[len("modelLock_") :]
                out.append(
                    f"{'*' if model == '__all' else model} until {until.astimezone():%H:%M:%S}"
                )
    return ", ".join(out)


@app.command("remove")
def remove(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Connection id or name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Remove a connection (and its custom node when it was the node's last account)."""
    from ninerouter.services.providers import remove_connection, resolve_connection

    store = open_store(ctx)
    target = resolve_connection(store, ref)
    confirm(f"Remove connection '{target.name}' of {target.provider}?", yes=yes)
    conn = remove_connection(store, target.id)
    emit(
        ctx,
        json_out,
        {"removed": conn.id, "name": conn.name},
        lambda: message(f"removed connection '{conn.name}'"),
    )


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Connection id or name.")],
    name: Annotated[str | None, typer.Option("--name", help="New label.")] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", help="New provider key.")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Override the API root ('' to clear).")
    ] = None,
    priority: Annotated[int | None, typer.Option("--priority", help="1 is tried first.")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Use or skip this account.")
    ] = None,
    proxy: Annotated[
        str | None, typer.Option("--proxy", help="Egress proxy URL ('' to clear).")
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="Provider region.")] = None,
    min_interval_ms: Annotated[
        int | None,
        typer.Option("--min-interval-ms", help="Throttle: least ms between requests (0 = off)."),
    ] = None,
    max_concurrent: Annotated[
        int | None,
        typer.Option("--max-concurrent", help="Throttle: most requests in flight (0 = off)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Change an account. An edit also lifts an auth_failed lock, so a fixed key is used again."""
    from ninerouter.services.providers import ConnectionEdit, edit_connection

    conn = edit_connection(
        open_store(ctx),
        ref,
        ConnectionEdit(
            name=name,
            api_key=api_key,
            base_url=base_url,
            priority=priority,
            active=active,
            proxy=proxy,
            region=region,
            min_interval_ms=min_interval_ms,
            max_concurrent=max_concurrent,
        ),
    )
    emit(ctx, json_out, conn.public(), lambda: message(f"updated connection '{conn.name}'"))


@app.command("test")
def test(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Connection id or name.")],
    json_out: JsonOpt = False,
) -> None:
    """Call the provider cheaply (GET /models) and record testStatus. Exit 3 when the check fails."""
    from ninerouter.services.providers import test_connection

    conn, result = test_connection(open_store(ctx), ref)
    data = {
        "id": conn.id,
        "name": conn.name,
        "ok": result.ok,
        "status": result.status,
        "message": result.message,
        "latencyMs": result.latency_ms,
    }
    emit(
        ctx,
        json_out,
        data,
        lambda: message(
            f"{conn.name}: {'ok' if result.ok else 'FAILED'} ({result.latency_ms} ms) {'' if result.ok else result.message}"
        ),
    )
    if not result.ok:
        raise typer.Exit(3)
