"""Real egress proxies on loopback for the upstream tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.fakes.egress import FakeProxy

USER, PASSWORD = "us@er", "p:s/s%@x"  # decoded; every one of @ : / % must survive

StartProxy = Callable[..., Awaitable[FakeProxy]]


@pytest.fixture
async def proxies() -> AsyncIterator[StartProxy]:
    """start(kind, username=USER, password=PASSWORD, mode="ok") -> a running FakeProxy."""
    started: list[FakeProxy] = []

    async def start(
        kind: str, username: str | None = USER, password: str | None = PASSWORD, mode: str = "ok"
    ) -> FakeProxy:
        proxy = await FakeProxy(kind, username, password, mode).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        await proxy.stop()
