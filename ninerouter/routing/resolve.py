"""Turning a client's `model` string into a provider and an upstream model id (9Router §5.1)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ninerouter.registry import PROVIDERS, prefix_table
from ninerouter.routing.config import RouterConfig

_PREFIXES = prefix_table()


@dataclass(frozen=True)
class Target:
    provider: str  # registry id or custom node id
    model: str  # the id sent upstream
    family: str  # "openai" | "anthropic" | "kiro"
    base_url: str  # default base URL (a connection may override it)
    auth: str  # "bearer" | "x-api-key" | "oauth"
    label: str  # the prefix the client used, for messages


class UnknownModel(Exception):
    """The model string names no known provider, node or combo. Message is safe to show."""

    def __init__(self, message: str, known_prefixes: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.known_prefixes = known_prefixes


def known_prefixes(config: RouterConfig) -> list[str]:
    return sorted({*_PREFIXES, *config.nodes_by_prefix})


def _infer_provider(model: str) -> str:
    if model.startswith("claude-"):
        return "anthropic"
    if model.startswith("gemini-"):
        return "gemini"
    if model.startswith("deepseek-"):
        return "deepseek"
    return "openai"


def resolve(model: str, config: RouterConfig) -> Target:
    """prefix/model via the prefix table or a custom node prefix; a bare name is inferred."""
    model = model.strip()
    if model.endswith("[1m]"):
        model = model[:-4]
    if not model:
        raise UnknownModel('the request has no model. Send "model": "prefix/model".', [])
    if "/" in model:
        prefix, upstream_model = model.split("/", 1)
        node = config.nodes_by_prefix.get(prefix)
        if node is not None:
            return Target(
                node.id,
                upstream_model,
                node.family,
                node.base_url,
                "x-api-key" if node.family == "anthropic" else "bearer",
                prefix,
            )
        provider = _PREFIXES.get(prefix)
        if provider is None:
            prefixes = known_prefixes(config)
            close = difflib.get_close_matches(prefix, prefixes, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}/{upstream_model}'?" if close else ""
            raise UnknownModel(
                f"unknown provider prefix '{prefix}/' in model '{model}'.{hint} "
                f"Known prefixes: {', '.join(p + '/' for p in prefixes)}",
                prefixes,
            )
        return _registry_target(provider, upstream_model, prefix)
    alias = config.aliases.get(model)
    if alias is not None and alias != model and "/" in alias:
        return resolve(alias, config)
    return _registry_target(_infer_provider(model), model, model)


def _registry_target(provider: str, model: str, label: str) -> Target:
    spec = PROVIDERS[provider]
    return Target(provider, model, spec.family, spec.base_url, spec.auth, label)


def target_for_provider(provider: str, config: RouterConfig) -> Target | None:
    """The target of a provider id or custom node id, with no model (for checks and listings)."""
    node = config.nodes_by_id.get(provider)
    if node is not None:
        auth = "x-api-key" if node.family == "anthropic" else "bearer"
        return Target(node.id, "", node.family, node.base_url, auth, node.prefix)
    if provider in PROVIDERS:
        return _registry_target(provider, "", provider)
    return None
