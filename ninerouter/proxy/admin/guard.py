"""The /api guard: deny by default, Host and Origin checks, JSON errors, helpful 405s, no CORS.

Order for every /api request (the /api/v1 aliases of the proxy API are not admin routes):
1. Host must be a local name, the address the request arrived on, or a name in settings
   `allowedHosts` (DNS rebinding). /api/health is exempt.
2. State-changing methods: an Origin, when sent, must pass the same test; `Sec-Fetch-Site:
   cross-site` without an allowed Origin is refused; a body must be JSON (CSRF via forms).
3. A session cookie is required, except for /api/health, /api/auth/login and /api/auth/logout.
Then the handler runs; errors, unknown paths and wrong methods answer {"error": "..."}.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ninerouter.errors import NineRouterError
from ninerouter.proxy.admin.common import (
    COOKIE,
    SECRETS,
    AdminError,
    admin,
    api_wording,
    error_json,
    runtime,
    status_of,
)
from ninerouter.proxy.admin.matrix import method_hint
from ninerouter.services.auth import password_stamp

log = logging.getLogger("ninerouter.admin")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PUBLIC_PATHS = frozenset({"/api/health", "/api/auth/login", "/api/auth/logout"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host")
_PROXY_API = ("v1", "v1beta")


def is_admin_path(path: str) -> bool:
    """/api and everything below it, except the proxy API's /api/v1 aliases."""
    if path != "/api" and not path.startswith("/api/"):
        return False
    parts = path.split("/")
    return not (len(parts) > 2 and parts[2] in _PROXY_API)


def host_name(value: str | None) -> str | None:
    """The name part of a Host header or URL netloc ("[::1]:20128" -> "::1"), lowercased."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else None
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".") or None


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def host_allowed(name: str | None, *, local: Iterable[str] = (), extra: Iterable[str] = ()) -> bool:
    """Names that cannot be rebound to another machine: localhost and *.localhost, loopback
    addresses, the address the request arrived on; plus names the user listed."""
    if not name:
        return False
    if name == "localhost" or name.endswith(".localhost"):
        return True
    ip = _ip(name)
    if ip is not None:
        if ip.is_loopback:
            return True
        return any(_ip(addr) == ip for addr in local)
    return name in {host_name(e) for e in extra}


def is_local_peer(remote: str | None, headers: Mapping[str, str]) -> bool:
    """A request from this machine: a loopback peer that did not come through a reverse proxy
    (which would connect from loopback on behalf of someone else and add forwarding headers)."""
    if not remote:
        return False
    if any(h in headers for h in FORWARDING_HEADERS):
        return False
    ip = _ip(remote)
    return ip is not None and ip.is_loopback


def extra_hosts(settings: Mapping[str, Any]) -> list[str]:
    """`allowedHosts` (a list or a comma-separated string), plus the tunnel and Tailscale names
    when `tunnelDashboardAccess` is on (9Router's switch for dashboard access through them)."""
    raw = settings.get("allowedHosts")
    names = [str(x) for x in raw] if isinstance(raw, list) else str(raw or "").split(",")
    if settings.get("tunnelDashboardAccess") is True:
        for key in ("tunnelUrl", "tailscaleUrl"):
            url = settings.get(key)
            if isinstance(url, str) and url:
                names.append(urlsplit(url if "://" in url else f"https://{url}").netloc)
    return [n.strip() for n in names if n and n.strip()]


def local_addresses(request: web.Request) -> list[str]:
    """The address this connection arrived on (the bind address, or the interface for 0.0.0.0)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if isinstance(sockname, tuple) and sockname:
        return [str(sockname[0])]
    return []


def _refuse_host(request: web.Request, settings: Mapping[str, Any]) -> None:
    name = host_name(request.headers.get("Host"))
    if not host_allowed(name, local=local_addresses(request), extra=extra_hosts(settings)):
        raise AdminError(
            403,
            f"Host '{name or ''}' is not allowed for the admin API (DNS rebinding protection). "
            "Use http://localhost:PORT or http://127.0.0.1:PORT, or add the name to the "
            "allowedHosts setting.",
        )


def _refuse_cross_site(request: web.Request, settings: Mapping[str, Any]) -> None:
    origin = request.headers.get("Origin")
    extra = extra_hosts(settings)
    local = local_addresses(request)
    if origin is not None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not host_allowed(
            host_name(parts.netloc), local=local, extra=extra
        ):
            raise AdminError(403, f"cross-site request refused: Origin '{origin}' is not allowed.")
    elif request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise AdminError(403, "cross-site request refused (Sec-Fetch-Site: cross-site).")
    if request.body_exists:
        ctype = request.content_type
        if ctype != "application/json" and not ctype.endswith("+json"):
            raise AdminError(
                415, f"send JSON with 'Content-Type: application/json' (got '{ctype or 'none'}')."
            )


def has_session(request: web.Request) -> bool:
    token = request.cookies.get(COOKIE)
    stored = runtime(request).config.current.settings.get("password")
    return admin(request).sessions.valid(token, password_stamp(stored))


def _method_not_allowed(request: web.Request, exc: web.HTTPMethodNotAllowed) -> web.Response:
    allowed = sorted(m for m in exc.allowed_methods if m != "HEAD")
    pattern = route_pattern(request)
    hint = method_hint(pattern, request.method) or f"use {' or '.join(allowed)}"
    return error_json(
        405,
        f"{request.method} is not allowed on {pattern}; {hint}.",
        headers={"Allow": ", ".join(allowed)},
    )


def route_pattern(request: web.Request) -> str:
    """The route as documented ("/api/providers/:id") for the request's path."""
    for resource in request.app.router.resources():
        info = resource.get_info()
        if info.get("path") == request.path:
            return request.path
        regex = info.get("pattern")
        if regex is not None and regex.fullmatch(request.path):
            formatter = str(info.get("formatter", request.path))
            return formatter.replace("{id}", ":id")
    return request.path


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    settings = runtime(request).config.current.settings
    if request.path != "/api/health":
        _refuse_host(request, settings)
    if request.method in UNSAFE_METHODS:
        _refuse_cross_site(request, settings)
    if request.path not in PUBLIC_PATHS and not has_session(request):
        raise AdminError(
            401,
            'login required: POST /api/auth/login with {"password": ...} and send the '
            "auth_token cookie.",
        )
    return await handler(request)


@web.middleware
async def admin_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_admin_path(request.path):
        return await handler(request)
    response: web.StreamResponse
    try:
        response = await _guarded(request, handler)
    except AdminError as exc:
        response = error_json(exc.status, exc.message, exc.headers, request.get(SECRETS))
    except NineRouterError as exc:
        response = error_json(status_of(exc), api_wording(exc.message), None, request.get(SECRETS))
    except web.HTTPMethodNotAllowed as exc:
        response = _method_not_allowed(request, exc)
    except web.HTTPNotFound:
        response = error_json(404, f"no admin route {request.method} {request.path}.")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_json(exc.status, exc.reason)
    except Exception:
        log.exception("admin API error on %s %s", request.method, request.path)
        response = error_json(500, "internal error in ninerouter; see the server log.")
    if not response.prepared:
        response.headers.popall("Access-Control-Allow-Origin", None)
        response.headers.setdefault("Cache-Control", "no-store")
    return response
