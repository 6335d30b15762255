"""Adding, listing and removing provider connections (accounts) and custom nodes."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ninerouter.errors import Conflict, NotFound, UserError
from ninerouter.models import Connection, ProviderNode
from ninerouter.registry import CUSTOM_NODE_TYPES, PROVIDERS
from ninerouter.store import Store

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
