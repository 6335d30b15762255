"""`ninerouter models`: what /v1/models lists, and which provider and account serves each."""

from __future__ import annotations

import typer

from ninerouter.cli._console import JsonOpt, emit, open_store, print_table


def models(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """List the model strings clients can send. Custom nodes without enabledModels are listed live
    by the server (from the node's own /models); here they show as PREFIX/* ."""
    from ninerouter.routing.catalog import catalog
    from ninerouter.routing.config import RouterConfig

    store = open_store(ctx)
    config = RouterConfig.build(
        connections=store.connections.all(),
        nodes=store.nodes.all(),
        keys=(),
        combos=store.combos.all(),
        settings=store.settings.get(),
    )
    combos, sources = catalog(config)
    rows: list[dict[str, object]] = [
        {"id": name, "kind": "combo", "provider": None, "connection": None} for name in combos
    ]
    for source in sources:
        conn = source.connection.name if source.connection else None
        ids = ["*"] if source.live else list(source.ids)
        rows.extend(
            {
                "id": f"{source.prefix}/{m}",
                "kind": "live" if source.live else "model",
                "provider": source.provider,
                "connection": conn,
            }
            for m in ids
        )
    table = [(r["id"], r["kind"], r["provider"] or "", r["connection"] or "") for r in rows]
    emit(
        ctx,
        json_out,
        rows,
        lambda: print_table(
            ("MODEL", "KIND", "PROVIDER", "FIRST ACCOUNT"), table, empty="no models"
        ),
    )


def register(app: typer.Typer) -> None:
    app.command("models")(models)
