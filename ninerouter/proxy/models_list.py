"""GET /v1/models (no auth): combos first, then each provider's models under its prefix."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import orjson
from aiohttp import web

from ninerouter.models import Connection, ProviderNode
from ninerouter.proxy.runtime import RUNTIME, Runtime
from ninerouter.routing.catalog import catalog
from ninerouter.routing.config import RouterConfig
from ninerouter.upstream.relay import UpstreamFailure

log = logging.getLogger("ninerouter.models")

LIVE_TTL_SECONDS = 300.0
LIVE_TIMEOUT_SECONDS = 5.0


def _entry(model_id: str, owner: str) -> dict[str, object]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": owner}


async def _node_models(runtime: Runtime, node: ProviderNode, conn: Connection) -> list[str]:
    """A custom node's own /models list, cached for five minutes."""
    cached = runtime.models_cache.get(node.id)
    now = time.monotonic()
    if cached and now - cached[0] < LIVE_TTL_SECONDS:
        return cached[1]
    base = (conn.base_url or node.base_url).rstrip("/")
    headers = (
        {"x-api-key": conn.api_key or "", "anthropic-version": "2023-06-01"}
        if node.family == "anthropic"
        else {"Authorization": f"Bearer {conn.api_key or ''}"}
    )
    ids: list[str] = []
    try:
        async with asyncio.timeout(LIVE_TIMEOUT_SECONDS):
            async with runtime.egress.session_for(conn, runtime.config.current.settings).get(
                f"{base}/models", headers=headers, allow_redirects=False
            ) as resp:
                if resp.status == 200:
                    data = orjson.loads(await resp.read())
                    items = data.get("data", []) if isinstance(data, dict) else []
                    ids = [str(m["id"]) for m in items if isinstance(m, dict) and m.get("id")]
    except (
        TimeoutError,
        aiohttp.ClientError,
        orjson.JSONDecodeError,
        TypeError,
        UpstreamFailure,
    ) as exc:
        log.warning("could not list models of node %s: %s", node.prefix, type(exc).__name__)
    runtime.models_cache[node.id] = (now, ids)
    return ids


async def model_ids(runtime: Runtime, config: RouterConfig) -> list[dict[str, object]]:
    combos, sources = catalog(config)
    out = [_entry(name, "combo") for name in combos]
    for source in sources:
        ids: list[str] | tuple[str, ...] = source.ids
        if source.live and source.node is not None and source.connection is not None:
            ids = await _node_models(runtime, source.node, source.connection)
        out.extend(_entry(f"{source.prefix}/{m}", source.provider) for m in ids)
    seen: set[object] = set()
    unique = []
    for entry in out:
        if entry["id"] not in seen:
            seen.add(entry["id"])
            unique.append(entry)
    return unique


async def list_models(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    data = await model_ids(runtime, runtime.config.current)
    return web.Response(
        body=orjson.dumps({"object": "list", "data": data}), content_type="application/json"
    )
