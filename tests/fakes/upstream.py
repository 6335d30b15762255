"""A scriptable fake OpenAI-compatible provider: a real aiohttp app served on 127.0.0.1.

Behaviour is chosen by the next entry of `scripts[api_key]` if there is one, else by a token in the
account's API key, else by a token in the model name (first match wins):
  fail-<code>     answer <code> with an OpenAI error body (429 adds Retry-After: 7)
  drop-after-<n>  stream n content chunks, then abort the TCP connection
  stall-after-<n> stream n content chunks, then go silent
  slow-<ms>       wait before the headers
  html            answer 200 text/html (a captive portal)
  error-first     stream 200, then an error event before any content
otherwise a normal answer: TEXT as JSON, or as CHUNKS SSE chunks ending in [DONE].
Every request is recorded with its headers and JSON body; `aborted` lists requests whose client hung up.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEXT = "The quick brown fox jumps over the lazy dog."
CHUNKS = [TEXT[i : i + 5] for i in range(0, len(TEXT), 5)]


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def key(self) -> str:
        return self.headers.get("Authorization", "").removeprefix("Bearer ")


@dataclass
class FakeUpstream:
    requests: list[Recorded] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=lambda: ["fake-a", "fake-b"])
    scripts: dict[str, list[str]] = field(default_factory=dict)
    retry_after: str = "7"

    def hits(self, key: str) -> int:
        return sum(1 for r in self.requests if r.key == key)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_get("/v1/models", self.list_models)
        return app

    async def list_models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]}
        )

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        recorded = Recorded(request.path, dict(request.headers), body)
        self.requests.append(recorded)
        model = str(body.get("model", ""))
        script = self.scripts.get(recorded.key)
        behaviour = script.pop(0) if script else f"{recorded.key} {model}"
        try:
            return await self._answer(request, body, behaviour)
        except (asyncio.CancelledError, ConnectionResetError):
            self.aborted.append(model)
            raise

    async def _answer(
        self, request: web.Request, body: dict[str, Any], behaviour: str
    ) -> web.StreamResponse:
        model = str(body.get("model", ""))
        if m := re.search(r"slow-(\d+)", behaviour):
            await asyncio.sleep(int(m.group(1)) / 1000)
        if m := re.search(r"fail-(\d+)", behaviour):
            status = int(m.group(1))
            headers = (
                {"Retry-After": self.retry_after}
                if status in (429, 503) and self.retry_after
                else {}
            )
            if status == 400 and "context" in behaviour:
                return web.json_response(
                    {
                        "error": {
                            "message": "maximum context length exceeded",
                            "code": "context_length_exceeded",
                        }
                    },
                    status=400,
                )
            return web.json_response(
                {"error": {"message": f"injected {status}", "type": "x"}},
                status=status,
                headers=headers,
            )
        if "html" in behaviour:
            return web.Response(text="<html>portal</html>", content_type="text/html")
        if not body.get("stream"):
            return web.json_response(completion(model))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        if "error-first" in behaviour:
            await resp.write(
                b'data: {"error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
            )
            return resp
        drop = re.search(r"drop-after-(\d+)", behaviour)
        stall = re.search(r"stall-after-(\d+)", behaviour)
        for index, piece in enumerate(CHUNKS):
            if drop and index == int(drop.group(1)):
                assert request.transport is not None
                request.transport.abort()
                return resp
            if stall and index == int(stall.group(1)):
                await asyncio.sleep(3600)
            await resp.write(sse(chunk(model, piece)))
            await asyncio.sleep(0)
        await resp.write(sse(chunk(model, None, finish="stop")))
        await resp.write(b"data: [DONE]\n\n")
        return resp


def completion(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": TEXT}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14},
    }


def chunk(model: str, text: str | None, finish: str | None = None) -> dict[str, Any]:
    delta = {"content": text} if text is not None else {}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def sse(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"
