"""The attempt loop: combo entries × accounts, failure handling, and the answer when nothing serves.

Format-agnostic: a handler passes an `attempt` coroutine that sends one request to one account and
either returns the client's response (after the commit point) or raises UpstreamFailure (before it).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ninerouter.models import Connection, UsageRecord
from ninerouter.proxy.errors import ApiError
from ninerouter.proxy.runtime import Runtime
from ninerouter.redact import scrub
from ninerouter.routing.config import RouterConfig
from ninerouter.routing.failures import AttemptError, Failure, classify, reset_after
from ninerouter.routing.plan import Plan
from ninerouter.routing.resolve import Target
from ninerouter.routing.select import account_strategy, combo_strategy
from ninerouter.routing.throttle import limits_for
from ninerouter.store.rows import now_iso
from ninerouter.upstream.relay import UpstreamFailure

MAX_ATTEMPTS = 6
MAX_ACCOUNTS_PER_ENTRY = 3


@dataclass
class Served:
    """What a successful attempt hands back."""

    response: web.StreamResponse
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_ms: float | None = None
    failed_after_commit: str | None = None


Attempt = Callable[[Target, Connection, str, float], Awaitable[Served]]


@dataclass
class Trail:
    attempts: int = 0
    skipped: list[str] = field(default_factory=list)
    last_error: AttemptError | None = None
    last_conn: Connection | None = None
    blocked: list[tuple[str, str]] = field(default_factory=list)  # (conn id, model) seen cooling


def _safe(value: str) -> str:
    if value.isascii() and value.isprintable() and ";" not in value and "," not in value:
        return value
    return quote(value, safe="/.-_:@ ")


def route_header(target: Target, conn: Connection, trail: Trail, combo: str | None) -> str:
    parts = [
        f"provider={_safe(target.provider)}",
        f"connection={_safe(conn.name)}",
        f"model={_safe(target.model)}",
        f"attempts={trail.attempts}",
    ]
    if combo:
        parts.append(f"combo={_safe(combo)}")
    if trail.skipped:
        parts.append("skipped=" + ",".join(_safe(s) for s in trail.skipped))
    return "; ".join(parts)


async def dispatch(
    request: web.Request,
    runtime: Runtime,
    config: RouterConfig,
    plan: Plan,
    session: str | None,
    endpoint: str,
    stream: bool,
    attempt: Attempt,
    saver: tuple[int, int] = (0, 0),
) -> web.StreamResponse:
    """`saver`: the token saver's estimated tokens of the tool outputs it shrank, before and after."""
    state, health, throttle = runtime.routing, runtime.health, runtime.throttle
    settings = config.settings
    timeouts = runtime.timeouts(config)
    started = time.monotonic()
    deadline = started + timeouts.total
    trail = Trail(skipped=[f"{entry}:unknown_model" for entry in plan.unresolved])
    combo_name = plan.combo
    c_strategy, c_limit = combo_strategy(settings, combo_name) if combo_name else ("fallback", 1)
    order = state.combo_order(combo_name, plan.targets, c_strategy, session) if combo_name else [0]
    no_credentials: list[Target] = []
    key_ref = runtime.key_ref(request, config)

    def record(status: str, target: Target, conn: Connection | None, served: Served | None) -> None:
        runtime.record_usage(
            UsageRecord(
                timestamp=now_iso(),
                provider=target.provider,
                model=target.model,
                connection_id=conn.id if conn else None,
                connection_name=conn.name if conn else None,
                endpoint=endpoint,
                status=status,
                prompt_tokens=served.prompt_tokens if served else 0,
                completion_tokens=served.completion_tokens if served else 0,
                combo=combo_name,
                api_key=key_ref,
                latency_ms=round((time.monotonic() - started) * 1000, 2),
                ttft_ms=served.ttft_ms if served else None,
                attempts=trail.attempts,
                stream=stream,
                saver_tokens_before=saver[0],
                saver_tokens_after=saver[1],
            )
        )

    for position in order:
        target = plan.targets[position]
        conns = config.active_connections(target.provider)
        if not conns:
            no_credentials.append(target)
            trail.skipped.append(f"{target.label}:no_credentials")
            continue
        strategy, limit = account_strategy(settings, target.provider)
        if combo_name and c_strategy == "sticky":
            strategy = "sticky"
        tried: set[str] = set()
        for _ in range(MAX_ACCOUNTS_PER_ENTRY):
            if trail.attempts >= MAX_ATTEMPTS or time.monotonic() >= deadline:
                break
            conn = await _next_account(
                runtime, config, target, conns, tried, strategy, limit, session, trail, deadline
            )
            if conn is None:
                break
            tried.add(conn.id)
            trail.attempts += 1
            route = route_header(target, conn, trail, combo_name)
            throttle.start(conn.id)
            try:
                served = await attempt(target, conn, route, deadline)
            except UpstreamFailure as exc:
                if exc.kind == "proxy":
                    # The account's egress proxy failed; runtime.egress cools the proxy. Not the
                    # account's fault: its health is untouched, the next account is tried, and
                    # this request is never retried direct.
                    trail.skipped.append(f"{conn.name}:proxy_error")
                    trail.last_error = AttemptError(Failure.TRANSIENT, exc.status, exc.message)
                    trail.last_conn = conn
                    continue
                error = AttemptError(
                    classify(exc.status, exc.message, exc.kind),
                    exc.status,
                    scrub(exc.message, conn.secrets()),
                    reset_after(exc.headers, runtime.clock()) if exc.headers else None,
                    transport=exc.kind != "http",
                )
                health.on_failure(conn.id, target.model, error, conn.updated_at)
                trail.skipped.append(f"{conn.name}:{error.failure.value}")
                trail.last_error, trail.last_conn = error, conn
                if error.failure is Failure.CLIENT_ERROR:
                    record(str(exc.status), target, conn, None)
                    raise ApiError(
                        exc.status,
                        error.message,
                        headers={
                            "x-ninerouter-route": route_header(target, conn, trail, combo_name)
                        },
                    ) from None
                if error.failure is Failure.CONTEXT_LENGTH:
                    break
                continue
            except asyncio.CancelledError:
                record("499", target, conn, None)
                raise
            finally:
                throttle.finish(conn.id)
            if served.failed_after_commit:
                health.on_failure(
                    conn.id,
                    target.model,
                    AttemptError(
                        Failure.TRANSIENT, 502, served.failed_after_commit, transport=True
                    ),
                    conn.updated_at,
                )
                record("502", target, conn, served)
            else:
                health.on_success(conn.id, target.model)
                record(str(served.response.status), target, conn, served)
            if combo_name:
                state.combo_served(
                    combo_name, position, len(plan.targets), c_strategy, c_limit, session
                )
            return served.response
    raise _nothing_served(runtime, config, plan, trail, no_credentials, record)


