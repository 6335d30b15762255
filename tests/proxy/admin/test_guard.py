"""T49, T55, T56, T57: the admin API denies by default, checks Host and Origin, sends no CORS,
and answers wrong methods with Allow and a message naming the right one."""

from __future__ import annotations

import pytest

from ninerouter.proxy.admin.guard import (
    extra_hosts,
    host_allowed,
    host_name,
    is_admin_path,
    is_local_peer,
)
from ninerouter.proxy.admin.matrix import MATRIX
from ninerouter.services.keys import read_initial_key

PUBLIC = {("GET", "/api/health"), ("POST", "/api/auth/login"), ("POST", "/api/auth/logout")}


def admin_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) of the admin API, straight from the router's table."""
    found = []
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if is_admin_path(path) and route.method != "HEAD":
            found.append((route.method, path))
    return sorted(set(found))


def concrete(path: str) -> str:
    return path.replace("{id}", "some-id")


async def test_route_table_is_the_documented_matrix(admin) -> None:
    table: dict[str, set[str]] = {}
    for method, path in admin_routes(admin.app):
        table.setdefault(path.replace("{id}", ":id"), set()).add(method)
    documented = {path: set(methods) for path, methods in MATRIX.items()}
    documented["/api/health"] = {"GET"}
    assert table == documented


@pytest.mark.parametrize("credential", ["none", "client-key", "forged-cookie"])
async def test_every_admin_route_but_the_public_ones_needs_a_session(
    admin, home, credential
) -> None:
    headers = {}
    if credential == "client-key":
        headers["Authorization"] = f"Bearer {read_initial_key(home)}"
    if credential == "forged-cookie":
        headers["Cookie"] = "auth_token=eyJhbGciOiJIUzI1NiJ9.eyJhdXRoZW50aWNhdGVkIjp0cnVlfQ.x"
    routes = admin_routes(admin.app)
    assert len(routes) >= 25
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        body = {} if method in ("POST", "PUT", "PATCH") else None
        status, data, _ = await admin.call(method, concrete(path), body, headers=headers)
        assert status == 401, (method, path, status, data)
        assert "login" in data["error"]


async def test_unknown_admin_paths_and_wrong_methods_need_a_session_too(admin) -> None:
    assert (await admin.call("GET", "/api/shutdown"))[0] == 401
    assert (await admin.call("PATCH", "/api/providers/x", {}))[0] == 401
    assert (await admin.call("GET", "/api/settings/database"))[0] == 401


async def test_there_is_no_login_optional_mode(admin, store) -> None:
    store.settings.patch({"requireLogin": False})
    await admin.runtime.config.reload_now()
    assert (await admin.call("GET", "/api/providers"))[0] == 401


async def test_public_routes_answer_without_a_session(admin) -> None:
    assert (await admin.call("GET", "/api/health"))[:2] == (200, {"ok": True})
    assert (await admin.call("POST", "/api/auth/logout"))[0] == 200
    assert (await admin.call("POST", "/api/auth/login", {"password": "nope"}))[0] == 401


async def test_proxy_api_aliases_under_api_are_not_admin_routes(admin) -> None:
    status, _, _ = await admin.call("GET", "/api/v1/models")
    assert status == 200


@pytest.mark.parametrize(
    ("method", "path", "allow", "hint"),
    [
        ("PATCH", "/api/providers/abc", "DELETE, GET, PUT", "use PUT (the body is merged"),
        ("PATCH", "/api/keys/abc", "DELETE, GET, PUT", "use PUT (the body is merged"),
        ("PATCH", "/api/proxy-pools/abc", "DELETE, GET, PUT", "use PUT (the body is merged"),
        ("PATCH", "/api/combos/abc", "DELETE, GET, PUT", "use PUT (the body is merged"),
        ("POST", "/api/settings", "GET, PATCH", "use PATCH (the body is merged"),
        ("PUT", "/api/settings", "GET, PATCH", "use PATCH"),
        ("DELETE", "/api/providers", "GET, POST", "DELETE /api/providers/:id"),
        ("POST", "/api/usage/stats", "GET", "use GET"),
        ("GET", "/api/provider-nodes/abc", "DELETE, PUT", "use DELETE or PUT"),
    ],
)
async def test_wrong_method_answers_405_with_allow_and_the_right_method(
    logged_in, method, path, allow, hint
) -> None:
    body = {} if method in ("POST", "PUT", "PATCH") else None
    status, data, resp = await logged_in.call(method, path, body)
    assert status == 405
    assert resp.headers["Allow"] == allow
    pattern = path.replace("/abc", "/:id")
    assert data["error"].startswith(f"{method} is not allowed on {pattern}; ")
    assert hint in data["error"]


async def test_unknown_admin_path_is_a_json_404(logged_in) -> None:
    status, data, _ = await logged_in.call("GET", "/api/nope")
    assert status == 404 and "no admin route" in data["error"]


# --- Host (DNS rebinding) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:20128", "localhost"),
        ("LOCALHOST.", "localhost"),
        ("[::1]:20128", "::1"),
        ("127.0.0.1", "127.0.0.1"),
        ("evil.example:20128", "evil.example"),
        ("", None),
    ],
)
def test_host_name(header, name) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("localhost", True),
        ("foo.localhost", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.5", False),  # not the address the request came in on
        ("evil.example", False),
        ("127.0.0.1.nip.io", False),
        ("localhost.evil.example", False),
        (None, False),
    ],
)
def test_host_allowed(name, ok) -> None:
    assert host_allowed(name) is ok


