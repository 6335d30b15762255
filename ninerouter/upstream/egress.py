"""Egress: which outbound route (direct, or an HTTP/SOCKS proxy) an account's upstream calls take.

This module owns the ClientSessions: one shared session for direct calls and one cached session per
distinct effective proxy URL. Every upstream call of an account (chat, token refresh, model listing,
tests) must get its session from `session_for`, so that a proxied account never leaks to direct.

Precedence per account (DESIGN §8): its `proxyPoolId` (an active pool with a URL) → its own URL
(`connectionProxyEnabled` + `connectionProxyUrl`) → the provider strategy's pool → the global proxy
(`outboundProxyEnabled/Url/NoProxy`) → direct. `noProxy` patterns are checked against the upstream host
when a connection is made. Strict: a proxy that cannot be used, is cooling, or fails to connect or
authenticate is an UpstreamFailure(kind="proxy") for that attempt — never a direct request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import logging
import secrets
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp_socks import ProxyConnectionError, ProxyConnector, ProxyError, ProxyTimeoutError
from python_socks import ProxyType

from ninerouter.aio import spawn
from ninerouter.models import Connection
from ninerouter.store.proxy_pools import ProxyPool
from ninerouter.upstream.relay import UpstreamFailure
from ninerouter.upstream.session import new_session

log = logging.getLogger("ninerouter.egress")

PROXY_TYPES = {
    "http": ProxyType.HTTP,
    "https": ProxyType.HTTP,
    "socks5": ProxyType.SOCKS5,
    "socks5h": ProxyType.SOCKS5,
    "socks4": ProxyType.SOCKS4,
}
SESSION_PLACEHOLDER = "{session}"
COOLDOWN_BASE = 10.0
COOLDOWN_CAP = 300.0
PROXY_CONNECTION_LIMIT = 256
IDLE_SESSION_SECONDS = 3600.0
# Answers meaning "the proxy works, the upstream behind it is unreachable": not the proxy's fault.
_UNREACHABLE = {
    "http": {502, 504},
    "https": {502, 504},
    "socks5": {3, 4, 5, 6},
    "socks5h": {3, 4, 5, 6},
}


@dataclass(frozen=True)
class ProxyEndpoint:
    """A parsed proxy URL; credentials decoded. `label` is safe to show, `url` is not."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        if self.username is None:
            return self.label
        creds = quote(self.username, safe="{}") + ":" + quote(self.password or "", safe="{}")
        return self.label.replace("://", f"://{creds}@", 1)

    def with_session(self, token: str) -> ProxyEndpoint:
        if self.username is None or SESSION_PLACEHOLDER not in self.username:
            return self
        return ProxyEndpoint(
            self.scheme,
            self.host,
            self.port,
            self.username.replace(SESSION_PLACEHOLDER, token),
            self.password,
        )


def parse_proxy_url(text: str) -> ProxyEndpoint:
    """A stored proxy URL (`scheme://user:pass@host:port`, or a bare `host:port` meaning http).
    ValueError names what is wrong, never the password."""
    raw = text.strip()
    if "://" not in raw:
        raw = f"http://{raw}"
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ValueError("the proxy URL has an invalid host or port") from None
    scheme = parts.scheme.lower()
    if scheme not in PROXY_TYPES:
        raise ValueError(f"unsupported proxy scheme '{scheme}' (use {', '.join(PROXY_TYPES)})")
    if not parts.hostname or port is None:
        raise ValueError("the proxy URL needs a host and a port")
    try:
        username = unquote(parts.username, errors="strict") if parts.username else None
        password = unquote(parts.password, errors="strict") if parts.password is not None else None
    except UnicodeDecodeError:
        raise ValueError("the proxy credentials are not valid percent-encoded UTF-8") from None
    if username is not None and password is None:
        password = ""
    return ProxyEndpoint(scheme, parts.hostname.lower(), port, username, password)


def no_proxy_match(host: str, patterns: str) -> bool:
    """`*`, `.suffix` (or `*.suffix`), an exact host, a parent domain, or a CIDR range."""
    name = host.strip("[]").lower().rstrip(".")
    for raw in patterns.split(","):
        pattern = raw.strip().lower()
        if not pattern:
            continue
        if pattern == "*":
            return True
        if "/" in pattern:
            try:
                if ipaddress.ip_address(name) in ipaddress.ip_network(pattern, strict=False):
                    return True
            except ValueError:
                pass
            continue
        pattern = pattern.removeprefix("*").strip("[]").rstrip(".")
        if pattern.startswith("."):
            if name.endswith(pattern) or name == pattern[1:]:
                return True
        elif name == pattern or name.endswith("." + pattern):
            return True
    return False


