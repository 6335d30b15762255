"""What /v1/models lists (9Router §5.5), as pure data: combos first, then each served provider's
models under its prefix. A custom node without `enabledModels` is listed live by the server; here it
is a `CatalogSource` with `live=True` and no ids."""

from __future__ import annotations

from dataclasses import dataclass

from ninerouter.models import Connection, ProviderNode
from ninerouter.registry import PROVIDERS
from ninerouter.routing.config import RouterConfig


@dataclass(frozen=True)
class CatalogSource:
    provider: str
    prefix: str
    connection: Connection | None
    ids: tuple[str, ...]
    node: ProviderNode | None = None
    live: bool = False


def _prefix(provider: str) -> str:
    spec = PROVIDERS[provider]
    return spec.prefixes[0] if spec.prefixes else spec.id


def catalog(config: RouterConfig) -> tuple[list[str], list[CatalogSource]]:
    """(combo names, sources). With no active account at all, every registry model is listed."""
    combos = [c.name for c in config.combos if c.kind in (None, "", "llm")]
    served = {p: [c for c in cs if c.is_active] for p, cs in config.by_provider.items()}
    served = {p: cs for p, cs in served.items() if cs}
    if not served:
        return combos, [
            CatalogSource(p, _prefix(p), None, spec.models) for p, spec in PROVIDERS.items()
        ]
    sources: list[CatalogSource] = []
    for provider, conns in served.items():
        first = conns[0]
        enabled = first.specific.get("enabledModels")
        ids = tuple(str(m) for m in enabled) if isinstance(enabled, list) else None
        node = config.nodes_by_id.get(provider)
        if node is not None:
            sources.append(
                CatalogSource(provider, node.prefix, first, ids or (), node, ids is None)
            )
        elif provider in PROVIDERS:
            sources.append(
                CatalogSource(
                    provider,
                    _prefix(provider),
                    first,
                    ids if ids is not None else PROVIDERS[provider].models,
                )
            )
    return combos, sources
