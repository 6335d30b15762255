"""/v1/messages and the Anthropic upstream family, driven by the real SDKs.

The anthropic SDK reaches an OpenAI-compatible fake (translation both ways, streams included) and
an Anthropic fake (passthrough); the openai SDK's chat completions reach the Anthropic fake."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import anthropic
import openai
import pytest

from tests.fakes import two_formats
from tests.fakes.anthropic_upstream import SIGNATURE, TEXT, Turn
from tests.fakes.two_formats import ANT_KEY, OAI_KEY, TwoFormats

WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture
async def nr(home, store, aiohttp_server):
    router = await two_formats.start(home, store, aiohttp_server, ant_accounts=2)
    yield router
    await router.close()


async def raw_events(
    nr: TwoFormats, path: str, body: dict[str, Any], **headers: str
) -> tuple[int, list[tuple[str | None, Any]]]:
    """(status, [(event name, parsed data)]) of a streamed answer, read with plain aiohttp."""
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{nr.root}{path}", json=body, headers={"x-api-key": nr.key, **headers}
        ) as resp:
            raw = await resp.read()
    events = []
    for block in raw.decode().split("\n\n"):
        name, data = None, None
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        if data is not None:
            events.append((name, data if data == "[DONE]" else json.loads(data)))
    return resp.status, events


# -- anthropic SDK → OpenAI-compatible upstream ---------------------------------------------------


async def test_message_to_openai_upstream(nr: TwoFormats) -> None:
    result = await nr.anthropic().messages.create(
        model="oai/fake-a",
        max_tokens=100,
        system="Be brief.",
        messages=[{"role": "user", "content": "hi"}],
    )
    assert [b.type for b in result.content] == ["text"]
    assert result.content[0].text == TEXT
    assert result.stop_reason == "end_turn"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (21, 13)
    seen = nr.oai.requests[-1]
    assert seen.headers["Authorization"] == f"Bearer {OAI_KEY}"
    assert seen.body["model"] == "fake-a"
    assert seen.body["max_tokens"] == 100
    assert seen.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]


async def test_message_stream_to_openai_upstream(nr: TwoFormats) -> None:
    async with nr.anthropic().messages.stream(
        model="oai/fake-a", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    assert text == TEXT
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (21, 13)
    assert nr.oai.requests[-1].body["stream_options"] == {"include_usage": True}


async def test_stream_event_sequence_is_the_known_good_one(nr: TwoFormats) -> None:
    status, events = await raw_events(
        nr,
        "/v1/messages",
        {
            "model": "oai/fake-a",
            "max_tokens": 50,
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert status == 200
    names = [name for name, _ in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert set(names[3:-3]) == {"content_block_delta"}
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert events[-2][1]["usage"]["output_tokens"] == 13


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_use_and_tool_result_turn_to_openai_upstream(
    nr: TwoFormats, stream: bool
) -> None:
    client = nr.anthropic()
    messages: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    kwargs: dict[str, Any] = {"model": "oai/fake-tools", "max_tokens": 200, "tools": [WEATHER]}
    if stream:
        async with client.messages.stream(messages=messages, **kwargs) as s:
            first = await s.get_final_message()
    else:
        first = await client.messages.create(messages=messages, **kwargs)
    assert first.stop_reason == "tool_use"
    tool = [b for b in first.content if b.type == "tool_use"][0]
    assert (tool.name, tool.input) == ("get_weather", {"city": "Paris"})
    assert nr.oai.requests[-1].body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city.",
                "parameters": WEATHER["input_schema"],
            },
        }
    ]

    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool.id, "content": "18°C"}],
        },
    ]
    second = await client.messages.create(messages=messages, **kwargs)
    assert second.content[0].text.startswith("The listing does not show")
    sent = nr.oai.requests[-1].body["messages"]
    assert sent[1]["tool_calls"][0]["id"] == tool.id
    assert json.loads(sent[1]["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    assert sent[2] == {"role": "tool", "tool_call_id": tool.id, "content": "18°C"}


async def test_parallel_tool_calls_stream_to_openai_upstream(nr: TwoFormats) -> None:
    nr.oai.turns.append(
        Turn(text="", tools=[("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Oslo"})])
    )
    async with nr.anthropic().messages.stream(
        model="oai/fake-a",
        max_tokens=200,
        tools=[WEATHER],
        messages=[{"role": "user", "content": "Paris and Oslo?"}],
    ) as s:
        final = await s.get_final_message()
    tools = [b for b in final.content if b.type == "tool_use"]
    assert [t.input for t in tools] == [{"city": "Paris"}, {"city": "Oslo"}]
    assert len({t.id for t in tools}) == 2
    assert final.stop_reason == "tool_use"


async def test_reasoning_becomes_a_thinking_block(nr: TwoFormats) -> None:
    async with nr.anthropic().messages.stream(
        model="oai/fake-think", max_tokens=200, messages=[{"role": "user", "content": "hi"}]
    ) as s:
        final = await s.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == "Let me think about this step by step."


async def test_count_tokens_is_a_local_estimate(nr: TwoFormats) -> None:
    raw = await nr.anthropic().messages.with_raw_response.count_tokens(
        model="oai/fake-a",
        system="You are a helpful assistant.",
        tools=[WEATHER],
        messages=[{"role": "user", "content": "What is the weather like in Paris today?"}],
    )
    result = await raw.parse()
    assert 350 < result.input_tokens < 450  # tool-use prompt (346) + about 50 tokens of text
    assert raw.headers["x-ninerouter-estimate"] == "true"
    assert nr.oai.requests == [] and nr.ant.requests == []


# -- anthropic SDK → Anthropic upstream (passthrough) ---------------------------------------------


async def test_passthrough_changes_only_model_and_auth(nr: TwoFormats) -> None:
    body = {
        "model": "ant/fake-a",
        "max_tokens": 64,
        "system": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "hi"}],
        "thinking": {"type": "adaptive"},
        "metadata": {"user_id": "u1"},
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{nr.root}/v1/messages?beta=true",
            json=body,
            headers={
                "Authorization": f"Bearer {nr.key}",
                "anthropic-version": "2026-10-21",
                "anthropic-beta": "claude-code-20250219,context-1m-2025-08-07",
            },
        ) as resp:
            data = await resp.json()
    assert resp.status == 200
    assert data["content"][0]["text"] == TEXT
    seen = nr.ant.requests[-1]
    assert seen.body == {**body, "model": "fake-a"}
    assert seen.headers["x-api-key"] == ANT_KEY
    assert "Authorization" not in seen.headers
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert seen.headers["anthropic-beta"] == "claude-code-20250219,context-1m-2025-08-07"


async def test_base_url_with_a_path_prefix(nr: TwoFormats) -> None:
    result = await nr.anthropic("/some/prefix").messages.create(
        model="ant/fake-a", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert result.content[0].text == TEXT
    raw = await nr.anthropic("/some/prefix").messages.with_raw_response.count_tokens(
        model="ant/fake-a", messages=[{"role": "user", "content": "hi"}]
    )
    assert (await raw.parse()).input_tokens > 0


async def test_stream_passthrough_keeps_thinking_signature(nr: TwoFormats) -> None:
    async with nr.anthropic().messages.stream(
        model="ant/fake-think", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as s:
        final = await s.get_final_message()
    assert final.content[0].type == "thinking"
    assert final.content[0].signature == SIGNATURE
    assert (final.usage.input_tokens, final.usage.output_tokens) == (21, 13)


# -- errors in the Anthropic shape ----------------------------------------------------------------


async def test_unknown_model_is_anthropic_not_found(nr: TwoFormats) -> None:
    with pytest.raises(anthropic.NotFoundError) as info:
        await nr.anthropic().messages.create(
            model="nope/x", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    assert info.value.body["type"] == "error"
    assert info.value.body["error"]["type"] == "not_found_error"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"{not json", 400),
        (b'{"model":"ant/x"}', 400),
        (b'{"model":"ant/x","messages":[],"stream":"yes"}', 400),
    ],
)
async def test_bad_bodies_are_anthropic_invalid_request(
    nr: TwoFormats, data: bytes, status: int
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{nr.root}/v1/messages",
            data=data,
            headers={"x-api-key": nr.key, "Content-Type": "application/json"},
        ) as resp:
            body = await resp.json()
    assert resp.status == status
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert nr.ant.requests == []


async def test_upstream_error_status_is_passed_in_anthropic_shape(nr: TwoFormats) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        await nr.anthropic().messages.create(
            model="oai/fail-400", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    assert info.value.body["error"]["type"] == "invalid_request_error"
    assert "injected 400" in info.value.body["error"]["message"]


@pytest.mark.parametrize("mode", ["drop-after-3", "error-mid", "bad-json"])
async def test_failure_after_commit_ends_with_anthropic_error_event(
    nr: TwoFormats, mode: str
) -> None:
    status, events = await raw_events(
        nr,
        "/v1/messages",
        {
            "model": f"oai/{mode}",
            "max_tokens": 50,
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert status == 200
    names = [name for name, _ in events]
    assert names[0] == "message_start"
    assert "content_block_delta" in names
    assert names[-1] == "error" and names.count("error") == 1
    assert events[-1][1]["error"]["type"] == "api_error"
    assert "message_stop" not in names and "message_delta" not in names


# -- openai SDK chat completions → Anthropic upstream ---------------------------------------------


async def test_chat_to_anthropic_upstream(nr: TwoFormats) -> None:
    result = await nr.openai().chat.completions.create(
        model="ant/fake-a",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        max_tokens=77,
        stop="END",
    )
    assert result.choices[0].message.content == TEXT
    assert result.choices[0].finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (21, 13)
    seen = nr.ant.requests[-1]
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == ANT_KEY
    assert seen.body == {
        "model": "fake-a",
        "max_tokens": 77,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "stop_sequences": ["END"],
    }


async def test_chat_stream_to_anthropic_upstream_with_usage(nr: TwoFormats) -> None:
    stream = await nr.openai().chat.completions.create(
        model="ant/fake-a",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == TEXT
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 21
    assert chunks[-1].usage.completion_tokens == 13


@pytest.mark.parametrize("stream", [False, True])
async def test_chat_tools_round_trip_to_anthropic_upstream(nr: TwoFormats, stream: bool) -> None:
    client = nr.openai()
    tools: list[Any] = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city.",
                "parameters": WEATHER["input_schema"],
            },
        }
    ]
    messages: list[Any] = [{"role": "user", "content": "weather?"}]
    if stream:
        chunks = [
            c
            async for c in await client.chat.completions.create(
                model="ant/fake-tools", messages=messages, tools=tools, stream=True
            )
        ]
        calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
        call_id, name = calls[0].id, calls[0].function.name
        arguments = "".join(tc.function.arguments or "" for tc in calls)
        assert chunks[-1].choices[0].finish_reason == "tool_calls"
    else:
        result = await client.chat.completions.create(
            model="ant/fake-tools", messages=messages, tools=tools
        )
        call = result.choices[0].message.tool_calls[0]
        call_id, name, arguments = call.id, call.function.name, call.function.arguments
        assert result.choices[0].finish_reason == "tool_calls"
    assert (name, json.loads(arguments)) == ("get_weather", {"city": "Paris"})
    assert call_id == "toolu_fake_0"

    messages += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": "18°C"},
    ]
    second = await client.chat.completions.create(
        model="ant/fake-tools", messages=messages, tools=tools
    )
    assert second.choices[0].message.content.startswith("The listing does not show")
    sent = nr.ant.requests[-1].body
    assert sent["messages"][1]["content"] == [
        {"type": "tool_use", "id": call_id, "name": "get_weather", "input": {"city": "Paris"}}
    ]
    assert sent["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": call_id, "content": "18°C"}
    ]
    assert sent["tools"] == [WEATHER]


async def test_chat_stream_failure_after_commit_has_error_chunk_and_no_done(nr: TwoFormats) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{nr.root}/v1/chat/completions",
            headers={"Authorization": f"Bearer {nr.key}"},
            json={
                "model": "ant/drop-after-3",
                "messages": [{"role": "user", "content": "hi"}],
                "stream": True,
            },
        ) as resp:
            raw = await resp.read()
    events = [json.loads(e[6:]) for e in raw.decode().split("\n\n") if e.startswith("data: ")]
    assert b"[DONE]" not in raw
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1])
    assert text == TEXT[:15]
    assert events[-1]["error"]["type"] == "upstream_error"


async def test_error_before_content_fails_over_to_the_next_account(nr: TwoFormats) -> None:
    nr.ant.turns += [Turn(mode="error-first"), Turn()]
    stream = await nr.openai().chat.completions.create(
        model="ant/fake-a", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == TEXT
    keys = [r.headers["x-api-key"] for r in nr.ant.requests]
    assert keys == [ANT_KEY, f"{ANT_KEY}-2"]


async def test_chat_client_unknown_model_stays_openai_shaped(nr: TwoFormats) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await nr.openai().chat.completions.create(
            model="nope/x", messages=[{"role": "user", "content": "hi"}]
        )
    assert info.value.body["code"] == "model_not_found"


async def test_stalled_translated_stream_ends_with_error_after_idle_timeout(
    nr: TwoFormats, store
) -> None:
    from ninerouter.services.settings import set_setting

    set_setting(store, "streamIdleTimeoutMs", 300)
    await asyncio.sleep(0.6)  # the live config picks the change up within 250 ms
    started = time.monotonic()
    status, events = await raw_events(
        nr,
        "/v1/messages",
        {
            "model": "oai/stall-after-2",
            "max_tokens": 50,
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert time.monotonic() - started < 3
    assert status == 200
    assert events[-1] == (
        "error",
        {"type": "error", "error": {"type": "api_error", "message": "upstream stream stalled"}},
    )
    assert "message_stop" not in [name for name, _ in events]


async def test_client_disconnect_cancels_the_translated_upstream(nr: TwoFormats) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{nr.root}/v1/messages",
            headers={"x-api-key": nr.key},
            json={
                "model": "oai/stall-after-2",
                "max_tokens": 50,
                "stream": True,
                "messages": [{"role": "user", "content": "hi"}],
            },
        ) as resp:
            await resp.content.readuntil(b"\n\n")
    for _ in range(100):
        if nr.oai.aborted:
            break
        await asyncio.sleep(0.02)
    assert nr.oai.aborted == ["stall-after-2"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"apiKey": "sk-ant-api-1"}, {"x-api-key": "sk-ant-api-1"}),
        (
            {"accessToken": "oauth-token-1"},
            {"Authorization": "Bearer oauth-token-1", "anthropic-beta": "x-1,oauth-2025-04-20"},
        ),
        (
            {"apiKey": "sk-ant-oat01-abc"},
            {"Authorization": "Bearer sk-ant-oat01-abc", "anthropic-beta": "x-1,oauth-2025-04-20"},
        ),
    ],
)
def test_anthropic_upstream_auth_headers(data: dict[str, str], expected: dict[str, str]) -> None:
    from ninerouter.models import Connection
    from ninerouter.routing.resolve import Target
    from ninerouter.upstream.request import anthropic_messages

    target = Target(
        "anthropic",
        "claude-x",
        "anthropic",
        "https://api.anthropic.com/v1",
        "x-api-key",
        "anthropic",
    )
    conn = Connection("c1", "anthropic", "apikey", "n", 1, True, data)
    beta = "x-1" if "anthropic-beta" in expected else None
    req = anthropic_messages(target, conn, {"model": "a", "messages": []}, beta)
    assert req.url == "https://api.anthropic.com/v1/messages"
    assert req.headers["anthropic-version"] == "2023-06-01"
    assert {k: req.headers[k] for k in expected} == expected
    assert ("x-api-key" in req.headers) == ("x-api-key" in expected)
    assert json.loads(req.body)["model"] == "claude-x"
