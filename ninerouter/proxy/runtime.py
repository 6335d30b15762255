"""What a running server holds: typed app keys and the Runtime object behind them."""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from ninerouter.home import Home
from ninerouter.proxy.live_config import LiveConfig
from ninerouter.routing.config import RouterConfig
from ninerouter.upstream.session import Timeouts


@dataclass
class Runtime:
    home: Home
    config: LiveConfig
    session: aiohttp.ClientSession | None = None
    log_requests: bool = False
    started_at: float = 0.0
    models_cache: dict[str, tuple[float, list[str]]] = field(default_factory=dict)
    _timeouts: tuple[RouterConfig, Timeouts] | None = None

    def timeouts(self, config: RouterConfig) -> Timeouts:
        """Timeouts of the current settings, computed once per config snapshot."""
        cached = self._timeouts
        if cached is None or cached[0] is not config:
            cached = (config, Timeouts.from_settings(config.settings))
            self._timeouts = cached
        return cached[1]

    @property
    def http(self) -> aiohttp.ClientSession:
        if self.session is None:
            raise RuntimeError("the upstream session is not open")
        return self.session


RUNTIME = web.AppKey("runtime", Runtime)
