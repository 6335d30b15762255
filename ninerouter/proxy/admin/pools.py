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

from ninerouter.errors import UserError
from ninerouter.home import Home
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
from ninerouter.services.proxies import (
    create_pool,
    delete_pool,
    list_pools,
    pool_by_id,
    pool_details,
    pools_of,
    probe_pools,
    proxy_url,
    update_pool,
)
from ninerouter.store import Store
from ninerouter.store.proxy_pools import ProxyPool

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
        out["proxyUrl"] = proxy_url(url)
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
    fields, active = _fields(body, None), bool_field(body, "isActive")
    pool = await write_db(request, lambda s: create_pool(s, fields, active))
    return ok_json({"proxyPool": pool.public()}, status=201)


async def get_pool(request: web.Request) -> web.Response:
    pool_id = request.match_info["id"]
    details = await read_db(request, lambda s: pool_details(s, pool_by_id(s, pool_id).id))
    return ok_json({"proxyPool": details})


async def update(request: web.Request) -> web.Response:
    pool_id = request.match_info["id"]
    body = await read_body(request)
    remember_secrets(request, body.get("proxyUrl"))
    active = bool_field(body, "isActive")
    pool = await write_db(
        request, lambda s: update_pool(s, pool_id, _fields(body, pool_by_id(s, pool_id)), active)
    )
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
