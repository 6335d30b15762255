"""The /v1 model endpoints: authenticate, plan, and let the dispatcher try accounts in turn.

One handler body serves all three client formats (`serve`): OpenAI chat (/v1/chat/completions),
Anthropic Messages (/v1/messages, proxy/messages.py) and OpenAI Responses (/v1/responses,
proxy/responses.py). Each attempt speaks its upstream's format; translate.pipeline turns the
request into it and the answer back. Same format on both sides passes through untouched except
model and auth. Streams keep the dispatcher's commit point: nothing is sent before the first
upstream content event; a failure after it ends the stream with an in-band error in the client's
format (never a fake completion).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import orjson
from aiohttp import web

from ninerouter.models import Connection
from ninerouter.proxy.auth import require_key
from ninerouter.proxy.body import read_json_body
from ninerouter.proxy.dispatch import Served, dispatch
from ninerouter.proxy.errors import ApiError
from ninerouter.proxy.runtime import RUNTIME
from ninerouter.proxy.token_saver import apply_token_saver
from ninerouter.routing.plan import plan
from ninerouter.routing.resolve import Target, UnknownModel
from ninerouter.routing.session import session_key
from ninerouter.translate.meta import Meta
from ninerouter.translate.pipeline import StreamTranslator, translate_request, translate_response
from ninerouter.translate.usage import tokens_from, tokens_in_body, tokens_in_event
from ninerouter.upstream import relay
from ninerouter.upstream.request import UpstreamRequest, anthropic_messages, openai_chat

log = logging.getLogger("ninerouter.translate")

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
SERVED_FAMILIES = ("openai", "anthropic")


def openai_error_event(message: str) -> bytes:
    return (
        b"data: "
        + orjson.dumps(
            {"error": {"message": message, "type": "upstream_error", "code": "upstream_error"}}
        )
        + b"\n\n"
    )


async def chat_completions(request: web.Request) -> web.StreamResponse:
    return await serve(request, "openai", "/v1/chat/completions")


def check_body(client: str, body: dict[str, Any]) -> None:
    """What each format needs before anything goes upstream (400 in the caller's format)."""
    if client == "anthropic" and not isinstance(body.get("messages"), list):
        raise ApiError(400, "messages: a list of messages is required.")
    if client == "responses":
        if body.get("previous_response_id"):
            raise ApiError(
                400,
                "previous_response_id is not supported: ninerouter stores no responses. "
                "Send the whole conversation in 'input' (store: false).",
            )
        if not isinstance(body.get("input"), str | list):
            raise ApiError(400, "input: a string or a list of input items is required.")


async def serve(request: web.Request, client: str, endpoint: str) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    config = runtime.config.current
    require_key(request, config)
    body = await read_json_body(request)
    check_body(client, body)
    body, saver = await apply_token_saver(request, config.settings, client, body)
    try:
        the_plan = plan(body["model"], config)
    except UnknownModel as exc:
        raise ApiError(404, exc.message, code="model_not_found") from None
    families = {t.family for t in the_plan.targets}
    if families and not families & set(SERVED_FAMILIES):
        raise ApiError(
            501,
            f"'{body['model']}' is served by a provider that speaks the "
            f"{'/'.join(sorted(families))} format, which this version cannot reach yet.",
        )
    stream = body.get("stream") is True
    created, seed = int(time.time()), uuid.uuid4().hex[:24]
    prepared: dict[str, tuple[dict[str, Any], Meta]] = {}
    beta = request.headers.get("anthropic-beta") if client == "anthropic" else None

    def translated(family: str) -> tuple[dict[str, Any], Meta]:
        """The request in the upstream's format, built once per family for all attempts."""
        if family not in prepared:
            meta = Meta(model=str(body["model"]), created=created, seed=seed)
            payload = translate_request(client, family, body, meta)
            for note in meta.notes:
                log.info("%s → %s: %s", client, family, note)
            prepared[family] = (payload, meta)
        return prepared[family]

    async def attempt(target: Target, conn: Connection, route: str, deadline: float) -> Served:
        if target.family not in SERVED_FAMILIES:
            raise relay.UpstreamFailure(
                501, f"{target.provider} speaks {target.family}", "unsupported"
            )
        http = runtime.egress.session_for(conn, config.settings)
        timeouts = runtime.timeouts(config)
        if client == "openai" and target.family == "openai":
            upstream = openai_chat(target, conn, body)
            if stream:
                return await _stream(request, http, upstream, route, timeouts)
            return await _json(http, upstream, route, timeouts, deadline)
        payload, meta = translated(target.family)
        if target.family == "anthropic":
            upstream = anthropic_messages(target, conn, payload, beta)
        else:
            upstream = openai_chat(target, conn, payload)
        if stream:
            translator = StreamTranslator(client, target.family, meta)
            return await _translated_stream(request, http, upstream, route, timeouts, translator)
        raw, status = await _fetch_json(http, upstream, timeouts, deadline)
        return _translated_json(raw, status, route, client, target.family, meta)

    return await dispatch(
        request,
        runtime,
        config,
        the_plan,
        session_key(request.headers, body),
        endpoint,
        stream,
        attempt,
        saver,
    )


async def _fetch_json(
    http: Any, upstream: UpstreamRequest, timeouts: Any, deadline: float
) -> tuple[bytes, int]:
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
    return data, resp.status


async def _json(
    http: Any, upstream: UpstreamRequest, route: str, timeouts: Any, deadline: float
) -> Served:
    data, status = await _fetch_json(http, upstream, timeouts, deadline)
    prompt, completion = tokens_in_body(data)
    response = web.Response(
        body=data,
        status=status,
        content_type="application/json",
        headers={"x-ninerouter-route": route},
    )
    return Served(response, prompt, completion)


def _translated_json(
    raw: bytes, status: int, route: str, client: str, family: str, meta: Meta
) -> Served:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise relay.UpstreamFailure(502, "upstream answered with invalid JSON", "invalid_response")
    prompt, completion = tokens_from(data.get("usage"))
    body = raw if client == family else orjson.dumps(translate_response(client, family, data, meta))
    response = web.Response(
        body=body,
        status=status,
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


async def _translated_stream(
    request: web.Request,
    http: Any,
    upstream: UpstreamRequest,
    route: str,
    timeouts: Any,
    translator: StreamTranslator,
) -> Served:
    started = time.monotonic()
    resp = await relay.open_response(http, upstream, timeouts)
    try:
        await relay.raise_for_status(resp, expect_stream=True)
        stream = relay.StreamRelay(resp, timeouts)
        first = await stream.first_events(translator.is_content)
        head = translator.feed(first)
        if translator.failure is not None:  # still before the commit point: fail over
            raise relay.UpstreamFailure(502, translator.failure, "stream")
        ttft = round((time.monotonic() - started) * 1000, 2)
        out = web.StreamResponse(status=200, headers={**SSE_HEADERS, "x-ninerouter-route": route})
        await out.prepare(request)
        if head:
            await out.write(head)
        failure = None
        if not translator.finished:
            failure = await stream.pump_translated(out.write, translator)
        await out.write_eof()
    finally:
        resp.release()
    prompt, completion = translator.usage
    return Served(out, prompt, completion, ttft, failure or translator.failure)
