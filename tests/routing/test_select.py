from __future__ import annotations

from collections import Counter

from ninerouter.models import Connection
from ninerouter.routing.combos import expand, find_cycle
from ninerouter.routing.select import RoutingState
from ninerouter.routing.session import session_key
from tests.fakes.clock import FakeClock


def conns(n: int) -> list[Connection]:
    return [
        Connection(
            id=f"c{i}",
            provider="p",
            auth_type="apikey",
            name=f"acc{i}",
            priority=i + 1,
            is_active=True,
        )
        for i in range(n)
    ]


def test_round_robin_spreads_exactly() -> None:
    state = RoutingState(FakeClock())
    accounts = conns(3)
    picks = Counter(
        state.pick_account("p", accounts, lambda c: True, "round-robin", 1, None).id
        for _ in range(300)
    )
    assert picks == {"c0": 100, "c1": 100, "c2": 100}


def test_round_robin_sticky_limit_runs() -> None:
    state = RoutingState(FakeClock())
    accounts = conns(4)
    order = [
        state.pick_account("p", accounts, lambda c: True, "round-robin", 3, None).id
        for _ in range(12)
    ]
    assert order == ["c0"] * 3 + ["c1"] * 3 + ["c2"] * 3 + ["c3"] * 3


def test_round_robin_skips_unavailable() -> None:
    state = RoutingState(FakeClock())
    accounts = conns(3)
    picks = [
        state.pick_account("p", accounts, lambda c: c.id != "c1", "round-robin", 1, None).id
        for _ in range(4)
    ]
    assert picks == ["c0", "c2", "c0", "c2"]


def test_fill_first_takes_priority_order() -> None:
    state = RoutingState(FakeClock())
    accounts = conns(3)
    assert (
        state.pick_account("p", accounts, lambda c: c.id != "c0", "fill-first", 1, None).id == "c1"
    )


def test_sticky_sessions_stay_and_spread() -> None:
    state = RoutingState(FakeClock())
    accounts = conns(4)
    first = state.pick_account("p", accounts, lambda c: True, "sticky", 1, "s1")
    assert all(
        state.pick_account("p", accounts, lambda c: True, "sticky", 1, "s1") is first
        for _ in range(50)
    )
    moved = state.pick_account("p", accounts, lambda c: c.id != first.id, "sticky", 1, "s1")
    assert moved.id != first.id
    assert (
        state.pick_account("p", accounts, lambda c: True, "sticky", 1, "s1") is moved
    )  # no ping-pong
    load = Counter(
        state.pick_account("p", accounts, lambda c: True, "sticky", 1, f"s{i}").id
        for i in range(2, 22)
    )
    assert max(load.values()) <= 2 * (21 / 4)


def test_combo_round_robin_advances_past_the_entry_that_served() -> None:
    state = RoutingState(FakeClock())
    entries = ["a", "b", "c"]
    assert state.combo_order("k", entries, "round-robin", None) == [0, 1, 2]
    state.combo_served("k", 0, 3, "round-robin", 1, None)
    assert state.combo_order("k", entries, "round-robin", None) == [1, 2, 0]
    state.combo_served("k", 2, 3, "round-robin", 1, None)  # b failed, c served
    assert state.combo_order("k", entries, "round-robin", None) == [0, 1, 2]


def test_combo_sticky_session() -> None:
    state = RoutingState(FakeClock())
    state.combo_served("k", 2, 3, "sticky", 1, "s")
    assert state.combo_order("k", ["a", "b", "c"], "sticky", "s") == [2, 0, 1]
    assert state.combo_order("k", ["a", "b", "c"], "sticky", "other") == [0, 1, 2]


def test_combo_cycles_and_nesting() -> None:
    combos = {"a": ["x/1", "b"], "b": ["y/2", "x/1"]}
    assert expand(combos, "a") == ["x/1", "y/2"]
    assert find_cycle(combos, "b", ["a"]) == ["b", "a", "b"]
    assert find_cycle(combos, "c", ["c"]) == ["c", "c"]
    assert find_cycle(combos, "c", ["a"]) is None


def test_session_key_sources() -> None:
    assert session_key({"x-session-id": "abc"}, {}) == "h:abc"
    cc = {"metadata": {"user_id": '{"device_id":"d","account_uuid":"","session_id":"S9"}'}}
    assert session_key({}, cc) == "cc:S9"
    assert session_key({"session-id": "codex1"}, {}) == "cx:codex1"
    assert session_key({}, {"prompt_cache_key": "pk"}) == "cx:pk"
    one = session_key(
        {}, {"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]}
    )
    two = session_key(
        {},
        {
            "messages": [
                {"role": "system", "content": "sys"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "later turn"},
            ]
        },
    )
    assert one == two and one.startswith("p:")
    assert session_key({}, {"messages": []}) is None


def test_aliases_resolve_to_their_target() -> None:
    from ninerouter.routing.config import RouterConfig
    from ninerouter.routing.resolve import resolve

    config = RouterConfig.build(
        connections=(),
        nodes=(),
        keys=(),
        combos=(),
        settings={},
        aliases={
            "sonnet": "kr/claude-sonnet-4.5",
            "fast": {"provider": "openrouter", "model": "x/y"},
        },
    )
    assert (resolve("sonnet", config).provider, resolve("sonnet", config).model) == (
        "kiro",
        "claude-sonnet-4.5",
    )
    assert (resolve("fast", config).provider, resolve("fast", config).model) == (
        "openrouter",
        "x/y",
    )
    assert resolve("gpt-5", config).provider == "openai"
