"""A real ninerouter server with a logged-in client (cookie jar), and a fake clock for expiries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ninerouter.home import Home
from ninerouter.proxy.app import create_app
from ninerouter.proxy.runtime import RUNTIME, Runtime
from tests.fakes.clock import FakeClock

CANARY_KEY = "sk-canary-provider-0123456789abcdef"


@dataclass
class Admin:
    client: TestClient
    app: web.Application
    clock: FakeClock

    @property
    def runtime(self) -> Runtime:
        return self.app[RUNTIME]

    async def call(
        self, method: str, path: str, body: Any = None, **kwargs: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """(status, parsed JSON or raw text, response)."""
        if body is not None:
            kwargs["json"] = body
        async with self.client.request(method, path, **kwargs) as resp:
            raw = await resp.read()
            try:
                data: Any = await resp.json(content_type=None) if raw else None
            except ValueError:
                data = raw.decode()
            return resp.status, data, resp

    async def login(self, password: str = "123456") -> int:
        status, _, _ = await self.call("POST", "/api/auth/login", {"password": password})
        return status


@pytest.fixture
async def admin(home: Home, aiohttp_client: Any) -> AsyncIterator[Admin]:
    """Not logged in yet."""
    clock = FakeClock()
    app = create_app(home, clock=clock)
    client = await aiohttp_client(app)
    yield Admin(client, app, clock)


@pytest.fixture
async def logged_in(admin: Admin) -> Admin:
    assert await admin.login() == 200
    return admin
