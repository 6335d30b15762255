"""A scriptable fake Anthropic Messages API (POST /v1/messages), a real aiohttp app on loopback.

What the fake model says is a `Turn`: the next one queued in `turns`, else one chosen from the
model name and the request (see `choose_turn`, shared with the OpenAI fake in openai_upstream.py):
  …tools…   a tool round trip: call the client's shell tool (Claude Code's Bash, Codex's
            exec_command / shell) with `ls`; once the request carries the tool's result, answer
            with a sentence saying whether MARKER was in it
  …think…   a thinking block (with signature) before the text
  fail-<n>  answer HTTP n; error-first / error-mid / drop-after-<k> / stall-after-<k> / bad-json
            break the stream before or after content
  otherwise TEXT.
Streams follow the sequence real clients accept: message_start → content_block_start → ping →
content_block_delta… → content_block_stop → message_delta(usage) → message_stop.

`python -m tests.fakes.anthropic_upstream --port N` serves this fake under /anthropic and the
OpenAI fake under /openai on one port (used by scripts/real-clients.sh).
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

TEXT = "The quick brown fox jumps over the lazy dog."
MARKER = "ninerouter-e2e-marker.txt"
SIGNATURE = "sig-fake-0123456789"
SHELL_TOOLS = {
    "Bash": {"command": "ls"},
    "exec_command": {"cmd": "ls"},
    "shell": {"command": ["ls"]},
    "get_weather": {"city": "Paris"},
}


@dataclass
class Turn:
    """One answer of the fake model."""

    text: str = TEXT
    tools: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    thinking: str = ""
    input_tokens: int = 21
    output_tokens: int = 13
    cache_read: int = 0
    mode: str = (
        ""  # "", fail-<n>, error-first, error-mid, drop-after-<k>, stall-after-<k>, bad-json
    )
    stop: str = ""  # override: "max_tokens" / "length"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


def _tool_names(body: dict[str, Any]) -> list[str]:
    names = []
    for tool in body.get("tools") or []:
        name = tool.get("name") or (tool.get("function") or {}).get("name")
        if name:
            names.append(str(name))
    return names


def _tool_results(body: dict[str, Any]) -> list[str]:
    """Texts of tool results in either format (Anthropic tool_result blocks, OpenAI tool messages)."""
    found = []
    for message in body.get("messages") or []:
        if message.get("role") == "tool":
            found.append(json.dumps(message.get("content")))
        content = message.get("content")
        if isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    found.append(json.dumps(block.get("content")))
    return found


def choose_turn(body: dict[str, Any]) -> Turn:
    model = str(body.get("model", ""))
    turn = Turn()
    if m := re.search(
        r"(fail-\d+|error-first|error-mid|drop-after-\d+|stall-after-\d+|bad-json)", model
    ):
        turn.mode = m.group(1)
    if "think" in model:
        turn.thinking = "Let me think about this step by step."
    if "tools" in model:
        results = _tool_results(body)
        if results:
            seen = any(MARKER in r for r in results)
            turn.text = f"The listing {'shows' if seen else 'does not show'} {MARKER}."
        else:
            for name in _tool_names(body):
                if name in SHELL_TOOLS:
                    turn.text = "Let me look."
                    turn.tools = [(name, SHELL_TOOLS[name])]
                    break
    return turn


def pieces(text: str, size: int = 5) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def sse(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


@dataclass
class ScriptedFake(abc.ABC):
    """Shared by the fake upstreams: records each request, then answers the next scripted turn
    (or the turn the request's model name asks for); `aborted` lists requests whose client left."""

    requests: list[Recorded] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)
    path = "/"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post(self.path, self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(Recorded(request.path_qs, dict(request.headers), body))
        turn = self.turns.pop(0) if self.turns else choose_turn(body)
        try:
            return await self._answer(request, body, turn)
        except (asyncio.CancelledError, ConnectionResetError):
            self.aborted.append(str(body.get("model")))
            raise

    @abc.abstractmethod
    async def _answer(
        self, request: web.Request, body: dict[str, Any], turn: Turn
    ) -> web.StreamResponse: ...


@dataclass
class FakeAnthropic(ScriptedFake):
    path = "/v1/messages"

    async def _answer(
        self, request: web.Request, body: dict[str, Any], turn: Turn
    ) -> web.StreamResponse:
        if m := re.match(r"fail-(\d+)", turn.mode):
            status = int(m.group(1))
            kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
            return web.json_response(
                {"type": "error", "error": {"type": kind, "message": f"injected {status}"}},
                status=status,
                headers={"Retry-After": "7"} if status == 429 else {},
            )
        if not body.get("stream"):
            return web.json_response(message(body, turn))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        events = stream_events(body, turn)
        if turn.mode == "error-first":
            events.insert(
                1,
                (
                    "error",
                    {
                        "type": "error",
                        "error": {"type": "overloaded_error", "message": "Overloaded"},
                    },
                ),
            )
        limit = None
        if m := re.match(r"(drop|stall)-after-(\d+)", turn.mode):
            limit = int(m.group(2))
        deltas = 0
        for name, data in events:
            if name == "content_block_delta":
                if turn.mode == "bad-json" and deltas == 2:
                    await resp.write(b"event: content_block_delta\ndata: {not json\n\n")
                if turn.mode == "error-mid" and deltas == 2:
                    await resp.write(
                        sse(
                            "error",
                            {
                                "type": "error",
                                "error": {"type": "overloaded_error", "message": "Overloaded"},
                            },
                        )
                    )
                    return resp
                if limit is not None and deltas == limit:
                    if turn.mode.startswith("drop"):
                        assert request.transport is not None
                        request.transport.abort()
                        return resp
                    await asyncio.sleep(3600)
                deltas += 1
            await resp.write(sse(name, data))
            await asyncio.sleep(0)
        return resp


def _stop(turn: Turn) -> str:
    if turn.stop:
        return "max_tokens" if turn.stop in ("length", "max_tokens") else turn.stop
    return "tool_use" if turn.tools else "end_turn"


def _usage(turn: Turn) -> dict[str, Any]:
    return {
        "input_tokens": turn.input_tokens,
        "output_tokens": turn.output_tokens,
        "cache_read_input_tokens": turn.cache_read,
        "cache_creation_input_tokens": 0,
    }


def message(body: dict[str, Any], turn: Turn) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if turn.thinking:
        content.append({"type": "thinking", "thinking": turn.thinking, "signature": SIGNATURE})
    if turn.text:
        content.append({"type": "text", "text": turn.text})
    for position, (name, arguments) in enumerate(turn.tools):
        content.append(
            {"type": "tool_use", "id": f"toolu_fake_{position}", "name": name, "input": arguments}
        )
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body.get("model"),
        "content": content,
        "stop_reason": _stop(turn),
        "stop_sequence": None,
        "usage": _usage(turn),
    }


