"""Token counts out of upstream answers (OpenAI chat, Anthropic Messages, Responses), pure."""

from __future__ import annotations

from typing import Any

import orjson


def tokens_from(usage: Any) -> tuple[int, int]:
    """(prompt, completion) from a usage object of any of the three formats; zeros when absent."""
    if not isinstance(usage, dict):
        return 0, 0

    def number(*keys: str) -> int:
        for key in keys:
            value = usage.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return 0

    prompt = number("prompt_tokens", "input_tokens")
    prompt += number("cache_read_input_tokens") + number("cache_creation_input_tokens")
    return prompt, number("completion_tokens", "output_tokens")


def tokens_in_body(body: bytes) -> tuple[int, int]:
    if b'"usage"' not in body:
        return 0, 0
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return 0, 0
    return tokens_from(data.get("usage") if isinstance(data, dict) else None)


def tokens_in_event(event: bytes | None) -> tuple[int, int]:
    """Usage carried by one SSE event (its data line), e.g. the final chunk of an OpenAI stream."""
    if not event:
        return 0, 0
    for line in event.splitlines():
        if line.startswith(b"data:"):
            return tokens_in_body(line[5:].strip())
    return 0, 0