def test_host_allowed_takes_the_arrival_address_and_listed_names() -> None:
    assert host_allowed("192.168.1.5", local=["192.168.1.5"])
    assert host_allowed("router.lan", extra=["Router.LAN:20128"])
    assert not host_allowed("other.lan", extra=["router.lan"])


def test_extra_hosts_from_settings() -> None:
    assert extra_hosts({"allowedHosts": ["a.lan", " b.lan "]}) == ["a.lan", "b.lan"]
    assert extra_hosts({"allowedHosts": "a.lan, b.lan"}) == ["a.lan", "b.lan"]
    tunnel = {"tunnelUrl": "https://x.trycloudflare.com", "tunnelDashboardAccess": False}
    assert extra_hosts(tunnel) == []
    assert extra_hosts({**tunnel, "tunnelDashboardAccess": True}) == ["x.trycloudflare.com"]


@pytest.mark.parametrize("host", ["evil.example:20128", "127.0.0.1.nip.io:20128"])
async def test_rebound_host_is_refused_with_no_side_effect(logged_in, store, host) -> None:
    status, data, _ = await logged_in.call(
        "POST", "/api/keys", {"name": "x"}, headers={"Host": host}
    )
    assert status == 403 and "DNS rebinding" in data["error"]
    assert store.keys.all() == []
    status, _, _ = await logged_in.call("GET", "/api/providers", headers={"Host": host})
    assert status == 403
    status, _, _ = await logged_in.call(
        "POST", "/api/auth/login", {"password": "123456"}, headers={"Host": host}
    )
    assert status == 403


@pytest.mark.parametrize("host", ["localhost:20128", "foo.localhost", "[::1]:20128", "127.0.0.1"])
async def test_loopback_host_forms_are_accepted(logged_in, host) -> None:
    assert (await logged_in.call("GET", "/api/providers", headers={"Host": host}))[0] == 200


async def test_listed_host_is_accepted(logged_in, store) -> None:
    store.settings.patch({"allowedHosts": ["router.lan"]})
    await logged_in.runtime.config.reload_now()
    headers = {"Host": "router.lan:20128"}
    assert (await logged_in.call("GET", "/api/providers", headers=headers))[0] == 200


# --- Origin, content type (CSRF) --------------------------------------------------------


async def test_cross_site_origin_is_refused(logged_in, store) -> None:
    headers = {"Origin": "http://evil.example"}
    status, data, _ = await logged_in.call("POST", "/api/keys", {"name": "x"}, headers=headers)
    assert status == 403 and "Origin" in data["error"]
    status, _, _ = await logged_in.call(
        "POST", "/api/keys", {"name": "x"}, headers={"Origin": "null"}
    )
    assert status == 403
    assert store.keys.all() == []


async def test_cross_site_fetch_metadata_without_origin_is_refused(logged_in) -> None:
    headers = {"Sec-Fetch-Site": "cross-site"}
    assert (await logged_in.call("POST", "/api/keys", {"name": "x"}, headers=headers))[0] == 403


async def test_a_form_post_is_refused_with_415(logged_in, store) -> None:
    status, data, _ = await logged_in.call(
        "POST", "/api/keys", data='{"name": "x"}', headers={"Content-Type": "text/plain"}
    )
    assert status == 415 and "application/json" in data["error"]
    assert store.keys.all() == []


async def test_same_origin_request_as_the_dashboard_sends_it_is_accepted(logged_in) -> None:
    origin = f"http://localhost:{logged_in.client.port}"
    headers = {"Origin": origin, "Sec-Fetch-Site": "same-origin"}
    assert (await logged_in.call("POST", "/api/keys", {"name": "x"}, headers=headers))[0] == 201


async def test_no_get_changes_state(logged_in, store) -> None:
    def snapshot():
        tables = ("providerConnections", "providerNodes", "apiKeys", "combos", "settings")
        return {t: list(store.db.query(f"SELECT * FROM {t}")) for t in tables}

    before = snapshot()
    for method, path in admin_routes(logged_in.app):
        if method == "GET":
            await logged_in.call("GET", concrete(path))
    assert snapshot() == before


# --- CORS -------------------------------------------------------------------------------


async def test_no_cors_header_on_the_admin_api_ever(logged_in) -> None:
    headers = {"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"}
    for method, path in (
        ("OPTIONS", "/api/providers"),
        ("GET", "/api/providers"),
        ("GET", "/api/health"),
        ("POST", "/api/auth/login"),
    ):
        _, _, resp = await logged_in.call(method, path, headers=headers)
        assert "Access-Control-Allow-Origin" not in resp.headers, (method, path)


# --- local or remote ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "headers", "local"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("::ffff:127.0.0.1", {}, True),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, False),  # a local reverse proxy
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}, False),
        ("127.0.0.1", {"X-Real-IP": "203.0.113.9"}, False),
        ("192.168.1.20", {}, False),
        ("203.0.113.9", {}, False),
        (None, {}, False),
        ("not-an-ip", {}, False),
    ],
)
def test_is_local_peer(remote, headers, local) -> None:
    assert is_local_peer(remote, headers) is local
