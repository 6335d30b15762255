"""POST /v1/messages (Anthropic Messages, any upstream family) and /v1/messages/count_tokens.

Claude Code posts to /v1/messages?beta=true, and under ANTHROPIC_BASE_URL's path prefix when it
has one (routes in app.py). Both x-api-key and Authorization: Bearer are accepted (proxy/auth.py),
and any anthropic-version.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ninerouter.proxy.auth import require_key
from ninerouter.proxy.body import read_json_body
from ninerouter.proxy.chat import serve
from ninerouter.proxy.runtime import RUNTIME
from ninerouter.translate.tokens import estimate_tokens

ESTIMATE_HEADER = "x-ninerouter-estimate"


async def messages(request: web.Request) -> web.StreamResponse:
    return await serve(request, "anthropic", "/v1/messages")


async def count_tokens(request: web.Request) -> web.Response:
    """A local estimate, no upstream call (9Router answers chars/4; this one is calibrated)."""
    config = request.app[RUNTIME].config.current
    require_key(request, config)
    body = await read_json_body(request)
    tokens = await asyncio.to_thread(estimate_tokens, body)
    return web.json_response({"input_tokens": tokens}, headers={ESTIMATE_HEADER: "true"})