def session_token(connection_id: str, rotation: int) -> str:
    """Stable per connection and rotation: the same account keeps its sticky exit IP."""
    return hashlib.sha256(f"{connection_id}:{rotation}".encode()).hexdigest()[:16]


def rotation_of(conn: Connection) -> int:
    value = conn.data.get("proxySessionRotation")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass(frozen=True)
class Route:
    """Where an account's traffic goes. `error` set means: fail the attempt, never go direct."""

    source: str  # "pool" | "connection" | "provider-pool" | "global" | "direct"
    proxy: ProxyEndpoint | None = None
    no_proxy: str = ""
    pool_id: str | None = None
    error: str | None = None


def resolve_route(
    conn: Connection, settings: Mapping[str, Any], pools: Mapping[str, ProxyPool] | None
) -> Route:
    specific = conn.specific
    token = session_token(conn.id, rotation_of(conn))
    pool_id = specific.get("proxyPoolId")
    if isinstance(pool_id, str) and pool_id:
        route = _pool_route("pool", pool_id, pools, token)
        if route is not None:
            return route
    url = specific.get("connectionProxyUrl")
    if specific.get("connectionProxyEnabled") is True and isinstance(url, str) and url.strip():
        return _url_route("connection", url, str(specific.get("connectionNoProxy") or ""), token)
    strategies = settings.get("providerStrategies")
    strategy = strategies.get(conn.provider) if isinstance(strategies, Mapping) else None
    pool_id = strategy.get("proxyPoolId") if isinstance(strategy, Mapping) else None
    if isinstance(pool_id, str) and pool_id:
        route = _pool_route("provider-pool", pool_id, pools, token)
        if route is not None:
            return route
    url = settings.get("outboundProxyUrl")
    if settings.get("outboundProxyEnabled") is True and isinstance(url, str) and url.strip():
        return _url_route("global", url, str(settings.get("outboundNoProxy") or ""), token)
    return Route("direct")


def _pool_route(
    source: str, pool_id: str, pools: Mapping[str, ProxyPool] | None, token: str
) -> Route | None:
    """None means "fall through" (an inactive pool or one without a URL, as in 9Router)."""
    if pools is None:
        return Route(source, pool_id=pool_id, error="proxy pools are not loaded yet")
    pool = pools.get(pool_id)
    if pool is None:
        return Route(source, pool_id=pool_id, error=f"proxy pool {pool_id} does not exist")
    if not pool.is_active or not pool.proxy_url.strip():
        return None
    if pool.is_relay:
        return Route(source, pool_id=pool_id, error=f"{pool.type} relay pools are not supported")
    route = _url_route(source, pool.proxy_url, pool.no_proxy, token)
    return Route(route.source, route.proxy, route.no_proxy, pool_id, route.error)


def _url_route(source: str, url: str, no_proxy: str, token: str) -> Route:
    try:
        endpoint = parse_proxy_url(url)
    except ValueError as exc:
        return Route(source, error=f"invalid proxy URL: {exc}")
    return Route(source, endpoint.with_session(token), no_proxy)


@dataclass
class _Health:
    label: str
    failures: int = 0
    until: float = 0.0
    last_error: str = ""


Report = Callable[[ProxyEndpoint, str | None, bool], None]


