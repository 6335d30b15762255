"""A cheap live check of one account: GET {base}/models with its credentials, no tokens spent."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from ninerouter.models import Connection
from ninerouter.redact import scrub
from ninerouter.routing.resolve import Target
from ninerouter.upstream.relay import UpstreamFailure, error_message
from ninerouter.upstream.request import auth_headers, base_url_for
from ninerouter.upstream.session import new_session


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    status: int
    message: str
    latency_ms: float


async def check_account(
    target: Target,
    conn: Connection,
    wait: float = 15.0,
    http: aiohttp.ClientSession | None = None,
) -> CheckResult:
    """`http`: the account's session from Egress.session_for (its proxy); else a direct one."""
    if http is None:
        async with new_session() as own:
            return await check_account(target, conn, wait, own)
    url = f"{base_url_for(target, conn)}/models"
    started = time.monotonic()
    try:
        async with asyncio.timeout(wait):
            async with http.get(
                url, headers=auth_headers(target, conn), allow_redirects=False
            ) as resp:
                body = await resp.read()
    except TimeoutError:
        return CheckResult(False, 0, f"no answer from {url} within {wait:g}s", _ms(started))
    except UpstreamFailure as exc:  # the account's egress proxy failed: never retried direct
        return CheckResult(False, 0, exc.message, _ms(started))
    except aiohttp.ClientError as exc:
        return CheckResult(False, 0, f"could not reach {url}: {type(exc).__name__}", _ms(started))
    if 200 <= resp.status < 300:
        return CheckResult(True, resp.status, "ok", _ms(started))
    message = scrub(f"[{resp.status}]: {error_message(body)}", conn.secrets())
    return CheckResult(False, resp.status, message, _ms(started))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
