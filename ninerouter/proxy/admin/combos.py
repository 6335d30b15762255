"""/api/combos[/:id]: GET, POST {name, models[], kind?, strategy?} -> 201; /:id GET, PUT (merge of
name, models, kind, strategy), DELETE. Ids are matched exactly (never a name), so a probe with a
made-up id cannot touch a combo that happens to be called that."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ninerouter.errors import NotFound
from ninerouter.models import Combo
from ninerouter.proxy.admin.common import (
    AdminError,
    ok_json,
    read_body,
    read_db,
    text_field,
    write_db,
)
from ninerouter.services.combos import create_combo, delete_combo, edit_combo
from ninerouter.store import Store


def combo_by_id(store: Store, combo_id: str) -> Combo:
    combo = store.combos.get(combo_id)
    if combo is None or combo.id != combo_id:
        raise NotFound(f"no combo with id '{combo_id}'.")
    return combo


def models_field(body: Mapping[str, Any]) -> list[str] | None:
    value = body.get("models")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise AdminError(400, "'models' must be a list of model strings.")
    return list(value)


async def list_combos(request: web.Request) -> web.Response:
    combos = await read_db(request, lambda s: s.combos.all())
    return ok_json({"combos": [c.public() for c in combos]})


async def create(request: web.Request) -> web.Response:
    body = await read_body(request)
    name = text_field(body, "name", required=True) or ""
    models = models_field(body) or []
    kind = text_field(body, "kind")
    strategy = text_field(body, "strategy")
    combo = await write_db(
        request, lambda s: create_combo(s, name, models, kind, strategy=strategy)
    )
    return ok_json(combo.public(), status=201)


async def get_combo(request: web.Request) -> web.Response:
    combo_id = request.match_info["id"]
    combo = await read_db(request, lambda s: combo_by_id(s, combo_id))
    return ok_json(combo.public())


def _edit(store: Store, combo_id: str, body: Mapping[str, Any]) -> Combo:
    with store.write():
        combo = combo_by_id(store, combo_id)
        return edit_combo(
            store,
            combo.id,
            name=text_field(body, "name"),
            models=models_field(body),
            kind=text_field(body, "kind"),
            strategy=text_field(body, "strategy"),
        )


async def update(request: web.Request) -> web.Response:
    combo_id = request.match_info["id"]
    body = await read_body(request)
    combo = await write_db(request, lambda s: _edit(s, combo_id, body))
    return ok_json(combo.public())


def _delete(store: Store, combo_id: str) -> Combo:
    with store.write():
        return delete_combo(store, combo_by_id(store, combo_id).id)


async def delete(request: web.Request) -> web.Response:
    combo_id = request.match_info["id"]
    await write_db(request, lambda s: _delete(s, combo_id))
    return ok_json({"success": True})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/combos", list_combos, allow_head=False),
        web.post("/api/combos", create),
        web.get("/api/combos/{id}", get_combo, allow_head=False),
        web.put("/api/combos/{id}", update),
        web.delete("/api/combos/{id}", delete),
    ]
