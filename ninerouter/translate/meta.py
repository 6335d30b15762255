"""What every translator shares: the per-request context, ids, stop reasons and content helpers.

The hub format is OpenAI chat completions. Two non-standard fields travel through it so that nothing
is lost between Anthropic Messages and Responses (both are removed before a body goes to an
OpenAI-compatible upstream, see `openai_to_claude.for_openai_upstream`):
  message.reasoning_content / delta.reasoning_content   thinking text (DeepSeek's name for it)
  message.thinking_blocks / delta.thinking_blocks       Anthropic thinking blocks with signatures
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

Json = dict[str, Any]

# Anthropic's stop_reason <-> OpenAI's finish_reason (9Router §8.3, plus the newer reasons).
STOP_TO_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
FINISH_TO_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}

_TOOL_ID_BAD = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class Meta:
    """Per-request context handed to every translator. Fixed values make golden files stable.

    model    the model name the client asked for (shown back to it)
    created  unix seconds, for `created` / `created_at`
    seed     a unique string per request, from which response, message and item ids are derived
    custom_tools    Responses `custom` tools that travel as function tools (their calls go back
                    to the client as custom_tool_call items)
    include_usage   a chat client asked for the usage chunk (stream_options.include_usage)
    echo     request fields a Responses object repeats (tools, tool_choice, instructions, …)
    notes    what a translation dropped or changed; the handler logs them
    """

    model: str
    created: int
    seed: str
    custom_tools: frozenset[str] = frozenset()
    include_usage: bool = False
    echo: Json = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def make_id(self, prefix: str, *parts: object) -> str:
        """A stable id: the same (seed, parts) always gives the same id."""
        if not parts:
            return f"{prefix}{self.seed}"
        digest = hashlib.sha256(repr((self.seed, *parts)).encode()).hexdigest()[:24]
        return f"{prefix}{digest}"


def safe_tool_id(value: Any, meta: Meta, index: int) -> str:
    """Anthropic wants tool ids matching [A-Za-z0-9_-]+; keep good ids, repair or make up others."""
    if isinstance(value, str) and value:
        return _TOOL_ID_BAD.sub("_", value)
    return meta.make_id("toolu_", "tool", index)


def parse_arguments(arguments: Any) -> Json:
    """OpenAI function arguments (a JSON string) as the object Anthropic wants."""
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str) or not arguments.strip():
        return {}
    try:
        value = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return {"_raw_arguments": arguments}
    return value if isinstance(value, dict) else {"_value": value}


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def text_of(content: Any, sep: str = "\n") -> str:
    """The text of a string or of a list of text parts/blocks (other parts ignored)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part.get("text")
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        return sep.join(t for t in texts if t)
    return ""


def data_url(media_type: str, data: str) -> str:
    return f"data:{media_type};base64,{data}"


def split_data_url(url: str) -> tuple[str, str] | None:
    """(media_type, base64 data) of a base64 data URL, else None."""
    if not url.startswith("data:") or ";base64," not in url:
        return None
    head, data = url[5:].split(";base64,", 1)
    return head or "application/octet-stream", data


def number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