class _EgressConnector(ProxyConnector):
    """aiohttp-socks connector that turns proxy failures into UpstreamFailure(kind="proxy"), reports
    them to the egress health, and connects directly only to hosts matched by noProxy."""

    def __init__(
        self, endpoint: ProxyEndpoint, no_proxy: str, report: Report | None, **kwargs: Any
    ) -> None:
        super().__init__(
            host=endpoint.host,
            port=endpoint.port,
            proxy_type=PROXY_TYPES[endpoint.scheme],
            username=endpoint.username,
            password=endpoint.password,
            rdns=endpoint.scheme == "socks5h",
            proxy_ssl=ssl.create_default_context() if endpoint.scheme == "https" else None,
            **kwargs,
        )
        self._endpoint = endpoint
        self._no_proxy = no_proxy
        self._report = report

    async def _wrap_create_connection(
        self,
        *args: Any,
        addr_infos: list[Any],
        req: Any,
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 (aiohttp's keyword)
        client_error: type[Exception] = aiohttp.ClientConnectorError,
        **kwargs: Any,
    ) -> tuple[asyncio.Transport, ResponseHandler]:
        host, port = addr_infos[0][4][0], addr_infos[0][4][1]
        if self._no_proxy and no_proxy_match(host, self._no_proxy):
            return await self._direct(args[0], host, port, timeout, req, client_error, kwargs)
        try:
            result = await super()._wrap_create_connection(
                *args,
                addr_infos=addr_infos,
                req=req,
                timeout=timeout,
                client_error=client_error,
                **kwargs,
            )
        except (ProxyConnectionError, ProxyTimeoutError, ProxyError, ValueError) as exc:
            raise self._failure(exc, f"{host}:{port}") from None
        except OSError as exc:  # TLS with the upstream, through a working tunnel
            raise client_error(req.connection_key, exc) from exc
        if self._report is not None:
            self._report(self._endpoint, None, False)
        return result

    def _failure(self, exc: Exception, target: str) -> UpstreamFailure:
        endpoint = self._endpoint
        reason = str(exc) or type(exc).__name__
        if endpoint.password and len(endpoint.password) >= 3:
            reason = reason.replace(endpoint.password, "***")
        code = getattr(exc, "error_code", None)
        if isinstance(exc, ProxyError) and code in _UNREACHABLE.get(endpoint.scheme, set()):
            return UpstreamFailure(
                502,
                f"upstream {target} unreachable through proxy {endpoint.label}: {reason}",
                "connect",
            )
        message = f"egress proxy {endpoint.label} failed: {reason}"
        if self._report is not None:
            self._report(endpoint, message, isinstance(exc, ProxyConnectionError))
        return UpstreamFailure(502, message, "proxy")

    async def _direct(
        self,
        factory: Any,
        host: str,
        port: int,
        limits: aiohttp.ClientTimeout,
        req: Any,
        client_error: type[Exception],
        kwargs: Mapping[str, Any],
    ) -> tuple[asyncio.Transport, ResponseHandler]:
        sslcontext = kwargs.get("ssl")
        try:
            async with asyncio.timeout(limits.sock_connect):
                transport, protocol = await asyncio.get_running_loop().create_connection(
                    factory,
                    host,
                    port,
                    ssl=sslcontext,
                    server_hostname=kwargs.get("server_hostname") if sslcontext else None,
                )
        except OSError as exc:
            raise client_error(req.connection_key, exc) from exc
        return transport, protocol


def proxy_session(
    endpoint: ProxyEndpoint, no_proxy: str = "", report: Report | None = None
) -> aiohttp.ClientSession:
    """A ClientSession whose every connection goes through `endpoint` (except noProxy hosts)."""
    connector = _EgressConnector(
        endpoint, no_proxy, report, limit=PROXY_CONNECTION_LIMIT, keepalive_timeout=60
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None),
        skip_auto_headers=("User-Agent",),
    )


