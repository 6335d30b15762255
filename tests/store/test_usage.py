"""Usage recording: usageHistory rows and usageDaily documents as 9Router keeps them, and summaries."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ninerouter.models import UsageRecord
from ninerouter.store import Store
from ninerouter.store.usage import is_error, local_date_key

CHAT = "/v1/chat/completions"


@pytest.fixture(autouse=True)
def utc_plus_8() -> Iterator[None]:
    """Local time is UTC+8 (no DST), so a late-UTC request lands on the next local day."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "SGT-8"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


R1 = UsageRecord(
    timestamp="2026-11-29T10:00:00.000Z",  # 18:00 local, 2026-11-29
    provider="openai",
    model="gpt-4o",
    connection_id="c1",
    connection_name="work",
    endpoint=CHAT,
    status="200",
    prompt_tokens=100,
    completion_tokens=20,
    cached_tokens=10,
    combo="fast",
    api_key="k1",
    latency_ms=500.0,
    ttft_ms=120.0,
    stream=True,
)
R2 = UsageRecord(
    timestamp="2026-11-29T17:30:00.000Z",  # 01:30 local, 2026-11-30
    provider="openrouter",
    model="openai/gpt-4o",
    connection_id="c2",
    connection_name="or-main",
    endpoint=CHAT,
    status="429",
    combo="fast",
    api_key="k1",
    latency_ms=80.0,
    attempts=2,
)
R3 = UsageRecord(
    timestamp="2026-11-30T01:00:00.000Z",
    provider="openai",
    model="gpt-4o",
    connection_id="c1",
    connection_name="work",
    endpoint=CHAT,
    status="200",
    prompt_tokens=300,
    completion_tokens=40,
    reasoning_tokens=12,
    api_key="auth-file",
    latency_ms=900.0,
    ttft_ms=200.0,
    stream=True,
)
R4 = UsageRecord(
    timestamp="2026-11-30T02:00:00.000Z",
    provider="deepseek",
    model="deepseek-chat",
    connection_id="c3",
    connection_name=None,
    endpoint="/v1/messages",
    status="499",
    prompt_tokens=50,
    completion_tokens=5,
    latency_ms=1500.0,
    ttft_ms=300.0,
)
R5 = UsageRecord(
    timestamp="2026-11-30T03:00:00.000Z",
    provider="openai",
    model="gpt-4o",
    connection_id="c1",
    connection_name="work",
    endpoint=CHAT,
    status="200",
    prompt_tokens=10,
    completion_tokens=2,
    combo="fast",
    api_key="k1",
    latency_ms=100.0,
    ttft_ms=40.0,
)


def counts(
    requests: int, errors: int, prompt: int, completion: int, cached: int = 0, **labels: Any
) -> dict[str, Any]:
    return {
        "requests": requests,
        "errors": errors,
        "promptTokens": prompt,
        "completionTokens": completion,
        "cachedTokens": cached,
        "cost": 0.0,
        **labels,
    }


def history(store: Store) -> list[dict[str, Any]]:
    rows = list(store.db.query("SELECT * FROM usageHistory ORDER BY id"))
    for row in rows:
        row["tokens"] = json.loads(row["tokens"])
        row["meta"] = json.loads(row["meta"])
    return rows


def lifetime(store: Store) -> str:
    rows = list(store.db.query("SELECT value FROM _meta WHERE key = 'totalRequestsLifetime'"))
    return str(rows[0]["value"])


DAY_29 = {
    **counts(1, 0, 100, 20, 10),
    "byProvider": {"openai": counts(1, 0, 100, 20, 10)},
    "byModel": {"gpt-4o|openai": counts(1, 0, 100, 20, 10, rawModel="gpt-4o", provider="openai")},
    "byAccount": {"c1": counts(1, 0, 100, 20, 10, rawModel="gpt-4o", provider="openai")},
    "byApiKey": {
        "k1|gpt-4o|openai": counts(
            1, 0, 100, 20, 10, rawModel="gpt-4o", provider="openai", apiKey="k1"
        )
    },
    "byEndpoint": {
        f"{CHAT}|gpt-4o|openai": counts(
            1, 0, 100, 20, 10, endpoint=CHAT, rawModel="gpt-4o", provider="openai"
        )
    },
    "byCombo": {"fast": counts(1, 0, 100, 20, 10)},
}

