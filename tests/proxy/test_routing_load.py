"""Routing under concurrency and over time: catalogue T31–T37, sticky sessions, the 200-stream mix,
throttle, and routing state that survives a restart."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from collections import Counter

import pytest

from ninerouter.proxy.app import create_app
from ninerouter.proxy.persist import flush
from ninerouter.proxy.runtime import RUNTIME
from ninerouter.routing.failures import AttemptError, Failure
from tests.fakes.upstream import TEXT
from tests.proxy.test_routing import stream_text, untouched


async def gather_limited(n: int, concurrency: int, make):
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int):
        async with sem:
            return await make(i)

    return await asyncio.gather(*(one(i) for i in range(n)))


async def test_t31_round_robin_300_over_3_is_100_each(make_fleet) -> None:
    fleet = await make_fleet("abc", fallbackStrategy="round-robin", stickyRoundRobinLimit=1)
    replies = await gather_limited(300, 1, lambda i: fleet.chat())
    assert all(r.status == 200 for r in replies)
    assert fleet.hits() == {"a": 100, "b": 100, "c": 100}


async def test_t31_round_robin_400_at_concurrency_50_over_4(make_fleet) -> None:
    fleet = await make_fleet("abcd", fallbackStrategy="round-robin", stickyRoundRobinLimit=1)
    replies = await gather_limited(400, 50, lambda i: fleet.chat())
    assert all(r.status == 200 for r in replies)
    assert all(98 <= n <= 102 for n in fleet.hits().values()), fleet.hits()


async def test_t31_sticky_limit_3_runs_in_order(make_fleet) -> None:
    fleet = await make_fleet("abcd", fallbackStrategy="round-robin", stickyRoundRobinLimit=3)
    order = []
    for _ in range(12):
        order.append((await fleet.chat()).route.split("connection=")[1].split(";")[0])
    assert order == ["a"] * 3 + ["b"] * 3 + ["c"] * 3 + ["d"] * 3


async def test_t32_cooldown_written_once_under_concurrency(make_fleet) -> None:
    fleet = await make_fleet("abcd")
    fleet.fake.retry_after = "10"
    fleet.fake.scripts["key-a"] = ["fail-429"] * 1000
    t0 = fleet.clock.now
    replies = await asyncio.gather(*(fleet.chat() for _ in range(60)))
    assert [r.status for r in replies] == [200] * 60
    health = fleet.runtime.health.get(fleet.conn_id("a"))
    assert health.model_locks["fake-a"].until == pytest.approx(t0 + 10, abs=0.2)
    assert health.backoff_level == 1
    hits_a = fleet.hits()["a"]
    assert hits_a <= 60
    await asyncio.gather(*(fleet.chat() for _ in range(20)))
    assert fleet.hits()["a"] == hits_a


async def test_t34_local_errors_never_touch_account_health(make_fleet) -> None:
    fleet = await make_fleet("ab")
    bad = await fleet.chat(stream="yes")  # validation 400
    assert bad.status == 400
    unknown = await fleet.chat("nope/x")
    assert unknown.status == 404
    assert untouched(fleet) and fleet.fake.requests == []


async def test_t35_sticky_session_stays_moves_once_and_does_not_ping_pong(make_fleet) -> None:
    fleet = await make_fleet("abcd", fallbackStrategy="sticky")
    session = {"x-session-id": "S1"}

    def served(reply) -> str:
        return reply.route.split("connection=")[1].split(";")[0]

    async def serve_n(n: int, headers: dict[str, str]) -> set[str]:
        return {served(await fleet.chat(headers=headers)) for _ in range(n)}

    first = await serve_n(50, session)
    assert len(first) == 1
    original = first.pop()
    fleet.runtime.health.on_failure(
        fleet.conn_id(original), "fake-a", AttemptError(Failure.RATE_LIMIT, 429, "x", 30)
    )
    moved = await serve_n(25, session)
    assert len(moved) == 1 and original not in moved
    fleet.clock.advance(31)
    after = await serve_n(25, session)
    assert after == moved
    spread = Counter(
        [served(await fleet.chat(headers={"x-session-id": f"s{i}"})) for i in range(20)]
    )
    assert max(spread.values()) <= 2 * 20 / 4


async def test_t36_full_outage_is_bounded_then_fast(make_fleet) -> None:
    fleet = await make_fleet("abcd")
    fleet.fake.retry_after = ""
    for name in "abcd":
        fleet.fake.scripts[f"key-{name}"] = ["fail-503"] * 10_000
    first_wave = await asyncio.gather(*(fleet.chat() for _ in range(200)))
    assert all(r.status == 503 for r in first_wave)
    assert len(fleet.fake.requests) <= 200 * 3
    before = len(fleet.fake.requests)
    started = time.monotonic()
    second = await asyncio.gather(*(fleet.chat() for _ in range(50)))
    assert time.monotonic() - started < 2
    assert all(r.status == 503 and int(r.headers["Retry-After"]) >= 1 for r in second)
    assert len(fleet.fake.requests) == before
    for name in "abcd":
        fleet.fake.scripts[f"key-{name}"] = []
    fleet.clock.advance(31)
    assert (await fleet.chat()).status == 200


async def test_t37_disabling_an_account_takes_effect_within_a_second(make_fleet, home) -> None:
    fleet = await make_fleet("ab", fallbackStrategy="round-robin", stickyRoundRobinLimit=1)
    await asyncio.gather(*(fleet.chat() for _ in range(10)))
    conn = sqlite3.connect(home.db_path)
    conn.execute("UPDATE providerConnections SET isActive = 0 WHERE name = 'a'")
    conn.commit()
    conn.close()
    await asyncio.sleep(1.0)
    before = fleet.hits()["a"]
    await asyncio.gather(*(fleet.chat() for _ in range(20)))
    assert fleet.hits()["a"] == before


async def test_200_streams_with_a_429_account_and_random_drops_never_duplicate(make_fleet) -> None:
    fleet = await make_fleet("abcd", fallbackStrategy="round-robin", stickyRoundRobinLimit=1)
    fleet.fake.scripts["key-a"] = ["fail-429"] * 1000
    rng = random.Random(7)
    fleet.fake.scripts["key-b"] = [
        f"drop-after-{rng.randint(1, 8)}" if rng.random() < 0.5 else "ok" for _ in range(1000)
    ]
    replies = await asyncio.gather(*(fleet.chat(stream=True) for _ in range(200)))
    complete = errored = 0
    for reply in replies:
        assert reply.status == 200
        text = stream_text(reply.raw)
        if reply.raw.endswith(b"data: [DONE]\n\n"):
            assert text == TEXT and reply.raw.count(b"[DONE]") == 1
            complete += 1
        else:
            last = reply.raw.rstrip(b"\n").split(b"\n\n")[-1]
            assert json.loads(last[6:])["error"]["type"] == "upstream_error"
            assert TEXT.startswith(text) and text != TEXT
            errored += 1
    assert complete + errored == 200 and errored > 0 and complete > 100


async def test_routing_state_survives_a_restart(make_fleet, home, aiohttp_server) -> None:
    fleet = await make_fleet("ab")
    fleet.fake.scripts["key-a"] = ["fail-429"]
    t0 = fleet.clock.now
    await fleet.chat()
    await flush(fleet.runtime)
    conn = sqlite3.connect(home.db_path)
    data = json.loads(
        conn.execute("SELECT data FROM providerConnections WHERE name='a'").fetchone()[0]
    )
    conn.close()
    assert data["backoffLevel"] == 1 and data["testStatus"] == "unavailable"
    assert data["modelLock_fake-a"].endswith("Z")
    app = create_app(home, clock=fleet.clock)
    await aiohttp_server(app)
    lock = app[RUNTIME].health.blocked(fleet.conn_id("a"), "fake-a")
    assert lock is not None and lock.until == pytest.approx(t0 + 7, abs=0.01)


async def test_throttle_max_concurrent_spreads_and_waits(make_fleet) -> None:
    fleet = await make_fleet("ab", throttle={"maxConcurrent": 1, "maxWaitMs": 5000})
    for name in "ab":
        fleet.fake.scripts[f"key-{name}"] = ["slow-150"] * 10
    started = time.monotonic()
    replies = await asyncio.gather(*(fleet.chat() for _ in range(4)))
    elapsed = time.monotonic() - started
    assert [r.status for r in replies] == [200] * 4
    assert fleet.hits() == {"a": 2, "b": 2}
    assert 0.3 <= elapsed < 1.5


async def test_throttle_gives_up_after_max_wait(make_fleet) -> None:
    fleet = await make_fleet("a", throttle={"maxConcurrent": 1, "maxWaitMs": 100})
    fleet.fake.scripts["key-a"] = ["slow-600"]
    slow = asyncio.ensure_future(fleet.chat())
    await asyncio.sleep(0.1)
    reply = await fleet.chat()
    assert reply.status == 503 and "throttled" in reply.json["error"]["message"]
    assert (await slow).status == 200
    assert untouched(fleet)
