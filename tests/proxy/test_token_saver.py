"""The token saver on the request path: tool outputs shrink before they go upstream, on the
client's own format (passthrough included), with an opt-out header and setting; savings are
recorded in usage."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp

from ninerouter.proxy.persist import flush
from ninerouter.proxy.runtime import RUNTIME
from ninerouter.services.settings import set_setting
from tests.fakes.upstream import TEXT

DIFF = (Path(__file__).parents[1] / "golden" / "rtk" / "git_diff.in.txt").read_text()


def chat_body() -> dict:
    return {
        "model": "fake/fake-a",
        "messages": [
            {"role": "user", "content": "what changed?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "bash", "arguments": '{"cmd": "git diff"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": DIFF},
        ],
    }


async def post(router, body: dict, headers: dict | None = None) -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{router.base_url}/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {router.key}", **(headers or {})},
        ) as resp:
            assert resp.status == 200
            return await resp.json()


async def test_tool_output_is_shrunk_before_it_goes_upstream(router) -> None:
    answer = await post(router, chat_body())
    assert answer["choices"][0]["message"]["content"] == TEXT
    sent = router.fake.requests[-1].body["messages"]
    assert len(sent[2]["content"]) < len(DIFF) * 0.9
    assert sent[0] == chat_body()["messages"][0] and sent[1] == chat_body()["messages"][1]
    for line in DIFF.splitlines():
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
            assert line in sent[2]["content"]  # every changed line survives


async def test_the_header_and_the_setting_turn_it_off(router) -> None:
    await post(router, chat_body(), {"x-ninerouter-token-saver": "off"})
    assert router.fake.requests[-1].body["messages"][2]["content"] == DIFF
    set_setting(router.store, "rtkEnabled", False)
    await asyncio.sleep(0.6)
    await post(router, chat_body())
    assert router.fake.requests[-1].body["messages"][2]["content"] == DIFF


async def test_savings_are_recorded_in_usage(router) -> None:
    await post(router, chat_body())
    await flush(router.server.app[RUNTIME])
    meta = json.loads(next(router.store.db.query("SELECT meta FROM usageHistory"))["meta"])
    saver = meta["tokenSaver"]
    assert saver["before"] > saver["after"] > 0
