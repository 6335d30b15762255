"""Model aliases (kv scope modelAliases)."""

from __future__ import annotations

from ninerouter.errors import NotFound, UserError
from ninerouter.routing.combos import NAME_RE
from ninerouter.routing.config import RouterConfig
from ninerouter.routing.resolve import UnknownModel, resolve
from ninerouter.store import Store
from ninerouter.store.kv import MODEL_ALIASES


def set_alias(store: Store, alias: str, target: str) -> None:
    if not NAME_RE.match(alias):
        raise UserError(
            f"alias '{alias}' may hold only letters, digits, '.', '_' and '-' (no '/')."
        )
    if "/" not in target:
        raise UserError(
            f"the target must be a prefix/model string like kr/claude-sonnet-4.5, not '{target}'."
        )
    with store.write():
        if alias in {c.name for c in store.combos.all()}:
            raise UserError(
                f"'{alias}' is a combo name; a combo wins over an alias, so pick another name."
            )
        config = RouterConfig.build(
            connections=(), nodes=store.nodes.all(), keys=(), combos=(), settings={}
        )
        try:
            resolve(target, config)
        except UnknownModel as exc:
            raise UserError(exc.message) from None
        store.kv.put(MODEL_ALIASES, alias, target)


def remove_alias(store: Store, alias: str) -> None:
    with store.write():
        if not store.kv.delete(MODEL_ALIASES, alias):
            raise NotFound(f"no alias '{alias}'. See 'ninerouter alias list'.")
