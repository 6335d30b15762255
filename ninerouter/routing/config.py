"""The configuration the server routes with: an immutable snapshot of the store, rebuilt on change."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ninerouter.models import ApiKey, Combo, Connection, ProviderNode, ProxyPool


def key_digest(key: str) -> bytes:
    """Keys are compared by digest, so a lookup takes the same time whatever the key's prefix."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


@dataclass(frozen=True)
class RouterConfig:
    connections: tuple[Connection, ...] = ()
    nodes: tuple[ProviderNode, ...] = ()
    combos: tuple[Combo, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    key_digests: frozenset[bytes] = frozenset()
    key_ids: Mapping[bytes, str] = field(default_factory=dict)
    by_provider: Mapping[str, tuple[Connection, ...]] = field(default_factory=dict)
    nodes_by_prefix: Mapping[str, ProviderNode] = field(default_factory=dict)
    nodes_by_id: Mapping[str, ProviderNode] = field(default_factory=dict)
    combos_by_name: Mapping[str, Combo] = field(default_factory=dict)
    proxy_pools: Mapping[str, ProxyPool] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        connections: Iterable[Connection],
        nodes: Iterable[ProviderNode],
        keys: Iterable[ApiKey],
        combos: Iterable[Combo],
        settings: Mapping[str, Any],
        extra_keys: Iterable[str] = (),
        aliases: Mapping[str, Any] | None = None,
        proxy_pools: Iterable[ProxyPool] = (),
    ) -> RouterConfig:
        conns = tuple(connections)
        node_list = tuple(nodes)
        combo_list = tuple(combos)
        grouped: dict[str, list[Connection]] = {}
        for conn in conns:
            grouped.setdefault(conn.provider, []).append(conn)
        by_provider = {
            provider: tuple(sorted(items, key=lambda c: (c.priority, c.name)))
            for provider, items in grouped.items()
        }
        key_ids = {key_digest(k): "auth-file" for k in extra_keys if k}
        key_ids.update({key_digest(k.key): k.id for k in keys if k.is_active})
        return cls(
            connections=conns,
            nodes=node_list,
            combos=combo_list,
            settings=dict(settings),
            key_digests=frozenset(key_ids),
            key_ids=key_ids,
            by_provider=by_provider,
            nodes_by_prefix={n.prefix: n for n in node_list if n.prefix},
            nodes_by_id={n.id: n for n in node_list},
            combos_by_name={c.name: c for c in combo_list},
            aliases=normalize_aliases(aliases or {}),
            proxy_pools={p.id: p for p in proxy_pools},
        )

    def accepts_key(self, key: str | None) -> bool:
        return bool(key) and key_digest(key or "") in self.key_digests

    def key_id(self, key: str | None) -> str | None:
        """The apiKeys row id of a presented key ("auth-file" for the initial key), never the key."""
        return self.key_ids.get(key_digest(key)) if key else None

    def active_connections(self, provider: str) -> tuple[Connection, ...]:
        return tuple(c for c in self.by_provider.get(provider, ()) if c.is_active)


def normalize_aliases(raw: Mapping[str, Any]) -> dict[str, str]:
    """9Router stores an alias as "provider/model" or {"provider", "model"}; keep "provider/model"."""
    out: dict[str, str] = {}
    for alias, target in raw.items():
        if isinstance(target, str) and target:
            out[alias] = target
        elif isinstance(target, dict) and target.get("provider") and target.get("model"):
            out[alias] = f"{target['provider']}/{target['model']}"
    return out
