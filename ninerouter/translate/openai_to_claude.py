"""OpenAI chat → Anthropic Messages: requests (an OpenAI or Responses client on an Anthropic
upstream), whole responses and SSE streams (a Claude client on an OpenAI upstream). 9Router:
request/openai-to-claude.js and response/openai-to-claude.js."""

from __future__ import annotations

from typing import Any

from ninerouter.translate.meta import (
    FINISH_TO_STOP,
    Json,
    Meta,
    dumps,
    number,
    parse_arguments,
    safe_tool_id,
    split_data_url,
    text_of,
)

DEFAULT_MAX_TOKENS = 8192
THINKING_BUDGET = {"low": 2048, "medium": 8192, "high": 24576, "xhigh": 32000}


def _image_block(url: str) -> Json:
    parsed = split_data_url(url)
    if parsed:
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": parsed[0], "data": parsed[1]},
        }
    return {"type": "image", "source": {"type": "url", "url": url}}


def _user_blocks(content: Any, meta: Meta) -> list[Json]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[Json] = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text") and part.get("text"):
            blocks.append({"type": "text", "text": str(part["text"])})
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if isinstance(url, str) and url:
                blocks.append(_image_block(url))
        elif kind == "file":
            file = part.get("file")
            file = file if isinstance(file, dict) else {}
            parsed = split_data_url(str(file.get("file_data", "")))
            if parsed and parsed[0] == "application/pdf":
                blocks.append(
                    {
                        "type": "document",
                        "source": {"type": "base64", "media_type": parsed[0], "data": parsed[1]},
                    }
                )
            else:
                meta.note("a file part other than an inline PDF has no Messages form; dropped")
        else:
            meta.note(f"content part '{kind}' has no Messages form; dropped")
    return blocks


def _assistant_blocks(message: Json, meta: Meta) -> list[Json]:
    blocks: list[Json] = []
    for block in message.get("thinking_blocks") or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "redacted_thinking":
            blocks.append({"type": "redacted_thinking", "data": block.get("data", "")})
        elif block.get("type") == "thinking" and block.get("signature"):
            blocks.append(
                {
                    "type": "thinking",
                    "thinking": str(block.get("thinking", "")),
                    "signature": block["signature"],
                }
            )
    content = message.get("content")
    text = content if isinstance(content, str) else text_of(content, "")
    if text:
        blocks.append({"type": "text", "text": text})
    for position, call in enumerate(message.get("tool_calls") or []):
        if not isinstance(call, dict):
            continue
        function = call.get("function") or {}
        blocks.append(
            {
                "type": "tool_use",
                "id": safe_tool_id(call.get("id"), meta, position),
                "name": str(function.get("name", "")),
                "input": parse_arguments(function.get("arguments")),
            }
        )
    return blocks


def _append(messages: list[Json], role: str, blocks: list[Json]) -> None:
    """Anthropic wants user/assistant turns to alternate and tool results first in a user turn."""
    if not blocks:
        return
    if messages and messages[-1]["role"] == role:
        messages[-1]["content"].extend(blocks)
    else:
        messages.append({"role": role, "content": list(blocks)})
    if role == "user":
        content = messages[-1]["content"]
        content.sort(key=lambda b: b.get("type") != "tool_result")


def _tools(tools: Any, meta: Meta) -> list[Json]:
    out: list[Json] = []
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function")
        if tool.get("type") != "function" or not isinstance(function, dict):
            meta.note(f"tool type '{tool.get('type')}' has no Messages form; dropped")
            continue
        converted: Json = {
            "name": str(function.get("name", "")),
            "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
        }
        if function.get("description"):
            converted["description"] = str(function["description"])
        out.append(converted)
    return out


def _tool_choice(choice: Any, parallel: Any) -> Json | None:
    out: Json | None = None
    if choice == "auto":
        out = {"type": "auto"}
    elif choice == "required":
        out = {"type": "any"}
    elif choice == "none":
        out = {"type": "none"}
    elif isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name") or choice.get("name")
        if name:
            out = {"type": "tool", "name": str(name)}
    if parallel is False:
        out = out or {"type": "auto"}
        if out["type"] != "none":
            out["disable_parallel_tool_use"] = True
    return out


def _format_instruction(response_format: Any, meta: Meta) -> str | None:
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        meta.note("response_format json_object became a system instruction")
        return "Respond with a single valid JSON object and nothing else."
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        meta.note("response_format json_schema became a system instruction")
        return (
            "Respond with a single JSON value that matches this JSON schema, and nothing else:\n"
            + dumps(schema)
        )
    return None


