"""OpenAI Responses request → OpenAI chat request (hub form). 9Router: request/openai-responses.js.

Codex sends its system prompt as `developer` input items, replays its own reasoning items, and
declares non-function tools. `custom` tools (apply_patch with a grammar) travel as a function tool
with one string parameter `input`, and their calls go back to the client as custom_tool_call items
(see openai_to_responses). Tools with no chat-completions form are dropped with a note.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from ninerouter.translate.meta import Json, Meta, dumps, number

# Reasoning items that ninerouter made from Anthropic thinking carry the thinking block in
# `encrypted_content` under this prefix, so a replayed item becomes the signed block again.
REASONING_PREFIX = "ninerouter.thinking.v1:"


def encode_thinking(block: Json) -> str:
    return REASONING_PREFIX + base64.b64encode(orjson.dumps(block)).decode()


def decode_thinking(value: Any) -> Json | None:
    if not isinstance(value, str) or not value.startswith(REASONING_PREFIX):
        return None
    try:
        block = orjson.loads(base64.b64decode(value[len(REASONING_PREFIX) :]))
    except (ValueError, orjson.JSONDecodeError):
        return None
    return block if isinstance(block, dict) else None


def _parts(content: Any, meta: Meta) -> str | list[Json]:
    if isinstance(content, str):
        return content
    parts: list[Json] = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text", "summary_text"):
            parts.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "refusal":
            parts.append({"type": "text", "text": str(part.get("refusal", ""))})
        elif kind == "input_image":
            url = part.get("image_url")
            if isinstance(url, str) and url:
                image: Json = {"url": url}
                if part.get("detail") in ("low", "high", "auto"):
                    image["detail"] = part["detail"]
                parts.append({"type": "image_url", "image_url": image})
            else:
                meta.note("an input_image by file_id cannot be forwarded; dropped")
        elif kind == "input_file" and isinstance(part.get("file_data"), str):
            file = {"file_data": part["file_data"], "filename": part.get("filename") or "file"}
            parts.append({"type": "file", "file": file})
        else:
            meta.note(f"input content '{kind}' has no chat-completions form; dropped")
    if all(p["type"] == "text" for p in parts):
        return "\n\n".join(str(p["text"]) for p in parts if p["text"])
    return parts


def _output_text(output: Any, meta: Meta) -> tuple[str, list[Json]]:
    """A function_call_output's `output` (a string or content parts) as text plus image parts."""
    if isinstance(output, str):
        return output, []
    parts = _parts(output, meta)
    if isinstance(parts, str):
        return parts, []
    text = "\n".join(str(p.get("text", "")) for p in parts if p["type"] == "text")
    return text, [p for p in parts if p["type"] != "text"]


class _History:
    """Builds chat messages; consecutive assistant-side items join one assistant message."""

    def __init__(self, meta: Meta) -> None:
        self.meta = meta
        self.messages: list[Json] = []
        self.assistant: Json | None = None
        self.images: list[Json] = []

    def finish(self) -> list[Json]:
        self.flush()
        if self.images:
            self.messages.append({"role": "user", "content": self.images})
            self.images = []
        return self.messages

    def flush(self) -> None:
        if self.assistant is not None:
            if self.assistant.get("content") is None and not self.assistant.get("tool_calls"):
                self.assistant["content"] = ""
            self.messages.append(self.assistant)
            self.assistant = None

    def turn(self) -> Json:
        if self.assistant is None:
            self.assistant = {"role": "assistant", "content": None}
        return self.assistant

    def add(self, message: Json) -> None:
        self.flush()
        if message["role"] != "tool" and self.images:
            # Images from tool outputs follow the last tool message, never sit between them.
            self.messages.append({"role": "user", "content": self.images})
            self.images = []
        self.messages.append(message)

    def item(self, item: Json) -> None:
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind == "message":
            role = item.get("role")
            content = _parts(item.get("content"), self.meta)
            if role == "assistant":
                turn = self.turn()
                text = content if isinstance(content, str) else dumps(content)
                turn["content"] = (turn.get("content") or "") + text
            elif role in ("system", "developer"):
                self.add({"role": "system", "content": content})
            else:
                self.add({"role": "user", "content": content})
        elif kind in ("function_call", "custom_tool_call"):
            if kind == "custom_tool_call":
                arguments = dumps({"input": str(item.get("input", ""))})
            else:
                arguments = str(item.get("arguments") or "{}")
            call = {
                "id": str(item.get("call_id") or item.get("id") or ""),
                "type": "function",
                "function": {"name": str(item.get("name", "")), "arguments": arguments},
            }
            self.turn().setdefault("tool_calls", []).append(call)
        elif kind in ("function_call_output", "custom_tool_call_output"):
            text, images = _output_text(item.get("output"), self.meta)
            self.add(
                {"role": "tool", "tool_call_id": str(item.get("call_id", "")), "content": text}
            )
            self.images.extend(images)
        elif kind == "reasoning":
            self._reasoning(item)
        else:
            self.meta.note(f"input item '{kind}' has no chat-completions form; dropped")

    def _reasoning(self, item: Json) -> None:
        turn = self.turn()
        summary = "\n".join(
            str(s.get("text", "")) for s in item.get("summary") or [] if isinstance(s, dict)
        )
        block = decode_thinking(item.get("encrypted_content"))
        if block is not None:
            turn.setdefault("thinking_blocks", []).append(block)
            summary = summary or str(block.get("thinking", ""))
        if summary:
            turn["reasoning_content"] = (turn.get("reasoning_content") or "") + summary


