"""What a `model` string asks for: one target, or a combo's entries in list order (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from ninerouter.routing.combos import ComboError, expand
from ninerouter.routing.config import RouterConfig
from ninerouter.routing.resolve import Target, UnknownModel, resolve


@dataclass(frozen=True)
class Plan:
    combo: str | None
    targets: tuple[Target, ...]
    unresolved: tuple[str, ...] = ()  # combo entries naming no known provider


def plan(model: str, config: RouterConfig) -> Plan:
    """Raises UnknownModel when nothing in the request can be served."""
    name = model.strip()
    if name in config.combos_by_name:
        combos = {c.name: c.models for c in config.combos}
        try:
            entries = expand(combos, name)
        except ComboError as exc:
            raise UnknownModel(exc.message, []) from None
        targets: list[Target] = []
        unresolved: list[str] = []
        for entry in entries:
            try:
                targets.append(resolve(entry, config))
            except UnknownModel:
                unresolved.append(entry)
        if not targets:
            raise UnknownModel(
                f"combo '{name}' has no usable model (unknown: {', '.join(unresolved) or 'none'}).",
                [],
            )
        return Plan(name, tuple(targets), tuple(unresolved))
    return Plan(None, (resolve(name, config),))
