"""Adding, listing and removing provider connections (accounts) and custom nodes."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ninerouter.errors import Conflict, NotFound, UserError
from ninerouter.models import Connection, ProviderNode
from ninerouter.registry import CUSTOM_NODE_TYPES, PROVIDERS
from ninerouter.store import Store
from ninerouter.store.rows import now_iso

if TYPE_CHECKING:
    from ninerouter.upstream.check import CheckResult

_PREFIX_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,31}$")


@dataclass(frozen=True)
class NewConnection:
    provider: str
    name: str
    api_key: str | None = None
    base_url: str | None = None
    prefix: str | None = None
    priority: int | None = None
    proxy: str | None = None
    region: str | None = None


def known_provider_ids() -> list[str]:
    return sorted([*PROVIDERS, *CUSTOM_NODE_TYPES])


def _suggest(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    return f" Did you mean '{close[0]}'?" if close else ""


def validate_base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(
            f"--base-url '{url}' is not an http(s) URL. Give the API root, "
            "e.g. https://api.example.com/v1"
        )
    try:
        _ = parts.port
    except ValueError as exc:
        raise UserError(f"--base-url '{url}' has an invalid port.") from exc
    cleaned = url.strip().rstrip("/")
    for suffix in ("/chat/completions", "/messages", "/embeddings"):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)]
    return cleaned


def _check_key_matches(provider: str, key: str) -> None:
    if provider == "xiaomi-mimo" and key.startswith("tp-"):
        raise UserError(
            "this is a Token Plan key (tp-…): add it as provider 'xiaomi-tokenplan' (prefix xmtp/), "
            "not 'xiaomi-mimo'."
        )
    if provider == "xiaomi-tokenplan" and key.startswith("sk-"):
        raise UserError(
            "Token Plan keys start with tp-; an sk- key belongs to provider 'xiaomi-mimo' (prefix mimo/)."
        )


def add_connection(store: Store, new: NewConnection) -> Connection:
    """Validate everything first, then write the node (if any) and the connection in one transaction."""
    provider = new.provider.strip()
    name = new.name.strip()
    if not name:
        raise UserError("--name is required and must not be empty.")
    is_custom = provider in CUSTOM_NODE_TYPES
    if not is_custom and provider not in PROVIDERS:
        raise UserError(
            f"unknown provider '{provider}'.{_suggest(provider, known_provider_ids())} "
            f"Known: {', '.join(known_provider_ids())}."
        )
    if not new.api_key:
        raise UserError(f"--api-key is required to add a {provider} connection.")
    api_key = new.api_key.strip()
    _check_key_matches(provider, api_key)
    base_url = validate_base_url(new.base_url) if new.base_url else None
    specific: dict[str, Any] = {}
    if new.proxy:
        specific.update(connectionProxyEnabled=True, connectionProxyUrl=new.proxy)
    if new.region:
        spec = PROVIDERS.get(provider)
        if spec is None or not spec.regions:
            raise UserError(f"--region applies only to providers with regions, not '{provider}'.")
        if new.region not in spec.regions:
            raise UserError(f"--region must be one of {', '.join(spec.regions)} for {provider}.")
        specific["region"] = new.region
    if priority := new.priority:
        if priority < 1:
            raise UserError("--priority must be 1 or more (1 is tried first).")

    with store.write():
        node: ProviderNode | None = None
        if is_custom:
            if not base_url or not new.prefix:
                raise UserError(
                    f"a {provider} node needs --base-url and --prefix (the model prefix clients type, "
                    "e.g. --prefix mylab for mylab/model)."
                )
            if not _PREFIX_RE.match(new.prefix):
                raise UserError(
                    f"--prefix '{new.prefix}' may hold only letters, digits, '.', '_', '-'."
                )
            node = _node_for_prefix(store, provider, new.prefix, base_url)
            provider_id = node.id
            specific.update(
                prefix=node.prefix, apiType=node.api_type, baseUrl=node.base_url, nodeName=node.name
            )
        else:
            provider_id = provider
            if new.prefix:
                raise UserError(
                    "--prefix is only for openai-compatible / anthropic-compatible nodes."
                )
            if base_url:
                specific["baseUrl"] = base_url
        if store.connections.find(provider_id, name) is not None:
            raise Conflict(
                f"a connection named '{name}' already exists for {provider}. "
                "Pick another --name or remove the old one first."
            )
        data: dict[str, Any] = {"apiKey": api_key, "testStatus": "unknown"}
        if specific:
            data["providerSpecificData"] = specific
        return store.connections.insert(
            provider=provider_id,
            name=name,
            auth_type="apikey",
            priority=new.priority or store.connections.next_priority(provider_id),
            data=data,
        )


def _node_for_prefix(store: Store, node_type: str, prefix: str, base_url: str) -> ProviderNode:
    if prefix in _builtin_prefixes():
        raise UserError(f"--prefix '{prefix}' is a built-in provider prefix; choose another.")
    existing = store.nodes.by_prefix(prefix)
    if existing is None:
        return store.nodes.insert(
            node_type=node_type, name=prefix, prefix=prefix, base_url=base_url, api_type="chat"
        )
    if existing.type != node_type:
        raise Conflict(f"prefix '{prefix}' already belongs to a {existing.type} node.")
    if existing.base_url != base_url:
        raise Conflict(
            f"prefix '{prefix}' already points at {existing.base_url}; use the same --base-url to add "
            "another account to it, or another --prefix."
        )
    return existing


def _builtin_prefixes() -> set[str]:
    return {p for spec in PROVIDERS.values() for p in spec.all_prefixes}


def resolve_connection(store: Store, ref: str) -> Connection:
    """A connection by id or by unique name."""
    matches = store.connections.by_name(ref)
    if not matches:
        raise NotFound(f"no connection with id or name '{ref}'. See 'ninerouter provider list'.")
    if len(matches) > 1:
        raise UserError(
            f"'{ref}' names {len(matches)} connections (in {', '.join(m.provider for m in matches)}); "
            "use its id from 'ninerouter provider list'."
        )
    return matches[0]


def remove_connection(store: Store, ref: str) -> Connection:
    with store.write():
        conn = resolve_connection(store, ref)
        store.connections.delete(conn.id)
        if conn.provider.startswith(CUSTOM_NODE_TYPES) and not store.connections.all(conn.provider):
            store.nodes.delete(conn.provider)
    return conn


@dataclass(frozen=True)
class ConnectionEdit:
    name: str | None = None
    api_key: str | None = None
    base_url: str | None = None
    priority: int | None = None
    active: bool | None = None
    proxy: str | None = None
    region: str | None = None
    min_interval_ms: int | None = None
    max_concurrent: int | None = None


def edit_connection(store: Store, ref: str, edit: ConnectionEdit) -> Connection:
    """Apply an edit in one transaction. Editing lifts an auth_failed lock (the row's updatedAt moves)."""
    columns: dict[str, Any] = {}
    data: dict[str, Any] = {}
    specific: dict[str, Any] = {}
    with store.write():
        conn = resolve_connection(store, ref)
        if edit.name is not None:
            name = edit.name.strip()
            if not name:
                raise UserError("--name must not be empty.")
            other = store.connections.find(conn.provider, name)
            if other is not None and other.id != conn.id:
                raise Conflict(f"a connection named '{name}' already exists for {conn.provider}.")
            columns["name"] = name
        if edit.priority is not None:
            if edit.priority < 1:
                raise UserError("--priority must be 1 or more (1 is tried first).")
            columns["priority"] = edit.priority
        if edit.active is not None:
            columns["isActive"] = 1 if edit.active else 0
        if edit.api_key is not None:
            key = edit.api_key.strip()
            if not key:
                raise UserError("--api-key must not be empty.")
            _check_key_matches(conn.provider, key)
            data["apiKey"] = key
        if edit.base_url is not None:
            specific["baseUrl"] = validate_base_url(edit.base_url) if edit.base_url else None
        if edit.proxy is not None:
            specific.update(
                connectionProxyEnabled=bool(edit.proxy), connectionProxyUrl=edit.proxy or None
            )
        if edit.region is not None:
            spec = PROVIDERS.get(conn.provider)
            if spec is None or edit.region not in spec.regions:
                allowed = ", ".join(spec.regions) if spec and spec.regions else "none"
                raise UserError(f"--region for {conn.provider} must be one of: {allowed}.")
            specific["region"] = edit.region
        throttle: dict[str, Any] = {}
        for key, value in (
            ("minIntervalMs", edit.min_interval_ms),
            ("maxConcurrent", edit.max_concurrent),
        ):
            if value is not None:
                if value < 0:
                    raise UserError(
                        f"throttle values must be 0 or more (0 turns it off), not {value}."
                    )
                throttle[key] = value or None
        if throttle:
            data["throttle"] = throttle
        if specific:
            data["providerSpecificData"] = specific
        if not columns and not data:
            raise UserError("nothing to change: pass at least one option (see --help).")
        return store.connections.update(conn.id, columns=columns, data=data)


def test_connection(store: Store, ref: str) -> tuple[Connection, CheckResult]:
    """Call the provider cheaply, record testStatus / lastTestedAt / lastError, and on success lift
    every lock and back-off of the account (a running server notices within a second)."""
    import asyncio

    from ninerouter.routing.config import RouterConfig
    from ninerouter.routing.resolve import target_for_provider
    from ninerouter.store.proxy_pools import load_pools
    from ninerouter.upstream.check import CheckResult, check_account
    from ninerouter.upstream.egress import Egress
    from ninerouter.upstream.relay import UpstreamFailure

    conn = resolve_connection(store, ref)
    target = target_for_provider(
        conn.provider,
        RouterConfig.build(
            connections=(), nodes=store.nodes.all(), keys=(), combos=(), settings={}
        ),
    )
    if target is None:
        raise UserError(f"connection '{conn.name}' belongs to unknown provider '{conn.provider}'.")
    if target.family == "kiro":
        raise UserError(
            "Kiro accounts are checked by their token refresh, which is not available yet."
        )
    pools, settings = load_pools(store.db), store.settings.get()

    async def check() -> CheckResult:
        async with Egress.opened(pools) as egress:
            try:
                http = egress.session_for(conn, settings)
            except UpstreamFailure as exc:
                return CheckResult(False, 0, exc.message, 0.0)
            return await check_account(target, conn, http=http)

    result = asyncio.run(check())
    patch: dict[str, Any] = {
        "testStatus": "active" if result.ok else "error",
        "lastTestedAt": now_iso(),
        "lastError": None if result.ok else result.message[:100],
        "errorCode": None if result.ok else (result.status or None),
    }
    if result.ok:
        patch.update({key: None for key in conn.data if key.startswith("modelLock_")})
        patch.update(backoffLevel=0, nrLockReason=None, nrAuthFailedVersion=None, lastErrorAt=None)
    with store.write():
        store.connections.patch_data({conn.id: patch})
    updated = store.connections.get(conn.id)
    return (updated or conn), result


def connection_by_id(store: Store, connection_id: str) -> Connection:
    conn = store.connections.get(connection_id)
    if conn is None:
        raise NotFound(f"no connection with id '{connection_id}'.")
    return conn


def merge_connection_data(
    store: Store,
    connection_id: str,
    *,
    top: Mapping[str, Any] | None = None,
    specific: Mapping[str, Any] | None = None,
) -> Connection:
    """Set keys of the connection's JSON data (`defaultModel`, ...) and shallow-merge keys into
    its providerSpecificData (a null value removes the key)."""
    data: dict[str, Any] = dict(top or {})
    if specific:
        data["providerSpecificData"] = dict(specific)
    if not data:
        return connection_by_id(store, connection_id)
    with store.write():
        connection_by_id(store, connection_id)
        return store.connections.update(connection_id, data=data)


def check_prefix(prefix: str) -> None:
    """A custom node prefix: a simple word that is not a built-in provider prefix."""
    if not _PREFIX_RE.match(prefix):
        raise UserError(f"prefix '{prefix}' may hold only letters, digits, '.', '_', '-'.")
    if prefix in _builtin_prefixes():
        raise UserError(f"prefix '{prefix}' is a built-in provider prefix; choose another.")
