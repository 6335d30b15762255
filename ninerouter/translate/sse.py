"""Server-sent events framing on bytes: split a byte stream into whole events, and encode events."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(rb"\r?\n\r?\n")
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
        for match in _BOUNDARY.finditer(data):
            end = match.end()
            event = data[start:end]
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
