"""Client authentication on /v1: a key from apiKeys or <home>/auth/api-key, as Bearer or x-api-key."""

from __future__ import annotations

from aiohttp import web

from ninerouter.proxy.errors import ApiError
from ninerouter.routing.config import RouterConfig

# One body for every failure reason, so a caller learns nothing from the difference.
_UNAUTHORIZED = (
    "missing or invalid API key. Send 'Authorization: Bearer <key>' or 'x-api-key: <key>'. "
    "Create a key with 'ninerouter keys create --name NAME', or use the key in <data-dir>/auth/api-key."
)


def presented_key(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        token = auth[7:].strip()
        if token:
            return token
    key = request.headers.get("x-api-key", "").strip()
    return key or None


def require_key(request: web.Request, config: RouterConfig) -> None:
    if config.settings.get("requireApiKey") is False:
        return
    if not config.accepts_key(presented_key(request)):
        raise ApiError(
            401, _UNAUTHORIZED, code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"}
        )
