"""Combos: names that stand for an ordered list of model strings (9Router §5.3), pure.

A combo entry may name another combo; expansion is depth-first and a cycle is an error, reported with
the path that loops (`a -> b -> a`), both when a combo is saved and (defensively) when it is expanded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

NAME_RE = re.compile(r"^[a-zA-Z0-9_.\-]+$")
MAX_DEPTH = 8


class ComboError(Exception):
    """A combo definition that cannot be used. The message is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validate_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise ComboError(
            f"combo name '{name}' may hold only letters, digits, '.', '_' and '-' (no '/', no spaces)."
        )


def find_cycle(
    combos: Mapping[str, Sequence[str]], name: str, models: Sequence[str]
) -> list[str] | None:
    """The loop that saving `name = models` would create, as a path of names, or None."""
    graph = {**combos, name: models}

    def walk(current: str, path: list[str]) -> list[str] | None:
        for entry in graph.get(current, ()):
            if entry not in graph:
                continue
            if entry in path:
                return [*path[path.index(entry) :], entry]
            found = walk(entry, [*path, entry])
            if found:
                return found
        return None

    return walk(name, [name])


def expand(combos: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """The concrete model strings of a combo, nested combos flattened in order, duplicates kept once."""
    out: list[str] = []

    def walk(current: str, path: tuple[str, ...]) -> None:
        if len(path) > MAX_DEPTH:
            raise ComboError(f"combo nesting deeper than {MAX_DEPTH}: {' -> '.join(path)}")
        for entry in combos[current]:
            if entry in combos:
                if entry in path:
                    raise ComboError(f"combo cycle: {' -> '.join((*path, entry))}")
                walk(entry, (*path, entry))
            elif entry not in out:
                out.append(entry)

    walk(name, (name,))
    return out
