"""compress_request() for the three request formats."""

from __future__ import annotations

import copy
from typing import Any

import orjson

from ninerouter.rtk import compress_request, shrink
from ninerouter.translate.tokens import estimate_text
from tests.rtk.conftest import load

DIFF = load("git_diff")
GREP = load("grep")
SMALL = "ok: 3 files formatted"


def _frozen(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def test_openai_tool_messages() -> None:
    body: dict[str, Any] = {
        "model": "cc/claude-sonnet-4",
        "messages": [
            {"role": "system", "content": "You are a coding agent."},
            {"role": "user", "content": DIFF},  # user text is never touched, even a diff
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "bash", "arguments": '{"cmd": "git diff"}'},
                    },
                ],
            },  # fmt: skip
            {"role": "tool", "tool_call_id": "call_1", "content": DIFF},
            {
                "role": "tool",
                "tool_call_id": "call_2",
                "content": [
                    {"type": "text", "text": GREP},
                    {"type": "text", "text": GREP},
                ],
            },  # fmt: skip
            {"role": "tool", "tool_call_id": "call_3", "content": SMALL},
        ],
        "tools": [{"type": "function", "function": {"name": "bash", "parameters": {}}}],
    }
    before = _frozen(body)
    result = compress_request("openai", body, count=estimate_text)
    assert _frozen(body) == before  # input not mutated
    out = result.body
    assert result.changed == 2  # tool outputs, not parts
    assert len(result.notes) == 3
    assert out["messages"][3]["content"] == shrink(DIFF)
    assert out["messages"][4]["content"] == [{"type": "text", "text": shrink(GREP)}] * 2
    for i in (0, 1, 2, 5):
        assert out["messages"][i] is body["messages"][i]
    assert out["tools"] is body["tools"]
    assert result.tokens_before > result.tokens_after
    assert result.tokens_before == sum(map(estimate_text, (DIFF, GREP, GREP, SMALL)))
    assert result.notes[0].startswith("messages[3] tool call_1: git-diff 4965->")


def test_claude_tool_results() -> None:
    cached = {"type": "ephemeral"}
    body: dict[str, Any] = {
        "model": "claude-sonnet-4",
        "system": [{"type": "text", "text": "sys", "cache_control": cached}],
        "messages": [
            {"role": "user", "content": "show me the diff"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "git diff"}},
            ]},  # fmt: skip
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": DIFF},
                {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": True, "content": DIFF},
                {"type": "tool_result", "tool_use_id": "toolu_3", "content": [
                    {"type": "text", "text": GREP, "cache_control": cached},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}},
                ]},
                {"type": "text", "text": GREP},
            ]},
        ],
    }  # fmt: skip
    snapshot = copy.deepcopy(body)
    result = compress_request("claude", body)
    assert body == snapshot
    blocks = result.body["messages"][2]["content"]
    assert blocks[0] == {"type": "tool_result", "tool_use_id": "toolu_1", "content": shrink(DIFF)}
    assert blocks[1] is body["messages"][2]["content"][1]
    assert blocks[1]["content"] == DIFF  # is_error: never touched
    assert blocks[2]["content"][0] == {
        "type": "text",
        "text": shrink(GREP),
        "cache_control": cached,
    }
    assert blocks[2]["content"][1] is body["messages"][2]["content"][2]["content"][1]
    assert blocks[3] is body["messages"][2]["content"][3]  # user text
    assert result.body["system"] is body["system"]
    assert result.body["messages"][1] is body["messages"][1]
    assert result.changed == 2 and result.tokens_before > result.tokens_after


def test_responses_outputs() -> None:
    body: dict[str, Any] = {
        "model": "gpt-5",
        "instructions": "be brief",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": DIFF}]},
            {"type": "function_call", "call_id": "c1", "name": "sh", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": DIFF},
            {"type": "custom_tool_call_output", "call_id": "c2", "output": GREP},
            {"type": "function_call_output", "call_id": "c3",
             "output": [{"type": "input_text", "text": GREP}]},
        ],
    }  # fmt: skip
    before = _frozen(body)
    result = compress_request("responses", body)
    assert _frozen(body) == before
    items = result.body["input"]
    assert items[0] is body["input"][0] and items[1] is body["input"][1]
    assert items[2]["output"] == shrink(DIFF) and items[2]["call_id"] == "c1"
    assert items[3]["output"] == shrink(GREP)
    assert items[4]["output"] == [{"type": "input_text", "text": shrink(GREP)}]
    assert result.changed == 3


def test_nothing_to_do_returns_the_same_body() -> None:
    body: dict[str, Any] = {"model": "m", "input": "hello"}
    result = compress_request("responses", body)
    assert result.body is body and result.changed == 0 and result.notes == []
    small = {"messages": [{"role": "tool", "tool_call_id": "x", "content": SMALL}]}
    assert compress_request("openai", small).body is small
    assert compress_request("gemini", {"contents": []}).body == {"contents": []}


def test_big_diff_saves_tokens() -> None:
    body = {"messages": [{"role": "tool", "tool_call_id": "c", "content": DIFF * 6}]}
    result = compress_request("openai", body, count=estimate_text)
    assert result.tokens_before > result.tokens_after * 1.3


def test_deterministic() -> None:
    body = {"messages": [{"role": "tool", "tool_call_id": "c", "content": GREP}]}
    assert compress_request("openai", body) == compress_request("openai", body)
