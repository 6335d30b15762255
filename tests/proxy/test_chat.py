"""The real openai SDK through the real server to a fake upstream on loopback."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import openai
import pytest

from ninerouter.services.keys import create_key, revoke_key
from ninerouter.services.providers import NewConnection, add_connection
from tests.fakes.upstream import CHUNKS, TEXT

MESSAGES = [{"role": "user", "content": "hi"}]


async def test_non_stream_content_arrives_intact(router) -> None:
    raw = await router.openai().chat.completions.with_raw_response.create(
        model="fake/fake-a", messages=MESSAGES
    )
    result = raw.parse()
    assert result.choices[0].message.content == TEXT
    assert result.usage.total_tokens == 14
    assert "connection=acc1" in raw.headers["x-ninerouter-route"]
    seen = router.fake.requests[-1]
    assert seen.body["model"] == "fake-a"
    assert seen.body["messages"] == MESSAGES
    assert seen.headers["Authorization"] == "Bearer sk-upstream-secret-0001"


async def test_stream_content_arrives_chunk_for_chunk(router) -> None:
    stream = await router.openai().chat.completions.create(
        model="fake/fake-a", messages=MESSAGES, stream=True
    )
    pieces = [
        c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content
    ]
    assert pieces == CHUNKS
    assert "".join(pieces) == TEXT


async def test_stream_has_exactly_one_terminator(router) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{router.base_url}/chat/completions",
            headers={"Authorization": f"Bearer {router.key}"},
            json={"model": "fake/fake-a", "messages": MESSAGES, "stream": True},
        ) as resp:
            assert resp.status == 200
            assert resp.content_type == "text/event-stream"
            raw = await resp.read()
    assert raw.count(b"data: [DONE]") == 1
    assert raw.endswith(b"data: [DONE]\n\n")


@pytest.mark.parametrize("key", ["wrong-key", "sk-" + "0" * 40])
async def test_bad_key_is_401_in_openai_envelope(router, key: str) -> None:
    with pytest.raises(openai.AuthenticationError) as info:
        await router.openai(key=key).chat.completions.create(model="fake/fake-a", messages=MESSAGES)
    assert info.value.status_code == 401
    assert info.value.body["type"] == "authentication_error"
    assert info.value.response.headers["WWW-Authenticate"] == "Bearer"
    assert router.fake.requests == []


async def test_missing_key_and_query_key_are_refused(router) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{router.base_url}/chat/completions"
        body = {"model": "fake/fake-a", "messages": MESSAGES}
        async with http.post(url, json=body) as missing:
            first = await missing.json()
        async with http.post(f"{url}?key={router.key}", json=body) as query:
            second = await query.json()
    assert missing.status == query.status == 401
    assert first == second
    assert set(first["error"]) == {"message", "type", "code"}


async def test_x_api_key_header_is_accepted(router) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{router.base_url}/chat/completions",
            headers={"x-api-key": router.key},
            json={"model": "fake/fake-a", "messages": MESSAGES},
        ) as resp:
            assert resp.status == 200
            assert (await resp.json())["choices"][0]["message"]["content"] == TEXT


async def test_upstream_500_gives_openai_shaped_error(router) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        await router.openai().chat.completions.create(model="fake/fail-500", messages=MESSAGES)
    assert info.value.status_code == 500
    assert info.value.body["type"] == "server_error"
    assert "[500]: injected 500" in info.value.body["message"]
    assert "sk-upstream-secret-0001" not in json.dumps(info.value.body)


async def test_upstream_429_passes_retry_after(router) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        await router.openai().chat.completions.create(model="fake/fail-429", messages=MESSAGES)
    assert info.value.response.headers["Retry-After"] == "7"


async def test_html_success_is_not_relayed_as_the_api(router) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        await router.openai().chat.completions.create(model="fake/html", messages=MESSAGES)
    assert info.value.status_code == 502
    assert "text/html" in info.value.body["message"]


async def test_drop_mid_stream_ends_with_error_event_and_no_done(router) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{router.base_url}/chat/completions",
            headers={"Authorization": f"Bearer {router.key}"},
            json={"model": "fake/drop-after-3", "messages": MESSAGES, "stream": True},
        ) as resp:
            raw = await resp.read()
    events = [e for e in raw.split(b"\n\n") if e]
    assert b"[DONE]" not in raw
    contents = [json.loads(e[6:])["choices"][0]["delta"]["content"] for e in events[:-1]]
    assert contents == CHUNKS[:3]
    last = json.loads(events[-1][6:])
    assert last["error"]["type"] == "upstream_error"


async def test_stalled_stream_ends_with_error_after_idle_timeout(router) -> None:
    from ninerouter.services.settings import set_setting

    set_setting(router.store, "streamIdleTimeoutMs", 300)
    await asyncio.sleep(0.6)
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{router.base_url}/chat/completions",
            headers={"Authorization": f"Bearer {router.key}"},
            json={"model": "fake/stall-after-2", "messages": MESSAGES, "stream": True},
        ) as resp:
            raw = await resp.read()
    assert time.monotonic() - started < 3
    assert b"upstream stream stalled" in raw
    assert b"[DONE]" not in raw


async def test_client_disconnect_mid_stream_cancels_upstream(router) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{router.base_url}/chat/completions",
            headers={"Authorization": f"Bearer {router.key}"},
            json={"model": "fake/stall-after-2", "messages": MESSAGES, "stream": True},
        ) as resp:
            await resp.content.readuntil(b"\n\n")
    for _ in range(100):
        if router.fake.aborted:
            break
        await asyncio.sleep(0.02)
    assert router.fake.aborted == ["stall-after-2"]


async def test_unknown_prefix_is_404_naming_known_prefixes(router) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await router.openai().chat.completions.create(model="fak/fake-a", messages=MESSAGES)
    message = info.value.body["message"]
    assert (
        "fake/" in message and "openrouter/" in message and "Did you mean 'fake/fake-a'" in message
    )
    assert info.value.body["code"] == "model_not_found"
    assert router.fake.requests == []


@pytest.mark.parametrize(
    ("data", "ctype", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1,2]", "application/json", 400),
        (b'{"messages":[]}', "application/json", 400),
        (b'{"model":"fake/x","stream":"yes"}', "application/json", 400),
        (b'{"model":"fake/fake-a"}', "text/plain", 415),
        (b'{"model":"fake/fake-a"}', "", 415),
    ],
)
async def test_bad_bodies_never_reach_upstream(
    router, data: bytes, ctype: str, status: int
) -> None:
    headers = {"Authorization": f"Bearer {router.key}"}
    if ctype:
        headers["Content-Type"] = ctype
    async with aiohttp.ClientSession(skip_auto_headers=["Content-Type"]) as http:
        async with http.post(
            f"{router.base_url}/chat/completions", data=data, headers=headers
        ) as resp:
            body = await resp.json()
    assert resp.status == status
    assert body["error"]["type"] == "invalid_request_error"
    assert router.fake.requests == []


async def test_loop_back_into_ourselves_is_refused(router) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{router.base_url}/chat/completions",
            headers={"Authorization": f"Bearer {router.key}", "CDN-Loop": "ninerouter"},
            json={"model": "fake/fake-a", "messages": MESSAGES},
        ) as resp:
            assert resp.status == 508
    assert router.fake.requests == []


async def test_cli_writes_are_served_without_restart(router, aiohttp_server) -> None:
    from tests.fakes.upstream import FakeUpstream

    second = FakeUpstream()
    server2 = await aiohttp_server(second.app())
    key = create_key(router.store, "late")
    add_connection(
        router.store,
        NewConnection(
            provider="openai-compatible",
            name="late-acc",
            api_key="sk-late-000000",
            base_url=str(server2.make_url("/v1")),
            prefix="late",
        ),
    )
    client = router.openai(key=key.key)
    deadline = time.monotonic() + 1.0
    while True:
        try:
            result = await client.chat.completions.create(model="late/fake-a", messages=MESSAGES)
            break
        except (openai.AuthenticationError, openai.NotFoundError):
            assert time.monotonic() < deadline, "change not picked up within 1 s"
            await asyncio.sleep(0.05)
    assert result.choices[0].message.content == TEXT
    assert second.requests[-1].headers["Authorization"] == "Bearer sk-late-000000"

    revoke_key(router.store, "late")
    deadline = time.monotonic() + 1.0
    while True:
        try:
            await client.chat.completions.create(model="late/fake-a", messages=MESSAGES)
        except openai.AuthenticationError:
            break
        assert time.monotonic() < deadline, "revocation not picked up within 1 s"
        await asyncio.sleep(0.05)


async def test_models_needs_no_key_and_lists_node_models(router) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{router.base_url}/models") as resp:
            data = await resp.json()
    ids = [m["id"] for m in data["data"]]
    assert ids == ["fake/fake-a", "fake/fake-b"]
    assert "sk-upstream" not in json.dumps(data)


async def test_health(router) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(str(router.server.make_url("/api/health"))) as resp:
            assert await resp.json() == {"ok": True}


async def test_alias_is_served_without_restart(router) -> None:
    from ninerouter.services.aliases import set_alias

    set_alias(router.store, "mine", "fake/fake-b")
    await asyncio.sleep(0.6)
    result = await router.openai().chat.completions.create(model="mine", messages=MESSAGES)
    assert result.choices[0].message.content == TEXT
    assert router.fake.requests[-1].body["model"] == "fake-b"


@pytest.mark.parametrize(
    "path", ["/v1/chat/completions", "/api/v1/chat/completions", "/v1/v1/chat/completions"]
)
async def test_base_url_variants_reach_chat(router, path: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            str(router.server.make_url(path)),
            headers={"Authorization": f"Bearer {router.key}"},
            json={"model": "fake/fake-a", "messages": MESSAGES},
        ) as resp:
            assert resp.status == 200
            assert (await resp.json())["choices"][0]["message"]["content"] == TEXT
