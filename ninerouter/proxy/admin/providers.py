"""/api/providers[/:id]: connections (accounts). GET masks secrets; PUT merges whitelisted fields.

POST {provider, apiKey, name?, priority?, defaultModel?, providerSpecificData?, proxyPoolId?,
connectionProxyEnabled?, connectionProxyUrl?, connectionNoProxy?} -> 201 {"connection"}. `provider` is a
registry id, a custom node's id (as 9Router sends it), or "openai-compatible"/"anthropic-compatible"
with `baseUrl` and `prefix` (ninerouter's shortcut, which creates the node).

PUT applies only name, priority, isActive, apiKey, defaultModel, providerSpecificData (shallow merge),
connectionProxyEnabled/Url/NoProxy and proxyPoolId; anything else in the body is ignored, and a masked
value sent back unchanged (as GET shows it) keeps the stored secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ninerouter.models import Connection
from ninerouter.proxy.admin import pools
from ninerouter.proxy.admin.common import (
    AdminError,
    bool_field,
    int_field,
    ok_json,
    read_body,
    read_db,
    remember_secrets,
    text_field,
    write_db,
)
from ninerouter.redact import mask
from ninerouter.registry import PROVIDERS
from ninerouter.services.providers import (
    ConnectionEdit,
    NewConnection,
    add_connection,
    connection_by_id,
    edit_connection,
    merge_connection_data,
    remove_connection,
)
from ninerouter.store import Store

_NODE_KEYS = ("prefix", "apiType", "baseUrl", "nodeName")


@dataclass(frozen=True)
class ProxyFields:
    enabled: bool
    url: str
    no_proxy: str


def proxy_fields(body: Mapping[str, Any]) -> ProxyFields | None:
    """connectionProxyEnabled/Url/NoProxy when any of them is sent (9Router's rule: a URL is
    required when enabled)."""
    names = ("connectionProxyEnabled", "connectionProxyUrl", "connectionNoProxy")
    if not any(name in body for name in names):
        return None
    enabled = bool_field(body, "connectionProxyEnabled") is True
    url = (text_field(body, "connectionProxyUrl") or "").strip()
    no_proxy = (text_field(body, "connectionNoProxy") or "").strip()
    if enabled and not url:
        raise AdminError(400, "connectionProxyUrl is required when connectionProxyEnabled is true.")
    return ProxyFields(enabled, url, no_proxy)


def specific_field(body: Mapping[str, Any]) -> dict[str, Any]:
    value = body.get("providerSpecificData")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AdminError(400, "'providerSpecificData' must be an object.")
    return dict(value)


_LIFTED = ("connectionProxyEnabled", "connectionProxyUrl", "connectionNoProxy", "proxyPoolId")


def split_body(body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body's fields and its providerSpecificData. Proxy and pool keys sent inside
    providerSpecificData count as top-level fields, so they are validated the same way."""
    fields = dict(body)
    specific = specific_field(body)
    for key in _LIFTED:
        if key in specific:
            fields.setdefault(key, specific.pop(key))
    return fields, specific


def _pop_text(specific: dict[str, Any], key: str) -> str | None:
    value = specific.pop(key, None)
    if value is not None and not isinstance(value, str):
        raise AdminError(400, f"'providerSpecificData.{key}' must be a string.")
    return value


def _unmasked(incoming: Mapping[str, Any], conn: Connection) -> dict[str, Any]:
    """Drop values that are only the masked form of what is stored (a GET sent back as it was)."""
    shown = conn.public().get("providerSpecificData") or {}
    stored = conn.specific
    return {
        k: v
        for k, v in incoming.items()
        if not (k in stored and shown.get(k) == v and stored.get(k) != v)
    }


async def list_connections(request: web.Request) -> web.Response:
    conns = await read_db(request, lambda s: s.connections.all())
    return ok_json({"connections": [c.public() for c in conns]})


async def get_connection(request: web.Request) -> web.Response:
    conn_id = request.match_info["id"]
    conn = await read_db(request, lambda s: connection_by_id(s, conn_id))
    return ok_json({"connection": conn.public()})


