"""Which translators run for a (client format, upstream family) pair, on bytes where it matters.

Client formats: "openai" (chat completions), "anthropic" (Messages), "responses" (OpenAI
Responses). Upstream families: "openai", "anthropic". The hub is OpenAI chat: a request goes
client → hub → upstream and an answer upstream → hub → client, skipping the hub where one side
already speaks it; the same format on both sides passes through with only model and auth changed.
"""

from __future__ import annotations

from typing import Any

import orjson

from ninerouter.translate import (
    claude_to_openai,
    openai_to_claude,
    openai_to_responses,
    responses_to_openai,
)
from ninerouter.translate.meta import Json, Meta, text_of
from ninerouter.translate.sse import DONE_EVENT, encode_data, encode_event, parse_event
from ninerouter.translate.usage import tokens_from

CLIENT_FORMATS = ("openai", "anthropic", "responses")
HUB_ONLY = ("reasoning_content", "thinking_blocks")


def for_openai_upstream(hub: Json, meta: Meta) -> Json:
    """A hub body ready for an OpenAI-compatible server: hub-only fields removed, and every
    system message (Claude Code's mid-conversation one, Codex's developer items) folded into one
    leading system message, which every chat template accepts."""
    if "reasoning_effort" in hub:
        hub = {k: v for k, v in hub.items() if k != "reasoning_effort"}
        meta.note("reasoning effort is not forwarded to chat-completions upstreams")
    system: list[str] = []
    messages: list[Json] = []
    for message in hub.get("messages") or []:
        if message.get("role") == "system":
            text = message.get("content")
            system.append(text if isinstance(text, str) else text_of(text, "\n\n"))
        else:
            messages.append({k: v for k, v in message.items() if k not in HUB_ONLY})
    if any(system):
        messages.insert(0, {"role": "system", "content": "\n\n".join(s for s in system if s)})
    hub["messages"] = messages
    return hub


def translate_request(client: str, upstream: str, body: Json, meta: Meta) -> Json:
    """The body to send upstream (model not yet replaced)."""
    if client == "openai":
        options = body.get("stream_options")
        meta.include_usage = isinstance(options, dict) and options.get("include_usage") is True
    if client == upstream:
        return body
    if client == "anthropic":
        hub = claude_to_openai.request(body, meta)
    elif client == "responses":
        hub = responses_to_openai.request(body, meta)
    else:
        hub = body
    if upstream == "anthropic":
        return openai_to_claude.request(hub, meta)
    return for_openai_upstream(hub, meta)


def translate_response(client: str, upstream: str, data: Json, meta: Meta) -> Json:
    """A whole (non-stream) upstream answer in the client's format."""
    if client == upstream:
        return data
    if upstream == "anthropic":
        hub = claude_to_openai.response(data, meta)
        return hub if client == "openai" else openai_to_responses.response(hub, meta)
    if client == "anthropic":
        return openai_to_claude.response(data, meta)
    return openai_to_responses.response(data, meta)


def _named(events: list[tuple[str, Json]]) -> list[bytes]:
    return [encode_event(name, orjson.dumps(data)) for name, data in events]


def _error_text(data: Any) -> str:
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "error")
    return str(error or "error")


