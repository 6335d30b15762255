"""Anthropic Messages → OpenAI chat: requests (a Claude client on an OpenAI upstream), whole
responses and SSE streams (an OpenAI client on an Anthropic upstream). 9Router:
request/claude-to-openai.js and response/claude-to-openai.js."""

from __future__ import annotations

from typing import Any

from ninerouter.translate.meta import (
    STOP_TO_FINISH,
    Json,
    Meta,
    data_url,
    dumps,
    number,
    text_of,
)

BILLING_HEADER = "x-anthropic-billing-header:"


def _system_text(system: Any) -> str:
    """Top-level `system` (a string or text blocks) as one string. Claude Code's billing
    pseudo-header block is body text meant for Anthropic only and is left out."""
    if isinstance(system, str):
        return system
    if not isinstance(system, list):
        return ""
    texts = []
    for block in system:
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            if block["text"].startswith(BILLING_HEADER):
                continue
            texts.append(block["text"])
    return "\n\n".join(t for t in texts if t)


def _image_part(block: Json, meta: Meta) -> Json | None:
    source = block.get("source")
    if not isinstance(source, dict):
        return None
    if source.get("type") == "base64":
        url = data_url(str(source.get("media_type", "image/png")), str(source.get("data", "")))
        return {"type": "image_url", "image_url": {"url": url}}
    if source.get("type") == "url" and isinstance(source.get("url"), str):
        return {"type": "image_url", "image_url": {"url": source["url"]}}
    meta.note(f"image source '{source.get('type')}' is not supported by chat completions; dropped")
    return None


def _document_part(block: Json, meta: Meta) -> Json | None:
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "base64":
        media = str(source.get("media_type", "application/pdf"))
        return {
            "type": "file",
            "file": {
                "filename": str(block.get("title") or "document.pdf"),
                "file_data": data_url(media, str(source.get("data", ""))),
            },
        }
    if isinstance(source, dict) and source.get("type") == "text":
        return {"type": "text", "text": str(source.get("data", ""))}
    meta.note("a document block of this kind is not supported by chat completions; dropped")
    return None


def _openai_content(parts: list[Json]) -> str | list[Json]:
    """Text-only content as one string (accepted by every OpenAI-compatible server), else parts."""
    if all(p.get("type") == "text" for p in parts):
        return "\n\n".join(str(p["text"]) for p in parts if p.get("text"))
    return parts


def _tool_result_messages(block: Json, meta: Meta) -> tuple[Json, list[Json]]:
    """A tool_result block → a tool message, plus image parts that must follow as a user message."""
    content = block.get("content")
    images: list[Json] = []
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            elif part.get("type") == "image":
                image = _image_part(part, meta)
                if image:
                    images.append(image)
        text = "\n".join(texts)
    elif isinstance(content, str):
        text = content
    elif content is None:
        text = ""
    else:
        text = dumps(content)
    if block.get("is_error") and not text:
        text = "error"
    message = {"role": "tool", "tool_call_id": str(block.get("tool_use_id", "")), "content": text}
    return message, images


def _user_messages(content: Any, meta: Meta) -> list[Json]:
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    out: list[Json] = []
    parts: list[Json] = []
    result_images: list[Json] = []  # after all tool messages: nothing may come between them
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text", ""))})
        elif kind == "image":
            image = _image_part(block, meta)
            if image:
                parts.append(image)
        elif kind == "document":
            doc = _document_part(block, meta)
            if doc:
                parts.append(doc)
        elif kind == "tool_result":
            message, images = _tool_result_messages(block, meta)
            out.append(message)
            result_images.extend(images)
        else:
            meta.note(f"content block '{kind}' has no chat-completions form; dropped")
    parts = result_images + parts
    if parts:
        out.append({"role": "user", "content": _openai_content(parts)})
    return out


