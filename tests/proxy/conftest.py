from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from ninerouter.home import Home
from ninerouter.proxy.app import create_app
from ninerouter.proxy.runtime import RUNTIME, Runtime
from ninerouter.services.keys import read_initial_key
from ninerouter.services.providers import NewConnection, add_connection
from ninerouter.services.settings import set_setting
from ninerouter.store import Store
from tests.fakes.clock import FakeClock
from tests.fakes.upstream import FakeUpstream


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def route(self) -> str:
        return self.headers.get("x-ninerouter-route", "")


@dataclass
class Fleet:
    """ninerouter with several accounts (keys key-a, key-b, …) on one fake upstream, prefix fake/."""

    server: TestServer
    key: str
    fake: FakeUpstream
    store: Store
    clock: FakeClock
    runtime: Runtime
    names: list[str]
    fake_base: str = ""
    http: aiohttp.ClientSession = field(default_factory=aiohttp.ClientSession)

    @property
    def fake_url(self) -> str:
        return self.fake_base

    def conn_id(self, name: str) -> str:
        return next(c.id for c in self.runtime.config.current.connections if c.name == name)

    async def chat(
        self,
        model: str = "fake/fake-a",
        *,
        stream: bool = False,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Reply:
        body = {
            "model": model,
            "messages": [{"role": "user", "content": "hi"}],
            "stream": stream,
            **extra,
        }
        async with self.http.post(
            str(self.server.make_url("/v1/chat/completions")),
            json=body,
            headers={"Authorization": f"Bearer {self.key}", **(headers or {})},
        ) as resp:
            return Reply(resp.status, dict(resp.headers), await resp.read())

    def hits(self) -> dict[str, int]:
        return {name: self.fake.hits(f"key-{name}") for name in self.names}


MakeFleet = Callable[..., Awaitable[Fleet]]


@pytest.fixture
async def make_fleet(
    home: Home, store: Store, fake_upstream, aiohttp_server
) -> AsyncIterator[MakeFleet]:
    fleets: list[Fleet] = []

    async def make(names: str = "abcd", **settings: Any) -> Fleet:
        fake, upstream = fake_upstream
        for name in names:
            add_connection(
                store,
                NewConnection(
                    provider="openai-compatible",
                    name=name,
                    api_key=f"key-{name}",
                    base_url=str(upstream.make_url("/v1")),
                    prefix="fake",
                ),
            )
        for key, value in settings.items():
            set_setting(store, key, value)
        clock = FakeClock()
        app = create_app(home, clock=clock)
        server = await aiohttp_server(app)
        key = read_initial_key(home)
        assert key
        fleet = Fleet(
            server,
            key,
            fake,
            store,
            clock,
            app[RUNTIME],
            list(names),
            str(upstream.make_url("/v1")),
        )
        fleets.append(fleet)
        return fleet

    yield make
    for fleet in fleets:
        await fleet.http.close()
