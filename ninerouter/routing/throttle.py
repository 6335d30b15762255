"""Per-account throttle (the tutorial's Settings → Throttle), pure state with an injected clock.

Limits come from settings `throttle` ({"minIntervalMs", "maxConcurrent", "maxWaitMs"}) and may be
overridden per connection by the connection's own `throttle` object. A request that finds an account
busy tries another account; when every account is busy it waits, at most `maxWaitMs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ninerouter.models import Connection

DEFAULT_MAX_WAIT = 2.0


@dataclass(frozen=True)
class Limits:
    min_interval: float = 0.0
    max_concurrent: int = 0  # 0 = unlimited
    max_wait: float = DEFAULT_MAX_WAIT

    @property
    def active(self) -> bool:
        return self.min_interval > 0 or self.max_concurrent > 0


def _number(source: Mapping[str, Any], key: str) -> float | None:
    value = source.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def limits_for(settings: Mapping[str, Any], conn: Connection) -> Limits:
    merged: dict[str, Any] = {}
    for source in (settings.get("throttle"), conn.data.get("throttle")):
        if isinstance(source, dict):
            merged.update(source)
    interval = _number(merged, "minIntervalMs") or 0.0
    concurrent = _number(merged, "maxConcurrent") or 0.0
    wait = _number(merged, "maxWaitMs")
    return Limits(
        interval / 1000, int(concurrent), DEFAULT_MAX_WAIT if wait is None else wait / 1000
    )


@dataclass
class Throttle:
    clock: Callable[[], float]
    inflight: dict[str, int] = field(default_factory=dict)
    last_start: dict[str, float] = field(default_factory=dict)

    def wait_time(self, conn_id: str, limits: Limits) -> float | None:
        """0 when the account may start a request now, else seconds until it may (None: until one
        of its in-flight requests finishes)."""
        if not limits.active:
            return 0.0
        if limits.max_concurrent and self.inflight.get(conn_id, 0) >= limits.max_concurrent:
            return None
        if limits.min_interval:
            last = self.last_start.get(conn_id)
            if last is not None:
                return max(0.0, last + limits.min_interval - self.clock())
        return 0.0

    def start(self, conn_id: str) -> None:
        self.inflight[conn_id] = self.inflight.get(conn_id, 0) + 1
        self.last_start[conn_id] = self.clock()

    def finish(self, conn_id: str) -> None:
        left = self.inflight.get(conn_id, 0) - 1
        if left > 0:
            self.inflight[conn_id] = left
        else:
            self.inflight.pop(conn_id, None)