def _assistant_message(content: Any, meta: Meta) -> Json:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[str] = []
    calls: list[Json] = []
    thinking: list[str] = []
    blocks: list[Json] = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            calls.append(
                {
                    "id": str(block.get("id", "")),
                    "type": "function",
                    "function": {
                        "name": str(block.get("name", "")),
                        "arguments": dumps(block.get("input") or {}),
                    },
                }
            )
        elif kind == "thinking":
            thinking.append(str(block.get("thinking", "")))
            blocks.append(
                {
                    "type": "thinking",
                    "thinking": block.get("thinking", ""),
                    "signature": block.get("signature", ""),
                }
            )
        elif kind == "redacted_thinking":
            blocks.append({"type": "redacted_thinking", "data": block.get("data", "")})
    message: Json = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    if thinking:
        message["reasoning_content"] = "".join(thinking)
    if blocks:
        message["thinking_blocks"] = blocks
    if message["content"] is None and not calls:
        message["content"] = ""
    return message


def _tools(tools: Any, meta: Meta) -> list[Json]:
    out: list[Json] = []
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict):
            continue
        if "input_schema" not in tool and tool.get("type") not in (None, "custom"):
            meta.note(
                f"server tool '{tool.get('type')}' is not available on this upstream; dropped"
            )
            continue
        function: Json = {
            "name": str(tool.get("name", "")),
            "description": str(tool.get("description", "")),
            "parameters": tool.get("input_schema") or {"type": "object", "properties": {}},
        }
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: Any) -> tuple[Any, bool | None]:
    """(tool_choice, parallel_tool_calls) for Anthropic's tool_choice."""
    if not isinstance(choice, dict):
        return None, None
    parallel = False if choice.get("disable_parallel_tool_use") else None
    kind = choice.get("type")
    if kind == "any":
        return "required", parallel
    if kind == "none":
        return "none", parallel
    if kind == "tool":
        return {"type": "function", "function": {"name": choice.get("name", "")}}, parallel
    return "auto", parallel


def request(body: Json, meta: Meta) -> Json:
    """An Anthropic Messages request as an OpenAI chat request (hub form; see meta.py)."""
    messages: list[Json] = []
    system = _system_text(body.get("system"))
    if system:
        messages.append({"role": "system", "content": system})
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        content = message.get("content")
        if role == "assistant":
            messages.append(_assistant_message(content, meta))
        elif role == "system":  # Claude Code's mid-conversation system message
            text = text_of(content, "\n\n")
            if text:
                messages.append({"role": "system", "content": text})
        else:
            messages.extend(_user_messages(content, meta))
    out: Json = {"model": body.get("model"), "messages": messages}
    if isinstance(body.get("max_tokens"), int):
        out["max_tokens"] = body["max_tokens"]
    for key in ("temperature", "top_p"):
        if isinstance(body.get(key), int | float):
            out[key] = body[key]
    if body.get("stop_sequences"):
        out["stop"] = body["stop_sequences"]
    tools = _tools(body.get("tools"), meta)
    if tools:
        out["tools"] = tools
        choice, parallel = _tool_choice(body.get("tool_choice"))
        if choice is not None:
            out["tool_choice"] = choice
        if parallel is not None:
            out["parallel_tool_calls"] = parallel
    output_format = (body.get("output_config") or {}).get("format")
    if isinstance(output_format, dict) and output_format.get("type") == "json_schema":
        out["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": output_format.get("schema") or {}},
        }
    if body.get("stream") is True:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def usage(anthropic_usage: Any) -> Json:
    """Anthropic usage → OpenAI usage. prompt_tokens counts cached input too, as OpenAI's does."""
    u = anthropic_usage if isinstance(anthropic_usage, dict) else {}
    cached = number(u.get("cache_read_input_tokens"))
    prompt = number(u.get("input_tokens")) + cached + number(u.get("cache_creation_input_tokens"))
    completion = number(u.get("output_tokens"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def response(data: Json, meta: Meta) -> Json:
    """A whole Anthropic message as a chat.completion."""
    message = _assistant_message(data.get("content") or [], meta)
    if not message.get("tool_calls") and message.get("content") is None:
        message["content"] = ""
    stop = data.get("stop_reason")
    return {
        "id": f"chatcmpl-{data.get('id') or meta.seed}",
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": STOP_TO_FINISH.get(str(stop), "stop"),
                "logprobs": None,
            }
        ],
        "usage": usage(data.get("usage")),
    }


