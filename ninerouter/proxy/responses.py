"""POST /v1/responses (OpenAI Responses, what Codex speaks) on any upstream family.

Stateless: no response is stored, so `previous_response_id` is refused and clients send the whole
conversation (Codex does, with store: false). Errors are OpenAI-shaped; a stream that fails after
it started ends with `response.failed`.
"""

from __future__ import annotations

from aiohttp import web

from ninerouter.proxy.chat import serve


async def responses(request: web.Request) -> web.StreamResponse:
    return await serve(request, "responses", "/v1/responses")
