"""The HTTP side of `ninerouter probe`: one request at a time to a router's base URL.

Nothing is kept but the status, a few headers, the session cookie and a bounded body; the caller
decides what (if anything) of a body may be shown. Redirects are not followed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp

MAX_BODY_BYTES = 256 * 1024
KEPT_HEADERS = (
    "access-control-allow-origin",
    "allow",
    "content-type",
    "retry-after",
    "server",
    "vary",
    "www-authenticate",
    "x-powered-by",
)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names, KEPT_HEADERS only
    body: bytes = b""
    cookies: Mapping[str, str] = field(default_factory=dict)


class Unreachable(Exception):
    """No HTTP answer: `kind` is "refused", "timeout" or "error"."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class ProbeHttp:
    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ProbeHttp:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        cookie: str | None = None,
    ) -> Reply:
        assert self._session is not None, "use ProbeHttp as an async context manager"
        headers = {"Accept": "application/json"}
        if cookie:
            headers["Cookie"] = cookie
        kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": False}
        if json_body is not None:
            kwargs["json"] = json_body
        try:
            async with self._session.request(method, self.base_url + path, **kwargs) as resp:
                body = await resp.content.read(MAX_BODY_BYTES)
                kept = {h: resp.headers[h] for h in KEPT_HEADERS if h in resp.headers}
                cookies = {name: morsel.value for name, morsel in resp.cookies.items()}
                return Reply(resp.status, kept, body, cookies)
        except aiohttp.ClientConnectorError as exc:
            refused = isinstance(exc.os_error, ConnectionRefusedError)
            raise Unreachable("refused" if refused else "error", str(exc.os_error)) from None
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise Unreachable("timeout", f"no answer within {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise Unreachable("error", f"{type(exc).__name__}: {exc}") from None
