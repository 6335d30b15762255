"""/api/settings: GET (no secrets, plus hasPassword), PATCH (merge of known keys, each validated as
`ninerouter settings set` validates it; {newPassword, currentPassword} changes the password).

A password change ends every other session; the caller gets a new session cookie.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ninerouter.models import public_settings
from ninerouter.proxy.admin.auth import client_address, set_session_cookie
from ninerouter.proxy.admin.common import (
    COOKIE,
    AdminError,
    admin,
    ok_json,
    read_body,
    read_db,
    remember_secrets,
    write_db,
)
from ninerouter.services.auth import (
    WrongPassword,
    password_stamp,
    prepare_change,
    store_hash,
)
from ninerouter.services.settings import set_setting, validate
from ninerouter.store import Store


async def get_settings(request: web.Request) -> web.Response:
    settings = await read_db(request, lambda s: s.settings.get())
    return ok_json(public_settings(settings))


def _apply(store: Store, changes: Mapping[str, Any]) -> None:
    with store.write():
        for key, value in changes.items():
            set_setting(store, key, value)


async def _change_password(request: web.Request, new: Any, current: Any) -> None:
    if not isinstance(new, str) or not (current is None or isinstance(current, str)):
        raise AdminError(400, "newPassword and currentPassword must be strings.")
    state = admin(request)
    client = client_address(request)
    wait = state.limiter.retry_after(client)
    if wait is not None:
        raise AdminError(
            429, f"too many wrong passwords; try again in {wait} s.", {"Retry-After": str(wait)}
        )
    stored = await read_db(request, lambda s: s.settings.stored().get("password"))
    async with state.hashing:
        try:
            hashed = await asyncio.to_thread(
                prepare_change, stored, new, current or "", initial=state.initial_password
            )
        except WrongPassword:
            state.limiter.failed(client)
            raise
    await write_db(request, lambda s: store_hash(s, stored, hashed))


async def patch_settings(request: web.Request) -> web.Response:
    body = await read_body(request)
    remember_secrets(
        request, body.get("newPassword"), body.get("currentPassword"), body.get("outboundProxyUrl")
    )
    new_password = body.pop("newPassword", None)
    current_password = body.pop("currentPassword", None)
    if "password" in body:
        raise AdminError(
            400, 'change the password with {"newPassword": ..., "currentPassword": ...}.'
        )
    for key, value in body.items():
        validate(key, value)
    if new_password is not None:
        await _change_password(request, new_password, current_password)
    if body:
        await write_db(request, lambda s: _apply(s, body))
    settings = await read_db(request, lambda s: s.settings.get())
    response = ok_json(public_settings(settings))
    if new_password is not None:
        state = admin(request)
        state.sessions.revoke(request.cookies.get(COOKIE))
        token = state.sessions.create(password_stamp(settings.get("password")))
        set_session_cookie(request, response, token)
    return response


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/settings", get_settings, allow_head=False),
        web.patch("/api/settings", patch_settings),
    ]
