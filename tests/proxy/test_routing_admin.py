"""Changes made while the server runs: an edit lifts auth_failed, a passing test lifts cooldowns,
and usage is recorded per finished request."""

from __future__ import annotations

import asyncio
import json

from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from ninerouter.cli import app
from ninerouter.proxy.persist import flush
from ninerouter.services.combos import create_combo
from ninerouter.services.providers import ConnectionEdit, edit_connection

runner = CliRunner()


async def wait_until(predicate, seconds: float = 1.5) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_editing_an_auth_failed_account_puts_it_back(make_fleet, store) -> None:
    fleet = await make_fleet("ab")
    fleet.fake.scripts["key-a"] = ["fail-401"]
    await fleet.chat()
    a = fleet.conn_id("a")
    assert fleet.runtime.health.blocked(a, "fake-a").reason == "auth_failed"
    await flush(fleet.runtime)
    edit_connection(store, "a", ConnectionEdit(api_key="key-a"))
    await wait_until(lambda: fleet.runtime.health.blocked(a, "fake-a") is None)
    assert "connection=a" in (await fleet.chat()).route


async def test_a_passing_provider_test_lifts_cooldowns_in_the_running_server(
    make_fleet, store, httpserver: HTTPServer
) -> None:
    fleet = await make_fleet("a")
    fleet.fake.retry_after = "600"
    fleet.fake.scripts["key-a"] = ["fail-429"]
    assert (await fleet.chat()).status == 429
    a = fleet.conn_id("a")
    assert fleet.runtime.health.blocked(a, "fake-a") is not None
    await flush(fleet.runtime)
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    edit_connection(store, "a", ConnectionEdit(base_url=httpserver.url_for("/v1")))
    result = await asyncio.to_thread(runner.invoke, app, ["provider", "test", "a"])
    assert result.exit_code == 0, result.stderr
    await wait_until(lambda: fleet.runtime.health.blocked(a, "fake-a") is None)


async def test_usage_is_recorded_per_request_with_combo_and_timing(make_fleet, store) -> None:
    fleet = await make_fleet("ab")
    create_combo(store, "team", ["fake/fake-a"])
    await wait_until(lambda: "team" in fleet.runtime.config.current.combos_by_name)
    fleet.fake.scripts["key-a"] = ["fail-429"]
    assert (await fleet.chat("team")).status == 200
    assert (
        await fleet.chat("fake/fake-a", stream=True, stream_options={"include_usage": True})
    ).status == 200
    await flush(fleet.runtime)
    result = await asyncio.to_thread(runner.invoke, app, ["usage", "--by", "combo", "--json"])
    rows = {r["key"]: r for r in json.loads(result.stdout)["rows"]}
    assert rows["team"]["requests"] == 1 and rows["team"]["promptTokens"] == 5
    assert rows["team"]["completionTokens"] == 9
    assert rows["(none)"]["requests"] == 1
    by_conn = json.loads(
        (
            await asyncio.to_thread(runner.invoke, app, ["usage", "--by", "connection", "--json"])
        ).stdout
    )["rows"]
    assert {r["key"] for r in by_conn} == {"b"}
    history = list(store.db.query("SELECT status, meta FROM usageHistory ORDER BY id"))
    assert [h["status"] for h in history] == ["200", "200"]
    metas = [json.loads(h["meta"]) for h in history]
    assert metas[0]["attempts"] == 2 and metas[0]["combo"] == "team"
    assert metas[1]["stream"] is True and metas[1]["ttftMs"] is not None
