"""The token saver on the request path: shrink tool outputs before they go upstream (DESIGN §10).

On when settings.rtkEnabled is not false; a request opts out with `x-ninerouter-token-saver: off`.
It runs on the client's own format, so passthrough requests are covered too. Big bodies are
shrunk on a worker thread so a huge tool output never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ninerouter.rtk import RtkResult, compress_request
from ninerouter.translate.tokens import estimate_text

log = logging.getLogger("ninerouter.rtk")

HEADER = "x-ninerouter-token-saver"
RTK_FORMAT = {"openai": "openai", "anthropic": "claude", "responses": "responses"}
THREAD_ABOVE_BYTES = 256 * 1024


@functools.lru_cache(maxsize=512)
def _count_small(text: str) -> int:
    return estimate_text(text)


def count_tokens(text: str) -> int:
    return _count_small(text) if len(text) <= 64 * 1024 else estimate_text(text)


def wanted(request: web.Request, settings: Mapping[str, Any]) -> bool:
    return (
        settings.get("rtkEnabled") is not False and request.headers.get(HEADER, "").lower() != "off"
    )


async def apply_token_saver(
    request: web.Request, settings: Mapping[str, Any], client: str, body: dict[str, Any]
) -> tuple[dict[str, Any], tuple[int, int]]:
    """The body to send on, and (tokens before, tokens after) of the tool outputs it shrank."""
    fmt = RTK_FORMAT.get(client)
    if fmt is None or not wanted(request, settings):
        return body, (0, 0)
    if (request.content_length or 0) > THREAD_ABOVE_BYTES:
        result: RtkResult = await asyncio.to_thread(compress_request, fmt, body, count_tokens)
    else:
        result = compress_request(fmt, body, count_tokens)
    if not result.changed:
        return body, (0, 0)
    for note in result.notes:
        log.info("[RTK] %s", note)
    return result.body, (result.tokens_before, result.tokens_after)