async def _next_account(
    runtime: Runtime,
    config: RouterConfig,
    target: Target,
    conns: tuple[Connection, ...],
    tried: set[str],
    strategy: str,
    limit: int,
    session: str | None,
    trail: Trail,
    deadline: float,
) -> Connection | None:
    """The next account to try: not tried yet, not cooling, not throttled (waiting if all are)."""
    health, throttle = runtime.health, runtime.throttle
    waited_since = time.monotonic()
    busy: dict[str, float | None] = {}

    def available(conn: Connection) -> bool:
        if conn.id in tried:
            return False
        lock = health.blocked(conn.id, target.model)
        if lock is not None:
            if (conn.id, target.model) not in trail.blocked:
                trail.blocked.append((conn.id, target.model))
                trail.skipped.append(f"{conn.name}:{lock.reason}")
            return False
        wait = throttle.wait_time(conn.id, limits_for(config.settings, conn))
        if wait != 0.0:
            busy[conn.id] = wait
            return False
        return True

    while True:
        busy.clear()
        conn = runtime.routing.pick_account(
            target.provider, conns, available, strategy, limit, session
        )
        if conn is not None or not busy:
            return conn
        max_wait = max(limits_for(config.settings, c).max_wait for c in conns if c.id in busy)
        now = time.monotonic()
        if now - waited_since >= max_wait or now >= deadline:
            trail.skipped.extend(f"{c.name}:throttled" for c in conns if c.id in busy)
            return None
        known = [w for w in busy.values() if w is not None]
        await asyncio.sleep(min(min(known) if known else 0.05, 0.25, max(deadline - now, 0.0)))


def _nothing_served(
    runtime: Runtime,
    config: RouterConfig,
    plan: Plan,
    trail: Trail,
    no_credentials: list[Target],
    record: Callable[..., None],
) -> ApiError:
    first = plan.targets[0]
    if len(no_credentials) == len(plan.targets) and not plan.combo:
        record("404", first, None, None)
        return ApiError(
            404,
            f"No active credentials for provider: {first.label}. Add an account with "
            f"'ninerouter provider add {first.provider} --name NAME --api-key KEY'.",
            code="model_not_found",
        )
    ids = [cid for cid, _ in trail.blocked] + ([trail.last_conn.id] if trail.last_conn else [])
    models = {m for _, m in trail.blocked} | {t.model for t in plan.targets}
    waits = [w for m in models if (w := runtime.health.earliest_recovery(ids, m)) is not None]
    headers: dict[str, Any] = {}
    if waits:
        headers["Retry-After"] = str(max(1, math.ceil(min(waits))))
    summary = ", ".join(trail.skipped) or "no account available"
    label = plan.combo or first.label
    error = trail.last_error
    if trail.attempts == 0:
        rate_limited = trail.blocked and all(
            (lock := runtime.health.blocked(cid, m)) is not None and lock.reason == "rate_limited"
            for cid, m in trail.blocked
        )
        status = 429 if rate_limited else 503
        record(str(status), first, None, None)
        return ApiError(
            status, f"[{label}] every account is cooling down or busy ({summary}).", headers=headers
        )
    assert error is not None
    status = error.status if error.status >= 400 else 502
    if error.failure is Failure.RATE_LIMIT:
        status = 429
    record(str(status), first, trail.last_conn, None)
    return ApiError(status, f"{error.message} (tried {trail.attempts}: {summary})", headers=headers)
