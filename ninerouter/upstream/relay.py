"""Sending a request upstream and relaying the answer: whole JSON bodies and SSE streams.

Streams have a commit point: nothing is sent to the client until the first upstream event with data
has arrived, so a failure before it is still a clean error (and, with the router, a failover). After
it, a failure ends the stream with an in-band error event and no terminator — never a fake [DONE].
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import orjson

from ninerouter.translate.sse import EventSplitter, error_in, has_content, is_done
from ninerouter.upstream.request import UpstreamRequest
from ninerouter.upstream.session import Timeouts

_RATE_TEXT = re.compile(r"rate[ _-]?limit|overloaded|too many requests", re.I)
MAX_BODY_BYTES = 64 * 1024 * 1024
LARGE_BODY = 1024 * 1024
MAX_EVENT_BYTES = 16 * 1024 * 1024
LOOP_HEADER = "CDN-Loop"
LOOP_TOKEN = "ninerouter"


@dataclass
class UpstreamFailure(Exception):
    """An attempt failed before anything reached the client. `status` is what the client should see."""

    status: int
    message: str
    kind: str  # "http" | "connect" | "timeout" | "invalid_response" | "stream"
    headers: Mapping[str, str] | None = None  # the upstream's response headers, for reset times

    def __str__(self) -> str:
        return self.message


async def open_response(
    session: aiohttp.ClientSession, req: UpstreamRequest, timeouts: Timeouts
) -> aiohttp.ClientResponse:
    """POST and wait for the response headers (connect + first-byte timeouts). Redirects are not
    followed. The caller owns the returned response and must release or close it."""
    headers = {**req.headers, LOOP_HEADER: LOOP_TOKEN}
    # aiohttp sends a big bytes body in one write and warns; a buffer streams it out.
    body: bytes | io.BytesIO = req.body if len(req.body) <= LARGE_BODY else io.BytesIO(req.body)
    try:
        if not req.stream:
            return await session.post(
                req.url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=timeouts.for_json,
            )
        async with asyncio.timeout(timeouts.first_byte):
            return await session.post(
                req.url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=timeouts.for_stream,
            )
    except TimeoutError:
        raise UpstreamFailure(
            504, f"upstream did not answer within {timeouts.first_byte:g}s", "timeout"
        ) from None
    except aiohttp.ClientConnectorDNSError as exc:
        raise UpstreamFailure(502, f"dns_error: {exc.host}", "connect") from None
    except aiohttp.ClientConnectorCertificateError as exc:
        reason = (
            getattr(exc.certificate_error, "verify_message", None)
            or type(exc.certificate_error).__name__
        )
        raise UpstreamFailure(502, f"tls_error: {exc.host} ({reason})", "connect") from None
    except aiohttp.ClientSSLError as exc:
        raise UpstreamFailure(502, f"tls_error: {exc.host}", "connect") from None
    except aiohttp.ClientConnectorError as exc:
        raise UpstreamFailure(
            502,
            f"connect_error: {exc.host}:{exc.port} ({exc.os_error.strerror or exc.os_error})",
            "connect",
        ) from None
    except aiohttp.ClientError as exc:
        raise UpstreamFailure(
            502, f"upstream request failed: {type(exc).__name__}", "connect"
        ) from None


async def read_capped(resp: aiohttp.ClientResponse, cap: int = MAX_BODY_BYTES) -> bytes:
    if resp.content_length is not None and resp.content_length > cap:
        raise UpstreamFailure(
            502, f"upstream response too large ({resp.content_length} bytes)", "invalid_response"
        )
    parts: list[bytes] = []
    size = 0
    while chunk := await resp.content.readany():
        size += len(chunk)
        if size > cap:
            raise UpstreamFailure(502, "upstream response too large", "invalid_response")
        parts.append(chunk)
    return b"".join(parts)


def error_message(body: bytes) -> str:
    """The message inside an upstream error body (OpenAI or Anthropic shape), else its text."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:300].decode("utf-8", "replace").strip() or "(empty body)"
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            message = err.get("message") or err.get("error") or err.get("detail")
            if isinstance(message, str):
                return message[:500]
        elif isinstance(err, str):
            return err[:500]
    return body[:300].decode("utf-8", "replace")


async def raise_for_status(resp: aiohttp.ClientResponse, *, expect_stream: bool) -> None:
    """Turn a non-2xx answer or a 2xx that is not the API (HTML, redirect) into an UpstreamFailure."""
    if 200 <= resp.status < 300:
        ctype = resp.content_type
        ok = ctype == "text/event-stream" if expect_stream else ctype == "application/json"
        if expect_stream and ctype == "application/json":
            ok = False
        if not ok:
            raise UpstreamFailure(
                502,
                f"upstream answered {resp.status} with {ctype or 'no content type'}, not the API",
                "invalid_response",
            )
        return
    body = await read_capped(resp, 1024 * 1024)
    if 300 <= resp.status < 400:
        raise UpstreamFailure(
            502,
            f"upstream redirected ({resp.status}); redirects are not followed",
            "invalid_response",
        )
    raise UpstreamFailure(
        resp.status,
        f"[{resp.status}]: {error_message(body)}",
        "http",
        resp.headers,
    )


