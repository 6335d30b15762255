"""usageHistory / usageDaily: one row per finished request and a per-day summary (9Router-compatible).

A usageHistory row keeps 9Router's columns and its `tokens` JSON keys (`prompt_tokens`, `completion_tokens`,
`cached_tokens`, `reasoning_tokens`, the names 9Router reads back), so either program can show the other's
rows. Our own fields (combo, connection name, latency, TTFT, attempts, stream) go in `meta`, which 9Router
writes as `{}` and never reads.

usageDaily holds one JSON document per local date, as 9Router keeps it: totals plus breakdowns `byProvider`,
`byModel` ("model|provider"), `byAccount` (connectionId), `byApiKey` ("apiKey|model|provider"), `byEndpoint`
("endpoint|model|provider"); we add `errors` counts and `byCombo`. Unknown keys are left alone on both sides.

A request is an error when its status is an HTTP code outside 2xx ("499" = the client went away). A status
that is not a three-digit code ("ok", or none, as 9Router writes) counts as a success: 9Router records no
row for a failed attempt.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from ninerouter.models import UsageRecord
from ninerouter.store.database import write_transaction
from ninerouter.store.rows import dump_json, load_json

SUMMARY_DIMENSIONS = ("combo", "connection", "model", "provider")
NO_GROUP = "(none)"

_INSERT = (
    "INSERT INTO usageHistory (timestamp, provider, model, connectionId, apiKey, endpoint, "
    "promptTokens, completionTokens, cost, status, tokens, meta) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _meta(path: str) -> str:
    """A meta field in SQL; NULL (not an error) for a row whose meta is missing or not JSON."""
    return f"(CASE WHEN json_valid(meta) THEN json_extract(meta, '{path}') END)"


_GROUP_KEY = {
    "combo": _meta("$.combo"),
    "connection": f"COALESCE(NULLIF({_meta('$.connectionName')}, ''), connectionId)",
    "model": "model",
    "provider": "provider",
}
_IS_ERROR = "(status GLOB '[0-9][0-9][0-9]' AND status NOT GLOB '2[0-9][0-9]')"
_BREAKDOWNS = ("byProvider", "byModel", "byAccount", "byApiKey", "byEndpoint", "byCombo")


def is_error(status: str | None) -> bool:
    """Same rule as the SQL in `summary`: a three-digit HTTP status outside 2xx."""
    return status is not None and len(status) == 3 and status.isdigit() and status[0] != "2"


def parse_timestamp(value: str) -> datetime:
    """An ISO-8601 string as an aware datetime; one without an offset is taken as UTC."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def iso_utc(moment: datetime) -> str:
    """`moment` as 9Router writes timestamps (Date.toISOString(): UTC, milliseconds, "Z"), so that
    timestamps compare correctly as strings."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def local_date_key(timestamp: str) -> str:
    """The usageDaily key of a UTC timestamp: its date in the machine's local time, as 9Router does."""
    return parse_timestamp(timestamp).astimezone().strftime("%Y-%m-%d")


class UsageLog:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def add_many(self, records: Sequence[UsageRecord]) -> None:
        """Record finished requests: one usageHistory row each and the usageDaily documents of the
        dates they fall on, all in one transaction (one batched insert, one read and write per day)."""
        if not records:
            return
        rows = [_history_row(r) for r in records]
        by_day: dict[str, list[UsageRecord]] = defaultdict(list)
        for record in records:
            by_day[local_date_key(record.timestamp)].append(record)
        with write_transaction(self.db) as db:
            db.conn.executemany(_INSERT, rows)
            for date_key in sorted(by_day):
                found = db.execute(
                    "SELECT data FROM usageDaily WHERE dateKey = ?", [date_key]
                ).fetchone()
                day = load_json(found[0], {}) if found else {}
                day = _new_day() if not isinstance(day, dict) or not day else day
                for record in by_day[date_key]:
                    _add_to_day(day, record)
                db.execute(
                    "INSERT INTO usageDaily (dateKey, data) VALUES (?, ?) "
                    "ON CONFLICT(dateKey) DO UPDATE SET data = excluded.data",
                    [date_key, dump_json(day)],
                )
            _bump_lifetime_counter(db, len(records))

    def daily(self, date_key: str) -> dict[str, Any] | None:
        """The usageDaily document of one local date ('YYYY-MM-DD'), or None."""
        found = self.db.execute(
            "SELECT data FROM usageDaily WHERE dateKey = ?", [date_key]
        ).fetchone()
        data = load_json(found[0], None) if found else None
        return data if isinstance(data, dict) else None

    def summary(self, since: str | None, by: str) -> list[dict[str, Any]]:
        """Requests since `since` (an ISO-8601 time; None = all) grouped by combo, connection, model
        or provider, most requests first. Rows without a value for the dimension (a request that used
        no combo, say) are grouped under "(none)". Each row: key, requests, errors, promptTokens,
        completionTokens, avgLatencyMs and p50TtftMs (None where no row has the value), and tokensSaved
        by the token saver."""
        if by not in _GROUP_KEY:
            raise ValueError(
                f"unknown usage dimension {by!r}; expected one of {SUMMARY_DIMENSIONS}"
            )
        key = f"COALESCE(NULLIF({_GROUP_KEY[by]}, ''), '{NO_GROUP}')"
        where, params = "WHERE 1", []
        if since is not None:
            where, params = "WHERE timestamp >= ?", [iso_utc(parse_timestamp(since))]
        groups = self.db.execute(
            f"SELECT {key} AS k, COUNT(*), SUM({_IS_ERROR}), "
            "SUM(COALESCE(promptTokens, 0)), SUM(COALESCE(completionTokens, 0)), "
            f"AVG({_meta('$.latencyMs')}), "
            f"SUM(COALESCE({_meta('$.tokenSaver.before')}, 0) - COALESCE({_meta('$.tokenSaver.after')}, 0)) "
            f"FROM usageHistory {where} GROUP BY k",
            params,
        ).fetchall()
        ttft = _meta("$.ttftMs")
        ttfts: dict[str, list[float]] = defaultdict(list)
        for group, value in self.db.execute(
            f"SELECT {key} AS k, {ttft} FROM usageHistory {where} "
            f"AND typeof({ttft}) IN ('integer', 'real')",
            params,
        ).fetchall():
            ttfts[group].append(float(value))
        result = [
            {
                "key": group,
                "requests": int(requests),
                "errors": int(errors or 0),
                "promptTokens": int(prompt or 0),
                "completionTokens": int(completion or 0),
                "avgLatencyMs": None if latency is None else round(float(latency), 1),
                "p50TtftMs": round(statistics.median(ttfts[group]), 1) if ttfts[group] else None,
                "tokensSaved": int(saved or 0),
            }
            for group, requests, errors, prompt, completion, latency, saved in groups
        ]
        result.sort(key=lambda row: (-row["requests"], row["key"]))
        return result


