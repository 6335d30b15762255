"""`ninerouter probe`: against a live ninerouter (the matrix of issue 7, and nothing changes),
against nothing (the tutorial's pitfall), and its parser against a recorded 9Router 0.5.69."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ninerouter.cli import app
from ninerouter.proxy.app import create_app
from ninerouter.proxy.runtime import RUNTIME
from ninerouter.services.combos import create_combo
from ninerouter.services.keys import create_key
from ninerouter.services.probe import (
    EXPECTED,
    METHODS,
    Matrix,
    observe,
    reply_from_record,
    server_kind,
)
from ninerouter.services.providers import NewConnection, add_connection
from ninerouter.services.settings import set_setting

runner = CliRunner()
FIXTURE = Path(__file__).parents[1] / "golden" / "probe" / "9router-0.5.69.json"

# Issue 7: which methods each admin resource answers (anything else is a 405).
ISSUE_MATRIX = {
    "/api/providers": ["GET", "POST"],
    "/api/providers/:id": ["GET", "PUT", "DELETE"],
    "/api/provider-nodes": ["GET", "POST"],
    "/api/provider-nodes/:id": ["PUT", "DELETE"],
    "/api/keys": ["GET", "POST"],
    "/api/keys/:id": ["GET", "PUT", "DELETE"],
    "/api/proxy-pools": ["GET", "POST"],
    "/api/proxy-pools/:id": ["GET", "PUT", "DELETE"],
    "/api/combos": ["GET", "POST"],
    "/api/combos/:id": ["GET", "PUT", "DELETE"],
    "/api/settings": ["GET", "PATCH"],
    "/api/usage/stats": ["GET"],
}


async def probe(*args: str):
    return await asyncio.to_thread(runner.invoke, app, ["probe", *args])


def snapshot(store) -> dict[str, list]:
    tables = ("providerConnections", "providerNodes", "apiKeys", "combos", "settings", "proxyPools")
    return {t: list(store.db.query(f"SELECT * FROM {t}")) for t in tables}


@pytest.fixture
async def server(home, store, aiohttp_server):
    add_connection(
        store,
        NewConnection(
            provider="openai-compatible",
            name="acc1",
            api_key="sk-upstream-secret-0001",
            base_url="http://127.0.0.1:9/v1",
            prefix="lab",
        ),
    )
    create_key(store, "cursor")
    create_combo(store, "team", ["lab/a"])
    return await aiohttp_server(create_app(home))


async def test_probe_methods_json_reports_exactly_the_issue_matrix(server, store) -> None:
    before = snapshot(store)
    result = await probe(str(server.make_url("")), "--methods", "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["problems"] == []
    assert report["server"] == "ninerouter"
    assert report["allowed"] == ISSUE_MATRIX
    assert report["absent"] == []
    assert report["silent405"] == 0  # every 405 carries a JSON message
    checks = {c["name"]: c["status"] for c in report["checks"]}
    assert checks == {
        "health": "ok",
        "server": "info",
        "models": "ok",
        "chat needs key": "ok",
        "login": "ok",
    }
    for resource, row in report["matrix"].items():
        assert set(row) == set(METHODS)
        assert all(status < 500 for status in row.values()), (resource, row)
    assert snapshot(store) == before  # probing changed nothing


async def test_probe_prints_tables_for_people(server) -> None:
    result = await probe(str(server.make_url("")), "--methods")
    assert result.exit_code == 0, result.stderr
    assert "chat needs key" in result.stdout and "yes (401 without a key)" in result.stdout
    assert "/api/providers/:id" in result.stdout and "GET PUT DELETE" in result.stdout


async def test_probe_without_methods_does_not_touch_the_admin_resources(server) -> None:
    result = await probe(str(server.make_url("")), "--json")
    assert result.exit_code == 0
    assert "matrix" not in json.loads(result.stdout)


def test_nothing_listening_is_diagnosed_as_the_router_being_down() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = runner.invoke(app, ["probe", f"http://127.0.0.1:{port}", "--json"])
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert (
        f"nothing listening on 127.0.0.1:{port} — start it with `ninerouter serve --daemon`"
        in result.stderr
    )
    assert "No active credentials" in report["problems"][0]


async def test_a_wrong_password_is_a_problem(server) -> None:
    result = await probe(str(server.make_url("")), "--password", "not-it", "--json")
    assert result.exit_code == 3
    login = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "login")
    assert login["status"] == "fail" and "401" in login["detail"]


async def test_a_set_password_without_one_given_is_a_warning_unless_methods_are_asked(
    server, store, monkeypatch
) -> None:
    monkeypatch.delenv("NINEROUTER_PASSWORD", raising=False)
    store.settings.patch({"password": "scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA"})
    await server.app[RUNTIME].config.reload_now()
    url = str(server.make_url(""))
    quiet = await probe(url, "--json")
    assert quiet.exit_code == 0
    login = next(c for c in json.loads(quiet.stdout)["checks"] if c["name"] == "login")
    assert login["status"] == "warn" and "--password" in login["detail"]
    methods = await probe(url, "--methods", "--json")
    assert methods.exit_code == 3
    assert "not probed" in methods.stderr


async def test_chat_without_a_key_is_flagged(server, store) -> None:
    set_setting(store, "requireApiKey", False)
    await server.app[RUNTIME].config.reload_now()
    result = await probe(str(server.make_url("")), "--json")
    chat = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "chat needs key")
    assert chat["status"] == "warn" and chat["detail"].startswith("no:")


# --- the parser against a recorded 9Router --------------------------------------------------


def recorded_9router() -> dict:
    return json.loads(FIXTURE.read_text())


def test_recorded_9router_matrix_parses_to_the_documented_matrix() -> None:
    fixture = recorded_9router()
    replies = fixture["replies"]
    observations = [
        observe(r["resource"], r["method"], reply_from_record(r))
        for r in replies
        if r["resource"] in EXPECTED
    ]
    assert len(observations) == len(EXPECTED) * len(METHODS)
    matrix = Matrix(observations)
    assert matrix.allowed() == ISSUE_MATRIX
    assert matrix.problems() == []
    # 9Router answers a wrong method with an empty 405: no JSON, no Allow header.
    wrong = [o for o in observations if o.status == 405]
    assert len(wrong) == matrix.silent_405s() == 33
    assert all(o.body == "empty" and o.message is None and o.allow is None for o in wrong)
    # ...and validation failures as {"error": "..."}
    post = next(o for o in observations if (o.resource, o.method) == ("/api/keys", "POST"))
    assert (post.status, post.message) == (400, "Name is required")
    assert server_kind(reply_from_record(r) for r in replies) == "9router"


def test_recorded_9router_guards_every_admin_resource() -> None:
    unauthenticated = recorded_9router()["unauthenticated"]
    assert set(unauthenticated) == set(EXPECTED)
    assert {s for row in unauthenticated.values() for s in row.values()} == {401}


def test_the_fixture_holds_no_session_or_2xx_body() -> None:
    text = FIXTURE.read_text()
    assert "auth_token=" not in text and "set-cookie" not in text.lower()
    for reply in recorded_9router()["replies"]:
        if reply["status"] < 400:
            assert reply["body"] == ""


def test_a_missing_resource_is_reported_absent_not_allowed() -> None:
    from ninerouter.upstream.probe_http import Reply

    observations = [
        observe(res, m, Reply(404, {}, b'{"error":"no admin route"}'))
        for res in ("/api/proxy-pools", "/api/proxy-pools/:id")
        for m in METHODS
    ]
    matrix = Matrix(observations)
    assert matrix.absent() == ["/api/proxy-pools", "/api/proxy-pools/:id"]
    assert matrix.allowed() == {}