class StreamTranslator:
    """Upstream SSE events (bytes) → the client's SSE events (bytes). Pure; one per request.

    `finished` turns true at the upstream's terminator or at an in-band upstream error (which is
    written to the client in its own format and kept in `failure`). Malformed data counts as such
    an error: before the commit point the handler fails over on it, after it the stream ends."""

    def __init__(self, client: str, upstream: str, meta: Meta) -> None:
        self.client = client
        self.upstream = upstream
        self.meta = meta
        self.finished = False
        self.failure: str | None = None
        self.openai_usage: Json = {}
        self.anthropic_usage: Json = {}
        self.to_chat = (
            claude_to_openai.ClaudeToOpenAIStream(meta, usage_chunk=client == "responses")
            if upstream == "anthropic" and client != "anthropic"
            else None
        )
        self.to_claude = (
            openai_to_claude.OpenAIToClaudeStream(meta)
            if upstream == "openai" and client == "anthropic"
            else None
        )
        self.to_responses = (
            openai_to_responses.OpenAIToResponsesStream(meta) if client == "responses" else None
        )

    # -- what the relay asks before the commit point -----------------------------------------
    def is_content(self, event: bytes) -> bool:
        """An upstream event that commits the stream: real output or the end, not a preamble."""
        _, data = parse_event(event)
        if data is None:
            return False
        if self.upstream == "openai" and data.strip() == "[DONE]":
            return True
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return True  # let the translation fail on it, before anything is sent
        if not isinstance(value, dict):
            return True
        if self.upstream == "anthropic":
            return value.get("type") not in ("message_start", "ping")
        if value.get("usage") or "error" in value:
            return True
        for choice in value.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta") or {}
            if choice.get("finish_reason") or any(
                delta.get(key)
                for key in ("content", "tool_calls", "reasoning_content", "reasoning", "refusal")
            ):
                return True
        return False

    @property
    def usage(self) -> tuple[int, int]:
        if self.upstream == "openai":
            return tokens_from(self.openai_usage)
        if self.to_chat is not None:
            return tokens_from(self.to_chat.usage)
        return tokens_from(self.anthropic_usage)

    # -- translation -------------------------------------------------------------------------
    def feed(self, events: list[bytes]) -> bytes:
        out: list[bytes] = []
        for event in events:
            if self.finished:
                break
            out.extend(self._one(event))
        return b"".join(out)

    def _fail(self, message: str) -> list[bytes]:
        self.failure = message
        self.finished = True
        return [self.error_event(message)]

    def _one(self, event: bytes) -> list[bytes]:
        name, data = parse_event(event)
        if data is None:
            return []
        if self.upstream == "openai" and data.strip() == "[DONE]":
            return self._openai_done()
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self._fail("upstream sent malformed stream data")
        if not isinstance(value, dict):
            return self._fail("upstream sent malformed stream data")
        if self.upstream == "openai":
            if "error" in value:
                return self._fail(f"upstream error: {_error_text(value)}")
            return self._openai_chunk(value)
        kind = value.get("type") or name
        if kind == "error":
            return self._fail(f"upstream error: {_error_text(value)}")
        if self.to_chat is None:  # Anthropic on both sides: relay as is, keep the usage
            self._note_anthropic_usage(value)
            if kind == "message_stop":
                self.finished = True
            return [event]
        return self._chat_chunks(self.to_chat.on_event(value))

    def _note_anthropic_usage(self, value: Json) -> None:
        usage = value.get("usage")
        if value.get("type") == "message_start":
            usage = (value.get("message") or {}).get("usage")
        if isinstance(usage, dict):
            self.anthropic_usage.update({k: v for k, v in usage.items() if v is not None})

    def _openai_chunk(self, chunk: Json) -> list[bytes]:
        if isinstance(chunk.get("usage"), dict):
            self.openai_usage = chunk["usage"]
        if self.to_claude is not None:
            return _named(self.to_claude.on_chunk(chunk))
        if self.to_responses is not None:
            return _named(self.to_responses.on_chunk(chunk))
        return [encode_data(orjson.dumps(chunk))]

    def _openai_done(self) -> list[bytes]:
        self.finished = True
        if self.to_claude is not None:
            return _named(self.to_claude.on_done())
        if self.to_responses is not None:
            return _named(self.to_responses.on_done())
        return [DONE_EVENT]

    def _chat_chunks(self, chunks: list[Json | str]) -> list[bytes]:
        out: list[bytes] = []
        for chunk in chunks:
            if chunk == "[DONE]":
                self.finished = True
                if self.to_responses is not None:
                    out.extend(_named(self.to_responses.on_done()))
                else:
                    out.append(DONE_EVENT)
            elif isinstance(chunk, dict):
                if self.to_responses is not None:
                    out.extend(_named(self.to_responses.on_chunk(chunk)))
                else:
                    out.append(encode_data(orjson.dumps(chunk)))
        return out

    def error_event(self, message: str) -> bytes:
        """The in-band error that ends a committed stream, in the client's format."""
        self.finished = True
        if self.client == "anthropic":
            body = {"type": "error", "error": {"type": "api_error", "message": message}}
            return encode_event("error", orjson.dumps(body))
        if self.to_responses is not None:
            return b"".join(_named([self.to_responses.failed(message)]))
        error = {"message": message, "type": "upstream_error", "code": "upstream_error"}
        return encode_data(orjson.dumps({"error": error}))
