"""Egress: which outbound route (direct, or an HTTP/SOCKS proxy) an account's upstream calls take.

This module owns the ClientSessions: one shared session for direct calls and, later, one cached
session per distinct proxy. Every upstream call of an account (chat, token refresh, model listing,
tests) must get its session from `session_for`, so that a proxied account never leaks to direct.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from ninerouter.models import Connection
from ninerouter.upstream.session import new_session


class Egress:
    def __init__(self) -> None:
        self._direct: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._direct = new_session()

    async def close(self) -> None:
        if self._direct is not None:
            await self._direct.close()
            self._direct = None

    @property
    def direct(self) -> aiohttp.ClientSession:
        if self._direct is None:
            raise RuntimeError("egress is not open")
        return self._direct

    def session_for(self, conn: Connection, settings: Mapping[str, Any]) -> aiohttp.ClientSession:
        """The session an upstream call of `conn` must use."""
        return self.direct
