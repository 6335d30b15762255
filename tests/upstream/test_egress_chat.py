"""Chat requests through the real server, each account through its own proxy (T21): the proxies and
the fake upstream show who went where; a dead proxy fails over to the next account, never direct."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from ninerouter.home import Home
from ninerouter.proxy.app import create_app
from ninerouter.proxy.runtime import RUNTIME, Runtime
from ninerouter.services.keys import read_initial_key
from ninerouter.services.providers import NewConnection, add_connection
from ninerouter.services.proxies import assign_pool
from ninerouter.store import Store
from ninerouter.store.proxy_pools import ProxyPools, new_pool_row
from tests.fakes.egress import FakeProxy, closed_port
from tests.fakes.upstream import FakeUpstream
from tests.upstream.conftest import PASSWORD, USER, StartProxy


@dataclass
class Server:
    url: str
    key: str
    runtime: Runtime
    http: aiohttp.ClientSession

    async def chat(self, model: str, stream: bool = False) -> tuple[int, dict[str, str], bytes]:
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream}
        async with self.http.post(
            f"{self.url}/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {self.key}"},
        ) as resp:
            return resp.status, dict(resp.headers), await resp.read()


def add_pool(store: Store, url: str) -> str:
    row = new_pool_row("pool", url)
    with store.write():
        ProxyPools(store.db).insert_rows([row])
    return str(row["id"])


def add_account(store: Store, name: str, base: str, prefix: str, proxy: str | None = None) -> None:
    add_connection(
        store,
        NewConnection(
            provider="openai-compatible",
            name=name,
            api_key=f"key-{name}",
            base_url=base,
            prefix=prefix,
            proxy=proxy,
        ),
    )


@pytest.fixture
async def serve(
    home: Home, store: Store, aiohttp_server
) -> AsyncIterator[Callable[[], Awaitable[Server]]]:
    sessions: list[aiohttp.ClientSession] = []

    async def start() -> Server:
        app = create_app(home)
        server = await aiohttp_server(app)
        runtime = app[RUNTIME]
        http = aiohttp.ClientSession()
        sessions.append(http)
        key = read_initial_key(home)
        assert key
        return Server(str(server.make_url("")).rstrip("/"), key, runtime, http)

    yield start
    for http in sessions:
        await http.close()


async def test_two_accounts_two_proxies(
    store: Store, fake_upstream: tuple[FakeUpstream, Any], proxies: StartProxy, serve
) -> None:
    fake, upstream = fake_upstream
    base = str(upstream.make_url("/v1"))
    http_proxy = await proxies("http")
    socks = await proxies("socks5", "b-user", "b:p@ss/%")
    add_account(store, "a", base, "pa", proxy=http_proxy.url())
    add_account(store, "b", base, "pb")
    assign_pool(store, "b", add_pool(store, socks.url()))
    server = await serve()
    assert (await server.chat("pa/fake-a"))[0] == 200
    status, headers, raw = await server.chat("pb/fake-a", stream=True)
    assert status == 200 and raw.endswith(b"data: [DONE]\n\n")
    target = f"127.0.0.1:{upstream.port}"
    assert [(t.username, t.password, t.target) for t in http_proxy.tunnels] == [
        (USER, PASSWORD, target)
    ]
    assert [(t.username, t.password, t.target) for t in socks.tunnels] == [
        ("b-user", "b:p@ss/%", target)
    ]
    assert (fake.hits("key-a"), fake.hits("key-b")) == (1, 1)


@pytest.mark.parametrize("failure", ["closed-port", "http-407", "socks5-auth"])
@pytest.mark.parametrize("stream", [False, True])
async def test_a_dead_proxy_fails_over_and_never_goes_direct(
    failure: str,
    stream: bool,
    store: Store,
    fake_upstream: tuple[FakeUpstream, Any],
    proxies: StartProxy,
    serve,
) -> None:
    fake, upstream = fake_upstream
    base = str(upstream.make_url("/v1"))
    good: FakeProxy = await proxies("socks5")
    if failure == "closed-port":
        dead = f"http://user:dead-secret-1@127.0.0.1:{closed_port()}"
    else:
        bad = await proxies(failure.split("-")[0], mode="reject")
        dead = bad.url(password="dead-secret-1")
    add_account(store, "a", base, "fake", proxy=dead)  # priority 1: tried first
    add_account(store, "b", base, "fake")
    assign_pool(store, "b", add_pool(store, good.url()))
    server = await serve()
    for _ in range(2):  # the second time the dead proxy is cooling: skipped without a connection
        status, headers, raw = await server.chat("fake/fake-a", stream=stream)
        assert status == 200, raw
        assert "connection=b" in headers["x-ninerouter-route"]
        assert "skipped=a:" in headers["x-ninerouter-route"]
        assert b"dead-secret-1" not in raw and "dead-secret-1" not in json.dumps(headers)
    assert fake.hits("key-a") == 0  # never a direct request for the account behind the dead proxy
    assert fake.hits("key-b") == 2 and len(good.tunnels) >= 1
    assert [h["failures"] for h in server.runtime.egress.health()] == [1]


async def test_a_running_server_applies_a_pool_assignment_live(
    store: Store, fake_upstream: tuple[FakeUpstream, Any], proxies: StartProxy, serve
) -> None:
    fake, upstream = fake_upstream
    add_account(store, "a", str(upstream.make_url("/v1")), "fake")
    server = await serve()
    assert (await server.chat("fake/fake-a"))[0] == 200  # direct: no proxy configured yet
    proxy = await proxies("http")
    pool_id = add_pool(store, proxy.url())
    assign_pool(store, "a", pool_id)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        config = server.runtime.config.current
        conn = next(c for c in config.connections if c.name == "a")
        if conn.specific.get("proxyPoolId") == pool_id and pool_id in config.proxy_pools:
            break
        await asyncio.sleep(0.05)
    assert (await server.chat("fake/fake-a"))[0] == 200
    assert len(proxy.tunnels) == 1 and fake.hits("key-a") == 2
