from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import openai
import pytest
from aiohttp.test_utils import TestServer

from ninerouter.home import Home
from ninerouter.proxy.app import create_app
from ninerouter.services.keys import read_initial_key
from ninerouter.services.providers import NewConnection, add_connection
from ninerouter.store import Store
from tests.fakes.upstream import FakeUpstream


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """Every test gets its own data dir; nothing touches a real home."""
    root = tmp_path / "home"
    monkeypatch.setenv("NINEROUTER_DATA_DIR", str(root))
    monkeypatch.delenv("DATA_DIR", raising=False)
    return Home(root).ensure()


@pytest.fixture
def store(home: Home) -> Store:
    s = Store(home.db_path)
    yield s
    s.close()


@pytest.fixture
async def fake_upstream(aiohttp_server) -> AsyncIterator[tuple[FakeUpstream, TestServer]]:
    fake = FakeUpstream()
    server = await aiohttp_server(fake.app())
    yield fake, server


@dataclass
class Router:
    server: TestServer
    key: str
    fake: FakeUpstream
    store: Store
    clients: list[openai.AsyncOpenAI] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("/v1"))

    def openai(self, key: str | None = None) -> openai.AsyncOpenAI:
        client = openai.AsyncOpenAI(base_url=self.base_url, api_key=key or self.key, max_retries=0)
        self.clients.append(client)
        return client


@pytest.fixture
async def router(home: Home, store: Store, fake_upstream, aiohttp_server) -> AsyncIterator[Router]:
    """ninerouter on 127.0.0.1 with one account on the fake upstream, under the prefix `fake/`."""
    fake, upstream = fake_upstream
    add_connection(
        store,
        NewConnection(
            provider="openai-compatible",
            name="acc1",
            api_key="sk-upstream-secret-0001",
            base_url=str(upstream.make_url("/v1")),
            prefix="fake",
        ),
    )
    server = await aiohttp_server(create_app(home))
    key = read_initial_key(home)
    assert key
    r = Router(server, key, fake, store)
    yield r
    for client in r.clients:
        await client.close()