def stream_events(body: dict[str, Any], turn: Turn) -> list[tuple[str, dict[str, Any]]]:
    start = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body.get("model"),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**_usage(turn), "output_tokens": 1},
    }
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    index = 0

    def block(first: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
        nonlocal index
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": first},
            )
        )
        if index == 0:
            events.append(("ping", {"type": "ping"}))
        for delta in deltas:
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1

    if turn.thinking:
        deltas = [{"type": "thinking_delta", "thinking": p} for p in pieces(turn.thinking, 12)]
        deltas.append({"type": "signature_delta", "signature": SIGNATURE})
        block({"type": "thinking", "thinking": "", "signature": ""}, deltas)
    if turn.text:
        block(
            {"type": "text", "text": ""},
            [{"type": "text_delta", "text": p} for p in pieces(turn.text)],
        )
    for position, (name, arguments) in enumerate(turn.tools):
        raw = json.dumps(arguments)
        block(
            {"type": "tool_use", "id": f"toolu_fake_{position}", "name": name, "input": {}},
            [{"type": "input_json_delta", "partial_json": p} for p in pieces(raw, 7)],
        )
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": _stop(turn), "stop_sequence": None},
                "usage": {"output_tokens": turn.output_tokens},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def main() -> None:
    """Serve both fakes on one port: /anthropic/v1/messages and /openai/v1/chat/completions."""
    from tests.fakes.openai_upstream import FakeOpenAI

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", help="append every request body to this JSONL file")
    args = parser.parse_args()
    anthropic, openai = FakeAnthropic(), FakeOpenAI()
    root = web.Application(client_max_size=64 * 1024 * 1024)
    root.add_subapp("/anthropic", anthropic.app())
    root.add_subapp("/openai", openai.app())
    if args.log:
        log_file = Path(args.log)

        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            body = await request.read()
            line = json.dumps({"path": request.path_qs, "body": json.loads(body or b"null")})
            with log_file.open("a") as fh:  # noqa: ASYNC230 - a test fake; tiny appends
                fh.write(line + "\n")
            return await handler(request)

        root.middlewares.append(record)
    web.run_app(root, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
