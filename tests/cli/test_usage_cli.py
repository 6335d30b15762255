"""`ninerouter usage`: --since parsing, grouping, --json, and clear errors for bad input."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from ninerouter.cli import app
from ninerouter.cli.usage import parse_since
from ninerouter.errors import UserError
from ninerouter.home import Home
from ninerouter.models import UsageRecord
from ninerouter.store import Store

runner = CliRunner()
NOW = datetime(2026, 11, 30, 12, 0, 0, 250_000, tzinfo=UTC)


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def utc_plus_8() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "SGT-8"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def ago(**delta: float) -> str:
    moment = datetime.now(UTC) - timedelta(**delta)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def record(timestamp: str, **fields) -> UsageRecord:
    base = {
        "provider": "openai",
        "model": "gpt-4o",
        "connection_id": "c1",
        "connection_name": "work",
        "endpoint": "/v1/chat/completions",
        "status": "200",
    }
    return UsageRecord(timestamp=timestamp, **{**base, **fields})


@pytest.fixture
def seeded(home: Home) -> Home:
    store = Store(home.db_path)
    try:
        store.usage.add_many(
            [
                record(
                    ago(hours=1),
                    combo="fast",
                    prompt_tokens=100,
                    completion_tokens=10,
                    latency_ms=400.0,
                    ttft_ms=100.0,
                ),
                record(
                    ago(hours=2),
                    combo="fast",
                    provider="openrouter",
                    model="openai/gpt-4o",
                    connection_id="c2",
                    connection_name="or-main",
                    status="429",
                    latency_ms=50.0,
                ),
                record(
                    ago(minutes=5),
                    prompt_tokens=30,
                    completion_tokens=3,
                    latency_ms=250.0,
                    ttft_ms=90.0,
                ),
                record(
                    ago(days=3),
                    combo="slow",
                    prompt_tokens=7,
                    completion_tokens=1,
                    latency_ms=1000.0,
                    ttft_ms=500.0,
                ),
            ]
        )
    finally:
        store.close()
    return home


def test_parse_since_durations() -> None:
    assert parse_since("30m", NOW) == "2026-11-30T11:30:00.250Z"
    assert parse_since("24h", NOW) == "2026-11-29T12:00:00.250Z"
    assert parse_since("7d", NOW) == "2026-11-23T12:00:00.250Z"
    assert parse_since("90s", NOW) == "2026-11-30T11:58:30.250Z"
    assert parse_since(" 2H ", NOW) == "2026-11-30T10:00:00.250Z"
    assert parse_since("all", NOW) is None


def test_parse_since_dates(utc_plus_8: None) -> None:
    assert parse_since("2026-11-30T08:00:00+08:00") == "2026-11-30T00:00:00.000Z"
    assert parse_since("2026-11-30T08:00:00Z") == "2026-11-30T08:00:00.000Z"
    assert parse_since("2026-11-30") == "2026-11-29T16:00:00.000Z"  # local midnight
    assert parse_since("2026-11-30T10:30") == "2026-11-30T02:30:00.000Z"


@pytest.mark.parametrize("value", ["yesterday", "24", "h", "5w", "-3h", "2026-13-01", ""])
def test_parse_since_rejects(value: str) -> None:
    with pytest.raises(UserError, match="neither a duration nor a date"):
        parse_since(value, NOW)


def test_parse_since_rejects_zero_and_overflow() -> None:
    with pytest.raises(UserError, match="must be more than zero"):
        parse_since("0h", NOW)
    with pytest.raises(UserError, match="reaches back too far; use 'all'"):
        parse_since("99999999d", NOW)


def test_usage_by_combo_json(seeded: Home) -> None:
    result = run("usage", "--by", "combo", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["by"] == "combo"
    cutoff = datetime.fromisoformat(data["since"])
    assert (
        timedelta(hours=23, minutes=59)
        < datetime.now(UTC) - cutoff
        < timedelta(hours=24, minutes=1)
    )
    assert data["rows"] == [
        {
            "key": "fast",
            "requests": 2,
            "errors": 1,
            "promptTokens": 100,
            "completionTokens": 10,
            "avgLatencyMs": 225.0,
            "p50TtftMs": 100.0,
            "tokensSaved": 0,
        },
        {
            "key": "(none)",
            "requests": 1,
            "errors": 0,
            "promptTokens": 30,
            "completionTokens": 3,
            "avgLatencyMs": 250.0,
            "p50TtftMs": 90.0,
            "tokensSaved": 0,
        },
    ]


def test_usage_since_and_default_by_model(seeded: Home) -> None:
    result = run("--json", "usage", "--since", "7d")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["by"] == "model"
    assert [(r["key"], r["requests"], r["errors"], r["promptTokens"]) for r in data["rows"]] == [
        ("gpt-4o", 3, 0, 137),
        ("openai/gpt-4o", 1, 1, 0),
    ]
    recent = json.loads(run("usage", "--since", "30m", "--by", "connection", "--json").stdout)
    assert [(r["key"], r["requests"]) for r in recent["rows"]] == [("work", 1)]
    everything = json.loads(run("usage", "--since", "all", "--by", "combo", "--json").stdout)
    assert everything["since"] is None
    assert [(r["key"], r["requests"]) for r in everything["rows"]] == [
        ("fast", 2),
        ("(none)", 1),
        ("slow", 1),
    ]


def test_usage_table(seeded: Home) -> None:
    result = run("usage", "--by", "provider")
    assert result.exit_code == 0, result.stderr
    lines = [line.split() for line in result.stdout.strip().splitlines()]
    assert lines[0] == [
        "PROVIDER",
        "REQUESTS",
        "ERRORS",
        "PROMPT",
        "COMPLETION",
        "AVG",
        "MS",
        "TTFT",
        "P50",
        "SAVED",
    ]
    assert lines[1:] == [
        ["openai", "2", "0", "130", "13", "325", "95.0", "0"],
        ["openrouter", "1", "1", "0", "0", "50.0", "-", "0"],
    ]


def test_usage_empty_says_so_on_stderr(home: Home) -> None:
    result = run("usage", "--since", "2026-11-30T00:00:00Z")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.strip() == "no requests recorded since 2026-11-30T00:00:00.000Z"


def test_bad_since_is_a_clear_error(seeded: Home) -> None:
    result = run("usage", "--since", "yesterday", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "--since 'yesterday' is neither a duration nor a date" in result.stderr
    assert "24h" in result.stderr


def test_bad_by_is_a_usage_error(seeded: Home) -> None:
    result = run("usage", "--by", "colour")
    assert result.exit_code == 2
    assert "colour" in result.stderr and result.stdout == ""