def _tools(tools: Any, meta: Meta) -> tuple[list[Json], frozenset[str]]:
    out: list[Json] = []
    custom: set[str] = set()
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict):
            continue
        kind = tool.get("type")
        name = str(tool.get("name", ""))
        if kind == "function":
            function: Json = {
                "name": name,
                "description": str(tool.get("description") or ""),
                "parameters": tool.get("parameters") or {"type": "object", "properties": {}},
            }
            if tool.get("strict") is True:
                function["strict"] = True
            out.append({"type": "function", "function": function})
        elif kind == "custom":
            custom.add(name)
            description = str(tool.get("description") or "")
            fmt = tool.get("format")
            if isinstance(fmt, dict) and fmt.get("type") == "grammar":
                description += (
                    f"\n\nThe `input` string must follow this {fmt.get('syntax', '')} grammar:\n"
                    + str(fmt.get("definition", ""))
                )
            parameters = {
                "type": "object",
                "properties": {"input": {"type": "string", "description": "The raw tool input."}},
                "required": ["input"],
                "additionalProperties": False,
            }
            out.append(
                {
                    "type": "function",
                    "function": {
                        "name": name,
                        "description": description,
                        "parameters": parameters,
                    },
                }
            )
        else:
            label = f"{kind} '{name}'" if name else str(kind)
            meta.note(f"tool {label} is not supported on this upstream; dropped")
    return out, frozenset(custom)


def _tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") in ("function", "custom"):
        return {"type": "function", "function": {"name": str(choice.get("name", ""))}}
    return None


def _response_format(text: Any) -> Json | None:
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_schema":
        schema: Json = {"name": str(fmt.get("name") or "output"), "schema": fmt.get("schema") or {}}
        if fmt.get("strict") is not None:
            schema["strict"] = bool(fmt["strict"])
        return {"type": "json_schema", "json_schema": schema}
    if fmt.get("type") == "json_object":
        return {"type": "json_object"}
    return None


ECHOED = (
    "instructions",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "temperature",
    "top_p",
    "max_output_tokens",
    "text",
    "reasoning",
    "metadata",
)


def request(body: Json, meta: Meta) -> Json:
    history = _History(meta)
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        history.add({"role": "system", "content": instructions})
    items = body.get("input")
    if isinstance(items, str):
        history.add({"role": "user", "content": items})
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            history.item(item)
    out: Json = {"model": body.get("model"), "messages": history.finish()}
    tools, custom = _tools(body.get("tools"), meta)
    meta.custom_tools = custom
    meta.echo = {key: body[key] for key in ECHOED if key in body}
    if tools:
        out["tools"] = tools
        choice = _tool_choice(body.get("tool_choice"))
        if choice is not None:
            out["tool_choice"] = choice
        if isinstance(body.get("parallel_tool_calls"), bool):
            out["parallel_tool_calls"] = body["parallel_tool_calls"]
    if number(body.get("max_output_tokens")):
        out["max_tokens"] = body["max_output_tokens"]
    for key in ("temperature", "top_p"):
        if isinstance(body.get(key), int | float):
            out[key] = body[key]
    response_format = _response_format(body.get("text"))
    if response_format:
        out["response_format"] = response_format
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort"):
        out["reasoning_effort"] = reasoning["effort"]
    if body.get("stream") is True:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out