OR = {"rawModel": "openai/gpt-4o", "provider": "openrouter"}
OA = {"rawModel": "gpt-4o", "provider": "openai"}
DS = {"rawModel": "deepseek-chat", "provider": "deepseek"}
DAY_30 = {
    **counts(3, 2, 350, 45),
    "byProvider": {
        "openrouter": counts(1, 1, 0, 0),
        "openai": counts(1, 0, 300, 40),
        "deepseek": counts(1, 1, 50, 5),
    },
    "byModel": {
        "openai/gpt-4o|openrouter": counts(1, 1, 0, 0, **OR),
        "gpt-4o|openai": counts(1, 0, 300, 40, **OA),
        "deepseek-chat|deepseek": counts(1, 1, 50, 5, **DS),
    },
    "byAccount": {
        "c2": counts(1, 1, 0, 0, **OR),
        "c1": counts(1, 0, 300, 40, **OA),
        "c3": counts(1, 1, 50, 5, **DS),
    },
    "byApiKey": {
        "k1|openai/gpt-4o|openrouter": counts(1, 1, 0, 0, **OR, apiKey="k1"),
        "auth-file|gpt-4o|openai": counts(1, 0, 300, 40, **OA, apiKey="auth-file"),
        "local-no-key|deepseek-chat|deepseek": counts(1, 1, 50, 5, **DS, apiKey=None),
    },
    "byEndpoint": {
        f"{CHAT}|openai/gpt-4o|openrouter": counts(1, 1, 0, 0, endpoint=CHAT, **OR),
        f"{CHAT}|gpt-4o|openai": counts(1, 0, 300, 40, endpoint=CHAT, **OA),
        "/v1/messages|deepseek-chat|deepseek": counts(1, 1, 50, 5, endpoint="/v1/messages", **DS),
    },
    "byCombo": {"fast": counts(1, 1, 0, 0)},
}


