"""POST /v1/chat/completions: authenticate, resolve the model, forward, relay."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import quote

import orjson
from aiohttp import web

from ninerouter.models import Connection
from ninerouter.proxy.auth import require_key
from ninerouter.proxy.body import read_json_body
from ninerouter.proxy.errors import ApiError
from ninerouter.proxy.runtime import RUNTIME
from ninerouter.redact import scrub
from ninerouter.routing.resolve import Target, UnknownModel, resolve
from ninerouter.upstream import relay
from ninerouter.upstream.request import openai_chat
from ninerouter.upstream.session import Timeouts

log = logging.getLogger("ninerouter.requests")

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


def route_header(target: Target, conn: Connection, attempts: int) -> str:
    parts = (
        ("provider", target.provider),
        ("connection", conn.name),
        ("model", target.model),
        ("attempts", str(attempts)),
    )
    return "; ".join(f"{k}={_header_safe(v)}" for k, v in parts)


def _header_safe(value: str) -> str:
    if value.isascii() and value.isprintable() and ";" not in value:
        return value
    return quote(value, safe="/.-_:@ ")


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
        target = resolve(body["model"], config)
    except UnknownModel as exc:
        raise ApiError(404, exc.message, code="model_not_found") from None
    conns = config.active_connections(target.provider)
    if not conns:
        raise ApiError(
            404,
            f"No active credentials for provider: {target.label}. Add an account with "
            f"'ninerouter provider add {target.provider} --name NAME --api-key KEY'.",
            code="model_not_found",
        )
    if target.family != "openai":
        raise ApiError(
            501,
            f"provider {target.provider} speaks the {target.family} format; "
            "chat-completions clients can reach OpenAI-compatible providers in this version.",
        )
    conn = conns[0]
    timeouts = runtime.timeouts(config)
    started = time.perf_counter()
    try:
        response = await _forward(request, target, conn, body, timeouts)
    except relay.UpstreamFailure as exc:
        headers = {"x-ninerouter-route": route_header(target, conn, 1)}
        if exc.retry_after:
            headers["Retry-After"] = exc.retry_after
        raise ApiError(exc.status, scrub(exc.message, conn.secrets()), headers=headers) from None
    if runtime.log_requests:
        log.info(
            "%s %s -> %s/%s %s %.1fms",
            request.method,
            request.path,
            target.provider,
            conn.name,
            response.status,
            (time.perf_counter() - started) * 1000,
        )
    return response


async def _forward(
    request: web.Request, target: Target, conn: Connection, body: dict[str, Any], timeouts: Timeouts
) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    upstream = openai_chat(target, conn, body)
    route = route_header(target, conn, 1)
    if not upstream.stream:
        try:
            async with asyncio.timeout(timeouts.total):
                resp = await relay.open_response(runtime.http, upstream, timeouts)
                try:
                    await relay.raise_for_status(resp, expect_stream=False)
                    data = await relay.read_json(resp)
                finally:
                    resp.release()
        except TimeoutError:
            raise relay.UpstreamFailure(
                504, f"upstream answer not complete within {timeouts.total:g}s", "timeout"
            ) from None
        return web.Response(
            body=data,
            status=resp.status,
            content_type="application/json",
            headers={"x-ninerouter-route": route},
        )
    resp = await relay.open_response(runtime.http, upstream, timeouts)
    try:
        await relay.raise_for_status(resp, expect_stream=True)
        stream = relay.StreamRelay(resp, timeouts)
        first = await stream.first_events()
        out = web.StreamResponse(status=200, headers={**SSE_HEADERS, "x-ninerouter-route": route})
        await out.prepare(request)
        await out.write(b"".join(first))
        await stream.pump(out.write, openai_error_event)
        await out.write_eof()
        return out
    finally:
        resp.release()
