"""Multi-account routing against fake upstream accounts: catalogue T01–T07, T09, T12, T17, T20, T22."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest

from ninerouter.routing.failures import AttemptError, Failure
from ninerouter.routing.health import AccountHealth
from tests.fakes.upstream import TEXT


def untouched(fleet) -> bool:
    """No account has a lock, a failure count or a back-off level."""
    return all(h == AccountHealth() for h in fleet.runtime.health.accounts.values())


def stream_text(raw: bytes) -> str:
    out = []
    for event in raw.split(b"\n\n"):
        if event.startswith(b"data: {"):
            data = json.loads(event[6:])
            for choice in data.get("choices", []):
                out.append(choice.get("delta", {}).get("content") or "")
    return "".join(out)


async def test_t01_429_fails_over_and_cools_for_exactly_retry_after(make_fleet) -> None:
    fleet = await make_fleet("ab", fallbackStrategy="round-robin", stickyRoundRobinLimit=1)
    fleet.fake.scripts["key-a"] = ["fail-429"]
    t0 = fleet.clock.now
    reply = await fleet.chat(stream=True)
    assert reply.status == 200
    assert stream_text(reply.raw) == TEXT and reply.raw.count(b"[DONE]") == 1
    assert fleet.hits() == {"a": 1, "b": 1}
    assert "skipped=a:rate_limited" in reply.route and "connection=b" in reply.route
    lock = fleet.runtime.health.blocked(fleet.conn_id("a"), "fake-a")
    assert lock.until == t0 + 7 and lock.reason == "rate_limited"
    fleet.clock.advance(6.9)
    for _ in range(3):
        assert (await fleet.chat()).status == 200
    assert fleet.hits() == {"a": 1, "b": 4}
    fleet.clock.advance(0.11)
    await fleet.chat()
    await fleet.chat()
    assert fleet.hits()["a"] == 2


async def test_t03_rate_limit_is_per_model_auth_is_per_account(make_fleet) -> None:
    fleet = await make_fleet("ab")
    fleet.fake.scripts["key-a"] = ["fail-429"]
    await fleet.chat("fake/x")
    reply = await fleet.chat("fake/y")
    assert "connection=a" in reply.route  # y still served by A
    fleet.fake.scripts["key-a"] = ["fail-401"]
    reply = await fleet.chat("fake/y")
    assert "connection=b" in reply.route and "a:auth_failed" in reply.route
    before = fleet.hits()["a"]
    for model in ("fake/x", "fake/y", "fake/z"):
        assert "connection=b" in (await fleet.chat(model)).route
    assert fleet.hits()["a"] == before
    fleet.fake.scripts["key-b"] = ["fail-404"]
    await fleet.chat("fake/q")
    assert fleet.runtime.health.blocked(fleet.conn_id("b"), "q").until == pytest.approx(
        fleet.clock.now + 600
    )
    assert fleet.runtime.health.blocked(fleet.conn_id("b"), "y") is None


async def test_t04_every_account_cooling_fails_fast_with_retry_after(make_fleet) -> None:
    fleet = await make_fleet("abc")
    for name, seconds in (("a", 12), ("b", 40), ("c", 90)):
        fleet.runtime.health.on_failure(
            fleet.conn_id(name), "fake-a", AttemptError(Failure.RATE_LIMIT, 429, "x", seconds)
        )
    started = time.monotonic()
    reply = await fleet.chat()
    assert time.monotonic() - started < 0.5
    assert reply.status == 429 and reply.headers["Retry-After"] == "12"
    assert reply.json["error"]["type"] == "rate_limit_error"
    assert fleet.fake.requests == []


async def test_t05_500s_fail_over_and_eject_after_three_in_a_row(make_fleet) -> None:
    fleet = await make_fleet("ab")
    fleet.fake.scripts["key-a"] = ["fail-500", "ok", "fail-500", "fail-500", "fail-500"]
    a = fleet.conn_id("a")
    statuses = []
    for _ in range(5):
        statuses.append((await fleet.chat()).status)
        if len(statuses) in (1, 2, 4):
            assert fleet.runtime.health.blocked(a, "fake-a") is None
    assert statuses == [200] * 5
    assert fleet.hits() == {"a": 5, "b": 4}
    assert fleet.runtime.health.blocked(a, "fake-a").until == pytest.approx(fleet.clock.now + 30)
    fleet.clock.advance(31)
    fleet.fake.scripts["key-a"] = ["fail-500"] * 3
    for _ in range(3):
        await fleet.chat()
    assert fleet.runtime.health.blocked(a, "fake-a").until == pytest.approx(fleet.clock.now + 60)


async def test_t06_gateway_errors_fail_over_and_503_retry_after_cools(make_fleet) -> None:
    fleet = await make_fleet("ab")
    fleet.fake.retry_after = "5"
    fleet.fake.scripts["key-a"] = ["fail-502", "fail-503"]
    assert (await fleet.chat()).status == 200
    reply = await fleet.chat()
    assert reply.status == 200 and b"injected" not in reply.raw
    assert fleet.runtime.health.blocked(fleet.conn_id("a"), "anything").until == pytest.approx(
        fleet.clock.now + 5
    )


@pytest.mark.parametrize("status", [400, 413, 422])
async def test_t07_request_errors_go_back_untouched(make_fleet, status: int) -> None:
    fleet = await make_fleet("ab")
    fleet.fake.scripts["key-a"] = [f"fail-{status}"]
    reply = await fleet.chat()
    assert reply.status == status
    assert reply.json["error"]["message"] == f"[{status}]: injected {status}"
    assert fleet.hits() == {"a": 1, "b": 0}
    assert untouched(fleet)


async def test_t09_connection_refused_fails_over(make_fleet, store) -> None:
    from ninerouter.services.providers import NewConnection, add_connection

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    add_connection(
        store,
        NewConnection(
            provider="openai",
            name="dead",
            api_key="key-dead",
            base_url=f"http://127.0.0.1:{dead}/v1",
        ),
    )
    fleet = await make_fleet("b")
    add_connection(
        store,
        NewConnection(
            provider="openai",
            name="live",
            api_key="key-b",
            base_url=str(fleet.fake_url),
        ),
    )
    await asyncio.sleep(0.6)
    started = time.monotonic()
    reply = await fleet.chat("openai/fake-a")
    assert (
        reply.status == 200 and "connection=live" in reply.route and "dead:transient" in reply.route
    )
    assert time.monotonic() - started < 1
    assert fleet.runtime.health.get(fleet.conn_id("dead")).consecutive_failures == {"__all": 1}


async def test_t12_slow_first_byte_is_abandoned_and_fails_over(make_fleet) -> None:
    fleet = await make_fleet("ab", firstByteTimeoutMs=300)
    fleet.fake.scripts["key-a"] = ["slow-3000"]
    started = time.monotonic()
    reply = await fleet.chat(stream=True)
    elapsed = time.monotonic() - started
    assert reply.status == 200 and stream_text(reply.raw) == TEXT
    assert 0.3 <= elapsed < 1.5
    for _ in range(50):
        if fleet.fake.aborted:
            break
        await asyncio.sleep(0.02)
    assert fleet.fake.aborted == ["fake-a"]


async def test_t17_error_event_before_content_fails_over(make_fleet) -> None:
    fleet = await make_fleet("ab")
    fleet.fake.scripts["key-a"] = ["error-first"]
    reply = await fleet.chat(stream=True)
    assert reply.status == 200 and stream_text(reply.raw) == TEXT
    assert b"Overloaded" not in reply.raw
    assert fleet.runtime.health.blocked(fleet.conn_id("a"), "fake-a").reason == "rate_limited"


async def test_t20_html_success_fails_over(make_fleet) -> None:
    fleet = await make_fleet("ab")
    fleet.fake.scripts["key-a"] = ["html"]
    reply = await fleet.chat()
    assert reply.status == 200 and reply.json["choices"][0]["message"]["content"] == TEXT


async def test_t22_client_abort_touches_no_account(make_fleet) -> None:
    fleet = await make_fleet("ab")
    fleet.fake.scripts["key-a"] = ["stall-after-2"]
    async with fleet.http.post(
        str(fleet.server.make_url("/v1/chat/completions")),
        json={"model": "fake/fake-a", "stream": True, "messages": []},
        headers={"Authorization": f"Bearer {fleet.key}"},
    ) as resp:
        await resp.content.readuntil(b"\n\n")
    for _ in range(50):
        if fleet.fake.aborted:
            break
        await asyncio.sleep(0.02)
    assert fleet.fake.aborted == ["fake-a"]
    await asyncio.sleep(0.05)
    assert fleet.hits() == {"a": 1, "b": 0}
    assert untouched(fleet)


async def test_post_commit_failure_is_an_error_event_not_a_failover(make_fleet) -> None:
    fleet = await make_fleet("ab")
    fleet.fake.scripts["key-a"] = ["drop-after-3"]
    reply = await fleet.chat(stream=True)
    assert reply.status == 200
    assert b"[DONE]" not in reply.raw and b"upstream_error" in reply.raw
    assert fleet.hits() == {"a": 1, "b": 0}
    assert fleet.runtime.health.get(fleet.conn_id("a")).consecutive_failures == {"__all": 1}
