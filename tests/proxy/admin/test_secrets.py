"""T60/T61: canary secrets never appear in an admin API response (body or headers), an error
message or a log line, whatever path they took in."""

from __future__ import annotations

import logging

from tests.proxy.admin.conftest import CANARY_KEY

PROXY_PW = "proxy-canary-pw-4242"
POOL_PW = "pool-canary-pw-4343"
SETTINGS_PW = "settings-canary-pw-4444"
BASE_URL_PW = "baseurl-canary-pw-4545"
DASHBOARD_PW = "dashboard-canary-password-4646"
WRONG_PW = "wrong-canary-password-4747"
CANARIES = (CANARY_KEY, PROXY_PW, POOL_PW, SETTINGS_PW, BASE_URL_PW, DASHBOARD_PW, WRONG_PW)


async def test_canaries_never_leave_through_the_admin_api(logged_in, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    client_key: str | None = None

    async def call(method: str, path: str, body=None, **kw):
        status, data, resp = await logged_in.call(method, path, body, **kw)
        seen.append(f"{method} {path} {status} {dict(resp.headers)} {data}")
        return status, data

    _, node = await call(
        "POST", "/api/provider-nodes", {"name": "Lab", "prefix": "lab", "baseUrl": "http://x/v1"}
    )
    node_id = node["node"]["id"]
    _, conn = await call(
        "POST",
        "/api/providers",
        {
            "provider": node_id,
            "apiKey": CANARY_KEY,
            "name": "acc",
            "connectionProxyEnabled": True,
            "connectionProxyUrl": f"http://u:{PROXY_PW}@127.0.0.1:7890",
        },
    )
    conn_id = conn["connection"]["id"]
    _, pool = await call(
        "POST", "/api/proxy-pools", {"name": "p", "proxyUrl": f"http://u:{POOL_PW}@127.0.0.1:1"}
    )
    pool_id = pool["proxyPool"]["id"]
    # error paths that carry a secret in
    await call("POST", "/api/providers", {"provider": "nope", "apiKey": CANARY_KEY})
    await call(
        "POST",
        "/api/providers",
        {
            "provider": "openai-compatible",
            "apiKey": CANARY_KEY,
            "name": "x",
            "prefix": "zz",
            "baseUrl": f"ftp://u:{BASE_URL_PW}@host/v1",
        },
    )
    await call("PUT", f"/api/providers/{conn_id}", {"apiKey": CANARY_KEY, "priority": 0})
    await call("PUT", f"/api/providers/{conn_id}", {"apiKey": CANARY_KEY, "name": ""})
    await call("POST", "/api/proxy-pools", {"name": "q", "proxyUrl": f"http://u:{POOL_PW}@h:x"})
    await call("PATCH", "/api/settings", {"outboundProxyUrl": f"http://u:{SETTINGS_PW}@h:1"})
    await call("PATCH", "/api/settings", {"newPassword": DASHBOARD_PW, "currentPassword": ""})
    await call("PATCH", "/api/settings", {"newPassword": "x" * 9, "currentPassword": WRONG_PW})
    await call("POST", "/api/auth/login", {"password": WRONG_PW})
    status, created = await call("POST", "/api/keys", {"name": "cursor"})
    assert status == 201
    client_key = created["key"]
    seen.pop()  # the one answer that shows the new client key, by design
    # every read
    for path in (
        "/api/providers",
        f"/api/providers/{conn_id}",
        "/api/provider-nodes",
        "/api/keys",
        f"/api/keys/{created['id']}",
        "/api/proxy-pools?includeUsage=true",
        f"/api/proxy-pools/{pool_id}",
        "/api/combos",
        "/api/settings",
        "/api/usage/stats?period=all",
    ):
        status, _ = await call("GET", path)
        assert status == 200, path

    everything = "\n".join(seen) + "\n" + caplog.text
    for canary in (*CANARIES, client_key):
        assert canary not in everything, canary
    assert "sk-…cdef" in everything  # the masked form is what callers see


def test_secret_parts_keep_server_messages_readable() -> None:
    from ninerouter.proxy.admin.common import secret_parts

    assert secret_parts("http://user:s3cret-pw@host:8080") == ["s3cret-pw"]
    assert secret_parts("user:pw-123456@host:1") == ["pw-123456"]
    assert secret_parts("http://host:8080") == []
    assert secret_parts("not a proxy") == []
    assert secret_parts("sk-abcdef1234567890") == ["sk-abcdef1234567890"]
