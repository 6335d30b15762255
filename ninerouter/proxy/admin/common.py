"""What every admin handler shares: the admin state, JSON in and out, store calls on the DB thread.

Errors are 9Router's shape, `{"error": "text"}`. Service errors map to statuses in one place
(`status_of`): NotFound 404, Conflict 409, WrongPassword 401, any other UserError 400.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from aiohttp import web

from ninerouter.errors import Conflict, NineRouterError, NotFound
from ninerouter.proxy.runtime import RUNTIME, Runtime
from ninerouter.redact import mask_url, scrub
from ninerouter.services.auth import WrongPassword
from ninerouter.services.sessions import LoginLimiter, Sessions
from ninerouter.store import Store

T = TypeVar("T")

COOKIE = "auth_token"
# Secrets sent in the body (an API key, a password), masked out of any error message.
SECRETS = web.RequestKey("ninerouter-admin-secrets", list[str])


@dataclass
class AdminState:
    sessions: Sessions
    limiter: LoginLimiter
    initial_password: str
    # Password hashing is slow on purpose; bound how many run at once.
    hashing: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))


ADMIN = web.AppKey("ninerouter-admin", AdminState)


class AdminError(Exception):
    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


# CLI option names in service messages, as an API caller spells them.
_FLAG_NAMES = {
    "--api-key": "apiKey",
    "--base-url": "baseUrl",
    "--prefix": "prefix",
    "--priority": "priority",
    "--region": "region",
    "--name": "name",
    "--model": "models",
    "--kind": "kind",
    "--strategy": "strategy",
}
_FLAG_RE = re.compile("|".join(re.escape(f) for f in sorted(_FLAG_NAMES, key=len, reverse=True)))


def api_wording(message: str) -> str:
    return _FLAG_RE.sub(lambda m: _FLAG_NAMES[m.group(0)], message)


def error_json(
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    secrets: list[str] | None = None,
) -> web.Response:
    """{"error": message}; URL passwords and the given secrets are masked out of the message."""
    text = scrub(mask_url(message), secrets or [])
    return web.Response(
        status=status,
        body=orjson.dumps({"error": text}),
        content_type="application/json",
        headers=headers,
    )


def ok_json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(data), content_type="application/json")


def status_of(error: NineRouterError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, WrongPassword):
        return 401
    return 400 if error.exit_code != 3 else 500


def secret_parts(value: str) -> list[str]:
    """What in a submitted value is secret: a URL's password, else the whole token. Free text
    (with spaces) is no secret, so a server message that happens to contain it stays readable."""
    value = value.strip()
    if "@" in value:
        credentials = value.split("@", 1)[0].split("//", 1)[-1]
        password = credentials.split(":", 1)[1] if ":" in credentials else ""
        return [password] if password else []
    if not value or "://" in value or any(ch.isspace() for ch in value):
        return []
    return [value]


def remember_secrets(request: web.Request, *values: Any) -> None:
    """Secrets from the body (an API key, a proxy URL): any error message is scrubbed of them."""
    found = [part for v in values if isinstance(v, str) for part in secret_parts(v)]
    request[SECRETS] = [*request.get(SECRETS, []), *found]


def runtime(request: web.Request) -> Runtime:
    return request.app[RUNTIME]


def admin(request: web.Request) -> AdminState:
    return request.app[ADMIN]


async def read_body(request: web.Request) -> dict[str, Any]:
    """The JSON object sent, {} for no body. The guard has already checked the content type."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise AdminError(400, "the body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise AdminError(400, "the JSON body must be an object.")
    return body


async def read_db(request: web.Request, fn: Callable[[Store], T]) -> T:
    """Run a read on the database thread."""
    return await runtime(request).config.run_db(fn)


async def write_db(request: web.Request, fn: Callable[[Store], T]) -> T:
    """Run a write on the database thread, then reload the config so the change is live at once."""
    rt = runtime(request)
    result = await rt.config.run_db(fn)
    await rt.config.reload_now()
    return result


def must_exist(value: T | None, what: str) -> T:
    if value is None:
        raise AdminError(404, f"{what} not found.")
    return value


def text_field(body: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise AdminError(400, f"'{name}' is required.")
        return None
    if not isinstance(value, str):
        raise AdminError(400, f"'{name}' must be a string.")
    return value


def bool_field(body: Mapping[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise AdminError(400, f"'{name}' must be true or false.")
    return value


def int_field(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdminError(400, f"'{name}' must be a whole number.")
    return value
