"""/api/keys[/:id]: API keys for /v1 clients. The full key is shown once, in the POST answer.

GET -> {"keys": [masked]}; POST {name} -> 201 {key, name, id, machineId, isActive, createdAt};
/:id GET -> {"key": masked}; PUT {isActive} (the only field that can change) -> {"key": masked};
DELETE -> {"success": true}.
"""

from __future__ import annotations

from aiohttp import web

from ninerouter.proxy.admin.common import (
    AdminError,
    bool_field,
    ok_json,
    read_body,
    read_db,
    text_field,
    write_db,
)
from ninerouter.services.keys import create_key, delete_key, key_by_id, set_key_active


async def list_keys(request: web.Request) -> web.Response:
    keys = await read_db(request, lambda s: s.keys.all())
    return ok_json({"keys": [k.public() for k in keys]})


async def create(request: web.Request) -> web.Response:
    body = await read_body(request)
    name = text_field(body, "name", required=True) or ""
    key = await write_db(request, lambda s: create_key(s, name))
    return ok_json(
        {
            "key": key.key,
            "name": key.name,
            "id": key.id,
            "machineId": key.machine_id,
            "isActive": key.is_active,
            "createdAt": key.created_at,
        },
        status=201,
    )


async def get_key(request: web.Request) -> web.Response:
    key_id = request.match_info["id"]
    key = await read_db(request, lambda s: key_by_id(s, key_id))
    return ok_json({"key": key.public()})


async def update(request: web.Request) -> web.Response:
    key_id = request.match_info["id"]
    body = await read_body(request)
    shown = (await read_db(request, lambda s: key_by_id(s, key_id))).public()
    other = sorted(k for k, v in body.items() if k != "isActive" and shown.get(k, v) != v)
    other += sorted(k for k in body if k not in shown)
    if other:
        raise AdminError(400, f"only isActive can be changed on a key, not {', '.join(other)}.")
    active = bool_field(body, "isActive")
    if active is None:
        raise AdminError(400, 'nothing to change: send {"isActive": true|false}.')
    key = await write_db(request, lambda s: set_key_active(s, key_id, active))
    return ok_json({"key": key.public()})


async def delete(request: web.Request) -> web.Response:
    key_id = request.match_info["id"]
    await write_db(request, lambda s: delete_key(s, key_id))
    return ok_json({"success": True, "message": "Key deleted successfully"})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/keys", list_keys, allow_head=False),
        web.post("/api/keys", create),
        web.get("/api/keys/{id}", get_key, allow_head=False),
        web.put("/api/keys/{id}", update),
        web.delete("/api/keys/{id}", delete),
    ]
