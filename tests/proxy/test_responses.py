"""/v1/responses (what Codex speaks) driven by the real openai SDK, on both upstream families."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import openai
import pytest

from tests.fakes import two_formats
from tests.fakes.anthropic_upstream import SIGNATURE, TEXT, Turn
from tests.fakes.two_formats import TwoFormats

EXEC = {
    "type": "function",
    "name": "exec_command",
    "description": "Run a shell command.",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {"cmd": {"type": "string"}},
        "required": ["cmd"],
    },
}
APPLY_PATCH = {
    "type": "custom",
    "name": "apply_patch",
    "description": "Apply a patch.",
    "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"},
}


@pytest.fixture
async def nr(home, store, aiohttp_server):
    router = await two_formats.start(home, store, aiohttp_server)
    yield router
    await router.close()


async def events_of(nr: TwoFormats, **body: Any) -> list[Any]:
    stream = await nr.openai().responses.create(stream=True, **body)
    return [event async for event in stream]


@pytest.mark.parametrize("prefix", ["ant", "oai"])
async def test_text_response(nr: TwoFormats, prefix: str) -> None:
    result = await nr.openai().responses.create(
        model=f"{prefix}/fake-a", instructions="Be brief.", input="hi", max_output_tokens=99
    )
    assert result.output_text == TEXT
    assert result.status == "completed"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (21, 13)
    assert result.usage.total_tokens == 34
    fake = nr.ant if prefix == "ant" else nr.oai
    sent = fake.requests[-1].body
    if prefix == "ant":
        assert sent["system"] == "Be brief."
        assert sent["max_tokens"] == 99
        assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    else:
        assert sent["messages"] == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
        ]
        assert sent["max_tokens"] == 99


@pytest.mark.parametrize("prefix", ["ant", "oai"])
async def test_text_stream_has_the_known_good_sequence(nr: TwoFormats, prefix: str) -> None:
    events = await events_of(nr, model=f"{prefix}/fake-a", input="hi")
    types = [e.type for e in events]
    assert types[:5] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == TEXT
    completed = events[-1].response
    assert completed.output_text == TEXT
    assert (completed.usage.input_tokens, completed.usage.output_tokens) == (21, 13)


@pytest.mark.parametrize("prefix", ["ant", "oai"])
@pytest.mark.parametrize("stream", [False, True])
async def test_function_call_round_trip(nr: TwoFormats, prefix: str, stream: bool) -> None:
    client = nr.openai()
    first_input: list[Any] = [
        {
            "type": "message",
            "role": "developer",
            "content": [{"type": "input_text", "text": "You are Codex."}],
        },
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "ls please"}],
        },
    ]
    body: dict[str, Any] = {
        "model": f"{prefix}/fake-tools",
        "tools": [EXEC],
        "parallel_tool_calls": True,
    }
    if stream:
        events = await events_of(nr, input=first_input, **body)
        types = [e.type for e in events]
        assert "response.function_call_arguments.delta" in types
        assert types.index("response.function_call_arguments.done") < types.index(
            "response.completed"
        )
        output = events[-1].response.output
    else:
        output = (await client.responses.create(input=first_input, **body)).output
    calls = [item for item in output if item.type == "function_call"]
    assert len(calls) == 1
    call = calls[0]
    assert (call.name, json.loads(call.arguments)) == ("exec_command", {"cmd": "ls"})

    second_input = [
        *first_input,
        *[item.model_dump(exclude_none=True) for item in output],
        {"type": "function_call_output", "call_id": call.call_id, "output": "Output:\nREADME.md\n"},
    ]
    second = await client.responses.create(input=second_input, **body)
    assert second.output_text.startswith("The listing does not show")
    if prefix == "ant":
        sent = nr.ant.requests[-1].body
        assert sent["system"] == "You are Codex."
        assistant, result = sent["messages"][1], sent["messages"][2]
        tool_use = [b for b in assistant["content"] if b["type"] == "tool_use"][0]
        assert tool_use["id"] == call.call_id and tool_use["input"] == {"cmd": "ls"}
        assert result["content"] == [
            {"type": "tool_result", "tool_use_id": call.call_id, "content": "Output:\nREADME.md\n"}
        ]
        assert sent["tools"][0]["name"] == "exec_command"
    else:
        sent = nr.oai.requests[-1].body
        assert sent["messages"][0] == {"role": "system", "content": "You are Codex."}
        assert sent["messages"][2]["tool_calls"][0]["id"] == call.call_id
        assert sent["messages"][3] == {
            "role": "tool",
            "tool_call_id": call.call_id,
            "content": "Output:\nREADME.md\n",
        }


@pytest.mark.parametrize("prefix", ["ant", "oai"])
async def test_custom_tool_travels_as_a_function_and_comes_back_custom(
    nr: TwoFormats, prefix: str
) -> None:
    patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"
    fake = nr.ant if prefix == "ant" else nr.oai
    fake.turns.append(Turn(text="", tools=[("apply_patch", {"input": patch})]))
    events = await events_of(
        nr, model=f"{prefix}/fake-a", input="add a file", tools=[EXEC, APPLY_PATCH]
    )
    done = [e.item for e in events if e.type == "response.output_item.done"]
    assert [(i.type, i.name, i.input) for i in done] == [("custom_tool_call", "apply_patch", patch)]
    assert [e.input for e in events if e.type == "response.custom_tool_call_input.done"] == [patch]
    sent_tools = fake.requests[-1].body["tools"]
    names = [t.get("name") or t["function"]["name"] for t in sent_tools]
    assert names == ["exec_command", "apply_patch"]

    # Replayed as Codex does: the custom call and its output.
    fake.turns.append(Turn(text="done"))
    await nr.openai().responses.create(
        model=f"{prefix}/fake-a",
        tools=[EXEC, APPLY_PATCH],
        input=[
            {"type": "message", "role": "user", "content": "add a file"},
            done[0].model_dump(exclude_none=True),
            {"type": "custom_tool_call_output", "call_id": done[0].call_id, "output": "Success."},
        ],
    )
    sent = fake.requests[-1].body["messages"]
    if prefix == "ant":
        assert sent[1]["content"][0]["input"] == {"input": patch}
    else:
        assert json.loads(sent[1]["tool_calls"][0]["function"]["arguments"]) == {"input": patch}


async def test_codex_shaped_request_drops_tools_it_cannot_forward(nr: TwoFormats) -> None:
    body = {
        "model": "oai/fake-a",
        "stream": True,
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "sess-1",
        "reasoning": {"effort": "medium", "summary": "auto"},
        "text": {"verbosity": "low"},
        "parallel_tool_calls": True,
        "client_metadata": {"x": "y"},
        "tools": [
            EXEC,
            {"type": "web_search", "external_web_access": False},
            {"type": "namespace", "name": "multi_agent_v1", "description": "", "tools": [EXEC]},
            {"type": "tool_search", "execution": "client"},
        ],
        "input": [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "sys A"}],
            },
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "sys B"}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        ],
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{nr.root}/v1/responses",
            json=body,
            headers={"Authorization": f"Bearer {nr.key}", "session-id": "sess-1"},
        ) as resp:
            raw = await resp.read()
    assert resp.status == 200
    assert b"event: response.completed" in raw
    sent = nr.oai.requests[-1].body
    assert [t["function"]["name"] for t in sent["tools"]] == ["exec_command"]
    assert sent["messages"] == [
        {"role": "system", "content": "sys A\n\nsys B"},
        {"role": "user", "content": "hi"},
    ]
    for key in ("store", "include", "prompt_cache_key", "reasoning_effort", "client_metadata"):
        assert key not in sent
    assert sent["stream_options"] == {"include_usage": True}


async def test_anthropic_thinking_round_trips_through_encrypted_content(nr: TwoFormats) -> None:
    events = await events_of(nr, model="ant/fake-think", input="hi")
    types = [e.type for e in events]
    assert "response.reasoning_summary_text.delta" in types
    output = events[-1].response.output
    assert [item.type for item in output] == ["reasoning", "message"]
    reasoning = output[0]
    assert reasoning.summary[0].text == "Let me think about this step by step."
    assert reasoning.encrypted_content

    await nr.openai().responses.create(
        model="ant/fake-a",
        reasoning={"effort": "low"},
        input=[
            {"type": "message", "role": "user", "content": "hi"},
            *[item.model_dump(exclude_none=True) for item in output],
            {"type": "message", "role": "user", "content": "again"},
        ],
    )
    sent = nr.ant.requests[-1].body
    assert sent["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": "Let me think about this step by step.",
        "signature": SIGNATURE,
    }
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048}


@pytest.mark.parametrize("prefix", ["ant", "oai"])
@pytest.mark.parametrize("mode", ["drop-after-3", "error-mid"])
async def test_failure_after_commit_ends_with_response_failed(
    nr: TwoFormats, prefix: str, mode: str
) -> None:
    events = await events_of(nr, model=f"{prefix}/{mode}", input="hi")
    types = [e.type for e in events]
    assert "response.output_text.delta" in types
    assert types[-1] == "response.failed"
    assert "response.completed" not in types
    assert events[-1].response.status == "failed"
    assert events[-1].response.error.code == "server_error"


async def test_length_finish_is_incomplete(nr: TwoFormats) -> None:
    nr.oai.turns.append(Turn(stop="length"))
    events = await events_of(nr, model="oai/fake-a", input="hi")
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"


async def test_unknown_model_is_openai_shaped_404(nr: TwoFormats) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await nr.openai().responses.create(model="nope/x", input="hi")
    assert info.value.body["code"] == "model_not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"model": "oai/fake-a"},
        {"model": "oai/fake-a", "input": "hi", "previous_response_id": "resp_1"},
    ],
)
async def test_bad_responses_bodies_are_openai_400(nr: TwoFormats, body: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{nr.root}/v1/responses", json=body, headers={"Authorization": f"Bearer {nr.key}"}
        ) as resp:
            data = await resp.json()
    assert resp.status == 400
    assert data["error"]["type"] == "invalid_request_error"
    assert nr.oai.requests == []
