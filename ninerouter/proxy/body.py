"""Reading and checking a client's JSON body before anything goes upstream (400/413/415/508)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from ninerouter.proxy.errors import ApiError
from ninerouter.upstream.relay import LOOP_HEADER, LOOP_TOKEN

MAX_REQUEST_BYTES = 32 * 1024 * 1024


async def read_json_body(request: web.Request) -> dict[str, Any]:
    if LOOP_TOKEN in request.headers.get(LOOP_HEADER, ""):
        raise ApiError(
            508,
            "request loop: this request already passed through ninerouter. "
            "A connection's base URL points back at this router.",
        )
    ctype = request.content_type
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiError(
            415,
            f"send the body as JSON with 'Content-Type: application/json' (got '{ctype or 'none'}').",
        )
    raw = await request.read()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"invalid JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the JSON body must be an object.")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ApiError(400, 'missing \'model\': send e.g. "model": "openai/gpt-5" or a combo name.')
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise ApiError(400, "'stream' must be true or false.")
    return body
