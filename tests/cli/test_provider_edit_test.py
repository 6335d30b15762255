"""`provider edit` and `provider test` (the latter against a real HTTP server on loopback)."""

from __future__ import annotations

import json

from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from ninerouter.cli import app
from ninerouter.home import Home
from ninerouter.store import Store

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def add(name: str, base_url: str, key: str = "sk-upstream-secret-777") -> None:
    result = run(
        "provider", "add", "openai", "--name", name, "--api-key", key, "--base-url", base_url
    )
    assert result.exit_code == 0, result.stderr


def row(home: Home, name: str) -> dict:
    store = Store(home.db_path)
    try:
        conn = next(c for c in store.connections.all() if c.name == name)
        return {
            "name": conn.name,
            "priority": conn.priority,
            "active": conn.is_active,
            **conn.data,
            "updatedAt": conn.updated_at,
        }
    finally:
        store.close()


def test_edit_changes_fields_and_bumps_updated_at(home: Home) -> None:
    add("main", "http://127.0.0.1:9/v1")
    before = row(home, "main")
    result = run(
        "provider",
        "edit",
        "main",
        "--name",
        "primary",
        "--priority",
        "5",
        "--inactive",
        "--api-key",
        "sk-new-key-0000000000",
        "--max-concurrent",
        "2",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["apiKey"] == "sk-…0000"
    after = row(home, "primary")
    assert (
        after["priority"] == 5
        and after["active"] is False
        and after["apiKey"] == "sk-new-key-0000000000"
    )
    assert after["throttle"] == {"maxConcurrent": 2}
    assert after["updatedAt"] > before["updatedAt"]
    assert "sk-new-key-0000000000" not in result.stdout


def test_edit_refuses_bad_input_and_writes_nothing(home: Home) -> None:
    add("one", "http://127.0.0.1:9/v1")
    add("two", "http://127.0.0.1:9/v1")
    before = row(home, "one")
    for args, needle in (
        (["--name", "two"], "already exists"),
        (["--priority", "0"], "1 or more"),
        (["--base-url", "nope"], "not an http(s) URL"),
        ([], "nothing to change"),
    ):
        result = run("provider", "edit", "one", *args)
        assert result.exit_code == 1 and needle in result.stderr, (args, result.stderr)
    assert row(home, "one") == before


def test_provider_test_records_success_and_lifts_locks(home: Home, httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/v1/models", headers={"Authorization": "Bearer sk-upstream-secret-777"}
    ).respond_with_json({"data": [{"id": "m"}]})
    add("acc", httpserver.url_for("/v1"))
    store = Store(home.db_path)
    conn = store.connections.all()[0]
    with store.write():
        store.connections.patch_data(
            {conn.id: {"modelLock_m": "2999-01-01T00:00:00.000Z", "backoffLevel": 4}}
        )
    store.close()
    result = run("provider", "test", "acc", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    data = row(home, "acc")
    assert data["testStatus"] == "active" and data["lastTestedAt"].endswith("Z")
    assert "modelLock_m" not in data and data["backoffLevel"] == 0
    httpserver.check_assertions()


def test_provider_test_failure_exits_3_without_leaking_the_key(
    home: Home, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v1/models").respond_with_json(
        {"error": {"message": "Incorrect API key provided: sk-upstream-secret-777"}}, status=401
    )
    add("acc", httpserver.url_for("/v1"))
    result = run("provider", "test", "acc", "--json")
    assert result.exit_code == 3
    out = json.loads(result.stdout)
    assert out["ok"] is False and out["status"] == 401
    assert "sk-upstream-secret-777" not in result.stdout + result.stderr
    data = row(home, "acc")
    assert data["testStatus"] == "error" and data["errorCode"] == 401
    assert "sk-upstream-secret-777" not in data["lastError"]


def test_provider_test_unreachable(home: Home) -> None:
    add("acc", "http://127.0.0.1:9/v1")
    result = run("provider", "test", "acc")
    assert result.exit_code == 3 and "could not reach" in result.stderr
