"""GET /api/usage/stats?period=24h|7d|30d|60d|all (default 7d, as 9Router): totals and the
breakdowns by provider, model, account (connection) and combo, from the usage log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from ninerouter.proxy.admin.common import AdminError, ok_json, read_db, runtime
from ninerouter.store import Store
from ninerouter.store.usage import iso_utc

PERIODS = {"24h": 1, "7d": 7, "30d": 30, "60d": 60, "all": None}
_BREAKDOWNS = {"byProvider": "provider", "byModel": "model", "byAccount": "connection"}


def since_for(period: str, now: float) -> str | None:
    days = PERIODS[period]
    if days is None:
        return None
    return iso_utc(datetime.fromtimestamp(now, UTC) - timedelta(days=days))


def stats(store: Store, since: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: store.usage.summary(since, dim) for name, dim in _BREAKDOWNS.items()
    }
    out["byCombo"] = [r for r in store.usage.summary(since, "combo") if r["key"] != "(none)"]
    rows = out["byProvider"]
    out["totalRequests"] = sum(r["requests"] for r in rows)
    out["totalErrors"] = sum(r["errors"] for r in rows)
    out["totalPromptTokens"] = sum(r["promptTokens"] for r in rows)
    out["totalCompletionTokens"] = sum(r["completionTokens"] for r in rows)
    return out


async def usage_stats(request: web.Request) -> web.Response:
    period = request.query.get("period", "7d")
    if period not in PERIODS:
        raise AdminError(400, f"period must be one of {', '.join(PERIODS)}.")
    since = since_for(period, runtime(request).clock())
    data = await read_db(request, lambda s: stats(s, since))
    return ok_json({"period": period, "since": since, **data})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/usage/stats", usage_stats, allow_head=False)]
