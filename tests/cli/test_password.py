"""`ninerouter password set` and the password hash (T52): scrypt, self-describing, salted, slow
enough, exact for long Unicode passwords; a running server drops its sessions when it changes."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from typer.testing import CliRunner

from ninerouter.cli import app
from ninerouter.errors import UserError
from ninerouter.proxy.app import create_app
from ninerouter.services.auth import (
    Check,
    check_password,
    hash_password,
    initial_password,
    verify_password,
)

runner = CliRunner()
NEW = "correct horse battery staple"


def test_hash_format_and_salt() -> None:
    one, two = hash_password(NEW), hash_password(NEW)
    assert one != two
    scheme, n, r, p, salt, digest = one.split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "1")
    assert len(salt) >= 22 and len(digest) >= 43  # 16-byte salt, 32-byte hash (base64)


def test_verification_is_slow_but_not_too_slow() -> None:
    stored = hash_password(NEW)
    started = time.perf_counter()
    assert verify_password(NEW, stored) is Check.OK
    assert 0.05 <= time.perf_counter() - started < 2.0


def test_long_unicode_passwords_verify_exactly() -> None:
    password = "пароль-密码-🔑-" * 8  # > 72 bytes: no bcrypt-style truncation
    stored = hash_password(password, n=2**10)
    assert verify_password(password, stored) is Check.OK
    assert verify_password(password[:-1], stored) is Check.WRONG
    assert verify_password(password + " ", stored) is Check.WRONG


@pytest.mark.parametrize(
    "stored",
    ["plain", "scrypt$3$8$1$AAAA$AAAA", "scrypt$1024$8$1$!!$AAAA", "scrypt$1024$8$1$AAAA$"],
)
def test_malformed_hashes_are_unverifiable_not_accepted(stored) -> None:
    assert verify_password("x", stored) is Check.UNVERIFIABLE


def test_initial_password() -> None:
    assert initial_password({}) == "123456"
    assert initial_password({"INITIAL_PASSWORD": "hunter2"}) == "hunter2"
    assert check_password("123456", None, initial="123456") is Check.INITIAL
    assert check_password("1234567", "", initial="123456") is Check.WRONG


def test_password_set_from_stdin(store) -> None:
    result = runner.invoke(app, ["password", "set", "--stdin"], input=NEW + "\n")
    assert result.exit_code == 0, result.stderr
    stored = store.settings.stored()["password"]
    assert stored.startswith("scrypt$") and NEW not in stored
    assert verify_password(NEW, stored) is Check.OK
    assert NEW not in result.stdout + result.stderr


def test_password_set_refuses_weak_passwords(store) -> None:
    for weak in ("short", "123456"):
        result = runner.invoke(app, ["password", "set", "--stdin"], input=weak + "\n")
        assert result.exit_code == 1 and "error:" in result.stderr
    assert "password" not in store.settings.stored()


def test_password_set_without_a_terminal_says_how(store) -> None:
    result = runner.invoke(app, ["password", "set"], input="")
    assert result.exit_code == 2
    assert "--stdin" in result.stderr


def test_settings_set_password_points_at_password_set(store) -> None:
    result = runner.invoke(app, ["settings", "set", "password", "x"])
    assert result.exit_code == 1 and "ninerouter password set" in result.stderr


def test_validate_rejects_the_initial_password() -> None:
    from ninerouter.services.auth import validate_new_password

    with pytest.raises(UserError):
        validate_new_password("hunter2-initial", initial="hunter2-initial")


async def test_password_set_ends_the_sessions_of_a_running_server(home, aiohttp_server) -> None:
    server = await aiohttp_server(create_app(home))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(server.make_url("/api/auth/login"), json={"password": "123456"}) as r:
            assert r.status == 200
        result = await asyncio.to_thread(
            runner.invoke, app, ["password", "set", "--stdin"], input=NEW + "\n"
        )
        assert result.exit_code == 0
        for _ in range(60):  # the config poller notices within ~250 ms
            async with http.get(server.make_url("/api/settings")) as r:
                if r.status == 401:
                    break
            await asyncio.sleep(0.05)
        assert r.status == 401
        async with http.post(server.make_url("/api/auth/login"), json={"password": NEW}) as r:
            assert r.status == 200
