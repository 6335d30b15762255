"""T50-T54: sessions, the initial password, the login rate limit, password changes and
constant-time comparisons. Expiry and lockout use the injected clock only."""

from __future__ import annotations

import asyncio
import hmac
import json

import aiohttp
import pytest
from aiohttp import streams, web
from aiohttp.base_protocol import BaseProtocol
from aiohttp.test_utils import make_mocked_request

from ninerouter.proxy.admin import auth as auth_routes
from ninerouter.proxy.admin.common import AdminError
from ninerouter.services import auth as passwords
from ninerouter.services.sessions import LoginLimiter, Sessions
from tests.fakes.clock import FakeClock

NEW = "correct horse battery staple"


async def test_login_sets_an_httponly_lax_session_cookie(admin) -> None:
    status, data, resp = await admin.call("POST", "/api/auth/login", {"password": "123456"})
    assert (status, data) == (200, {"success": True})
    cookie = resp.cookies["auth_token"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert int(cookie["max-age"]) == 24 * 3600
    assert len(cookie.value) >= 43  # 256 random bits, url-safe base64
    assert (await admin.call("GET", "/api/providers"))[0] == 200


async def test_each_login_gets_a_new_session_id(admin) -> None:
    ids = set()
    for _ in range(2):
        _, _, resp = await admin.call("POST", "/api/auth/login", {"password": "123456"})
        ids.add(resp.cookies["auth_token"].value)
    assert len(ids) == 2


async def test_logout_ends_the_session_on_the_server(logged_in) -> None:
    token = logged_in.client.session.cookie_jar.filter_cookies(logged_in.client.make_url("/"))[
        "auth_token"
    ].value
    assert (await logged_in.call("POST", "/api/auth/logout"))[0] == 200
    replay = {"Cookie": f"auth_token={token}"}
    assert (await logged_in.call("GET", "/api/providers", headers=replay))[0] == 401


async def test_an_expired_session_is_refused(logged_in) -> None:
    logged_in.clock.advance(24 * 3600 - 5)
    assert (await logged_in.call("GET", "/api/providers"))[0] == 200
    logged_in.clock.advance(10)
    assert (await logged_in.call("GET", "/api/providers"))[0] == 401


@pytest.mark.parametrize(
    "token",
    [
        # 9Router's JWT signed with its default secret, and with "change-me" / an empty secret.
        "eyJhbGciOiJIUzI1NiJ9.eyJhdXRoZW50aWNhdGVkIjp0cnVlfQ."
        "kPjF7yQ0aBvYc9yO4Cw0wQ7m7wq8XnKJp6gq0b2zE2c",
        "eyJhbGciOiJub25lIn0.eyJhdXRoZW50aWNhdGVkIjp0cnVlfQ.",
        "",
        "x" * 5000,
        "0" * 43,
    ],
)
async def test_forged_cookies_are_refused(admin, token) -> None:
    headers = {"Cookie": f"auth_token={token}"}
    assert (await admin.call("GET", "/api/settings", headers=headers))[0] == 401


# --- rate limit ---------------------------------------------------------------------------


async def test_login_lockout_after_five_failures_with_retry_after(admin, caplog) -> None:
    canary = "wrong-canary-password-1"
    for _ in range(5):
        status, data, _ = await admin.call("POST", "/api/auth/login", {"password": canary})
        assert status == 401 and data == {"error": "wrong password."}
    status, data, resp = await admin.call("POST", "/api/auth/login", {"password": "123456"})
    assert status == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 15 * 60
    admin.clock.advance(15 * 60 + 1)
    assert await admin.login() == 200
    # the success reset the counter
    for _ in range(4):
        await admin.call("POST", "/api/auth/login", {"password": canary})
    assert await admin.login() == 200
    assert "failed login from 127.0.0.1" in caplog.text
    assert canary not in caplog.text


async def test_a_malformed_login_body_gets_the_wrong_password_answer(admin) -> None:
    wrong = await admin.call("POST", "/api/auth/login", {"password": "nope"})
    for body in ({}, {"password": 5}, ["x"]):
        status, data, _ = await admin.call("POST", "/api/auth/login", body)
        assert (status, data) == (wrong[0], wrong[1])
    status, data, _ = await admin.call(
        "POST", "/api/auth/login", data="{oops", headers={"Content-Type": "application/json"}
    )
    assert (status, data) == (wrong[0], wrong[1])


async def test_concurrent_guesses_cannot_pass_the_limit(admin) -> None:
    replies = await asyncio.gather(
        *(admin.call("POST", "/api/auth/login", {"password": f"guess{i}"}) for i in range(12))
    )
    statuses = sorted(r[0] for r in replies)
    assert statuses.count(401) <= 5 and statuses.count(429) >= 7


def test_limiter_window_slides() -> None:
    clock = FakeClock(1000.0)
    limiter = LoginLimiter(clock, limit=2, window=60)
    limiter.failed("a")
    clock.advance(30)
    limiter.failed("a")
    assert limiter.retry_after("a") == 30
    assert limiter.retry_after("b") is None
    clock.advance(31)
    assert limiter.retry_after("a") is None


# --- the initial password -----------------------------------------------------------------


class _Transport:
    """The minimum of a transport that make_mocked_request reads: where the peer is."""

    def __init__(self, peer: str) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"peername": (self.peer, 40000), "sockname": ("127.0.0.1", 20128)}.get(name, default)

    def is_closing(self) -> bool:
        return False


