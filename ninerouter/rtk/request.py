"""compress_request(): shrink the tool outputs of a chat request, leaving everything else alone.

The input body is never mutated: the result shares every unchanged object with it and copies
only the containers on the path to a changed text. Token counts are estimates over the
tool-output texts that were looked at, made by the `count` function the caller passes (the proxy
passes ninerouter.translate.tokens.estimate_text; the import-linter layers keep rtk and translate
independent, so rtk cannot import it itself) or else by lines.rough_tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ninerouter.rtk.lines import rough_tokens
from ninerouter.rtk.shrink import shrink_detail

FORMATS = ("openai", "claude", "responses")
_TEXT_PARTS = ("text", "input_text", "output_text")


@dataclass
class RtkResult:
    body: dict[str, Any]
    changed: int = 0  # tool outputs shrunk
    tokens_before: int = 0  # over every tool-output text looked at
    tokens_after: int = 0
    notes: list[str] = field(default_factory=list)


class _Pass:
    """Counts across one request."""

    def __init__(self, count: Callable[[str], int]) -> None:
        self.result = RtkResult(body={})
        self.count = count

    def text(self, value: str, where: str) -> str:
        before = self.count(value)
        found = shrink_detail(value)
        after = self.count(found.text) if found else before
        self.result.tokens_before += before
        self.result.tokens_after += after
        if found is None:
            return value
        self.result.notes.append(
            f"{where}: {found.filter} {len(value)}->{len(found.text)} chars, "
            f"~{before}->{after} tokens"
        )
        return found.text

    def content(self, value: Any, where: str) -> Any:
        """A tool output: a string, or a list of parts of which the text ones are shrunk."""
        new = self._content(value, where)
        self.result.changed += new is not value
        return new

    def _content(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            return self.text(value, where)
        if not isinstance(value, list):
            return value
        parts: list[Any] = []
        for part in value:
            if (
                isinstance(part, dict)
                and part.get("type") in _TEXT_PARTS
                and isinstance(part.get("text"), str)
            ):
                text = self.text(part["text"], where)
                part = part if text is part["text"] else {**part, "text": text}
            parts.append(part)
        return value if all(a is b for a, b in zip(parts, value, strict=True)) else parts


def _items(body: dict[str, Any], key: str, edit: Callable[[Any, int], Any]) -> dict[str, Any]:
    """body with body[key] (a list) replaced by [edit(item, i)], copied only if one changed."""
    items = body.get(key)
    if not isinstance(items, list):
        return body
    new = [edit(item, i) for i, item in enumerate(items)]
    if all(a is b for a, b in zip(new, items, strict=True)):
        return body
    return {**body, key: new}


def _openai(run: _Pass, body: dict[str, Any]) -> dict[str, Any]:
    def edit(message: Any, i: int) -> Any:
        if not isinstance(message, dict) or message.get("role") != "tool":
            return message
        where = f"messages[{i}] tool {message.get('tool_call_id', '')}".rstrip()
        content = run.content(message.get("content"), where)
        return message if content is message.get("content") else {**message, "content": content}

    return _items(body, "messages", edit)


def _claude(run: _Pass, body: dict[str, Any]) -> dict[str, Any]:
    def block_edit(block: Any, i: int) -> Any:
        if (
            not isinstance(block, dict)
            or block.get("type") != "tool_result"
            or block.get("is_error") is True
        ):
            return block
        where = f"tool_result {block.get('tool_use_id', '')}".rstrip()
        content = run.content(block.get("content"), where)
        return block if content is block.get("content") else {**block, "content": content}

    def edit(message: Any, i: int) -> Any:
        if not isinstance(message, dict) or message.get("role") != "user":
            return message
        return _items(message, "content", block_edit)

    return _items(body, "messages", edit)


def _responses(run: _Pass, body: dict[str, Any]) -> dict[str, Any]:
    def edit(item: Any, i: int) -> Any:
        kinds = ("function_call_output", "custom_tool_call_output")
        if not isinstance(item, dict) or item.get("type") not in kinds:
            return item
        where = f"input[{i}] {item['type']} {item.get('call_id', '')}".rstrip()
        output = run.content(item.get("output"), where)
        return item if output is item.get("output") else {**item, "output": output}

    return _items(body, "input", edit)


_BY_FORMAT = {"openai": _openai, "claude": _claude, "responses": _responses}


def compress_request(
    fmt: str, body: dict[str, Any], count: Callable[[str], int] | None = None
) -> RtkResult:
    """Shrink the tool outputs in a request body of format "openai", "claude" or "responses".

    Returns a new body (the input is not mutated) and the counts; an unknown format or a body
    without tool outputs comes back as is, with zero counts. `count(text)` estimates tokens.
    """
    run = _Pass(count or rough_tokens)
    handler = _BY_FORMAT.get(fmt)
    run.result.body = handler(run, body) if handler and isinstance(body, dict) else body
    return run.result
