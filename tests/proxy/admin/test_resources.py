"""The resources of the admin API: bodies and statuses in 9Router's shape, writes live at once,
secrets masked on the way out and kept when a masked value comes back (T61)."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from ninerouter.cli import app as cli_app
from ninerouter.models import UsageRecord
from ninerouter.store.rows import now_iso
from tests.proxy.admin.conftest import CANARY_KEY

runner = CliRunner()


async def add_node_and_connection(admin, api_key: str = CANARY_KEY) -> tuple[str, dict]:
    status, data, _ = await admin.call(
        "POST",
        "/api/provider-nodes",
        {"name": "Lab", "prefix": "lab", "baseUrl": "http://127.0.0.1:9/v1", "apiType": "chat"},
    )
    assert status == 201, data
    node_id = data["node"]["id"]
    status, data, _ = await admin.call(
        "POST", "/api/providers", {"provider": node_id, "apiKey": api_key, "name": "acc-1"}
    )
    assert status == 201, data
    return node_id, data["connection"]


# --- providers ----------------------------------------------------------------------------


async def test_create_a_connection_on_a_node_as_9router_does(logged_in, store) -> None:
    node_id, conn = await add_node_and_connection(logged_in)
    assert conn["provider"] == node_id
    assert conn["apiKey"] == "sk-…cdef"
    assert conn["providerSpecificData"]["prefix"] == "lab"
    assert store.connections.get(conn["id"]).api_key == CANARY_KEY
    live = logged_in.runtime.config.current.connections
    assert [c.id for c in live] == [conn["id"]]  # live without waiting for the poller


async def test_create_a_registry_connection_with_extras(logged_in, store) -> None:
    status, data, _ = await logged_in.call(
        "POST",
        "/api/providers",
        {
            "provider": "openrouter",
            "apiKey": "sk-or-v1-0123456789abcdef0123",
            "defaultModel": "openai/gpt-5",
            "connectionProxyEnabled": True,
            "connectionProxyUrl": "http://user:proxy-canary-pw@127.0.0.1:7890",
            "connectionNoProxy": "localhost",
            "providerSpecificData": {"note": "team"},
        },
    )
    assert status == 201, data
    conn = data["connection"]
    assert conn["name"] == "OpenRouter" and conn["defaultModel"] == "openai/gpt-5"
    specific = conn["providerSpecificData"]
    assert specific["connectionProxyUrl"] == "http://user:***@127.0.0.1:7890"
    assert specific["connectionNoProxy"] == "localhost" and specific["note"] == "team"
    stored = store.connections.get(conn["id"]).specific
    assert stored["connectionProxyUrl"] == "http://user:proxy-canary-pw@127.0.0.1:7890"


async def test_create_validation_errors_are_400_in_9router_shape(logged_in) -> None:
    cases = [
        ({}, "provider"),
        ({"provider": "nope", "apiKey": "k"}, "unknown provider"),
        ({"provider": "openrouter"}, "apiKey is required"),
        ({"provider": "openrouter", "apiKey": "k", "connectionProxyEnabled": True}, "Url"),
        ({"provider": "openrouter", "apiKey": "k", "proxyPoolId": "missing"}, "not found"),
        ({"provider": "openrouter", "apiKey": "k", "priority": "high"}, "whole number"),
    ]
    for body, words in cases:
        status, data, _ = await logged_in.call("POST", "/api/providers", body)
        assert status == 400, (body, data)
        assert words in data["error"], (body, data)
        assert "--" not in data["error"]  # API wording, not CLI flags


async def test_get_one_and_missing_ids(logged_in) -> None:
    _, conn = await add_node_and_connection(logged_in)
    status, data, _ = await logged_in.call("GET", f"/api/providers/{conn['id']}")
    assert status == 200 and data["connection"]["id"] == conn["id"]
    for method in ("GET", "PUT", "DELETE"):
        body = {} if method == "PUT" else None
        status, data, _ = await logged_in.call(method, "/api/providers/__probe__", body)
        assert status == 404 and "error" in data


async def test_put_merges_whitelisted_fields_only(logged_in, store) -> None:
    _, conn = await add_node_and_connection(logged_in)
    before = store.connections.get(conn["id"])
    status, data, _ = await logged_in.call(
        "PUT",
        f"/api/providers/{conn['id']}",
        {
            "isActive": False,
            "priority": 3,
            "defaultModel": "lab/big",
            "providerSpecificData": {"note": "x"},
            "id": "hijack",
            "provider": "openai",
            "backoffLevel": 9,
            "modelLock_x": "2099-01-01",
        },
    )
    assert status == 200, data
    after = store.connections.get(conn["id"])
    assert (after.is_active, after.priority, after.data["defaultModel"]) == (False, 3, "lab/big")
    assert after.provider == before.provider and after.id == before.id
    assert "backoffLevel" not in after.data and "modelLock_x" not in after.data
    assert after.specific["note"] == "x" and after.specific["prefix"] == "lab"  # shallow merge
    assert after.api_key == CANARY_KEY


async def test_put_of_the_get_object_keeps_the_stored_secrets(logged_in, store) -> None:
    _, conn = await add_node_and_connection(logged_in)
    proxy = "http://u:proxy-canary-pw@127.0.0.1:7890"
    await logged_in.call(
        "PUT",
        f"/api/providers/{conn['id']}",
        {"connectionProxyEnabled": True, "connectionProxyUrl": proxy},
    )
    before = store.connections.get(conn["id"])
    _, shown, _ = await logged_in.call("GET", f"/api/providers/{conn['id']}")
    body = shown["connection"]
    body["connectionProxyEnabled"] = True
    body["connectionProxyUrl"] = body["providerSpecificData"]["connectionProxyUrl"]
    status, _, _ = await logged_in.call("PUT", f"/api/providers/{conn['id']}", body)
    assert status == 200
    after = store.connections.get(conn["id"])
    assert after.api_key == before.api_key == CANARY_KEY
    assert after.specific["connectionProxyUrl"] == proxy
    status, _, _ = await logged_in.call(
        "PUT", f"/api/providers/{conn['id']}", {"apiKey": "sk-new-key-0000000000000000"}
    )
    assert store.connections.get(conn["id"]).api_key == "sk-new-key-0000000000000000"


async def test_delete_a_connection(logged_in, store) -> None:
    _, conn = await add_node_and_connection(logged_in)
    status, data, _ = await logged_in.call("DELETE", f"/api/providers/{conn['id']}")
    assert status == 200 and data["success"] is True
    assert store.connections.all() == []
    assert logged_in.runtime.config.current.connections == ()


async def test_a_connection_named_like_the_probe_id_is_not_touched(logged_in, store) -> None:
    node_id, _ = await add_node_and_connection(logged_in)
    await logged_in.call(
        "POST", "/api/providers", {"provider": node_id, "apiKey": "k" * 20, "name": "__probe__"}
    )
    assert (await logged_in.call("DELETE", "/api/providers/__probe__"))[0] == 404
    assert len(store.connections.all()) == 2


# --- provider nodes -----------------------------------------------------------------------


async def test_nodes_crud(logged_in, store) -> None:
    node_id, conn = await add_node_and_connection(logged_in)
    status, data, _ = await logged_in.call("GET", "/api/provider-nodes")
    assert status == 200 and [n["id"] for n in data["nodes"]] == [node_id]
    status, data, _ = await logged_in.call(
        "PUT", f"/api/provider-nodes/{node_id}", {"baseUrl": "http://127.0.0.1:10/v1/"}
    )
    assert status == 200 and data["node"]["baseUrl"] == "http://127.0.0.1:10/v1"
    assert store.connections.get(conn["id"]).base_url == "http://127.0.0.1:10/v1"
    status, data, _ = await logged_in.call(
        "POST", "/api/provider-nodes", {"name": "Other", "prefix": "lab", "baseUrl": "http://x/v1"}
    )
    assert status == 409
    assert (await logged_in.call("DELETE", f"/api/provider-nodes/{node_id}"))[0] == 200
    assert store.nodes.all() == [] and store.connections.all() == []
    assert (await logged_in.call("DELETE", f"/api/provider-nodes/{node_id}"))[0] == 404


async def test_node_validation(logged_in) -> None:
    for body in (
        {},
        {"name": "a", "prefix": "or", "baseUrl": "http://x/v1"},
        {"name": "a", "prefix": "a b", "baseUrl": "http://x/v1"},
        {"name": "a", "prefix": "ab", "baseUrl": "ftp://x"},
        {"name": "a", "prefix": "ab", "baseUrl": "http://x/v1", "type": "weird"},
    ):
        assert (await logged_in.call("POST", "/api/provider-nodes", body))[0] == 400, body


# --- keys ---------------------------------------------------------------------------------


async def test_keys_full_key_only_at_creation(logged_in, store) -> None:
    status, created, _ = await logged_in.call("POST", "/api/keys", {"name": "cursor"})
    assert status == 201
    full = created["key"]
    assert full.startswith("sk-") and set(created) >= {"id", "name", "machineId", "isActive"}
    _, listed, _ = await logged_in.call("GET", "/api/keys")
    _, one, _ = await logged_in.call("GET", f"/api/keys/{created['id']}")
    for text in (json.dumps(listed), json.dumps(one)):
        assert full not in text and full[-4:] in text
    assert (await logged_in.call("POST", "/api/keys", {}))[0] == 400


async def test_key_put_changes_only_is_active(logged_in, store) -> None:
    _, created, _ = await logged_in.call("POST", "/api/keys", {"name": "cursor"})
    key_id = created["id"]
    status, data, _ = await logged_in.call("PUT", f"/api/keys/{key_id}", {"isActive": False})
    assert status == 200 and data["key"]["isActive"] is False
    assert not logged_in.runtime.config.current.accepts_key(created["key"])
    status, data, _ = await logged_in.call("PUT", f"/api/keys/{key_id}", {"name": "renamed"})
    assert status == 400 and "only isActive" in data["error"]
    _, shown, _ = await logged_in.call("GET", f"/api/keys/{key_id}")
    roundtrip = {**shown["key"], "isActive": True}
    assert (await logged_in.call("PUT", f"/api/keys/{key_id}", roundtrip))[0] == 200
    assert (await logged_in.call("DELETE", f"/api/keys/{key_id}"))[0] == 200
    assert store.keys.all() == []
    assert (await logged_in.call("GET", f"/api/keys/{key_id}"))[0] == 404


# --- combos -------------------------------------------------------------------------------


async def test_combos_crud(logged_in, store) -> None:
    status, combo, _ = await logged_in.call(
        "POST", "/api/combos", {"name": "team", "models": ["lab/a", "lab/b"]}
    )
    assert status == 201 and combo["models"] == ["lab/a", "lab/b"]
    assert "team" in logged_in.runtime.config.current.combos_by_name
    status, data, _ = await logged_in.call("PUT", f"/api/combos/{combo['id']}", {"name": "crew"})
    assert status == 200 and data["name"] == "crew" and data["models"] == ["lab/a", "lab/b"]
    await logged_in.call("POST", "/api/combos", {"name": "other", "models": ["lab/c"]})
    status, data, _ = await logged_in.call("PUT", f"/api/combos/{combo['id']}", {"name": "other"})
    assert status == 409
    status, data, _ = await logged_in.call(
        "PUT", f"/api/combos/{combo['id']}", {"models": ["crew"]}
    )
    assert status == 400 and "loop" in data["error"]
    assert (await logged_in.call("GET", f"/api/combos/{combo['id']}"))[1]["name"] == "crew"
    assert (await logged_in.call("GET", "/api/combos/crew"))[0] == 404  # ids only, never names
    assert (await logged_in.call("DELETE", f"/api/combos/{combo['id']}"))[0] == 200
    assert [c.name for c in store.combos.all()] == ["other"]


# --- settings -----------------------------------------------------------------------------


async def test_settings_get_has_no_secrets(logged_in, store) -> None:
    store.settings.patch({"password": "scrypt$x", "oidcClientSecret": "oidc-canary"})
    status, data, _ = await logged_in.call("GET", "/api/settings")
    assert status == 200
    assert "password" not in data and "oidcClientSecret" not in data
    assert data["hasPassword"] is True


async def test_settings_patch_merges_known_keys_through_the_shared_validation(
    logged_in, store
) -> None:
    status, data, _ = await logged_in.call(
        "PATCH", "/api/settings", {"comboStrategy": "round-robin", "stickyRoundRobinLimit": 5}
    )
    assert status == 200 and data["comboStrategy"] == "round-robin"
    assert logged_in.runtime.config.current.settings["stickyRoundRobinLimit"] == 5
    for body in ({"comboStrategy": "random"}, {"nope": 1}, {"rtkEnabled": "yes"}):
        status, data, _ = await logged_in.call("PATCH", "/api/settings", body)
        assert status == 400, body
    # a rejected PATCH writes nothing, not even its valid keys
    await logged_in.call("PATCH", "/api/settings", {"fallbackStrategy": "sticky", "nope": 1})
    assert store.settings.get()["fallbackStrategy"] == "fill-first"
    assert (await logged_in.call("PATCH", "/api/settings", {}))[0] == 200


async def test_cli_and_api_share_one_settings_path(logged_in, store) -> None:
    result = await asyncio.to_thread(
        runner.invoke, cli_app, ["settings", "set", "comboStrategy", "sticky"]
    )
    assert result.exit_code == 0, result.stderr
    assert (await logged_in.call("GET", "/api/settings"))[1]["comboStrategy"] == "sticky"
    await logged_in.call("PATCH", "/api/settings", {"rtkEnabled": False})
    result = await asyncio.to_thread(runner.invoke, cli_app, ["settings", "get", "rtkEnabled"])
    assert result.stdout.strip() == "false"
    cli = await asyncio.to_thread(runner.invoke, cli_app, ["settings", "set", "nope", "1"])
    _, api, _ = await logged_in.call("PATCH", "/api/settings", {"nope": 1})
    assert api["error"] in cli.stderr  # the same validation, the same words


# --- usage --------------------------------------------------------------------------------


async def test_usage_stats_periods(logged_in, store) -> None:
    record = UsageRecord(
        timestamp=now_iso(),
        provider="openrouter",
        model="gpt-5",
        connection_id="c1",
        connection_name="main",
        endpoint="/v1/chat/completions",
        status="200",
        prompt_tokens=5,
        completion_tokens=7,
        combo="team",
    )
    store.usage.add_many([record])
    status, data, _ = await logged_in.call("GET", "/api/usage/stats?period=24h")
    assert status == 200
    assert (data["period"], data["totalRequests"], data["totalPromptTokens"]) == ("24h", 1, 5)
    assert data["byModel"][0]["key"] == "gpt-5" and data["byCombo"][0]["key"] == "team"
    assert data["byAccount"][0]["key"] == "main"
    assert (await logged_in.call("GET", "/api/usage/stats"))[1]["period"] == "7d"
    assert (await logged_in.call("GET", "/api/usage/stats?period=all"))[1]["since"] is None
    assert (await logged_in.call("GET", "/api/usage/stats?period=1y"))[0] == 400


async def test_proxy_and_pool_keys_inside_provider_specific_data_are_validated(logged_in) -> None:
    _, conn = await add_node_and_connection(logged_in)
    path = f"/api/providers/{conn['id']}"
    for specific, words in (
        ({"proxyPoolId": "missing"}, "not found"),
        ({"connectionProxyEnabled": True}, "connectionProxyUrl is required"),
    ):
        status, data, _ = await logged_in.call("PUT", path, {"providerSpecificData": specific})
        assert status == 400 and words in data["error"], data
    status, data, _ = await logged_in.call(
        "PUT",
        path,
        {
            "providerSpecificData": {
                "connectionProxyEnabled": True,
                "connectionProxyUrl": "http://127.0.0.1:7890",
            }
        },
    )
    assert status == 200
    assert data["connection"]["providerSpecificData"]["connectionProxyUrl"] == (
        "http://127.0.0.1:7890"
    )
    # GET sent back as it is (proxy URL masked inside providerSpecificData) keeps it
    _, shown, _ = await logged_in.call("GET", path)
    assert (await logged_in.call("PUT", path, shown["connection"]))[0] == 200
