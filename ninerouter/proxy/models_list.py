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
from ninerouter.registry import PROVIDERS
from ninerouter.routing.config import RouterConfig

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
    except (TimeoutError, aiohttp.ClientError, orjson.JSONDecodeError, TypeError) as exc:
        log.warning("could not list models of node %s: %s", node.prefix, type(exc).__name__)
    runtime.models_cache[node.id] = (now, ids)
    return ids


async def model_ids(runtime: Runtime, config: RouterConfig) -> list[dict[str, object]]:
    out = [_entry(c.name, "combo") for c in config.combos if c.kind in (None, "", "llm")]
    served = {
        p: conns for p, conns in config.by_provider.items() if any(c.is_active for c in conns)
    }
    if not served:
        for spec in PROVIDERS.values():
            prefix = spec.prefixes[0] if spec.prefixes else spec.id
            out.extend(_entry(f"{prefix}/{m}", spec.id) for m in spec.models)
        return out
    for provider, conns in served.items():
        first = next(c for c in conns if c.is_active)
        enabled = first.specific.get("enabledModels")
        node = config.nodes_by_id.get(provider)
        if node is not None:
            prefix = node.prefix
            ids = (
                list(enabled)
                if isinstance(enabled, list)
                else await _node_models(runtime, node, first)
            )
        elif provider in PROVIDERS:
            spec = PROVIDERS[provider]
            prefix = spec.prefixes[0] if spec.prefixes else spec.id
            ids = list(enabled) if isinstance(enabled, list) else list(spec.models)
        else:
            continue
        out.extend(_entry(f"{prefix}/{m}", provider) for m in ids)
    seen: set[object] = set()
    return [e for e in out if not (e["id"] in seen or seen.add(e["id"]))]  # type: ignore[func-returns-value]


async def list_models(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    data = await model_ids(runtime, runtime.config.current)
    return web.Response(
        body=orjson.dumps({"object": "list", "data": data}), content_type="application/json"
    )