class ClaudeToOpenAIStream:
    """Anthropic stream events (parsed) → OpenAI chat chunks (dicts). Stateful, one per request.

    `on_event` returns the chunks to send; the string "[DONE]" stands for the terminator. The usage
    chunk is sent when the client asked for it, or always with `usage_chunk` (for a translator
    that reads these chunks in turn)."""

    def __init__(self, meta: Meta, usage_chunk: bool = False) -> None:
        self.meta = meta
        self.usage_chunk = usage_chunk or meta.include_usage
        self.id = f"chatcmpl-{meta.seed}"
        self.usage: Json = {}
        self.tool_index: dict[int, int] = {}  # Anthropic block index → OpenAI tool_calls index
        self.block_kind: dict[int, str] = {}
        self.finish: str | None = None
        self.started = False

    def _chunk(self, delta: Json, finish: str | None = None) -> Json:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.meta.created,
            "model": self.meta.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    def on_event(self, data: Json) -> list[Json | str]:
        kind = data.get("type")
        if kind == "message_start":
            message = data.get("message") or {}
            self.usage.update(message.get("usage") or {})
            self.started = True
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            return self._block_start(number(data.get("index")), data.get("content_block") or {})
        if kind == "content_block_delta":
            return self._block_delta(number(data.get("index")), data.get("delta") or {})
        if kind == "message_delta":
            for key, value in (data.get("usage") or {}).items():
                if value is not None:
                    self.usage[key] = value
            stop = (data.get("delta") or {}).get("stop_reason")
            if stop:
                self.finish = STOP_TO_FINISH.get(str(stop), "stop")
            return []
        if kind == "message_stop":
            out: list[Json | str] = [self._chunk({}, self.finish or "stop")]
            if self.usage_chunk:
                chunk = self._chunk({})
                chunk["choices"] = []
                chunk["usage"] = usage(self.usage)
                out.append(chunk)
            out.append("[DONE]")
            return out
        return []  # ping, content_block_stop, unknown events

    def _block_start(self, index: int, block: Json) -> list[Json | str]:
        kind = str(block.get("type"))
        self.block_kind[index] = kind
        if kind == "tool_use":
            position = len(self.tool_index)
            self.tool_index[index] = position
            call = {
                "index": position,
                "id": str(block.get("id", "")),
                "type": "function",
                "function": {"name": str(block.get("name", "")), "arguments": ""},
            }
            chunks: list[Json | str] = [self._chunk({"tool_calls": [call]})]
            if block.get("input"):
                chunks.append(self._args(position, dumps(block["input"])))
            return chunks
        if kind == "text" and block.get("text"):
            return [self._chunk({"content": block["text"]})]
        if kind == "redacted_thinking":
            blocks = [{"type": "redacted_thinking", "data": block.get("data", "")}]
            return [self._chunk({"thinking_blocks": blocks})]
        return []

    def _args(self, position: int, text: str) -> Json:
        return self._chunk({"tool_calls": [{"index": position, "function": {"arguments": text}}]})

    def _block_delta(self, index: int, delta: Json) -> list[Json | str]:
        kind = delta.get("type")
        if kind == "text_delta":
            return [self._chunk({"content": str(delta.get("text", ""))})]
        if kind == "input_json_delta" and index in self.tool_index:
            text = str(delta.get("partial_json", ""))
            return [self._args(self.tool_index[index], text)] if text else []
        if kind == "thinking_delta":
            return [self._chunk({"reasoning_content": str(delta.get("thinking", ""))})]
        if kind == "signature_delta":
            blocks = [{"type": "thinking", "signature": delta.get("signature", "")}]
            return [self._chunk({"thinking_blocks": blocks})]
        return []
