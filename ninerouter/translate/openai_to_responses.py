"""OpenAI chat (hub form) → OpenAI Responses: whole responses and SSE streams, for Codex and the
Responses API of the SDKs. 9Router: response/openai-responses.js.

Stream order per item, as real clients accept it: output_item.added → (content_part.added →
output_text.delta… → output_text.done → content_part.done | function_call_arguments.delta… →
.done | reasoning_summary_part.added → reasoning_summary_text.delta… → .done → part.done) →
output_item.done; the stream opens with response.created, response.in_progress and ends with
response.completed (response.incomplete when the model hit its token limit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ninerouter.translate.meta import Json, Meta, number
from ninerouter.translate.responses_to_openai import encode_thinking

INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


def usage(openai_usage: Any) -> Json | None:
    if not isinstance(openai_usage, dict):
        return None
    prompt_details = openai_usage.get("prompt_tokens_details")
    completion_details = openai_usage.get("completion_tokens_details")
    cached = number(prompt_details.get("cached_tokens")) if isinstance(prompt_details, dict) else 0
    reasoning = (
        number(completion_details.get("reasoning_tokens"))
        if isinstance(completion_details, dict)
        else 0
    )
    prompt = number(openai_usage.get("prompt_tokens"))
    completion = number(openai_usage.get("completion_tokens"))
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": prompt + completion,
    }


def response_object(
    meta: Meta,
    status: str,
    output: list[Json],
    usage_: Json | None,
    *,
    finish: str | None = None,
    error: Json | None = None,
) -> Json:
    echo = meta.echo
    reason = INCOMPLETE.get(str(finish)) if status == "incomplete" else None
    return {
        "id": meta.make_id("resp_"),
        "object": "response",
        "created_at": meta.created,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": {"reason": reason} if reason else None,
        "instructions": echo.get("instructions"),
        "max_output_tokens": echo.get("max_output_tokens"),
        "metadata": echo.get("metadata") or {},
        "model": meta.model,
        "output": output,
        "parallel_tool_calls": echo.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": echo.get("reasoning") or {"effort": None, "summary": None},
        "store": False,
        "temperature": echo.get("temperature"),
        "text": echo.get("text") or {"format": {"type": "text"}},
        "tool_choice": echo.get("tool_choice", "auto"),
        "tools": echo.get("tools") or [],
        "top_p": echo.get("top_p"),
        "truncation": "disabled",
        "usage": usage_,
        "user": None,
    }


def _status(finish: Any) -> str:
    return "incomplete" if finish in INCOMPLETE else "completed"


def _message_item(item_id: str, text: str, status: str = "completed") -> Json:
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
        if status == "completed"
        else [],
    }


def _reasoning_item(item_id: str, text: str, block: Json | None = None) -> Json:
    """A reasoning item; a signed Anthropic thinking block rides along in encrypted_content."""
    item: Json = {
        "id": item_id,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": text}] if text else [],
    }
    if block is not None and block.get("type") == "redacted_thinking":
        item["encrypted_content"] = encode_thinking(block)
    elif block is not None and block.get("signature"):
        item["encrypted_content"] = encode_thinking({**block, "thinking": text})
    return item


def _call_item(meta: Meta, item_id: str, call_id: str, name: str, arguments: str) -> Json:
    if name in meta.custom_tools:
        try:
            parsed = orjson.loads(arguments) if arguments else {}
        except orjson.JSONDecodeError:
            parsed = None
        value = parsed.get("input") if isinstance(parsed, dict) else None
        return {
            "id": item_id,
            "type": "custom_tool_call",
            "status": "completed",
            "call_id": call_id,
            "name": name,
            "input": value if isinstance(value, str) else arguments,
        }
    return {
        "id": item_id,
        "type": "function_call",
        "status": "completed",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def response(data: Json, meta: Meta) -> Json:
    """A whole chat.completion as a Responses object."""
    choices = data.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    output: list[Json] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    blocks = [b for b in message.get("thinking_blocks") or [] if isinstance(b, dict)]
    for position, block in enumerate(blocks):
        text = str(block.get("thinking", ""))
        output.append(_reasoning_item(meta.make_id("rs_", position), text, block))
    if not blocks and isinstance(reasoning, str) and reasoning:
        output.append(_reasoning_item(meta.make_id("rs_", 0), reasoning))
    content = message.get("content")
    if isinstance(content, str) and content:
        output.append(_message_item(meta.make_id("msg_", 0), content))
    for position, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or {}
        call_id = str(call.get("id") or meta.make_id("call_", position))
        output.append(
            _call_item(
                meta,
                meta.make_id("fc_", position),
                call_id,
                str(function.get("name", "")),
                str(function.get("arguments") or ""),
            )
        )
    finish = choice.get("finish_reason")
    return response_object(meta, _status(finish), output, usage(data.get("usage")), finish=finish)


Event = tuple[str, Json]


@dataclass
class _Item:
    kind: str  # "message" | "reasoning" | "call"
    output_index: int
    id: str
    text: str = ""
    call_id: str = ""
    name: str = ""
    block: Json | None = None


class OpenAIToResponsesStream:
    """OpenAI chat chunks (parsed) → Responses stream events. Stateful, one per request."""

    def __init__(self, meta: Meta) -> None:
        self.meta = meta
        self.sequence = 0
        self.started = False
        self.output: list[Json | None] = []  # finished items by output_index
        self.text: _Item | None = None
        self.reasoning: _Item | None = None
        self.calls: dict[int, _Item] = {}
        self.open_calls: list[int] = []
        self.finish: str | None = None
        self.usage: Json | None = None
        self.finished = False

    def _event(self, name: str, data: Json) -> Event:
        event = {"type": name, "sequence_number": self.sequence, **data}
        self.sequence += 1
        return name, event

    def _response(self, status: str, *, error: Json | None = None) -> Json:
        output = [item for item in self.output if item is not None]
        return response_object(
            self.meta, status, output, usage(self.usage), finish=self.finish, error=error
        )

    def _start(self) -> list[Event]:
        if self.started:
            return []
        self.started = True
        response = self._response("in_progress")
        return [
            self._event("response.created", {"response": response}),
            self._event("response.in_progress", {"response": response}),
        ]

    def _new(self, kind: str, prefix: str) -> _Item:
        index = len(self.output)
        self.output.append(None)
        return _Item(kind, index, self.meta.make_id(prefix, index))

    def _added(self, item: _Item, shown: Json) -> Event:
        return self._event(
            "response.output_item.added", {"output_index": item.output_index, "item": shown}
        )

    def _done(self, item: _Item, final: Json) -> Event:
        self.output[item.output_index] = final
        return self._event(
            "response.output_item.done", {"output_index": item.output_index, "item": final}
        )

    def _where(self, item: _Item) -> Json:
        return {"item_id": item.id, "output_index": item.output_index}

    # -- reasoning ---------------------------------------------------------------------------
    def _reasoning_delta(self, text: str) -> list[Event]:
        events: list[Event] = []
        if self.reasoning is None:
            events += self._close_text()
            item = self.reasoning = self._new("reasoning", "rs_")
            events.append(self._added(item, {"id": item.id, "type": "reasoning", "summary": []}))
            part = {"type": "summary_text", "text": ""}
            events.append(
                self._event(
                    "response.reasoning_summary_part.added",
                    {**self._where(item), "summary_index": 0, "part": part},
                )
            )
        item = self.reasoning
        if text:
            item.text += text
            events.append(
                self._event(
                    "response.reasoning_summary_text.delta",
                    {**self._where(item), "summary_index": 0, "delta": text},
                )
            )
        return events

    def _block(self, block: Json) -> list[Event]:
        """A signature for the open thinking block, or a whole redacted block (its own item)."""
        events: list[Event] = []
        redacted = block.get("type") == "redacted_thinking"
        if redacted:
            events += self._close_reasoning()
        if self.reasoning is None:
            events += self._reasoning_delta("")
        assert self.reasoning is not None
        self.reasoning.block = {**(self.reasoning.block or {}), **block}
        if redacted:
            events += self._close_reasoning()
        return events

    def _close_reasoning(self) -> list[Event]:
        item = self.reasoning
        if item is None:
            return []
        self.reasoning = None
        part = {"type": "summary_text", "text": item.text}
        return [
            self._event(
                "response.reasoning_summary_text.done",
                {**self._where(item), "summary_index": 0, "text": item.text},
            ),
            self._event(
                "response.reasoning_summary_part.done",
                {**self._where(item), "summary_index": 0, "part": part},
            ),
            self._done(item, _reasoning_item(item.id, item.text, item.block)),
        ]

    # -- text --------------------------------------------------------------------------------
    def _text_delta(self, text: str) -> list[Event]:
        events = self._close_reasoning()
        if self.text is None:
            item = self.text = self._new("message", "msg_")
            events.append(self._added(item, _message_item(item.id, "", "in_progress")))
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            events.append(
                self._event(
                    "response.content_part.added",
                    {**self._where(item), "content_index": 0, "part": part},
                )
            )
        item = self.text
        item.text += text
        events.append(
            self._event(
                "response.output_text.delta",
                {**self._where(item), "content_index": 0, "delta": text, "logprobs": []},
            )
        )
        return events

    def _close_text(self) -> list[Event]:
        item = self.text
        if item is None:
            return []
        self.text = None
        final = _message_item(item.id, item.text)
        return [
            self._event(
                "response.output_text.done",
                {**self._where(item), "content_index": 0, "text": item.text, "logprobs": []},
            ),
            self._event(
                "response.content_part.done",
                {**self._where(item), "content_index": 0, "part": final["content"][0]},
            ),
            self._done(item, final),
        ]

    # -- tool calls --------------------------------------------------------------------------
    def _call_delta(self, call: Json) -> list[Event]:
        position = number(call.get("index")) if "index" in call else len(self.calls)
        function = call.get("function") or {}
        events: list[Event] = []
        item = self.calls.get(position)
        if item is None:
            events += self._close_reasoning() + self._close_text() + self._close_calls()
            item = self._new("call", "fc_")
            item.call_id = str(call.get("id") or self.meta.make_id("call_", position))
            item.name = str(function.get("name", ""))
            self.calls[position] = item
            self.open_calls.append(position)
            shown = _call_item(self.meta, item.id, item.call_id, item.name, "")
            shown["status"] = "in_progress"
            events.append(self._added(item, shown))
        elif position not in self.open_calls:
            self.meta.note("tool call arguments arrived interleaved; late fragments were dropped")
            return events
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            item.text += arguments
            if item.name not in self.meta.custom_tools:
                events.append(
                    self._event(
                        "response.function_call_arguments.delta",
                        {**self._where(item), "delta": arguments},
                    )
                )
        return events

    def _close_calls(self) -> list[Event]:
        events: list[Event] = []
        for position in self.open_calls:
            item = self.calls[position]
            final = _call_item(self.meta, item.id, item.call_id, item.name, item.text)
            if final["type"] == "custom_tool_call":
                where = self._where(item)
                events.append(
                    self._event(
                        "response.custom_tool_call_input.delta",
                        {**where, "delta": final["input"]},
                    )
                )
                events.append(
                    self._event(
                        "response.custom_tool_call_input.done", {**where, "input": final["input"]}
                    )
                )
            else:
                events.append(
                    self._event(
                        "response.function_call_arguments.done",
                        {**self._where(item), "arguments": item.text},
                    )
                )
            events.append(self._done(item, final))
        self.open_calls = []
        return events

    # -- driving -----------------------------------------------------------------------------
    def on_chunk(self, chunk: Json) -> list[Event]:
        events = self._start()
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or number(choice.get("index")) != 0:
                continue
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                events += self._reasoning_delta(reasoning)
            for block in delta.get("thinking_blocks") or []:
                if isinstance(block, dict):
                    events += self._block(block)
            content = delta.get("content")
            if isinstance(content, str) and content:
                events += self._text_delta(content)
            for call in delta.get("tool_calls") or []:
                if isinstance(call, dict):
                    events += self._call_delta(call)
            if choice.get("finish_reason"):
                self.finish = str(choice["finish_reason"])
        return events

    def on_done(self) -> list[Event]:
        if self.finished:
            return []
        self.finished = True
        events = self._start()
        events += self._close_reasoning() + self._close_text() + self._close_calls()
        status = _status(self.finish)
        name = "response.completed" if status == "completed" else "response.incomplete"
        events.append(self._event(name, {"response": self._response(status)}))
        return events

    def failed(self, message: str) -> Event:
        """The in-band end of a stream that broke after it was committed."""
        self.finished = True
        error = {"code": "server_error", "message": message}
        return self._event("response.failed", {"response": self._response("failed", error=error)})