def _login_request(app: web.Application, peer: str, password: str) -> web.Request:
    loop = asyncio.get_running_loop()
    payload = streams.StreamReader(BaseProtocol(loop), 2**16, loop=loop)
    payload.feed_data(json.dumps({"password": password}).encode())
    payload.feed_eof()
    return make_mocked_request(
        "POST",
        "/api/auth/login",
        headers={"Host": "localhost:20128", "Content-Type": "application/json"},
        app=app,
        transport=_Transport(peer),
        payload=payload,
    )


async def test_initial_password_from_another_machine_is_refused_with_how_to_change_it(
    admin,
) -> None:
    with pytest.raises(AdminError) as refused:
        await auth_routes.login(_login_request(admin.app, "203.0.113.9", "123456"))
    assert refused.value.status == 403
    assert "ninerouter password set" in refused.value.message
    with pytest.raises(AdminError) as wrong:
        await auth_routes.login(_login_request(admin.app, "203.0.113.9", "nope"))
    assert wrong.value.status == 401
    local = await auth_routes.login(_login_request(admin.app, "127.0.0.1", "123456"))
    assert local.status == 200


async def test_a_set_password_works_from_another_machine(admin, store) -> None:
    store.settings.patch({"password": passwords.hash_password(NEW, n=2**10)})
    await admin.runtime.config.reload_now()
    reply = await auth_routes.login(_login_request(admin.app, "203.0.113.9", NEW))
    assert reply.status == 200
    with pytest.raises(AdminError):
        await auth_routes.login(_login_request(admin.app, "127.0.0.1", "123456"))


async def test_initial_password_from_the_environment(home, aiohttp_client, monkeypatch) -> None:
    from ninerouter.proxy.app import create_app

    monkeypatch.setenv("INITIAL_PASSWORD", "hunter2-initial")
    client = await aiohttp_client(create_app(home))
    for password, status in (("123456", 401), ("hunter2-initial", 200)):
        async with client.post("/api/auth/login", json={"password": password}) as resp:
            assert resp.status == status


async def test_a_9router_bcrypt_hash_is_refused_with_how_to_reset(admin, store) -> None:
    store.settings.patch({"password": "$2a$10$abcdefghijklmnopqrstuuQm1i5k6Qq5qkV8sJw9eQe5n4r6m3W"})
    await admin.runtime.config.reload_now()
    status, data, _ = await admin.call("POST", "/api/auth/login", {"password": "whatever"})
    try:
        import bcrypt  # noqa: F401
    except ImportError:
        assert status == 403
        assert "bcrypt" in data["error"] and "ninerouter password set" in data["error"]
    else:
        assert status == 401


# --- changing the password through the API -----------------------------------------------


