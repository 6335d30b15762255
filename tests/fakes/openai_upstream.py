"""A scriptable fake OpenAI chat-completions API with tool calls, reasoning and real usage.

The shared FakeUpstream (upstream.py) is for routing tests; this one answers like a model that
calls tools, so translation can be checked end to end. The answer is a `Turn` chosen exactly as by
the Anthropic fake (anthropic_upstream.choose_turn). Streams are: a role chunk, reasoning_content
deltas, content deltas, tool_calls deltas (id and name first, then argument pieces), the finish
chunk, the usage chunk when stream_options.include_usage, then [DONE].
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.anthropic_upstream import ScriptedFake, Turn, pieces


@dataclass
class FakeOpenAI(ScriptedFake):
    path = "/v1/chat/completions"

    async def _answer(
        self, request: web.Request, body: dict[str, Any], turn: Turn
    ) -> web.StreamResponse:
        if m := re.match(r"fail-(\d+)", turn.mode):
            status = int(m.group(1))
            return web.json_response(
                {"error": {"message": f"injected {status}", "type": "x"}}, status=status
            )
        if not body.get("stream"):
            return web.json_response(completion(body, turn))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        chunks = stream_chunks(body, turn)
        if turn.mode == "error-first":
            chunks.insert(1, {"error": {"type": "overloaded_error", "message": "Overloaded"}})
        limit = None
        if m := re.match(r"(drop|stall)-after-(\d+)", turn.mode):
            limit = int(m.group(2))
        sent = 0
        for chunk in chunks:
            is_content = any(
                c.get("delta", {}).get(k)
                for c in chunk.get("choices", [])
                for k in ("content", "tool_calls", "reasoning_content")
            )
            if is_content:
                if turn.mode == "bad-json" and sent == 2:
                    await resp.write(b"data: {not json\n\n")
                if turn.mode == "error-mid" and sent == 2:
                    await resp.write(
                        b'data: {"error":{"type":"server_error","message":"boom mid-stream"}}\n\n'
                    )
                    return resp
                if limit is not None and sent == limit:
                    if turn.mode.startswith("drop"):
                        assert request.transport is not None
                        request.transport.abort()
                        return resp
                    await asyncio.sleep(3600)
                sent += 1
            await resp.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            await asyncio.sleep(0)
        await resp.write(b"data: [DONE]\n\n")
        return resp


def _finish(turn: Turn) -> str:
    if turn.stop:
        return "length" if turn.stop in ("length", "max_tokens") else turn.stop
    return "tool_calls" if turn.tools else "stop"


def _usage(turn: Turn) -> dict[str, Any]:
    prompt = turn.input_tokens + turn.cache_read
    return {
        "prompt_tokens": prompt,
        "completion_tokens": turn.output_tokens,
        "total_tokens": prompt + turn.output_tokens,
        "prompt_tokens_details": {"cached_tokens": turn.cache_read},
    }


def completion(body: dict[str, Any], turn: Turn) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
    if turn.thinking:
        message["reasoning_content"] = turn.thinking
    if turn.tools:
        message["tool_calls"] = [
            {
                "id": f"call_fake_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for i, (name, arguments) in enumerate(turn.tools)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1,
        "model": body.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": _finish(turn)}],
        "usage": _usage(turn),
    }


def stream_chunks(body: dict[str, Any], turn: Turn) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": body.get("model"),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    if turn.thinking:
        chunks += [chunk({"reasoning_content": p}) for p in pieces(turn.thinking, 12)]
    if turn.text:
        chunks += [chunk({"content": p}) for p in pieces(turn.text)]
    for i, (name, arguments) in enumerate(turn.tools):
        head = {"index": i, "id": f"call_fake_{i}", "type": "function"}
        chunks.append(
            chunk({"tool_calls": [{**head, "function": {"name": name, "arguments": ""}}]})
        )
        for p in pieces(json.dumps(arguments), 7):
            chunks.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": p}}]}))
    chunks.append(chunk({}, _finish(turn)))
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**chunk({}), "choices": [], "usage": _usage(turn)})
    return chunks