def test_local_date_key_and_error_rule() -> None:
    assert local_date_key("2026-11-29T15:59:59.999Z") == "2026-11-29"
    assert local_date_key("2026-11-29T16:00:00.000Z") == "2026-11-30"
    assert [is_error(s) for s in ("200", "204", "429", "499", "500", "ok", None, "")] == [
        False,
        False,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_add_many_writes_history_rows(store: Store) -> None:
    store.usage.add_many([R1, R2, R3, R4])
    rows = history(store)
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    assert rows[0] == {
        "id": 1,
        "timestamp": "2026-11-29T10:00:00.000Z",
        "provider": "openai",
        "model": "gpt-4o",
        "connectionId": "c1",
        "apiKey": "k1",
        "endpoint": CHAT,
        "promptTokens": 100,
        "completionTokens": 20,
        "cost": 0.0,
        "status": "200",
        "tokens": {
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "cached_tokens": 10,
            "reasoning_tokens": 0,
        },
        "meta": {
            "combo": "fast",
            "connectionName": "work",
            "latencyMs": 500.0,
            "ttftMs": 120.0,
            "attempts": 1,
            "stream": True,
        },
    }
    assert rows[1]["status"] == "429" and rows[1]["meta"] == {
        "combo": "fast",
        "connectionName": "or-main",
        "latencyMs": 80.0,
        "ttftMs": None,
        "attempts": 2,
        "stream": False,
    }
    assert rows[2]["tokens"] == {
        "prompt_tokens": 300,
        "completion_tokens": 40,
        "cached_tokens": 0,
        "reasoning_tokens": 12,
    }
    assert (rows[2]["apiKey"], rows[2]["meta"]["combo"]) == ("auth-file", None)
    assert rows[3] == {
        "id": 4,
        "timestamp": "2026-11-30T02:00:00.000Z",
        "provider": "deepseek",
        "model": "deepseek-chat",
        "connectionId": "c3",
        "apiKey": None,
        "endpoint": "/v1/messages",
        "promptTokens": 50,
        "completionTokens": 5,
        "cost": 0.0,
        "status": "499",
        "tokens": {
            "prompt_tokens": 50,
            "completion_tokens": 5,
            "cached_tokens": 0,
            "reasoning_tokens": 0,
        },
        "meta": {
            "combo": None,
            "connectionName": None,
            "latencyMs": 1500.0,
            "ttftMs": 300.0,
            "attempts": 1,
            "stream": False,
        },
    }
    assert lifetime(store) == "4"


def test_add_many_writes_daily_documents_by_local_date(store: Store) -> None:
    store.usage.add_many([R1, R2, R3, R4])
    stored = {
        r["dateKey"]: json.loads(r["data"])
        for r in store.db.query("SELECT * FROM usageDaily ORDER BY dateKey")
    }
    assert stored == {"2026-11-29": DAY_29, "2026-11-30": DAY_30}
    assert store.usage.daily("2026-11-30") == DAY_30
    assert store.usage.daily("2026-12-01") is None


def test_second_add_many_merges_into_the_same_day(store: Store) -> None:
    store.usage.add_many([R1, R2, R3, R4])
    store.usage.add_many([R5])
    assert store.usage.daily("2026-11-29") == DAY_29
    assert store.usage.daily("2026-11-30") == {
        **counts(4, 2, 360, 47),
        "byProvider": {
            "openrouter": counts(1, 1, 0, 0),
            "openai": counts(2, 0, 310, 42),
            "deepseek": counts(1, 1, 50, 5),
        },
        "byModel": {
            "openai/gpt-4o|openrouter": counts(1, 1, 0, 0, **OR),
            "gpt-4o|openai": counts(2, 0, 310, 42, **OA),
            "deepseek-chat|deepseek": counts(1, 1, 50, 5, **DS),
        },
        "byAccount": {
            "c2": counts(1, 1, 0, 0, **OR),
            "c1": counts(2, 0, 310, 42, **OA),
            "c3": counts(1, 1, 50, 5, **DS),
        },
        "byApiKey": {
            "k1|openai/gpt-4o|openrouter": counts(1, 1, 0, 0, **OR, apiKey="k1"),
            "auth-file|gpt-4o|openai": counts(1, 0, 300, 40, **OA, apiKey="auth-file"),
            "local-no-key|deepseek-chat|deepseek": counts(1, 1, 50, 5, **DS, apiKey=None),
            "k1|gpt-4o|openai": counts(1, 0, 10, 2, **OA, apiKey="k1"),
        },
        "byEndpoint": {
            f"{CHAT}|openai/gpt-4o|openrouter": counts(1, 1, 0, 0, endpoint=CHAT, **OR),
            f"{CHAT}|gpt-4o|openai": counts(2, 0, 310, 42, endpoint=CHAT, **OA),
            "/v1/messages|deepseek-chat|deepseek": counts(
                1, 1, 50, 5, endpoint="/v1/messages", **DS
            ),
        },
        "byCombo": {"fast": counts(2, 1, 10, 2)},
    }
    assert [r["id"] for r in history(store)] == [1, 2, 3, 4, 5]
    assert lifetime(store) == "5"


def test_merges_into_a_day_that_9router_wrote(store: Store) -> None:
    """9Router's document has no `errors` or `byCombo`; its keys and numbers are kept and added to."""
    theirs = {
        "requests": 2,
        "promptTokens": 7,
        "completionTokens": 3,
        "cost": 0.25,
        "byProvider": {"openai": {"requests": 2, "promptTokens": 7, "completionTokens": 3}},
        "byModel": {},
        "byAccount": {},
        "byApiKey": {},
        "byEndpoint": {},
    }
    store.db.execute(
        "INSERT INTO usageDaily (dateKey, data) VALUES ('2026-11-29', ?)", [json.dumps(theirs)]
    )
    store.db.conn.commit()
    store.usage.add_many([R1])
    day = store.usage.daily("2026-11-29")
    assert day is not None
    assert {k: day[k] for k in ("requests", "errors", "promptTokens", "cachedTokens", "cost")} == {
        "requests": 3,
        "errors": 0,
        "promptTokens": 107,
        "cachedTokens": 10,
        "cost": 0.25,
    }
    assert day["byProvider"]["openai"] == {
        "requests": 3,
        "promptTokens": 107,
        "completionTokens": 23,
        "errors": 0,
        "cachedTokens": 10,
        "cost": 0.0,
    }
    assert day["byCombo"] == {"fast": counts(1, 0, 100, 20, 10)}


def test_add_many_hundreds_in_one_call(store: Store) -> None:
    records = [
        UsageRecord(
            timestamp=f"2026-11-{29 + i % 2}T0{i % 10}:00:00.{i % 1000:03d}Z",
            provider="openai",
            model="gpt-4o",
            connection_id="c1",
            connection_name="work",
            endpoint=CHAT,
            status="200" if i % 5 else "502",
            prompt_tokens=i,
            completion_tokens=1,
        )
        for i in range(600)
    ]
    store.usage.add_many(records)
    assert next(
        store.db.query("SELECT COUNT(*) AS n, SUM(promptTokens) AS p FROM usageHistory")
    ) == {
        "n": 600,
        "p": sum(range(600)),
    }
    day_29, day_30 = store.usage.daily("2026-11-29"), store.usage.daily("2026-11-30")
    assert day_29 is not None and day_30 is not None
    assert (day_29["requests"], day_29["errors"], day_29["promptTokens"]) == (
        300,
        60,
        sum(range(0, 600, 2)),
    )
    assert (day_30["requests"], day_30["errors"], day_30["promptTokens"]) == (
        300,
        60,
        sum(range(1, 600, 2)),
    )
    assert lifetime(store) == "600"


def test_bad_timestamp_writes_nothing(store: Store) -> None:
    bad = UsageRecord(
        timestamp="yesterday",
        provider="openai",
        model="gpt-4o",
        connection_id=None,
        connection_name=None,
        endpoint=CHAT,
        status="200",
    )
    with pytest.raises(ValueError):
        store.usage.add_many([R1, bad])
    assert history(store) == []
    assert list(store.db.query("SELECT * FROM usageDaily")) == []
    store.usage.add_many([])
    assert history(store) == []


def row(key: str, requests: int, errors: int, prompt: int, completion: int, latency, ttft):
    return {
        "key": key,
        "requests": requests,
        "errors": errors,
        "promptTokens": prompt,
        "completionTokens": completion,
        "avgLatencyMs": latency,
        "p50TtftMs": ttft,
        "tokensSaved": 0,
    }


@pytest.fixture
def recorded(store: Store) -> Store:
    store.usage.add_many([R1, R2, R3, R4])
    store.usage.add_many([R5])
    return store


def test_summary_by_model(recorded: Store) -> None:
    assert recorded.usage.summary(None, "model") == [
        row("gpt-4o", 3, 0, 410, 62, 500.0, 120.0),
        row("deepseek-chat", 1, 1, 50, 5, 1500.0, 300.0),
        row("openai/gpt-4o", 1, 1, 0, 0, 80.0, None),
    ]


def test_summary_by_provider(recorded: Store) -> None:
    assert recorded.usage.summary(None, "provider") == [
        row("openai", 3, 0, 410, 62, 500.0, 120.0),
        row("deepseek", 1, 1, 50, 5, 1500.0, 300.0),
        row("openrouter", 1, 1, 0, 0, 80.0, None),
    ]


def test_summary_by_connection_uses_the_name_else_the_id(recorded: Store) -> None:
    assert recorded.usage.summary(None, "connection") == [
        row("work", 3, 0, 410, 62, 500.0, 120.0),
        row("c3", 1, 1, 50, 5, 1500.0, 300.0),
        row("or-main", 1, 1, 0, 0, 80.0, None),
    ]


def test_summary_by_combo_groups_the_rest_under_none(recorded: Store) -> None:
    assert recorded.usage.summary(None, "combo") == [
        row("fast", 3, 1, 110, 22, 226.7, 80.0),
        row("(none)", 2, 1, 350, 45, 1200.0, 250.0),
    ]


def test_summary_since(recorded: Store) -> None:
    expected = [
        row("(none)", 2, 1, 350, 45, 1200.0, 250.0),
        row("fast", 1, 0, 10, 2, 100.0, 40.0),
    ]
    assert recorded.usage.summary("2026-11-30T00:00:00.000Z", "combo") == expected
    assert recorded.usage.summary("2026-11-30T08:00:00+08:00", "combo") == expected
    at_r3 = recorded.usage.summary("2026-11-30T01:00:00.000Z", "provider")
    assert [(r["key"], r["requests"]) for r in at_r3] == [("openai", 2), ("deepseek", 1)]
    assert recorded.usage.summary("2026-12-01T00:00:00.000Z", "model") == []


def test_summary_of_rows_9router_wrote(store: Store) -> None:
    """9Router rows have status "ok" (or none) and meta `{}`; odd meta must not break the query."""
    for status, meta in (("ok", "{}"), (None, None), ("200", "not json")):
        store.db.execute(
            "INSERT INTO usageHistory (timestamp, provider, model, connectionId, promptTokens, "
            "completionTokens, status, tokens, meta) VALUES (?, 'openai', 'gpt-4o', 'c9', 5, 1, ?, "
            "'{\"prompt_tokens\":5}', ?)",
            ["2026-11-30T05:00:00.000Z", status, meta],
        )
    store.db.conn.commit()
    assert store.usage.summary(None, "connection") == [row("c9", 3, 0, 15, 3, None, None)]
    assert store.usage.summary(None, "combo") == [row("(none)", 3, 0, 15, 3, None, None)]


def test_summary_unknown_dimension(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown usage dimension 'colour'"):
        store.usage.summary(None, "colour")


def test_token_saver_savings_are_kept_in_meta_and_summed(store: Store) -> None:
    from dataclasses import replace

    saved = replace(R1, saver_tokens_before=900, saver_tokens_after=300)
    store.usage.add_many([saved, R1])
    meta = json.loads(
        next(store.db.query("SELECT meta FROM usageHistory ORDER BY id LIMIT 1"))["meta"]
    )
    assert meta["tokenSaver"] == {"before": 900, "after": 300}
    [summary] = [r for r in store.usage.summary(None, "model") if r["key"] == R1.model]
    assert summary["tokensSaved"] == 600 and summary["requests"] == 2
