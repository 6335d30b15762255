"""ninerouter with one Anthropic-compatible and one OpenAI-compatible account on scripted fakes.

Models: `ant/<name>` goes to FakeAnthropic, `oai/<name>` to FakeOpenAI; the name picks the fake's
behaviour (see anthropic_upstream.choose_turn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anthropic
import openai
from aiohttp.test_utils import TestServer

from ninerouter.home import Home
from ninerouter.proxy.app import create_app
from ninerouter.services.keys import read_initial_key
from ninerouter.services.providers import NewConnection, add_connection
from ninerouter.store import Store
from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.fakes.openai_upstream import FakeOpenAI

ANT_KEY = "sk-ant-upstream-secret-0001"
OAI_KEY = "sk-oai-upstream-secret-0001"


@dataclass
class TwoFormats:
    server: TestServer
    key: str
    ant: FakeAnthropic
    oai: FakeOpenAI
    clients: list[Any] = field(default_factory=list)

    @property
    def root(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def openai(self) -> openai.AsyncOpenAI:
        client = openai.AsyncOpenAI(base_url=f"{self.root}/v1", api_key=self.key, max_retries=0)
        self.clients.append(client)
        return client

    def anthropic(self, base: str = "") -> anthropic.AsyncAnthropic:
        client = anthropic.AsyncAnthropic(
            base_url=f"{self.root}{base}", api_key=self.key, max_retries=0
        )
        self.clients.append(client)
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


async def start(
    home: Home, store: Store, aiohttp_server: Any, *, ant_accounts: int = 1
) -> TwoFormats:
    ant, oai = FakeAnthropic(), FakeOpenAI()
    ant_server = await aiohttp_server(ant.app())
    oai_server = await aiohttp_server(oai.app())
    for n in range(ant_accounts):
        add_connection(
            store,
            NewConnection(
                provider="anthropic-compatible",
                name=f"ant{n + 1}",
                api_key=ANT_KEY if n == 0 else f"{ANT_KEY}-{n + 1}",
                base_url=str(ant_server.make_url("/v1")),
                prefix="ant",
            ),
        )
    add_connection(
        store,
        NewConnection(
            provider="openai-compatible",
            name="oai1",
            api_key=OAI_KEY,
            base_url=str(oai_server.make_url("/v1")),
            prefix="oai",
        ),
    )
    server = await aiohttp_server(create_app(home))
    key = read_initial_key(home)
    assert key
    return TwoFormats(server, key, ant, oai)
