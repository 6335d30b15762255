"""POST /api/auth/login and /api/auth/logout: a server-side session in an httpOnly cookie.

Login answers: 200 {"success": true} with the cookie; 401 for a wrong password (and for a body without
one: the same answer, so nothing is learnt from the difference); 403 for the initial password from
another machine; 429 with Retry-After after 5 failures in 15 minutes from one address.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from ninerouter.proxy.admin.common import (
    COOKIE,
    AdminError,
    admin,
    ok_json,
    read_body,
    runtime,
)
from ninerouter.proxy.admin.guard import is_local_peer
from ninerouter.services.auth import (
    RESET_HINT,
    Check,
    check_password,
    password_stamp,
    unverifiable_message,
)
from ninerouter.services.sessions import SESSION_TTL

log = logging.getLogger("ninerouter.admin")

_WRONG = "wrong password."
_INITIAL_REMOTE = (
    "the initial password works only from this machine. Log in from the machine that runs "
    f"ninerouter, or {RESET_HINT} there."
)


def client_address(request: web.Request) -> str:
    return request.remote or "unknown"


async def _password_of(request: web.Request) -> str | None:
    try:
        body = await read_body(request)
    except AdminError:
        return None
    value = body.get("password")
    return value if isinstance(value, str) else None


def set_session_cookie(request: web.Request, response: web.Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(SESSION_TTL),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.secure,
    )


async def verify(request: web.Request, password: str) -> Check:
    """The slow hash runs off the event loop, at most two at a time."""
    stored = runtime(request).config.current.settings.get("password")
    state = admin(request)
    async with state.hashing:
        return await asyncio.to_thread(
            check_password, password, stored, initial=state.initial_password
        )


async def login(request: web.Request) -> web.Response:
    state = admin(request)
    client = client_address(request)
    wait = state.limiter.retry_after(client)
    if wait is not None:
        raise AdminError(
            429,
            f"too many failed logins; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    state.limiter.failed(client)  # counted up front, forgiven below on success
    password = await _password_of(request)
    outcome = Check.WRONG if password is None else await verify(request, password)
    stored = runtime(request).config.current.settings.get("password")
    if outcome is Check.UNVERIFIABLE:
        state.limiter.forgive(client)
        raise AdminError(403, unverifiable_message(stored))
    if outcome is Check.INITIAL and not is_local_peer(request.remote, request.headers):
        log.warning("login with the initial password refused: %s is not local", client)
        raise AdminError(403, _INITIAL_REMOTE)
    if outcome is Check.WRONG:
        log.warning("failed login from %s", client)
        raise AdminError(401, _WRONG)
    state.limiter.forgive(client)
    token = state.sessions.create(password_stamp(stored))
    response = ok_json({"success": True})
    set_session_cookie(request, response, token)
    return response


async def logout(request: web.Request) -> web.Response:
    admin(request).sessions.revoke(request.cookies.get(COOKIE))
    response = ok_json({"success": True})
    response.del_cookie(COOKIE, path="/")
    return response


def routes() -> list[web.RouteDef]:
    return [web.post("/api/auth/login", login), web.post("/api/auth/logout", logout)]
