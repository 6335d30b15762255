"""SSE framing on bytes (translate/sse.py) and the stream translator's commit predicate."""

from __future__ import annotations

import pytest

from ninerouter.translate.meta import Meta
from ninerouter.translate.pipeline import StreamTranslator
from ninerouter.translate.sse import EventSplitter, encode_data, encode_event, parse_event


@pytest.mark.parametrize("sep", [b"\n", b"\r\n", b"\r"])
def test_splitter_handles_every_line_end_byte_by_byte(sep: bytes) -> None:
    raw = sep.join([b"event: a", b"data: 1", b"", b": comment", b"", b"data: 2", b"", b""])
    splitter = EventSplitter()
    events = [e for i in range(len(raw)) for e in splitter.feed(raw[i : i + 1])]
    assert [parse_event(e) for e in events] == [("a", "1"), (None, None), (None, "2")]


def test_parse_event_joins_multi_line_data_and_ignores_fields() -> None:
    assert parse_event(b'id: 7\nretry: 10\ndata: {"a":\ndata:  1}\n\n') == (None, '{"a":\n 1}')
    assert parse_event(b"event:x\ndata:y\n\n") == ("x", "y")


def test_encoders() -> None:
    assert encode_event("ping", b'{"type":"ping"}') == b'event: ping\ndata: {"type":"ping"}\n\n'
    assert encode_data(b"[DONE]") == b"data: [DONE]\n\n"


@pytest.mark.parametrize(
    ("upstream", "event", "content"),
    [
        (
            "openai",
            b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n',
            False,
        ),
        ("openai", b'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n', True),
        ("openai", b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n', True),
        ("openai", b"data: [DONE]\n\n", True),
        ("openai", b": keep-alive\n\n", False),
        ("openai", b"data: {not json\n\n", True),
        (
            "anthropic",
            b'event: message_start\ndata: {"type":"message_start","message":{}}\n\n',
            False,
        ),
        ("anthropic", b'event: ping\ndata: {"type":"ping"}\n\n', False),
        (
            "anthropic",
            b'event: content_block_start\ndata: {"type":"content_block_start"}\n\n',
            True,
        ),
    ],
)
def test_commit_point_waits_for_content(upstream: str, event: bytes, content: bool) -> None:
    translator = StreamTranslator("responses", upstream, Meta("m", 0, "s"))
    assert translator.is_content(event) is content
