"""Egress: route precedence, noProxy, sticky sessions, and real HTTP CONNECT / SOCKS5 proxies on
loopback proving what went through which proxy, with which credentials, and that nothing went direct."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from ninerouter.models import Connection
from ninerouter.routing.resolve import Target
from ninerouter.store.proxy_pools import ProxyPool
from ninerouter.upstream.check import check_account
from ninerouter.upstream.egress import (
    Egress,
    no_proxy_match,
    parse_proxy_url,
    resolve_route,
    session_token,
)
from ninerouter.upstream.relay import UpstreamFailure
from tests.fakes.egress import closed_port
from tests.upstream.conftest import PASSWORD, USER


def conn(name: str, **specific: Any) -> Connection:
    data: dict[str, Any] = {"apiKey": f"key-{name}"}
    if specific:
        data["providerSpecificData"] = specific
    return Connection(
        id=f"id-{name}",
        provider="prov",
        auth_type="apikey",
        name=name,
        priority=1,
        is_active=True,
        data=data,
    )


def pool(
    pool_id: str, url: str, *, active: bool = True, kind: str = "http", no_proxy: str = ""
) -> ProxyPool:
    return ProxyPool(
        id=pool_id, name=pool_id, proxy_url=url, no_proxy=no_proxy, type=kind, is_active=active
    )


@pytest.fixture
async def egress() -> AsyncIterator[Egress]:
    egress = Egress()
    egress.update([])
    await egress.open()
    yield egress
    await egress.close()


def test_proxy_url_credentials_are_decoded_once() -> None:
    endpoint = parse_proxy_url("socks5://us%40er:p%3As%2Fs%25%40x@127.0.0.1:1080")
    assert (endpoint.username, endpoint.password) == (USER, PASSWORD)
    assert parse_proxy_url(endpoint.url) == endpoint
    assert endpoint.label == "socks5://127.0.0.1:1080"
    assert parse_proxy_url("host.example:3128").scheme == "http"
    for bad in ("ftp://h:1", "http://h", "http://h:99999"):
        with pytest.raises(ValueError):
            parse_proxy_url(bad)


def test_route_precedence() -> None:
    pools = {
        "p1": pool("p1", "http://p1.example:1"),
        "p2": pool("p2", "socks5://p2.example:2"),
        "off": pool("off", "http://off.example:3", active=False),
        "relay": pool("relay", "https://relay.example", kind="vercel"),
    }
    settings: dict[str, Any] = {
        "providerStrategies": {"prov": {"proxyPoolId": "p2"}},
        "outboundProxyEnabled": True,
        "outboundProxyUrl": "http://global.example:9",
    }
    own = {"connectionProxyEnabled": True, "connectionProxyUrl": "http://own.example:4"}

    def source(c: Connection, s: dict[str, Any] = settings) -> tuple[str, str | None]:
        route = resolve_route(c, s, pools)
        return route.source, route.proxy.host if route.proxy else route.error

    assert source(conn("a", proxyPoolId="p1", **own)) == ("pool", "p1.example")
    assert source(conn("a", proxyPoolId="off", **own)) == ("connection", "own.example")
    assert source(conn("a", **own)) == ("connection", "own.example")
    assert source(conn("a")) == ("provider-pool", "p2.example")
    assert source(conn("a"), {**settings, "providerStrategies": {}}) == ("global", "global.example")
    assert source(conn("a"), {"outboundProxyEnabled": False, "outboundProxyUrl": "http://g:9"}) == (
        "direct",
        None,
    )
    # Strict: what cannot be used is an error, never a silent direct route.
    assert source(conn("a", proxyPoolId="gone")) == ("pool", "proxy pool gone does not exist")
    assert source(conn("a", proxyPoolId="relay"))[1] == "vercel relay pools are not supported"
    bad = {"connectionProxyEnabled": True, "connectionProxyUrl": "ftp://x:1"}
    assert "unsupported proxy scheme" in str(source(conn("a", **bad))[1])
    assert (
        resolve_route(conn("a", proxyPoolId="p1"), {}, None).error
        == "proxy pools are not loaded yet"
    )


@pytest.mark.parametrize(
    ("host", "patterns", "bypass"),
    [
        ("api.example.com", "*", True),
        ("api.example.com", ".example.com", True),
        ("example.com", ".example.com", True),
        ("api.example.com", "*.example.com", True),
        ("api.example.com", "example.com", True),
        ("badexample.com", "example.com", False),
        ("api.example.com", "other.com, localhost", False),
        ("localhost", "other.com, localhost", True),
        ("10.1.2.3", "10.0.0.0/8", True),
        ("11.1.2.3", "10.0.0.0/8", False),
        ("::1", "[::1]", True),
        ("api.example.com", "", False),
    ],
)
def test_no_proxy_patterns(host: str, patterns: str, bypass: bool) -> None:
    assert no_proxy_match(host, patterns) is bypass


def test_session_placeholder_is_stable_per_connection_and_rotates() -> None:
    url = "http://user-{session}:pw@gw.example:7000"
    a = conn("a", connectionProxyEnabled=True, connectionProxyUrl=url)
    b = conn("b", connectionProxyEnabled=True, connectionProxyUrl=url)

    def user(c: Connection) -> str | None:
        route = resolve_route(c, {}, {})
        assert route.proxy is not None
        return route.proxy.username

    assert user(a) == user(a) == f"user-{session_token('id-a', 0)}"
    assert user(a) != user(b)
    rotated = Connection(**{**a.__dict__, "data": {**a.data, "proxySessionRotation": 1}})
    assert user(rotated) == f"user-{session_token('id-a', 1)}" != user(a)


async def get_models(http: aiohttp.ClientSession, base: str, key: str) -> int:
    async with http.get(f"{base}/models", headers={"Authorization": f"Bearer {key}"}) as resp:
        await resp.read()
        return resp.status


async def test_two_accounts_use_their_own_proxies_with_decoded_credentials(
    fake_upstream, proxies, egress: Egress
) -> None:
    fake, server = fake_upstream
    base = str(server.make_url("/v1"))
    http_proxy = await proxies("http")
    socks = await proxies("socks5", "sock:user", "pa ss/%:@")
    egress.update([pool("pb", socks.url())])
    a = conn("a", connectionProxyEnabled=True, connectionProxyUrl=http_proxy.url())
    b = conn("b", proxyPoolId="pb")
    assert await get_models(egress.session_for(a, {}), base, "key-a") == 200
    assert await get_models(egress.session_for(b, {}), base, "key-b") == 200
    target = f"127.0.0.1:{server.port}"
    assert [(t.username, t.password, t.target) for t in http_proxy.tunnels] == [
        (USER, PASSWORD, target)
    ]
    assert [(t.username, t.password, t.target) for t in socks.tunnels] == [
        ("sock:user", "pa ss/%:@", target)
    ]
    assert egress.session_for(a, {}) is egress.session_for(a, {})  # one cached session per proxy
    assert egress.session_for(a, {}) is not egress.session_for(b, {})


async def test_a_dead_proxy_fails_the_attempt_cools_and_never_goes_direct(
    fake_upstream, egress: Egress
) -> None:
    fake, server = fake_upstream
    dead = f"http://{USER.replace('@', '%40')}:hunter22@127.0.0.1:{closed_port()}"
    a = conn("a", connectionProxyEnabled=True, connectionProxyUrl=dead)
    b = conn("b", connectionProxyEnabled=True, connectionProxyUrl=dead)
    with pytest.raises(UpstreamFailure) as info:
        await get_models(egress.session_for(a, {}), str(server.make_url("/v1")), "key-a")
    assert info.value.kind == "proxy" and "127.0.0.1" in info.value.message
    assert "hunter22" not in info.value.message
    with pytest.raises(UpstreamFailure, match="cooling down") as cooling:
        egress.session_for(b, {})  # another account on the same proxy skips it too
    assert cooling.value.kind == "proxy"
    assert [h["proxy"] for h in egress.health()] == [f"http://127.0.0.1:{dead.rsplit(':', 1)[1]}"]
    assert fake.requests == []


@pytest.mark.parametrize("kind", ["http", "socks5"])
async def test_refused_credentials_are_a_proxy_failure_without_the_password(
    kind: str, fake_upstream, proxies, egress: Egress
) -> None:
    fake, server = fake_upstream
    proxy = await proxies(kind)
    a = conn(
        "a", connectionProxyEnabled=True, connectionProxyUrl=proxy.url(password="wrong-secret")
    )
    with pytest.raises(UpstreamFailure) as info:
        await get_models(egress.session_for(a, {}), str(server.make_url("/v1")), "key-a")
    assert info.value.kind == "proxy" and "wrong-secret" not in info.value.message
    assert proxy.attempts[0].password == "wrong-secret" and proxy.tunnels == []
    assert egress.cooling(parse_proxy_url(proxy.url(password="wrong-secret"))) is not None
    assert (
        egress.cooling(parse_proxy_url(proxy.url())) is None
    )  # other credentials on it still work
    assert fake.requests == []


async def test_unreachable_upstream_behind_a_working_proxy_does_not_cool_it(
    fake_upstream, proxies, egress: Egress
) -> None:
    fake, server = fake_upstream
    proxy = await proxies("socks5", mode="unreachable")
    a = conn("a", connectionProxyEnabled=True, connectionProxyUrl=proxy.url())
    with pytest.raises(UpstreamFailure) as info:
        await get_models(egress.session_for(a, {}), str(server.make_url("/v1")), "key-a")
    assert info.value.kind == "connect"
    assert egress.cooling(parse_proxy_url(proxy.url())) is None


async def test_no_proxy_hosts_connect_directly(fake_upstream, proxies, egress: Egress) -> None:
    fake, server = fake_upstream
    proxy = await proxies("http")
    a = conn(
        "a",
        connectionProxyEnabled=True,
        connectionProxyUrl=proxy.url(),
        connectionNoProxy="localhost, 127.0.0.0/8",
    )
    assert await get_models(egress.session_for(a, {}), str(server.make_url("/v1")), "key-a") == 200
    assert proxy.attempts == []


async def test_global_proxy_carries_accounts_without_their_own(
    fake_upstream, proxies, egress: Egress
) -> None:
    fake, server = fake_upstream
    proxy = await proxies("socks5")
    settings = {"outboundProxyEnabled": True, "outboundProxyUrl": proxy.url()}
    assert (
        await get_models(egress.session_for(conn("a"), settings), str(server.make_url("/v1")), "k")
        == 200
    )
    assert len(proxy.tunnels) == 1


async def test_session_placeholder_reaches_the_proxy(
    fake_upstream, proxies, egress: Egress
) -> None:
    fake, server = fake_upstream
    proxy = await proxies("socks5", username=None, password=None)
    url = f"socks5://user-{{session}}:pw@127.0.0.1:{proxy.port}"
    a = conn("a", connectionProxyEnabled=True, connectionProxyUrl=url)
    await get_models(egress.session_for(a, {}), str(server.make_url("/v1")), "key-a")
    assert proxy.tunnels[0].username == f"user-{session_token('id-a', 0)}"


async def test_provider_check_goes_through_the_accounts_proxy(
    fake_upstream, proxies, egress: Egress
) -> None:
    fake, server = fake_upstream
    proxy = await proxies("http")
    a = conn(
        "a",
        connectionProxyEnabled=True,
        connectionProxyUrl=proxy.url(),
        baseUrl=str(server.make_url("/v1")),
    )
    target = Target("prov", "m", "openai", str(server.make_url("/v1")), "bearer", "prov")
    result = await check_account(target, a, http=egress.session_for(a, {}))  # type: ignore[call-arg]
    assert result.ok and [(t.username, t.password) for t in proxy.tunnels] == [(USER, PASSWORD)]
