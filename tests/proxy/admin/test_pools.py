"""/api/proxy-pools: 9Router's shape on top of services/proxies.py; 409 while a connection uses a
pool; the proxy password never comes back."""

from __future__ import annotations

import json
import socket

from tests.proxy.admin.test_resources import add_node_and_connection

PROXY = "http://user:pool-canary-pw@127.0.0.1:7890"


async def test_pool_crud_masks_the_password(logged_in, store) -> None:
    status, data, _ = await logged_in.call(
        "POST", "/api/proxy-pools", {"name": "clash", "proxyUrl": PROXY, "noProxy": "localhost"}
    )
    assert status == 201, data
    pool = data["proxyPool"]
    assert pool["proxyUrl"] == "http://user:***@127.0.0.1:7890" and pool["noProxy"] == "localhost"
    status, data, _ = await logged_in.call("GET", "/api/proxy-pools?includeUsage=true")
    assert status == 200 and data["proxyPools"][0]["boundConnectionCount"] == 0
    status, data, _ = await logged_in.call("GET", f"/api/proxy-pools/{pool['id']}")
    assert status == 200 and data["proxyPool"]["connections"] == []
    # a PUT of what GET showed keeps the stored URL; a new one replaces it
    status, data, _ = await logged_in.call(
        "PUT", f"/api/proxy-pools/{pool['id']}", {**pool, "name": "clash-2", "isActive": False}
    )
    assert status == 200 and data["proxyPool"]["name"] == "clash-2"
    stored = store.db.execute("SELECT data, isActive FROM proxyPools").fetchone()
    assert json.loads(stored[0])["proxyUrl"] == PROXY and stored[1] == 0
    assert (await logged_in.call("GET", "/api/proxy-pools?isActive=true"))[1]["proxyPools"] == []
    status, data, _ = await logged_in.call(
        "PUT", f"/api/proxy-pools/{pool['id']}", {"proxyUrl": "not a proxy"}
    )
    assert status == 400
    assert (await logged_in.call("DELETE", f"/api/proxy-pools/{pool['id']}"))[0] == 200
    assert (await logged_in.call("GET", f"/api/proxy-pools/{pool['id']}"))[0] == 404


async def test_pool_validation(logged_in) -> None:
    for body in ({}, {"name": "x"}, {"proxyUrl": PROXY}, {"name": "x", "proxyUrl": "ftp://a:1"}):
        assert (await logged_in.call("POST", "/api/proxy-pools", body))[0] == 400, body


async def test_a_pool_in_use_cannot_be_deleted(logged_in, store) -> None:
    _, pool, _ = await logged_in.call(
        "POST", "/api/proxy-pools", {"name": "clash", "proxyUrl": PROXY}
    )
    pool_id = pool["proxyPool"]["id"]
    _, conn = await add_node_and_connection(logged_in)
    status, data, _ = await logged_in.call(
        "PUT", f"/api/providers/{conn['id']}", {"proxyPoolId": pool_id}
    )
    assert status == 200 and data["connection"]["providerSpecificData"]["proxyPoolId"] == pool_id
    status, data, _ = await logged_in.call("DELETE", f"/api/proxy-pools/{pool_id}")
    assert status == 409 and "acc-1" in data["error"]
    await logged_in.call("PUT", f"/api/providers/{conn['id']}", {"proxyPoolId": "__none__"})
    assert "proxyPoolId" not in store.connections.get(conn["id"]).specific
    assert (await logged_in.call("DELETE", f"/api/proxy-pools/{pool_id}"))[0] == 200


async def test_testing_a_dead_proxy_records_an_error(logged_in, store) -> None:
    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _, pool, _ = await logged_in.call(
        "POST", "/api/proxy-pools", {"name": "dead", "proxyUrl": f"http://127.0.0.1:{port}"}
    )
    pool_id = pool["proxyPool"]["id"]
    status, data, _ = await logged_in.call("POST", f"/api/proxy-pools/{pool_id}/test")
    assert status == 200 and data["testStatus"] == "error"
    assert store.db.execute("SELECT testStatus FROM proxyPools").fetchone()[0] == "error"
    assert (await logged_in.call("POST", "/api/proxy-pools/__probe__/test"))[0] == 404
