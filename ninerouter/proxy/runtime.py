"""What a running server holds: typed app keys and the Runtime object behind them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from ninerouter.home import Home
from ninerouter.models import UsageRecord
from ninerouter.proxy.auth import presented_key
from ninerouter.proxy.live_config import LiveConfig
from ninerouter.routing.config import RouterConfig
from ninerouter.routing.health import HealthBook
from ninerouter.routing.select import RoutingState
from ninerouter.routing.throttle import Throttle
from ninerouter.upstream.egress import Egress
from ninerouter.upstream.session import Timeouts

MAX_PENDING_USAGE = 100_000


@dataclass
class Runtime:
    home: Home
    config: LiveConfig
    clock: Callable[[], float] = time.time
    log_requests: bool = False
    started_at: float = 0.0
    models_cache: dict[str, tuple[float, list[str]]] = field(default_factory=dict)
    pending_usage: list[UsageRecord] = field(default_factory=list)
    dropped_usage: int = 0
    _timeouts: tuple[RouterConfig, Timeouts] | None = None

    def __post_init__(self) -> None:
        self.egress = Egress()
        self.health = HealthBook(self.clock)
        self.routing = RoutingState(self.clock)
        self.throttle = Throttle(time.monotonic)

    @property
    def http(self) -> aiohttp.ClientSession:
        """The direct session (for calls that belong to no account)."""
        return self.egress.direct

    def timeouts(self, config: RouterConfig) -> Timeouts:
        """Timeouts of the current settings, computed once per config snapshot."""
        cached = self._timeouts
        if cached is None or cached[0] is not config:
            cached = (config, Timeouts.from_settings(config.settings))
            self._timeouts = cached
        return cached[1]

    def key_ref(self, request: web.Request, config: RouterConfig) -> str | None:
        return config.key_id(presented_key(request))

    def record_usage(self, record: UsageRecord) -> None:
        """Queue a usage row; the persister writes queued rows in batches off the event loop."""
        if len(self.pending_usage) >= MAX_PENDING_USAGE:
            self.dropped_usage += 1
            return
        self.pending_usage.append(record)

    def adopt(self, config: RouterConfig) -> None:
        """Seed in-memory routing state from a freshly loaded config (restart, edits)."""
        self.egress.update(config.proxy_pools.values())
        for conn in config.connections:
            self.health.seed(conn.id, conn.data, conn.updated_at)
        for provider, conns in config.by_provider.items():
            self.routing.restore_rotation(provider, conns)


RUNTIME = web.AppKey("runtime", Runtime)
