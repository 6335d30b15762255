"""Typed, immutable views of what the store holds. Secrets are masked in every repr.

Field names follow 9Router 0.5.x so a row means the same thing to both programs: a providerConnection's
columns are attributes here, and everything 9Router keeps in its JSON `data` column stays in `data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ninerouter.redact import mask, mask_url

SECRET_FIELDS = ("apiKey", "accessToken", "refreshToken", "idToken", "clientSecret", "copilotToken")

DEFAULT_SETTINGS: Mapping[str, Any] = {
    "requireLogin": True,
    "requireApiKey": True,
    "fallbackStrategy": "fill-first",
    "stickyRoundRobinLimit": 3,
    "providerStrategies": {},
    "comboStrategy": "fallback",
    "comboStrategies": {},
    "comboStickyRoundRobinLimit": 1,
    "rtkEnabled": True,
    "outboundProxyEnabled": False,
    "outboundProxyUrl": "",
    "outboundNoProxy": "",
    # ninerouter additions (9Router ignores unknown keys).
    "connectTimeoutMs": 10_000,
    "firstByteTimeoutMs": 120_000,
    "streamIdleTimeoutMs": 300_000,
    "requestTimeoutMs": 600_000,
}

SECRET_SETTINGS = ("password", "oidcClientSecret", "mitmSudoEncrypted")


@dataclass(frozen=True)
class Connection:
    """One account of a provider (9Router `providerConnections`)."""

    id: str
    provider: str
    auth_type: str
    name: str
    priority: int
    is_active: bool
    data: Mapping[str, Any] = field(default_factory=dict)
    email: str | None = None
    created_at: str = ""
    updated_at: str = ""

    @property
    def api_key(self) -> str | None:
        value = self.data.get("apiKey")
        return value if isinstance(value, str) and value else None

    @property
    def access_token(self) -> str | None:
        value = self.data.get("accessToken")
        return value if isinstance(value, str) and value else None

    @property
    def specific(self) -> Mapping[str, Any]:
        value = self.data.get("providerSpecificData")
        return value if isinstance(value, dict) else {}

    @property
    def base_url(self) -> str | None:
        value = self.specific.get("baseUrl")
        return value if isinstance(value, str) and value else None

    def secrets(self) -> list[str]:
        found = [self.data.get(name) for name in SECRET_FIELDS]
        found.append(self.specific.get("clientSecret"))
        return [s for s in found if isinstance(s, str) and s]

    def public(self) -> dict[str, Any]:
        """A JSON-able view with every secret masked."""
        data = {
            k: (mask(v) if k in SECRET_FIELDS and isinstance(v, str) else v)
            for k, v in self.data.items()
        }
        specific = dict(self.specific)
        if isinstance(specific.get("clientSecret"), str):
            specific["clientSecret"] = mask(specific["clientSecret"])
        for key in ("connectionProxyUrl", "proxyUrl"):
            if isinstance(specific.get(key), str):
                specific[key] = mask_url(specific[key])
        if specific:
            data["providerSpecificData"] = specific
        return {
            "id": self.id,
            "provider": self.provider,
            "authType": self.auth_type,
            "name": self.name,
            "email": self.email,
            "priority": self.priority,
            "isActive": self.is_active,
            **{k: v for k, v in data.items() if k not in ("id", "provider", "name")},
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    def __repr__(self) -> str:
        return f"Connection(id={self.id!r}, provider={self.provider!r}, name={self.name!r})"


@dataclass(frozen=True)
class ProviderNode:
    """A custom OpenAI- or Anthropic-compatible endpoint (9Router `providerNodes`)."""

    id: str
    type: str
    name: str
    prefix: str
    base_url: str
    api_type: str = "chat"
    created_at: str = ""
    updated_at: str = ""

    @property
    def family(self) -> str:
        return "anthropic" if self.type == "anthropic-compatible" else "openai"

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "prefix": self.prefix,
            "apiType": self.api_type,
            "baseUrl": self.base_url,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass(frozen=True)
class ApiKey:
    """A key that /v1 clients present (9Router `apiKeys`; the key is stored as 9Router stores it)."""

    id: str
    key: str
    name: str
    is_active: bool
    machine_id: str | None = None
    created_at: str = ""

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "key": mask(self.key),
            "isActive": self.is_active,
            "machineId": self.machine_id,
            "createdAt": self.created_at,
        }

    def __repr__(self) -> str:
        return f"ApiKey(id={self.id!r}, name={self.name!r}, key={mask(self.key)!r})"


@dataclass(frozen=True)
class Combo:
    """An ordered list of model strings served under one name (9Router `combos`)."""

    id: str
    name: str
    models: tuple[str, ...]
    kind: str | None = None
    created_at: str = ""
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "models": list(self.models),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass(frozen=True)
class ProxyPool:
    """One 9Router proxy pool: in practice one egress proxy URL."""

    id: str
    name: str
    proxy_url: str
    no_proxy: str = ""
    type: str = "http"
    is_active: bool = True
    strict: bool = True
    test_status: str | None = "unknown"
    data: Mapping[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""

    @property
    def is_relay(self) -> bool:
        return self.type in ("vercel", "cloudflare", "deno")

    def public(self) -> dict[str, Any]:
        """9Router's field names, the proxy password masked."""
        return {
            "id": self.id,
            "name": self.name,
            "proxyUrl": mask_url(self.proxy_url),
            "noProxy": self.no_proxy,
            "type": self.type,
            "isActive": self.is_active,
            "strictProxy": self.strict,
            "testStatus": self.test_status,
            "lastTestedAt": self.data.get("lastTestedAt"),
            "latencyMs": self.data.get("latencyMs"),
            "lastError": self.data.get("lastError"),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    def __repr__(self) -> str:
        return f"ProxyPool(id={self.id!r}, proxy_url={mask_url(self.proxy_url)!r})"


def public_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings without secrets; proxy URLs with their passwords hidden."""
    out = {k: v for k, v in settings.items() if k not in SECRET_SETTINGS}
    out["hasPassword"] = bool(settings.get("password"))
    if isinstance(out.get("outboundProxyUrl"), str):
        out["outboundProxyUrl"] = mask_url(out["outboundProxyUrl"])
    return out


@dataclass(frozen=True)
class UsageRecord:
    """One finished request, as the router records it (9Router `usageHistory` plus our fields in meta).

    `status` is the HTTP status the client got ("200", "429", ...) or "499" when the client went away.
    `api_key` is never the key itself: the apiKeys row id, or "auth-file" for the initial key.
    """

    timestamp: str
    provider: str
    model: str
    connection_id: str | None
    connection_name: str | None
    endpoint: str
    status: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    combo: str | None = None
    api_key: str | None = None
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    attempts: int = 1
    stream: bool = False
    saver_tokens_before: int = 0  # token saver: estimated tokens of the tool outputs it shrank ...
    saver_tokens_after: int = 0  # ... and after shrinking them
