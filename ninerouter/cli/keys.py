"""`ninerouter keys ...`: API keys that /v1 clients send as Bearer or x-api-key."""

from __future__ import annotations

from typing import Annotated

import typer

from ninerouter.cli._console import JsonOpt, emit, message, open_store, print_table, state

app = typer.Typer(no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Label, e.g. the client that will use it.")],
    json_out: JsonOpt = False,
) -> None:
    """Create a key. It is printed once; only a masked form is shown afterwards."""
    from ninerouter.services.keys import create_key

    key = create_key(open_store(ctx), name)

    def human() -> None:
        print(key.key)
        message(f"created key '{key.name}' ({key.id}); store it now, it is not shown again")

    emit(ctx, json_out, {"id": key.id, "name": key.name, "key": key.key}, human)


@app.command("list")
def list_(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """List keys (masked), including the initial key file in <home>/auth/."""
    from ninerouter.redact import mask
    from ninerouter.services.keys import read_initial_key

    keys = open_store(ctx).keys.all()
    data = [k.public() for k in keys]
    initial = read_initial_key(state(ctx).home)
    if initial:
        data.insert(
            0,
            {
                "id": "auth-file",
                "name": "initial key (auth/api-key)",
                "key": mask(initial),
                "isActive": True,
                "machineId": None,
                "createdAt": None,
            },
        )
    rows = [(d["name"], d["key"], "yes" if d["isActive"] else "revoked", d["id"]) for d in data]
    emit(
        ctx,
        json_out,
        data,
        lambda: print_table(
            ("NAME", "KEY", "ACTIVE", "ID"),
            rows,
            empty="no keys: 'ninerouter keys create --name NAME'",
        ),
    )


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Key id or name.")],
    json_out: JsonOpt = False,
) -> None:
    """Deactivate a key; clients using it get 401 within a second."""
    from ninerouter.services.keys import revoke_key

    key = revoke_key(open_store(ctx), ref)
    emit(
        ctx,
        json_out,
        {"revoked": key.id, "name": key.name},
        lambda: message(f"revoked key '{key.name}'"),
    )
