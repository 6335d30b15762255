"""Combos through the server: fallback across providers, context length, rotation, sticky, nesting."""

from __future__ import annotations

import asyncio

from ninerouter.services.combos import create_combo
from ninerouter.services.providers import NewConnection, add_connection
from tests.fakes.upstream import TEXT


async def alt_fleet(make_fleet, store, **settings):
    fleet = await make_fleet("ab", **settings)
    add_connection(
        store,
        NewConnection(
            provider="openai-compatible",
            name="x",
            api_key="key-x",
            base_url=fleet.fake_url,
            prefix="alt",
        ),
    )
    return fleet


async def wait_for_combo(fleet, name: str) -> None:
    for _ in range(40):
        if name in fleet.runtime.config.current.combos_by_name:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"combo {name} not loaded")


def served_model(reply) -> str:
    return reply.route.split("model=")[1].split(";")[0]


async def test_combo_falls_back_to_next_entry_when_a_provider_is_exhausted(
    make_fleet, store
) -> None:
    fleet = await alt_fleet(make_fleet, store)
    create_combo(store, "KIRO", ["fake/big", "alt/small"])
    await wait_for_combo(fleet, "KIRO")
    fleet.fake.scripts["key-a"] = ["fail-429"]
    fleet.fake.scripts["key-b"] = ["fail-429"]
    reply = await fleet.chat("KIRO")
    assert reply.status == 200 and reply.json["choices"][0]["message"]["content"] == TEXT
    assert (
        "combo=KIRO" in reply.route
        and "connection=x" in reply.route
        and "model=small" in reply.route
    )
    assert "a:rate_limited" in reply.route and "b:rate_limited" in reply.route
    assert [r.body["model"] for r in fleet.fake.requests] == ["big", "big", "small"]


async def test_context_length_moves_to_next_entry_without_cooling(make_fleet, store) -> None:
    fleet = await alt_fleet(make_fleet, store)
    create_combo(store, "ctx", ["fake/short", "alt/long"])
    await wait_for_combo(fleet, "ctx")
    fleet.fake.scripts["key-a"] = ["fail-400-context"]
    reply = await fleet.chat("ctx")
    assert reply.status == 200 and served_model(reply) == "long"
    assert fleet.hits() == {"a": 1, "b": 0}
    assert fleet.runtime.health.blocked(fleet.conn_id("a"), "short") is None


async def test_client_error_stops_the_combo(make_fleet, store) -> None:
    fleet = await alt_fleet(make_fleet, store)
    create_combo(store, "c", ["fake/m1", "alt/m2"])
    await wait_for_combo(fleet, "c")
    fleet.fake.scripts["key-a"] = ["fail-400"]
    reply = await fleet.chat("c")
    assert reply.status == 400 and len(fleet.fake.requests) == 1


async def test_combo_round_robin_rotates_entries(make_fleet, store) -> None:
    fleet = await alt_fleet(make_fleet, store, comboStrategy="round-robin")
    create_combo(store, "rr", ["fake/m1", "alt/m2"])
    await wait_for_combo(fleet, "rr")
    models = [served_model(await fleet.chat("rr")) for _ in range(6)]
    assert models == ["m1", "m2"] * 3


async def test_combo_sticky_keeps_a_session_on_its_entry(make_fleet, store) -> None:
    fleet = await alt_fleet(make_fleet, store)
    create_combo(store, "st", ["fake/m1", "alt/m2"], strategy="sticky")
    await wait_for_combo(fleet, "st")
    fleet.fake.scripts["key-a"] = ["fail-500"]
    fleet.fake.scripts["key-b"] = ["fail-500"]
    first = await fleet.chat("st", headers={"x-session-id": "chat-1"})
    assert served_model(first) == "m2"
    later = [
        served_model(await fleet.chat("st", headers={"x-session-id": "chat-1"})) for _ in range(5)
    ]
    assert later == ["m2"] * 5
    other = await fleet.chat("st", headers={"x-session-id": "chat-2"})
    assert served_model(other) == "m1"


async def test_nested_combo_and_models_listing(make_fleet, store) -> None:
    fleet = await alt_fleet(make_fleet, store)
    create_combo(store, "inner", ["alt/m2"])
    create_combo(store, "outer", ["fake/m1", "inner"])
    await wait_for_combo(fleet, "outer")
    fleet.fake.scripts["key-a"] = ["fail-503"]
    fleet.fake.scripts["key-b"] = ["fail-503"]
    reply = await fleet.chat("outer")
    assert reply.status == 200 and served_model(reply) == "m2"
    async with fleet.http.get(str(fleet.server.make_url("/v1/models"))) as resp:
        ids = [m["id"] for m in (await resp.json())["data"]]
    assert ids[:2] == ["inner", "outer"]


async def test_combo_with_no_credentials_anywhere_is_503(make_fleet, store) -> None:
    fleet = await make_fleet("a")
    create_combo(store, "ghost", ["openrouter/x", "xmtp/mimo-v2.5-pro"])
    await wait_for_combo(fleet, "ghost")
    reply = await fleet.chat("ghost")
    assert reply.status == 503
    assert (
        "or:no_credentials" in reply.json["error"]["message"]
        or "openrouter" in reply.json["error"]["message"]
    )
