"""/api/proxy-pools[/:id]: 9Router's proxy pools (egress proxies), built on services/proxies.py.

GET (?isActive=true|false, ?includeUsage=true adds boundConnectionCount) -> {"proxyPools"};
POST {name, proxyUrl, noProxy?, type?, isActive?, strictProxy?} -> 201 {"proxyPool"};
/:id GET -> {"proxyPool"} (with its connections); PUT (validated merge) -> {"proxyPool"};
DELETE -> 409 while a connection uses the pool; POST /:id/test -> the test result (it is stored).
Proxy passwords are masked in every answer; a masked URL sent back keeps the stored one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ninerouter.errors import Conflict, NotFound, UserError
from ninerouter.home import Home
from ninerouter.importers.proxies_txt import parse_proxy
from ninerouter.proxy.admin.common import (
    AdminError,
    bool_field,
    ok_json,
    read_body,
    read_db,
    remember_secrets,
    runtime,
    text_field,
    write_db,
)
from ninerouter.redact import mask_url
from ninerouter.services.proxies import list_pools, pool_details, pools_of, probe_pools
from ninerouter.store import Store
from ninerouter.store.proxy_pools import ProxyPool, new_pool_row
from ninerouter.store.rows import dump_json, load_json, now_iso

_CLEAR = (None, "", "__none__")
RELAY_TYPES = ("http", "vercel", "cloudflare", "deno")


def pool_choice(store: Store, body: Mapping[str, Any]) -> str | None:
    """`proxyPoolId` from a body: None when absent, "" to clear it (null, "" or "__none__", as in
    9Router), else the id of an existing pool (an unknown id is a 400)."""
    if "proxyPoolId" not in body:
        return None
    value = body["proxyPoolId"]
    if value in _CLEAR:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise AdminError(400, "'proxyPoolId' must be a proxy pool id, or null to clear it.")
    if pools_of(store).get(value.strip()) is None:
        raise AdminError(400, f"proxy pool '{value.strip()}' not found.")
    return value.strip()


def pool_by_id(store: Store, pool_id: str) -> ProxyPool:
    pool = pools_of(store).get(pool_id)
    if pool is None:
        raise NotFound(f"no proxy pool with id '{pool_id}'.")
    return pool


def _proxy_url(value: str) -> str:
    try:
        return parse_proxy(value.strip()).url
    except ValueError as exc:
        raise UserError(f"proxyUrl is not a proxy URL: {exc}.") from None


def _fields(body: Mapping[str, Any], current: ProxyPool | None) -> dict[str, Any]:
    """The data fields a body sets, validated (a masked proxyUrl equal to the stored one's mask
    keeps the stored URL)."""
    out: dict[str, Any] = {}
    name = text_field(body, "name")
    if name is not None:
        if not name.strip():
            raise UserError("name must not be empty.")
        out["name"] = name.strip()
    url = text_field(body, "proxyUrl")
    if url is not None and not (current and url == mask_url(current.proxy_url)):
        out["proxyUrl"] = _proxy_url(url)
    no_proxy = text_field(body, "noProxy")
    if no_proxy is not None:
        out["noProxy"] = no_proxy.strip()
    kind = text_field(body, "type")
    if kind is not None:
        if kind not in RELAY_TYPES:
            raise UserError(f"type must be one of {', '.join(RELAY_TYPES)}.")
        out["type"] = kind
    strict = bool_field(body, "strictProxy")
    if strict is not None:
        out["strictProxy"] = strict
    return out


def create_pool(store: Store, body: Mapping[str, Any]) -> ProxyPool:
    fields = _fields(body, None)
    if "name" not in fields or "proxyUrl" not in fields:
        raise UserError("name and proxyUrl are required.")
    active = bool_field(body, "isActive")
    row = new_pool_row(fields["name"], fields["proxyUrl"])
    row["data"] = dump_json({**load_json(row["data"], {}), **fields})
    row["isActive"] = 0 if active is False else 1
    with store.write():
        pools_of(store).insert_rows([row])
    return pool_by_id(store, row["id"])


def update_pool(store: Store, pool_id: str, body: Mapping[str, Any]) -> ProxyPool:
    with store.write():
        current = pool_by_id(store, pool_id)
        fields = _fields(body, current)
        active = bool_field(body, "isActive")
        store.db.execute(
            "UPDATE proxyPools SET data = json_patch(data, ?), "
            "isActive = COALESCE(?, isActive), updatedAt = ? WHERE id = ?",
            [dump_json(fields), None if active is None else int(active), now_iso(), pool_id],
        )
        return pool_by_id(store, pool_id)


def delete_pool(store: Store, pool_id: str) -> ProxyPool:
    with store.write():
        pool = pool_by_id(store, pool_id)
        bound = pools_of(store).bound_connections(pool.id)
        if bound:
            names = ", ".join(c.name for c in bound[:5])
            raise Conflict(
                f"proxy pool '{pool.name}' is used by {len(bound)} connection(s) ({names}); "
                'unbind them first (PUT /api/providers/:id {"proxyPoolId": null}).'
            )
        pools_of(store).delete([pool.id])
        return pool


def test_pool(home: Home, pool_id: str) -> dict[str, Any]:
    """services.proxies.probe_pools on its own connection (it runs its own event loop and may
    take seconds; the server's database thread stays free)."""
    store = Store(home.db_path)
    try:
        outcome = probe_pools(store, [pool_by_id(store, pool_id)])
    finally:
        store.close()
    return outcome[0].as_json() if outcome else {"id": pool_id, "testStatus": "skipped"}


async def list_(request: web.Request) -> web.Response:
    active = {"true": True, "false": False}.get(request.query.get("isActive", ""))
    usage = request.query.get("includeUsage") == "true"
    rows = await read_db(request, list_pools)
    out = []
    for pool, count in rows:
        if active is not None and pool.is_active != active:
            continue
        item = pool.public()
        if usage:
            item["boundConnectionCount"] = count
        out.append(item)
    return ok_json({"proxyPools": out})


async def create(request: web.Request) -> web.Response:
    body = await read_body(request)
    remember_secrets(request, body.get("proxyUrl"))
    pool = await write_db(request, lambda s: create_pool(s, body))
    return ok_json({"proxyPool": pool.public()}, status=201)


async def get_pool(request: web.Request) -> web.Response:
    pool_id = request.match_info["id"]
    details = await read_db(request, lambda s: pool_details(s, pool_by_id(s, pool_id).id))
    return ok_json({"proxyPool": details})


async def update(request: web.Request) -> web.Response:
    pool_id = request.match_info["id"]
    body = await read_body(request)
    remember_secrets(request, body.get("proxyUrl"))
    pool = await write_db(request, lambda s: update_pool(s, pool_id, body))
    return ok_json({"proxyPool": pool.public()})


async def delete(request: web.Request) -> web.Response:
    pool_id = request.match_info["id"]
    await write_db(request, lambda s: delete_pool(s, pool_id))
    return ok_json({"success": True})


async def test(request: web.Request) -> web.Response:
    pool_id = request.match_info["id"]
    await read_db(request, lambda s: pool_by_id(s, pool_id))
    result = await asyncio.to_thread(test_pool, runtime(request).home, pool_id)
    await runtime(request).config.reload_now()
    return ok_json(result)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/proxy-pools", list_, allow_head=False),
        web.post("/api/proxy-pools", create),
        web.get("/api/proxy-pools/{id}", get_pool, allow_head=False),
        web.put("/api/proxy-pools/{id}", update),
        web.delete("/api/proxy-pools/{id}", delete),
        web.post("/api/proxy-pools/{id}/test", test),
    ]
