"""What a running server holds: typed app keys and the Runtime object behind them."""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from ninerouter.home import Home
from ninerouter.proxy.live_config import LiveConfig


@dataclass
class Runtime:
    home: Home
    config: LiveConfig
    session: aiohttp.ClientSession | None = None
    log_requests: bool = False
    started_at: float = 0.0
    models_cache: dict[str, tuple[float, list[str]]] = field(default_factory=dict)

    @property
    def http(self) -> aiohttp.ClientSession:
        if self.session is None:
            raise RuntimeError("the upstream session is not open")
        return self.session


RUNTIME = web.AppKey("runtime", Runtime)