def _thinking(body: Json, messages: list[Json], meta: Meta) -> Json | None:
    effort = body.get("reasoning_effort")
    budget = THINKING_BUDGET.get(str(effort))
    if budget is None:
        return None
    for message in messages:
        if message["role"] != "assistant":
            continue
        kinds = [b.get("type") for b in message["content"]]
        if "tool_use" in kinds and not {"thinking", "redacted_thinking"} & set(kinds):
            meta.note(
                "reasoning not enabled: earlier tool calls carry no thinking signature to replay"
            )
            return None
    return {"type": "enabled", "budget_tokens": budget}


def request(body: Json, meta: Meta) -> Json:
    """An OpenAI chat request (hub form) as an Anthropic Messages request."""
    system: list[str] = []
    messages: list[Json] = []
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role in ("system", "developer"):
            text = text_of(message.get("content"), "\n\n")
            if text:
                system.append(text)
        elif role == "assistant":
            _append(messages, "assistant", _assistant_blocks(message, meta))
        elif role == "tool":
            content = message.get("content")
            result = {
                "type": "tool_result",
                "tool_use_id": safe_tool_id(message.get("tool_call_id"), meta, 0),
                "content": content if isinstance(content, str) else text_of(content),
            }
            _append(messages, "user", [result])
        elif role == "user":
            _append(messages, "user", _user_blocks(message.get("content"), meta))
        else:
            meta.note(f"message role '{role}' has no Messages form; dropped")
    instruction = _format_instruction(body.get("response_format"), meta)
    if instruction:
        system.append(instruction)
    max_tokens = number(body.get("max_completion_tokens")) or number(body.get("max_tokens"))
    out: Json = {
        "model": body.get("model"),
        "max_tokens": max_tokens or DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    if system:
        out["system"] = "\n\n".join(system)
    tools = _tools(body.get("tools"), meta)
    choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if tools:
        out["tools"] = tools
        if choice:
            out["tool_choice"] = choice
    thinking = _thinking(body, messages, meta)
    if thinking and choice and choice["type"] in ("any", "tool"):
        meta.note("reasoning not enabled: Anthropic does not think while a tool is forced")
        thinking = None
    if thinking:
        out["thinking"] = thinking
        if out["max_tokens"] <= thinking["budget_tokens"]:
            out["max_tokens"] = thinking["budget_tokens"] + DEFAULT_MAX_TOKENS
        if body.get("temperature") is not None or body.get("top_p") is not None:
            meta.note("temperature and top_p were left out: Anthropic thinks only at the defaults")
    else:
        temperature = body.get("temperature")
        if isinstance(temperature, int | float):
            if temperature > 1:
                meta.note("temperature above 1 was lowered to Anthropic's maximum of 1")
            out["temperature"] = min(float(temperature), 1.0)
        if isinstance(body.get("top_p"), int | float):
            out["top_p"] = body["top_p"]
    stop = body.get("stop")
    if isinstance(stop, str):
        out["stop_sequences"] = [stop]
    elif isinstance(stop, list) and stop:
        out["stop_sequences"] = [str(s) for s in stop]
    if isinstance(body.get("user"), str) and body["user"]:
        out["metadata"] = {"user_id": body["user"]}
    if number(body.get("n")) > 1:
        meta.note("n > 1 is not supported by Messages; one choice is returned")
    if body.get("stream") is True:
        out["stream"] = True
    return out


def usage(openai_usage: Any) -> Json:
    """OpenAI usage → Anthropic usage: input_tokens excludes the cached part, as Anthropic's does."""
    u = openai_usage if isinstance(openai_usage, dict) else {}
    details = u.get("prompt_tokens_details")
    cached = number(details.get("cached_tokens")) if isinstance(details, dict) else 0
    cached = cached or number(u.get("prompt_cache_hit_tokens"))
    prompt = number(u.get("prompt_tokens"))
    return {
        "input_tokens": max(prompt - cached, 0),
        "output_tokens": number(u.get("completion_tokens")),
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": 0,
    }


def _reasoning_text(message: Json) -> str:
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def response(data: Json, meta: Meta) -> Json:
    """A chat.completion as a whole Anthropic message."""
    choices = data.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    content: list[Json] = []
    signed = [
        b for b in message.get("thinking_blocks") or [] if isinstance(b, dict) and b.get("type")
    ]
    reasoning = _reasoning_text(message)
    if signed:
        content.extend(_assistant_blocks({"thinking_blocks": signed}, meta))
    elif reasoning:
        content.append({"type": "thinking", "thinking": reasoning, "signature": ""})
    content.extend(_assistant_blocks({**message, "thinking_blocks": None}, meta))
    finish = choice.get("finish_reason")
    stop = FINISH_TO_STOP.get(str(finish), "end_turn")
    if message.get("tool_calls") and stop == "end_turn":
        stop = "tool_use"
    return {
        "id": meta.make_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": meta.model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage(data.get("usage")),
    }


Event = tuple[str, Json]


class OpenAIToClaudeStream:
    """OpenAI chat chunks (parsed) → Anthropic stream events. Stateful, one per request.

    Anthropic blocks are strictly sequential; a block is closed when a different kind (or another
    tool call) starts. message_delta and message_stop wait for [DONE], so the usage chunk that
    OpenAI sends after the finish chunk is included."""

    def __init__(self, meta: Meta) -> None:
        self.meta = meta
        self.started = False
        self.pinged = False
        self.next_index = 0
        self.open: tuple[str, int] | None = None  # (kind, OpenAI tool index or -1)
        self.tools: dict[int, str] = {}  # OpenAI tool index → tool id, for calls already started
        self.stop: str | None = None
        self.usage: Json = {}
        self.finished = False

    def _start(self) -> list[Event]:
        if self.started:
            return []
        self.started = True
        message: Json = {
            "id": self.meta.make_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": self.meta.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return [("message_start", {"type": "message_start", "message": message})]

    def _close(self) -> list[Event]:
        if self.open is None:
            return []
        self.open = None
        index = self.next_index - 1
        return [("content_block_stop", {"type": "content_block_stop", "index": index})]

    def _open(self, kind: str, block: Json, tool: int = -1) -> list[Event]:
        events = self._close()
        self.open = (kind, tool)
        index = self.next_index
        self.next_index += 1
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
        )
        if not self.pinged:
            self.pinged = True
            events.append(("ping", {"type": "ping"}))
        return events

    def _delta(self, delta: Json) -> Event:
        index = self.next_index - 1
        return (
            "content_block_delta",
            {"type": "content_block_delta", "index": index, "delta": delta},
        )

    def on_chunk(self, chunk: Json) -> list[Event]:
        events = self._start()
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or number(choice.get("index")) != 0:
                continue
            delta = choice.get("delta") or {}
            events.extend(self._on_delta(delta))
            finish = choice.get("finish_reason")
            if finish:
                events.extend(self._close())
                self.stop = FINISH_TO_STOP.get(str(finish), "end_turn")
                if self.tools and self.stop == "end_turn":
                    self.stop = "tool_use"
        return events

    def _on_delta(self, delta: Json) -> list[Event]:
        events: list[Event] = []
        reasoning = _reasoning_text(delta)
        if reasoning:
            if self.open is None or self.open[0] != "thinking":
                events += self._open(
                    "thinking", {"type": "thinking", "thinking": "", "signature": ""}
                )
            events.append(self._delta({"type": "thinking_delta", "thinking": reasoning}))
        for block in delta.get("thinking_blocks") or []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "thinking" and block.get("signature"):
                if self.open is None or self.open[0] != "thinking":
                    events += self._open(
                        "thinking", {"type": "thinking", "thinking": "", "signature": ""}
                    )
                events.append(
                    self._delta({"type": "signature_delta", "signature": block["signature"]})
                )
            elif block.get("type") == "redacted_thinking":
                events += self._open(
                    "redacted", {"type": "redacted_thinking", "data": block.get("data", "")}
                )
                events += self._close()
        content = delta.get("content")
        if isinstance(content, str) and content:
            if self.open is None or self.open[0] != "text":
                events += self._open("text", {"type": "text", "text": ""})
            events.append(self._delta({"type": "text_delta", "text": content}))
        for call in delta.get("tool_calls") or []:
            if isinstance(call, dict):
                events += self._on_tool_call(call)
        return events

    def _on_tool_call(self, call: Json) -> list[Event]:
        events: list[Event] = []
        position = number(call.get("index")) if "index" in call else len(self.tools)
        function = call.get("function") or {}
        if position not in self.tools:
            tool_id = safe_tool_id(call.get("id"), self.meta, position)
            self.tools[position] = tool_id
            block = {
                "type": "tool_use",
                "id": tool_id,
                "name": str(function.get("name", "")),
                "input": {},
            }
            events += self._open("tool", block, position)
        elif self.open != ("tool", position):
            self.meta.note("tool call arguments arrived interleaved; late fragments were dropped")
            return events
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            events.append(self._delta({"type": "input_json_delta", "partial_json": arguments}))
        return events

    def on_done(self) -> list[Event]:
        if self.finished:
            return []
        self.finished = True
        events = self._start() + self._close()
        events.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": self.stop or "end_turn", "stop_sequence": None},
                    "usage": usage(self.usage),
                },
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        return events
