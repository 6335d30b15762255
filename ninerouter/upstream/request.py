"""Building the upstream request for a target and an account: URL, auth headers, body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ninerouter.models import Connection
from ninerouter.registry import PROVIDERS
from ninerouter.routing.resolve import Target

USER_AGENT = "ninerouter"


@dataclass(frozen=True)
class UpstreamRequest:
    url: str
    headers: dict[str, str]
    body: bytes
    stream: bool


def base_url_for(target: Target, conn: Connection) -> str:
    """The account's own --base-url, else its region, else the node's or provider's URL."""
    if conn.base_url:
        return conn.base_url.rstrip("/")
    spec = PROVIDERS.get(target.provider)
    region = conn.specific.get("region")
    if spec is not None and isinstance(region, str) and region in spec.regions:
        return spec.regions[region]
    return target.base_url.rstrip("/")


ANTHROPIC_VERSION = "2023-06-01"
OAUTH_BETA = "oauth-2025-04-20"


def _is_claude_oauth(conn: Connection) -> bool:
    """A Claude OAuth token (an accessToken, or a key of the sk-ant-oat form) goes as Bearer."""
    key = conn.api_key
    if key:
        return key.startswith("sk-ant-oat")
    return conn.access_token is not None


def auth_headers(target: Target, conn: Connection) -> dict[str, str]:
    secret = conn.api_key or conn.access_token or ""
    if target.auth == "x-api-key":
        if _is_claude_oauth(conn):
            return {
                "Authorization": f"Bearer {secret}",
                "anthropic-version": ANTHROPIC_VERSION,
                "anthropic-beta": OAUTH_BETA,
            }
        return {"x-api-key": secret, "anthropic-version": ANTHROPIC_VERSION}
    return {"Authorization": f"Bearer {secret}"}


def openai_chat(target: Target, conn: Connection, body: dict[str, Any]) -> UpstreamRequest:
    """An OpenAI chat-completions request: the client's body with only `model` replaced."""
    stream = body.get("stream") is True
    payload = dict(body)
    payload["model"] = target.model
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
        "User-Agent": USER_AGENT,
        **auth_headers(target, conn),
    }
    return UpstreamRequest(
        url=f"{base_url_for(target, conn)}/chat/completions",
        headers=headers,
        body=orjson.dumps(payload),
        stream=stream,
    )


def anthropic_messages(
    target: Target, conn: Connection, body: dict[str, Any], beta: str | None = None
) -> UpstreamRequest:
    """An Anthropic Messages request: POST {base}/messages with x-api-key (or an OAuth Bearer)
    and anthropic-version 2023-06-01; the client's anthropic-beta list is kept on passthrough."""
    stream = body.get("stream") is True
    payload = dict(body)
    payload["model"] = target.model
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
        "User-Agent": USER_AGENT,
        **auth_headers(target, conn),
    }
    betas = [b.strip() for b in (beta or "").split(",") if b.strip()]
    if "anthropic-beta" in headers:
        betas.append(headers["anthropic-beta"])
    if betas:
        headers["anthropic-beta"] = ",".join(dict.fromkeys(betas))
    return UpstreamRequest(
        url=f"{base_url_for(target, conn)}/messages",
        headers=headers,
        body=orjson.dumps(payload),
        stream=stream,
    )
