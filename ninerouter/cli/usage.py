"""`ninerouter usage`: requests and tokens per combo, connection or model."""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from ninerouter.cli._console import JsonOpt, emit, open_store, print_table
from ninerouter.errors import UserError

_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class By(enum.StrEnum):
    combo = "combo"
    connection = "connection"
    model = "model"
    provider = "provider"


def parse_since(value: str, now: datetime | None = None) -> str | None:
    """`--since` as a UTC cutoff in the stored timestamp format; None for "all".

    A duration counts back from now (30m, 24h, 7d, 90s). A date (2026-11-30) means local midnight; a
    date and time without an offset is local time too; one with an offset or "Z" is taken as given."""
    text = value.strip().lower()
    if text == "all":
        return None
    current = now or datetime.now(UTC)
    match = _DURATION.fullmatch(text)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise UserError(f"--since {value!r}: the duration must be more than zero")
        try:
            return _iso_utc(current - timedelta(seconds=amount * _UNIT_SECONDS[match.group(2)]))
        except OverflowError:
            raise UserError(f"--since {value!r} reaches back too far; use 'all'") from None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UserError(
            f"--since {value!r} is neither a duration nor a date. Use a number and a unit "
            "(30m, 24h, 7d, 90s), an ISO date (2026-11-30) or time (2026-11-30T08:00:00Z), or 'all'."
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive means local time
    return _iso_utc(moment)


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def usage(
    ctx: typer.Context,
    since: Annotated[
        str,
        typer.Option(
            "--since",
            help="Window: a duration back from now (30m, 24h, 7d), an ISO date or time, or 'all'.",
        ),
    ] = "24h",
    by: Annotated[By, typer.Option("--by", help="Group requests by this.")] = By.model,
    json_out: JsonOpt = False,
) -> None:
    """Requests, errors, tokens and latency per combo, connection, model or provider."""
    cutoff = parse_since(since)
    store = open_store(ctx)
    try:
        rows = store.usage.summary(cutoff, by.value)
    finally:
        store.close()
    table = [
        (
            r["key"],
            r["requests"],
            r["errors"],
            r["promptTokens"],
            r["completionTokens"],
            _cell(r["avgLatencyMs"]),
            _cell(r["p50TtftMs"]),
            r["tokensSaved"],
        )
        for r in rows
    ]
    window = "ever" if cutoff is None else f"since {cutoff}"
    emit(
        ctx,
        json_out,
        {"since": cutoff, "by": by.value, "rows": rows},
        lambda: print_table(
            (
                by.value.upper(),
                "REQUESTS",
                "ERRORS",
                "PROMPT",
                "COMPLETION",
                "AVG MS",
                "TTFT P50",
                "SAVED",
            ),
            table,
            empty=f"no requests recorded {window}",
        ),
    )


def register(app: typer.Typer) -> None:
    """Adds the `usage` command to the root app."""
    app.command("usage")(usage)
