"""count_tokens' estimate against counts from Anthropic's published (legacy) tokenizer.

tests/golden/tokens/calibration.json holds prose, Python, JSON tool schemas and CJK samples with
their token counts, made once offline with the tokenizer.json that older anthropic SDKs shipped."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import pytest

from ninerouter.translate.tokens import (
    IMAGE_DEFAULT,
    TOOLS_SYSTEM_PROMPT,
    estimate_image,
    estimate_text,
    estimate_tokens,
)

SAMPLES = json.loads((Path(__file__).parent.parent / "golden/tokens/calibration.json").read_text())


@pytest.mark.parametrize("kind", ["prose", "code", "json", "cjk"])
def test_estimate_is_close_per_kind(kind: str) -> None:
    samples = [s for s in SAMPLES if s["kind"] == kind]
    real = sum(s["tokens"] for s in samples)
    estimate = sum(estimate_text(s["text"]) for s in samples)
    assert abs(estimate / real - 1) < 0.08
    for s in samples:
        assert 0.75 < estimate_text(s["text"]) / s["tokens"] < 1.3, s["text"][:60]


def test_estimate_beats_chars_over_4_sample_by_sample() -> None:
    def error(count: float, real: int) -> float:
        return abs(count / real - 1)

    ours = sum(error(estimate_text(s["text"]), s["tokens"]) for s in SAMPLES)
    naive = sum(error(len(s["text"]) / 4, s["tokens"]) for s in SAMPLES)
    assert ours < naive / 3


def test_request_framing() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "foo"}]}
    assert 8 <= estimate_tokens(body) <= 14
    with_tools = {**body, "tools": [{"name": "t", "input_schema": {"type": "object"}}]}
    assert estimate_tokens(with_tools) - estimate_tokens(body) > TOOLS_SYSTEM_PROMPT
    assert estimate_tokens([]) == 0


def png(width: int, height: int) -> str:
    raw = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", width, height) + b"\x08\x02"
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("width", "height", "tokens"), [(200, 200, 54), (1000, 1000, 1334), (4000, 3000, 1534)]
)
def test_images_count_by_their_size(width: int, height: int, tokens: int) -> None:
    block = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": png(width, height)},
    }
    assert estimate_image(block) == tokens
    url = {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}
    assert estimate_image(url) == IMAGE_DEFAULT


def test_thinking_from_earlier_turns_is_not_counted() -> None:
    plain = {"messages": [{"role": "assistant", "content": [{"type": "text", "text": "ok"}]}]}
    thought = {
        "messages": [
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "long " * 500},
                    {"type": "text", "text": "ok"},
                ],
            }
        ]
    }
    assert estimate_tokens(plain) == estimate_tokens(thought)
