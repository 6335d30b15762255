"""Creating, editing and deleting combos, and their per-combo strategy in settings.

Everything is checked before anything is written, and each operation is one transaction: the combo
row, references to it in other combos and its `comboStrategies` entry change together or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ninerouter.errors import Conflict, NotFound, UserError
from ninerouter.models import Combo
from ninerouter.routing.combos import ComboError, expand, find_cycle, validate_name
from ninerouter.store import Store

STRATEGIES = ("fallback", "round-robin", "sticky")
_KIND_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def get_combo(store: Store, ref: str) -> Combo:
    """A combo by id or name."""
    combo = store.combos.get(ref)
    if combo is None:
        raise NotFound(f"no combo with name or id '{ref}'. See 'ninerouter combo list'.")
    return combo


def effective_strategy(settings: Mapping[str, Any], name: str) -> str:
    """comboStrategies[name].fallbackStrategy, else settings comboStrategy, else fallback (9Router §5.3)."""
    override = _overrides(settings).get(name)
    if isinstance(override, dict) and isinstance(override.get("fallbackStrategy"), str):
        return str(override["fallbackStrategy"])
    default = settings.get("comboStrategy")
    return default if isinstance(default, str) and default else "fallback"


def create_combo(
    store: Store,
    name: str,
    models: Sequence[str],
    kind: str | None = None,
    *,
    strategy: str | None = None,
) -> Combo:
    validate(name, models, kind, strategy)
    with store.write():
        existing = store.combos.all()
        if any(c.name == name for c in existing):
            raise Conflict(
                f"a combo named '{name}' already exists. Change it with 'ninerouter combo edit {name}' "
                "or pick another name."
            )
        _check_graph(_graph(existing), name, models)
        combo = store.combos.insert(name, list(models), kind)
        if strategy is not None:
            _write_strategy(store, name, strategy)
        return combo


def edit_combo(
    store: Store,
    ref: str,
    name: str | None = None,
    models: Sequence[str] | None = None,
    add: Sequence[str] | None = None,
    remove: Sequence[str] | None = None,
    kind: str | None = None,
    *,
    strategy: str | None = None,
) -> Combo:
    """Rename and/or change the model list (`models` replaces it; `add` appends, `remove` drops).

    A rename also renames the combo's `comboStrategies` entry and every reference to it in other
    combos, so nothing that routed through the old name silently falls back to a bare model name."""
    if models is not None and (add or remove):
        raise UserError("--model replaces the whole list; use it without --add/--remove.")
    if name is None and models is None and not add and not remove and kind is None:
        if strategy is None:
            raise UserError(
                "nothing to change: pass --rename, --model, --add, --remove, --kind or --strategy."
            )
    validate_kind_and_strategy(kind, strategy)
    with store.write():
        combo = get_combo(store, ref)
        new_name = combo.name if name is None else name
        new_models = _edited_models(combo, models, add, remove)
        renamed = new_name != combo.name
        relinked = renamed or new_models != combo.models
        if relinked:
            validate(new_name, new_models)
        others = {c.name: c for c in store.combos.all() if c.id != combo.id}
        if renamed and new_name in others:
            raise Conflict(
                f"cannot rename '{combo.name}': a combo named '{new_name}' already exists."
            )
        graph = {n: _renamed(c.models, combo.name, new_name) for n, c in others.items()}
        if relinked:
            _check_graph(graph, new_name, new_models)
        updated = store.combos.update(
            combo.id,
            name=new_name if renamed else None,
            models=new_models if models is not None or add or remove else None,
            kind=kind,
        )
        if renamed:
            for other in others.values():
                if combo.name in other.models:
                    store.combos.update(other.id, models=graph[other.name])
            _rename_strategy(store, combo.name, new_name)
        if strategy is not None:
            _write_strategy(store, new_name, strategy)
        return updated


def check_deletable(store: Store, combo: Combo) -> None:
    """Refuse to delete a combo that another combo includes (its entry would turn into a bare,
    inferred model name and route somewhere else)."""
    users = [c.name for c in store.combos.all() if combo.name in c.models and c.id != combo.id]
    if users:
        raise UserError(
            f"combo '{combo.name}' is used by {_names(users)}; remove it there first "
            f"(ninerouter combo edit {users[0]} --remove {combo.name})."
        )


def delete_combo(store: Store, ref: str) -> Combo:
    """Delete a combo and its strategy override. Refused while another combo includes it."""
    with store.write():
        combo = get_combo(store, ref)
        check_deletable(store, combo)
        store.combos.delete(combo.id)
        overrides = _overrides(store.settings.get())
        if combo.name in overrides:
            rest = {k: v for k, v in overrides.items() if k != combo.name}
            store.settings.patch({"comboStrategies": rest})
        return combo


def set_combo_strategy(store: Store, ref: str, strategy: str) -> str:
    """Store `comboStrategies[name].fallbackStrategy = strategy`, explicitly even for "fallback"
    (9Router deletes the entry instead, so the global comboStrategy silently takes over)."""
    _check_strategy(strategy)
    with store.write():
        combo = get_combo(store, ref)
        _write_strategy(store, combo.name, strategy)
    return strategy


def validate(
    name: str, models: Sequence[str], kind: str | None = None, strategy: str | None = None
) -> None:
    """Checks that need no database: name, model strings, kind, strategy."""
    try:
        validate_name(name)
    except ComboError as exc:
        raise UserError(exc.message) from None
    if not models:
        raise UserError(f"combo '{name}' needs at least one model: pass --model PREFIX/MODEL.")
    seen: set[str] = set()
    for model in models:
        _check_model(model)
        if model in seen:
            raise UserError(f"model '{model}' is listed twice in combo '{name}'; list it once.")
        seen.add(model)
    validate_kind_and_strategy(kind, strategy)


def validate_kind_and_strategy(kind: str | None, strategy: str | None) -> None:
    if kind is not None and not _KIND_RE.match(kind):
        raise UserError(f"kind '{kind}' is not a kind name; use e.g. llm, image, tts, embedding.")
    if strategy is not None:
        _check_strategy(strategy)


def _check_model(model: str) -> None:
    if not model or model != model.strip() or any(ch.isspace() for ch in model):
        raise UserError(
            f"model {model!r} is empty or holds whitespace; write it as PREFIX/MODEL "
            "(e.g. kr/claude-opus-4.7), a bare model name or another combo's name."
        )
    prefix, slash, rest = model.partition("/")
    if slash and (not prefix or not rest):
        raise UserError(
            f"model '{model}' has an empty {'prefix' if not prefix else 'model id'}; "
            "write it as PREFIX/MODEL, e.g. kr/claude-opus-4.7."
        )


def _check_strategy(strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise UserError(f"strategy '{strategy}' is not one of: {', '.join(STRATEGIES)}.")


def _check_graph(graph: Mapping[str, Sequence[str]], name: str, models: Sequence[str]) -> None:
    """Refuse a loop through `name`, or nesting deeper than routing allows, for `name` and every
    combo that includes it."""
    cycle = find_cycle(graph, name, models)
    if cycle:
        path = " -> ".join(cycle)
        where = "would loop" if cycle[0] == name else "would lead into a loop"
        raise UserError(
            f"combo '{name}' {where}: {path}. A combo may include other combos, but not itself, "
            "directly or through others."
        )
    full = {**graph, name: list(models)}
    for combo_name in [name, *_includers(full, name)]:
        try:
            expand(full, combo_name)
        except ComboError as exc:
            raise UserError(f"combo '{name}' cannot be saved: {exc.message}") from None


def _includers(graph: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """Names of combos that include `name`, directly or through others."""
    found: list[str] = []
    todo = [name]
    while todo:
        target = todo.pop()
        for other, models in graph.items():
            if target in models and other not in found and other != name:
                found.append(other)
                todo.append(other)
    return found


def _edited_models(
    combo: Combo,
    models: Sequence[str] | None,
    add: Sequence[str] | None,
    remove: Sequence[str] | None,
) -> tuple[str, ...]:
    if models is not None:
        return tuple(models)
    out = list(combo.models)
    for model in remove or ():
        if model not in out:
            raise UserError(
                f"combo '{combo.name}' has no model '{model}'; its models are: {', '.join(out)}."
            )
        out.remove(model)
    for model in add or ():
        if model in out:
            raise UserError(f"combo '{combo.name}' already has model '{model}'.")
        out.append(model)
    return tuple(out)


def _graph(combos: Iterable[Combo]) -> dict[str, Sequence[str]]:
    return {c.name: c.models for c in combos}


def _renamed(models: Sequence[str], old: str, new: str) -> tuple[str, ...]:
    return tuple(new if m == old else m for m in models)


def _names(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return ("combo " if len(quoted) == 1 else "combos ") + ", ".join(quoted)


def _overrides(settings: Mapping[str, Any]) -> dict[str, Any]:
    value = settings.get("comboStrategies")
    return dict(value) if isinstance(value, dict) else {}


def _write_strategy(store: Store, name: str, strategy: str) -> None:
    overrides = _overrides(store.settings.get())
    entry = overrides.get(name)
    overrides[name] = {**(entry if isinstance(entry, dict) else {}), "fallbackStrategy": strategy}
    store.settings.patch({"comboStrategies": overrides})


def _rename_strategy(store: Store, old: str, new: str) -> None:
    overrides = _overrides(store.settings.get())
    if old not in overrides:
        return
    renamed = {(new if k == old else k): v for k, v in overrides.items() if k != new}
    store.settings.patch({"comboStrategies": renamed})
