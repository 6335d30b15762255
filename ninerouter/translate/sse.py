"""Server-sent events framing on bytes: split a byte stream into whole events, and encode events."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(rb"\r?\n\r?\n")
# Also bare-CR line ends (allowed by the SSE spec); only used when a chunk holds a CR at all.
_BOUNDARY_CR = re.compile(rb"(?:\r\n|\r(?!\n)|\n){2}")
_FINISH = re.compile(rb'"(?:finish_reason|stop_reason)"\s*:\s*"')
DONE_EVENT = b"data: [DONE]\n\n"


class EventSplitter:
    """Feed raw chunks; get back the complete events in them (each ending in a blank line).

    Events are returned as they arrived, byte for byte, so relaying them changes nothing."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._buffer + chunk if self._buffer else chunk
        events: list[bytes] = []
        start = 0
        bare_cr = b"\r" in data
        for match in (_BOUNDARY_CR if bare_cr else _BOUNDARY).finditer(data):
            end = match.end()
            event = data[start:end]
            if bare_cr:  # a CRLF split between two chunks leaves its LF at the next event's start
                event = event.lstrip(b"\r\n")
            if event.strip():
                events.append(event)
            start = end
        self._buffer = data[start:]
        return events

    @property
    def pending(self) -> int:
        """Bytes held while waiting for the end of an event."""
        return len(self._buffer)

    def rest(self) -> bytes:
        """Bytes after the last complete event (an unterminated event at end of stream)."""
        rest, self._buffer = self._buffer, b""
        return rest


def is_done(event: bytes) -> bool:
    return event.startswith(b"data: [DONE]") or event.startswith(b"data:[DONE]")


def has_finish(event: bytes) -> bool:
    """True for an event that carries a non-null finish_reason / stop_reason."""
    return _FINISH.search(event) is not None


def has_content(event: bytes) -> bool:
    """True for an event that carries data other than a comment or keep-alive."""
    for line in event.splitlines():
        if line.startswith(b"data:"):
            return True
    return False


def error_in(event: bytes) -> str | None:
    """The message of an in-band error event (`event: error`, or a data object with "error"),
    else None."""
    is_error = event.startswith(b"event: error") or b"\nevent: error" in event
    for line in event.splitlines():
        if line.startswith(b"data:"):
            payload = line[5:].lstrip()
            if (
                payload.startswith(b'{"error"')
                or payload.startswith(b'{"type":"error"')
                or is_error
            ):
                text = payload[:500].decode("utf-8", "replace")
                return text
    return None


def parse_event(event: bytes) -> tuple[str | None, str | None]:
    """(event name, data) of one whole SSE event. Multi-line data is joined with newlines; comment
    lines, ids and retries are ignored; CRLF and bare CR line ends are accepted."""
    name: str | None = None
    data: list[str] = []
    for line in (
        event.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ):
        if not line or line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return name, "\n".join(data) if data else None


def encode_event(name: str, data: bytes) -> bytes:
    """An Anthropic / Responses style event: a name line and one data line."""
    return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


def encode_data(data: bytes) -> bytes:
    """An OpenAI chat style event: one data line."""
    return b"data: " + data + b"\n\n"
