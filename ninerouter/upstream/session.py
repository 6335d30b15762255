"""The one shared aiohttp ClientSession and the per-phase timeouts of upstream calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import aiohttp

CONNECTION_LIMIT = 2048


@dataclass(frozen=True)
class Timeouts:
    """Seconds. None of them is infinite."""

    connect: float = 10.0
    first_byte: float = 120.0
    idle: float = 300.0
    total: float = 600.0

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Timeouts:
        def seconds(key: str, default: float) -> float:
            value = settings.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                return float(value) / 1000
            return default

        return cls(
            connect=seconds("connectTimeoutMs", cls.connect),
            first_byte=seconds("firstByteTimeoutMs", cls.first_byte),
            idle=seconds("streamIdleTimeoutMs", cls.idle),
            total=seconds("requestTimeoutMs", cls.total),
        )

    @cached_property
    def for_stream(self) -> aiohttp.ClientTimeout:
        """Streams: first byte and idle gaps are timed by the relay itself."""
        return aiohttp.ClientTimeout(total=None, connect=self.connect, sock_connect=self.connect)

    @cached_property
    def for_json(self) -> aiohttp.ClientTimeout:
        """Whole bodies: no gap longer than the first-byte timeout; the caller bounds the total."""
        return aiohttp.ClientTimeout(
            total=None, connect=self.connect, sock_connect=self.connect, sock_read=self.first_byte
        )


def new_session() -> aiohttp.ClientSession:
    """Keep-alive pool shared by every upstream call; far more than 100 connections allowed."""
    connector = aiohttp.TCPConnector(
        limit=CONNECTION_LIMIT, limit_per_host=0, ttl_dns_cache=300, keepalive_timeout=60
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None),
        skip_auto_headers=("User-Agent",),
    )
