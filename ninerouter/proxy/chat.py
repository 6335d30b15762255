"""POST /v1/chat/completions: authenticate, plan, and let the dispatcher try accounts in turn."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from aiohttp import web

from ninerouter.models import Connection
from ninerouter.proxy.auth import require_key
from ninerouter.proxy.body import read_json_body
from ninerouter.proxy.dispatch import Served, dispatch
from ninerouter.proxy.errors import ApiError
from ninerouter.proxy.runtime import RUNTIME
from ninerouter.routing.plan import plan
from ninerouter.routing.resolve import Target, UnknownModel
from ninerouter.routing.session import session_key
from ninerouter.translate.usage import tokens_in_body, tokens_in_event
from ninerouter.upstream import relay
from ninerouter.upstream.request import UpstreamRequest, openai_chat

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


def openai_error_event(message: str) -> bytes:
    return (
        b"data: "
        + orjson.dumps(
            {"error": {"message": message, "type": "upstream_error", "code": "upstream_error"}}
        )
        + b"\n\n"
    )


async def chat_completions(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    config = runtime.config.current
    require_key(request, config)
    body = await read_json_body(request)
    try:
        the_plan = plan(body["model"], config)
    except UnknownModel as exc:
        raise ApiError(404, exc.message, code="model_not_found") from None
    families = {t.family for t in the_plan.targets}
    if families - {"openai"} and not families & {"openai"}:
        raise ApiError(
            501,
            f"'{body['model']}' is served by a provider that speaks the "
            f"{'/'.join(sorted(families))} format; chat-completions clients reach "
            "OpenAI-compatible providers in this version.",
        )
    stream = body.get("stream") is True

    async def attempt(target: Target, conn: Connection, route: str, deadline: float) -> Served:
        if target.family != "openai":
            raise relay.UpstreamFailure(
                501, f"{target.provider} speaks {target.family}", "unsupported"
            )
        upstream = openai_chat(target, conn, body)
        http = runtime.egress.session_for(conn, config.settings)
        if stream:
            return await _stream(request, http, upstream, route, runtime.timeouts(config))
        return await _json(http, upstream, route, runtime.timeouts(config), deadline)

    return await dispatch(
        request,
        runtime,
        config,
        the_plan,
        session_key(request.headers, body),
        "/v1/chat/completions",
        stream,
        attempt,
    )


async def _json(
    http: Any, upstream: UpstreamRequest, route: str, timeouts: Any, deadline: float
) -> Served:
    try:
        async with asyncio.timeout(max(deadline - time.monotonic(), 0.001)):
            resp = await relay.open_response(http, upstream, timeouts)
            try:
                await relay.raise_for_status(resp, expect_stream=False)
                data = await relay.read_json(resp)
            finally:
                resp.release()
    except TimeoutError:
        raise relay.UpstreamFailure(
            504, f"upstream answer not complete within {timeouts.total:g}s", "timeout"
        ) from None
    prompt, completion = tokens_in_body(data)
    response = web.Response(
        body=data,
        status=resp.status,
        content_type="application/json",
        headers={"x-ninerouter-route": route},
    )
    return Served(response, prompt, completion)


async def _stream(
    request: web.Request, http: Any, upstream: UpstreamRequest, route: str, timeouts: Any
) -> Served:
    started = time.monotonic()
    resp = await relay.open_response(http, upstream, timeouts)
    try:
        await relay.raise_for_status(resp, expect_stream=True)
        stream = relay.StreamRelay(resp, timeouts)
        first = await stream.first_events()
        ttft = round((time.monotonic() - started) * 1000, 2)
        out = web.StreamResponse(status=200, headers={**SSE_HEADERS, "x-ninerouter-route": route})
        await out.prepare(request)
        await out.write(b"".join(first))
        failure = await stream.pump(out.write, openai_error_event)
        await out.write_eof()
    finally:
        resp.release()
    prompt, completion = tokens_in_event(stream.usage_event)
    return Served(out, prompt, completion, ttft, failure)
