"""Every translator pair and every SSE sequence against its golden file.

tests/golden/translate/<pair>/<case>.in.json → .out.json, where <pair> is
  req_<client>_to_<upstream>    translate_request (the body sent upstream, plus the notes)
  resp_<upstream>_to_<client>   translate_response (the whole answer the client gets)
tests/golden/sse/<upstream>_to_<client>/<case>.in.sse → .out.sse through StreamTranslator; an input
that ends without its terminator gets the relay's in-band error, as in production.
An optional <case>.meta.json sets Meta fields (custom_tools, include_usage, echo).
Regenerate with NINEROUTER_UPDATE_GOLDEN=1 (see conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ninerouter.translate.meta import Meta
from ninerouter.translate.pipeline import StreamTranslator, translate_request, translate_response
from ninerouter.translate.sse import EventSplitter

GOLDEN = Path(__file__).parent.parent / "golden"
TRANSLATE = GOLDEN / "translate"
SSE = GOLDEN / "sse"


def cases(root: Path, suffix: str) -> list[Any]:
    found = sorted(root.glob(f"*/*{suffix}"))
    return [pytest.param(p, id=f"{p.parent.name}/{p.name.removesuffix(suffix)}") for p in found]


def meta_for(path: Path, suffix: str) -> Meta:
    meta = Meta(model="test-model", created=1700000000, seed="golden0")
    side = path.with_name(path.name.removesuffix(suffix) + ".meta.json")
    if side.exists():
        extra = json.loads(side.read_text())
        meta.custom_tools = frozenset(extra.get("custom_tools", []))
        meta.include_usage = bool(extra.get("include_usage", False))
        meta.echo = extra.get("echo", {})
    return meta


def check(expected_path: Path, actual: str, update: bool) -> None:
    if update or not expected_path.exists():
        expected_path.write_text(actual)
        if not update:
            pytest.fail(f"{expected_path} was missing and has been written; review and re-run")
    assert actual == expected_path.read_text()


@pytest.mark.parametrize("path", cases(TRANSLATE, ".in.json"))
def test_translator_golden(path: Path, update_golden: bool) -> None:
    kind, pair = path.parent.name.split("_", 1)
    source, target = pair.split("_to_")
    body = json.loads(path.read_text())
    meta = meta_for(path, ".in.json")
    if kind == "req":
        result: Any = {"body": translate_request(source, target, body, meta), "notes": meta.notes}
    else:
        result = translate_response(target, source, body, meta)
    actual = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    check(path.with_name(path.name.replace(".in.json", ".out.json")), actual, update_golden)


def run_stream(path: Path, chunk_size: int) -> tuple[bytes, StreamTranslator]:
    upstream, client = path.parent.name.split("_to_")
    translator = StreamTranslator(client, upstream, meta_for(path, ".in.sse"))
    raw = path.read_bytes()
    splitter = EventSplitter()
    out: list[bytes] = []
    for i in range(0, len(raw), chunk_size):
        if translator.finished:
            break
        out.append(translator.feed(splitter.feed(raw[i : i + chunk_size])))
    if not translator.finished:
        out.append(translator.error_event("upstream stream ended without a terminator"))
    return b"".join(out), translator


@pytest.mark.parametrize("path", cases(SSE, ".in.sse"))
def test_sse_golden(path: Path, update_golden: bool) -> None:
    whole, translator = run_stream(path, 1 << 20)
    # Any chunking of the upstream bytes, even one byte at a time, gives the same events.
    assert run_stream(path, 1)[0] == whole
    assert run_stream(path, 7)[0] == whole
    check(path.with_name(path.name.replace(".in.sse", ".out.sse")), whole.decode(), update_golden)
    prompt, completion = translator.usage
    assert prompt >= 0 and completion >= 0