class Egress:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._direct: aiohttp.ClientSession | None = None
        self._sessions: dict[tuple[str, str], aiohttp.ClientSession] = {}
        self._last_used: dict[tuple[str, str], float] = {}
        self._pools: dict[str, ProxyPool] | None = None
        self._health: dict[str, _Health] = {}
        self._pruned_at = 0.0

    @classmethod
    @contextlib.asynccontextmanager
    async def opened(cls, pools: Iterable[ProxyPool] = ()) -> AsyncIterator[Egress]:
        """A short-lived Egress for one command (provider test, proxy checks in the CLI)."""
        egress = cls()
        egress.update(pools)
        await egress.open()
        try:
            yield egress
        finally:
            await egress.close()

    async def open(self) -> None:
        self._direct = new_session()

    async def close(self) -> None:
        sessions = [*self._sessions.values()]
        self._sessions.clear()
        self._last_used.clear()
        if self._direct is not None:
            sessions.append(self._direct)
            self._direct = None
        for session in sessions:
            await session.close()

    @property
    def direct(self) -> aiohttp.ClientSession:
        if self._direct is None:
            raise RuntimeError("egress is not open")
        return self._direct

    def update(self, pools: Iterable[ProxyPool]) -> None:
        """Adopt the current proxy pools (on every config reload)."""
        self._pools = {pool.id: pool for pool in pools}

    def route_for(self, conn: Connection, settings: Mapping[str, Any]) -> Route:
        return resolve_route(conn, settings, self._pools)

    def session_for(self, conn: Connection, settings: Mapping[str, Any]) -> aiohttp.ClientSession:
        """The session an upstream call of `conn` must use. Raises UpstreamFailure(kind="proxy")
        when its proxy cannot be used now; the caller moves on to another account."""
        route = self.route_for(conn, settings)
        if route.proxy is None:
            if route.error is not None:
                raise UpstreamFailure(502, f"egress ({route.source}): {route.error}", "proxy")
            return self.direct
        wait = self.cooling(route.proxy)
        if wait is not None:
            raise UpstreamFailure(
                502,
                f"egress proxy {route.proxy.label} is cooling down after a failure "
                f"({wait:.0f}s left)",
                "proxy",
            )
        return self._session(route.proxy, route.no_proxy)

    def _session(self, endpoint: ProxyEndpoint, no_proxy: str) -> aiohttp.ClientSession:
        key = (endpoint.url, no_proxy)
        now = self.clock()
        self._last_used[key] = now
        session = self._sessions.get(key)
        if session is None or session.closed:
            session = proxy_session(endpoint, no_proxy, self._report)
            self._sessions[key] = session
        if now - self._pruned_at > 60.0:
            self._prune(now)
        return session

    def _prune(self, now: float) -> None:
        """Close sessions unused for an hour (rotated sticky sessions, edited URLs)."""
        self._pruned_at = now
        for key in [k for k, t in self._last_used.items() if now - t > IDLE_SESSION_SECONDS]:
            self._last_used.pop(key, None)
            session = self._sessions.pop(key, None)
            if session is not None:
                spawn(session.close(), name="egress-close")

    def cooling(self, endpoint: ProxyEndpoint) -> float | None:
        """Seconds left while this proxy (its host, or these credentials on it) is cooling."""
        now = self.clock()
        waits = [
            h.until - now
            for key in (endpoint.label, endpoint.url)
            if (h := self._health.get(key)) is not None and h.until > now
        ]
        return max(waits) if waits else None

    def _report(self, endpoint: ProxyEndpoint, error: str | None, whole_host: bool) -> None:
        if error is None:
            for key in (endpoint.label, endpoint.url):
                self._health.pop(key, None)
            return
        key = endpoint.label if whole_host else endpoint.url
        health = self._health.setdefault(key, _Health(endpoint.label))
        health.failures += 1
        health.last_error = error
        cooldown = min(COOLDOWN_BASE * 2 ** (health.failures - 1), COOLDOWN_CAP)
        health.until = self.clock() + cooldown
        log.warning("%s; skipped for %.0fs", error, cooldown)

    def health(self) -> list[dict[str, Any]]:
        """Proxies that failed recently (labels only, never credentials)."""
        now = self.clock()
        return [
            {
                "proxy": h.label,
                "failures": h.failures,
                "coolingSeconds": round(max(h.until - now, 0.0), 1),
                "lastError": h.last_error,
            }
            for h in self._health.values()
        ]


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    status: int
    latency_ms: float
    error: str | None = None


async def probe_proxy(proxy_url: str, target: str, wait: float) -> ProbeResult:
    """GET `target` through the proxy (never directly). ok = a 2xx/3xx answer came back."""
    started = time.monotonic()

    def result(ok: bool, status: int, error: str | None) -> ProbeResult:
        return ProbeResult(ok, status, round((time.monotonic() - started) * 1000, 1), error)

    try:
        endpoint = parse_proxy_url(proxy_url).with_session(secrets.token_hex(8))
    except ValueError as exc:
        return result(False, 0, str(exc))
    limits = aiohttp.ClientTimeout(total=None, connect=wait, sock_connect=wait)
    try:
        async with proxy_session(endpoint) as http, asyncio.timeout(wait):
            async with http.get(target, allow_redirects=False, timeout=limits) as resp:
                await resp.content.read(65536)
                status = resp.status
    except UpstreamFailure as exc:
        return result(False, 0, exc.message)
    except TimeoutError:
        return result(False, 0, f"timed out after {wait:g}s")
    except aiohttp.ClientError as exc:
        return result(False, 0, f"{type(exc).__name__}: {exc}"[:200])
    if 200 <= status < 400:
        return result(True, status, None)
    return result(False, status, f"target answered {status}")