def _history_row(record: UsageRecord) -> tuple[Any, ...]:
    tokens = {
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "cached_tokens": record.cached_tokens,
        "reasoning_tokens": record.reasoning_tokens,
    }
    meta: dict[str, Any] = {
        "combo": record.combo,
        "connectionName": record.connection_name,
        "latencyMs": record.latency_ms,
        "ttftMs": record.ttft_ms,
        "attempts": record.attempts,
        "stream": record.stream,
    }
    if record.saver_tokens_before:
        meta["tokenSaver"] = {
            "before": record.saver_tokens_before,
            "after": record.saver_tokens_after,
        }
    return (
        record.timestamp,
        record.provider,
        record.model,
        record.connection_id,
        record.api_key,
        record.endpoint,
        record.prompt_tokens,
        record.completion_tokens,
        0.0,
        record.status,
        dump_json(tokens),
        dump_json(meta),
    )


def _new_day() -> dict[str, Any]:
    day: dict[str, Any] = {
        "requests": 0,
        "errors": 0,
        "promptTokens": 0,
        "completionTokens": 0,
        "cachedTokens": 0,
        "cost": 0.0,
    }
    for name in _BREAKDOWNS:
        day[name] = {}
    return day


def _add_to_day(day: dict[str, Any], record: UsageRecord) -> None:
    error = 1 if is_error(record.status) else 0
    totals = {
        "requests": 1,
        "errors": error,
        "promptTokens": record.prompt_tokens,
        "completionTokens": record.completion_tokens,
        "cachedTokens": record.cached_tokens,
        "cost": 0.0,
    }
    _add(day, totals)
    for name in _BREAKDOWNS:
        if not isinstance(day.get(name), dict):
            day[name] = {}
    model, provider = record.model, record.provider
    where = {"rawModel": model, "provider": provider}
    if provider:
        _add_to(day["byProvider"], provider, totals, {})
    _add_to(day["byModel"], f"{model}|{provider}" if provider else model, totals, where)
    if record.connection_id:
        _add_to(day["byAccount"], record.connection_id, totals, where)
    api_key = record.api_key or "local-no-key"
    _add_to(
        day["byApiKey"],
        f"{api_key}|{model}|{provider or 'unknown'}",
        totals,
        {**where, "apiKey": record.api_key},
    )
    endpoint = record.endpoint or "Unknown"
    _add_to(
        day["byEndpoint"],
        f"{endpoint}|{model}|{provider or 'unknown'}",
        totals,
        {"endpoint": endpoint, **where},
    )
    if record.combo:
        _add_to(day["byCombo"], record.combo, totals, {})


def _add(target: dict[str, Any], values: dict[str, Any]) -> None:
    for name, value in values.items():
        current = target.get(name)
        target[name] = (current if isinstance(current, int | float) else 0) + value


def _add_to(
    breakdown: dict[str, Any], key: str, values: dict[str, Any], labels: dict[str, Any]
) -> None:
    entry = breakdown.get(key)
    if not isinstance(entry, dict):
        entry = breakdown[key] = {}
    _add(entry, values)
    entry.update(labels)


def _bump_lifetime_counter(db: sqlite_utils.Database, count: int) -> None:
    """9Router's `_meta.totalRequestsLifetime`, kept in the same transaction as the rows."""
    found = db.execute("SELECT value FROM _meta WHERE key = 'totalRequestsLifetime'").fetchone()
    current = int(found[0]) if found and str(found[0]).isdigit() else 0
    db.execute(
        "INSERT INTO _meta (key, value) VALUES ('totalRequestsLifetime', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [str(current + count)],
    )