def _create(store: Store, raw: Mapping[str, Any]) -> Connection:
    body, specific = split_body(raw)
    provider = (text_field(body, "provider", required=True) or "").strip()
    proxy = proxy_fields(body)
    pool = pools.pool_choice(store, body)
    region = _pop_text(specific, "region") or text_field(body, "region")
    node = store.nodes.get(provider)
    spec = PROVIDERS.get(provider)
    name = (
        text_field(body, "name")
        or text_field(body, "displayName")
        or (node.name if node else spec.name if spec else provider)
    )
    new = NewConnection(
        provider=node.type if node else provider,
        name=name,
        api_key=text_field(body, "apiKey"),
        base_url=node.base_url
        if node
        else text_field(body, "baseUrl") or _pop_text(specific, "baseUrl"),
        prefix=node.prefix if node else text_field(body, "prefix"),
        priority=int_field(body, "priority"),
        proxy=proxy.url if proxy and proxy.enabled else None,
        region=region or None,
    )
    extra = {k: v for k, v in specific.items() if k not in _NODE_KEYS}
    if proxy:
        extra["connectionNoProxy"] = proxy.no_proxy
    if pool is not None:
        extra["proxyPoolId"] = pool or None
    top: dict[str, Any] = {}
    if model := text_field(body, "defaultModel"):
        top["defaultModel"] = model
    with store.write():
        conn = add_connection(store, new)
        return merge_connection_data(store, conn.id, top=top, specific=extra)


async def create_connection(request: web.Request) -> web.Response:
    body = await read_body(request)
    remember_secrets(request, body.get("apiKey"), split_body(body)[0].get("connectionProxyUrl"))
    conn = await write_db(request, lambda s: _create(s, body))
    return ok_json({"connection": conn.public()}, status=201)


def _edit(store: Store, conn_id: str, raw: Mapping[str, Any]) -> Connection:
    body, incoming = split_body(raw)
    proxy = proxy_fields(body)
    api_key = text_field(body, "apiKey")
    name = text_field(body, "name")
    default_model = body.get("defaultModel")
    if default_model is not None and not isinstance(default_model, str):
        raise AdminError(400, "'defaultModel' must be a string or null.")
    with store.write():
        conn = connection_by_id(store, conn_id)
        pool = pools.pool_choice(store, body)
        if api_key is not None and (api_key == mask(conn.api_key) or "…" in api_key):
            api_key = None  # the masked value from GET, sent back: keep the stored key
        specific = _unmasked(incoming, conn)
        proxy_url = None
        if proxy is not None:
            current = conn.specific.get("connectionProxyUrl")
            shown = (conn.public().get("providerSpecificData") or {}).get("connectionProxyUrl")
            url = current if proxy.url and proxy.url == shown else proxy.url
            proxy_url = str(url) if proxy.enabled else ""
            specific["connectionNoProxy"] = proxy.no_proxy
        edit = ConnectionEdit(
            name=name,
            api_key=api_key,
            base_url=_pop_text(specific, "baseUrl"),
            priority=int_field(body, "priority"),
            active=bool_field(body, "isActive"),
            proxy=proxy_url,
            region=_pop_text(specific, "region"),
        )
        if edit != ConnectionEdit():
            edit_connection(store, conn.id, edit)
        if pool is not None:
            specific["proxyPoolId"] = pool or None
        top = {"defaultModel": default_model or None} if "defaultModel" in body else {}
        return merge_connection_data(store, conn.id, top=top, specific=specific)


async def update_connection(request: web.Request) -> web.Response:
    conn_id = request.match_info["id"]
    body = await read_body(request)
    remember_secrets(request, body.get("apiKey"), split_body(body)[0].get("connectionProxyUrl"))
    conn = await write_db(request, lambda s: _edit(s, conn_id, body))
    return ok_json({"connection": conn.public()})


def _delete(store: Store, conn_id: str) -> Connection:
    with store.write():
        conn = connection_by_id(store, conn_id)
        return remove_connection(store, conn.id)


async def delete_connection(request: web.Request) -> web.Response:
    conn_id = request.match_info["id"]
    await write_db(request, lambda s: _delete(s, conn_id))
    return ok_json({"success": True, "message": "Connection deleted successfully"})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/providers", list_connections, allow_head=False),
        web.post("/api/providers", create_connection),
        web.get("/api/providers/{id}", get_connection, allow_head=False),
        web.put("/api/providers/{id}", update_connection),
        web.delete("/api/providers/{id}", delete_connection),
    ]
