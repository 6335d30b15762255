"""Transport faults and size limits: catalogue T10 (DNS), T11 (TLS), T26 (body size)."""

from __future__ import annotations

import io
import ssl

import aiohttp
import trustme
from aiohttp import web

from ninerouter.services.providers import NewConnection, add_connection
from tests.fakes.upstream import TEXT


async def test_t10_dns_failure_fails_over_and_names_only_the_host(make_fleet, store) -> None:
    add_connection(
        store,
        NewConnection(
            provider="openai",
            name="nxd",
            api_key="key-nxd",
            base_url="https://api.provider.invalid/v1",
            priority=1,
        ),
    )
    fleet = await make_fleet("b")
    add_connection(
        store,
        NewConnection(provider="openai", name="live", api_key="key-b", base_url=fleet.fake_url),
    )
    await fleet.runtime.config.reload_now()
    reply = await fleet.chat("openai/fake-a")
    assert (
        reply.status == 200 and "connection=live" in reply.route and "nxd:transient" in reply.route
    )
    health = fleet.runtime.health.get(fleet.conn_id("nxd"))
    assert health.last_error == "dns_error: api.provider.invalid"


async def test_t11_untrusted_certificate_fails_over_without_retrying_insecurely(
    make_fleet, store, aiohttp_server
) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    seen: list[str] = []

    async def chat(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    tls = await aiohttp_server(app, ssl=context)
    add_connection(
        store,
        NewConnection(
            provider="openai",
            name="selfsigned",
            api_key="key-tls",
            base_url=f"https://127.0.0.1:{tls.port}/v1",
            priority=1,
        ),
    )
    fleet = await make_fleet("b")
    add_connection(
        store,
        NewConnection(provider="openai", name="live", api_key="key-b", base_url=fleet.fake_url),
    )
    await fleet.runtime.config.reload_now()
    reply = await fleet.chat("openai/fake-a")
    assert reply.status == 200 and "connection=live" in reply.route
    assert seen == []  # the handshake failed; nothing was sent with verification off
    assert fleet.runtime.health.get(fleet.conn_id("selfsigned")).last_error.startswith(
        "tls_error: 127.0.0.1"
    )


async def test_t26_body_size_limits(router) -> None:
    big = {
        "model": "fake/fake-a",
        "messages": [{"role": "user", "content": "x" * (8 * 1024 * 1024)}],
    }
    auth = {"Authorization": f"Bearer {router.key}"}
    url = f"{router.base_url}/chat/completions"
    async with aiohttp.ClientSession() as http:
        async with http.post(
            url,
            data=io.BytesIO(__import__("json").dumps(big).encode()),
            headers={**auth, "Content-Type": "application/json"},
        ) as ok:
            assert (
                ok.status == 200 and (await ok.json())["choices"][0]["message"]["content"] == TEXT
            )
        huge = io.BytesIO(
            b'{"model":"fake/fake-a","messages":[{"role":"user","content":"'
            + b"x" * (33 * 1024 * 1024)
            + b'"}]}'
        )
        async with http.post(
            url, data=huge, headers={**auth, "Content-Type": "application/json"}
        ) as resp:
            body = await resp.json()
    assert resp.status == 413 and body["error"]["type"] == "invalid_request_error"
    assert len(router.fake.requests) == 1
    assert len(router.fake.requests[0].body["messages"][0]["content"]) == 8 * 1024 * 1024