async def test_password_change_ends_other_sessions_and_keeps_the_callers(admin) -> None:
    other = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # another browser
    url = admin.client.make_url
    async with other.post(url("/api/auth/login"), json={"password": "123456"}) as resp:
        assert resp.status == 200
    assert await admin.login() == 200
    status, data, _ = await admin.call(
        "PATCH", "/api/settings", {"newPassword": NEW, "currentPassword": "123456"}
    )
    assert status == 200 and data["hasPassword"] is True and "password" not in data
    assert (await admin.call("GET", "/api/settings"))[0] == 200  # caller got a new cookie
    async with other.get(url("/api/settings")) as resp:
        assert resp.status == 401
    await other.close()
    assert await admin.login("123456") == 401
    assert await admin.login(NEW) == 200
    stored = admin.runtime.config.current.settings["password"]
    assert stored.startswith("scrypt$32768$8$1$")


async def test_password_change_needs_the_current_password(logged_in) -> None:
    first = {"newPassword": NEW, "currentPassword": ""}
    assert (await logged_in.call("PATCH", "/api/settings", first))[0] == 200
    bad = {"newPassword": "another good one", "currentPassword": "wrong"}
    status, data, _ = await logged_in.call("PATCH", "/api/settings", bad)
    assert status == 401 and "currentPassword" in data["error"]
    missing = {"newPassword": "another good one"}
    assert (await logged_in.call("PATCH", "/api/settings", missing))[0] == 401


@pytest.mark.parametrize("new", ["short", "123456", "x" * 1025])
async def test_weak_new_passwords_are_refused(logged_in, new) -> None:
    status, _, _ = await logged_in.call(
        "PATCH", "/api/settings", {"newPassword": new, "currentPassword": "123456"}
    )
    assert status == 400


async def test_password_cannot_be_set_as_a_plain_setting(logged_in) -> None:
    status, data, _ = await logged_in.call("PATCH", "/api/settings", {"password": "plain"})
    assert status == 400 and "newPassword" in data["error"]


# --- constant time ------------------------------------------------------------------------


async def test_secret_comparisons_use_compare_digest(admin, store, monkeypatch) -> None:
    calls: list[int] = []
    real = hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert await admin.login() == 200  # initial password
    after_initial = len(calls)
    assert after_initial >= 1
    assert (await admin.call("GET", "/api/providers"))[0] == 200  # session check
    assert len(calls) > after_initial
    store.settings.patch({"password": passwords.hash_password(NEW, n=2**10)})
    await admin.runtime.config.reload_now()
    before = len(calls)
    assert await admin.login(NEW) == 200  # stored hash
    assert len(calls) > before


def test_sessions_unit() -> None:
    clock = FakeClock(0.0)
    sessions = Sessions(clock, ttl=10, max_sessions=2)
    a = sessions.create("s1")
    assert sessions.valid(a, "s1") and not sessions.valid(a, "s2")
    b, c = sessions.create("s1"), sessions.create("s1")
    assert not sessions.valid(a, "s1")  # oldest dropped beyond max_sessions
    assert sessions.valid(b, "s1") and sessions.valid(c, "s1")
    sessions.revoke(b)
    assert not sessions.valid(b, "s1")
    clock.advance(10)
    assert not sessions.valid(c, "s1")
    assert not sessions.valid(None, "s1")


def test_no_plain_equality_on_secrets_in_the_auth_code() -> None:
    """T54(b): no ==, !=, in or not in on names that hold a key, token, secret or password."""
    import ast
    import inspect
    import re

    from ninerouter.proxy.admin import guard
    from ninerouter.services import sessions

    secretish = re.compile(r"key|token|secret|password|digest|stamp", re.IGNORECASE)
    plain = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)

    def names(node: ast.AST) -> list[str]:
        return [
            n.id if isinstance(n, ast.Name) else n.attr
            for n in ast.walk(node)
            if isinstance(n, ast.Name | ast.Attribute)
        ]

    for module in (passwords, sessions, auth_routes, guard):
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(isinstance(op, plain) for op in node.ops):
                operands = [node.left, *node.comparators]
                flagged = [n for o in operands for n in names(o) if secretish.search(n)]
                assert not flagged, f"{module.__name__}:{node.lineno} compares {flagged}"