async def read_json(resp: aiohttp.ClientResponse) -> bytes:
    """The whole body of a non-stream answer (the caller bounds the total time)."""
    try:
        body = await read_capped(resp)
    except TimeoutError:
        raise UpstreamFailure(504, "upstream stopped sending its answer", "timeout") from None
    except aiohttp.ClientError as exc:
        raise UpstreamFailure(
            502, f"upstream connection failed while reading: {type(exc).__name__}", "connect"
        ) from None
    if not body.strip():
        raise UpstreamFailure(502, "upstream answered with an empty body", "invalid_response")
    return body


class EventTranslator(Protocol):
    """What `StreamRelay.pump_translated` needs from a stream translator (translate.pipeline)."""

    @property
    def finished(self) -> bool: ...

    def feed(self, events: list[bytes]) -> bytes: ...

    def error_event(self, message: str) -> bytes: ...


class StreamRelay:
    """Reads SSE events from an upstream response; the first events are held until `first_events`."""

    def __init__(self, resp: aiohttp.ClientResponse, timeouts: Timeouts) -> None:
        self.resp = resp
        self.timeouts = timeouts
        self.splitter = EventSplitter()
        self.done = False
        self.events_relayed = 0
        self.usage_event: bytes | None = None

    async def _next_events(self, wait: float) -> list[bytes] | None:
        """Whole events from the next chunk; None at end of stream."""
        while True:
            async with asyncio.timeout(wait):
                chunk = await self.resp.content.readany()
            if not chunk:
                return None
            events = self.splitter.feed(chunk)
            if events:
                return events
            if self.splitter.pending > MAX_EVENT_BYTES:
                raise UpstreamFailure(502, "upstream sent an SSE event over 16 MiB", "stream")

    async def first_events(self, is_content: Callable[[bytes], bool] = has_content) -> list[bytes]:
        """Wait (first-byte timeout) for the first events with data (or, with `is_content`, the
        first content event: a translator knows a preamble from content). Failure here is
        pre-commit."""
        held: list[bytes] = []
        try:
            while not any(is_content(e) for e in held):
                events = await self._next_events(self.timeouts.first_byte)
                if events is None:
                    raise UpstreamFailure(502, "upstream stream ended before any data", "stream")
                for event in events:
                    message = error_in(event)
                    if message is not None:
                        status = 429 if _RATE_TEXT.search(message) else 502
                        raise UpstreamFailure(
                            status, f"upstream stream began with an error: {message}", "http"
                        )
                held.extend(events)
        except TimeoutError:
            raise UpstreamFailure(
                504, f"upstream sent no data within {self.timeouts.first_byte:g}s", "timeout"
            ) from None
        except aiohttp.ClientError as exc:
            raise UpstreamFailure(
                502, f"upstream connection failed before any data: {type(exc).__name__}", "stream"
            ) from None
        self.done = any(is_done(e) for e in held)
        self._note_usage(held)
        return held

    def _note_usage(self, events: list[bytes]) -> None:
        for event in events:
            if b'"usage"' in event:
                self.usage_event = event

    async def _next_or_failure(self) -> tuple[list[bytes], None] | tuple[None, str]:
        """The next whole events after the commit point, or why the stream cannot go on."""
        try:
            events = await self._next_events(self.timeouts.idle)
        except TimeoutError:
            return None, "upstream stream stalled"
        except (aiohttp.ClientError, UpstreamFailure) as exc:
            return None, f"upstream connection dropped mid-stream ({type(exc).__name__})"
        if events is None:
            return None, "upstream stream ended without a terminator"
        return events, None

    async def pump(
        self, write: Callable[[bytes], Awaitable[None]], error_event: Callable[[str], bytes]
    ) -> str | None:
        """Relay the rest of the stream. Returns None on a clean end, else the failure written in-band."""
        failure: str | None = None
        while not self.done:
            events, failure = await self._next_or_failure()
            if events is None:
                break
            for index, event in enumerate(events):
                if is_done(event):
                    self.done = True
                    events = events[: index + 1]
                    break
            self.events_relayed += len(events)
            self._note_usage(events)
            await write(b"".join(events))
        if failure is not None:
            await write(error_event(failure))
        return failure

    async def pump_translated(
        self, write: Callable[[bytes], Awaitable[None]], translator: EventTranslator
    ) -> str | None:
        """Like `pump`, but every upstream event goes through `translator`, which also decides
        where the stream ends (its terminator, or an in-band upstream error it has already
        written in the client's format). Returns None on a clean end, else the relay's failure,
        which is written in-band here."""
        failure: str | None = None
        while not translator.finished:
            events, failure = await self._next_or_failure()
            if events is None:
                break
            self.events_relayed += len(events)
            out = translator.feed(events)
            if out:
                await write(out)
        if failure is not None:
            await write(translator.error_event(failure))
        return failure
