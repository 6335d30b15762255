"""Choosing the account within a provider and the order of a combo's entries (pure, in memory).

Account strategies (`fallbackStrategy`, per provider `providerStrategies[p].fallbackStrategy`):
  fill-first   the first available account by priority;
  round-robin  stay on the current account for `stickyRoundRobinLimit` picks, then move to the next
               available one in priority order (so K equal accounts share N requests N/K each);
  sticky       a session keeps the account that first served it while it is available; a new or
               displaced session goes to the account with the fewest sessions.
Combo strategies (`comboStrategy`, per combo `comboStrategies[name].fallbackStrategy`):
  fallback     list order; round-robin  rotate the start (`comboStickyRoundRobinLimit` per step);
  sticky       a session starts on the entry that served it last.
All of this is process memory behind the RoutingState class, so another backend (Redis) can replace it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ninerouter.models import Connection

MAX_SESSIONS = 20_000
DEFAULT_SESSION_TTL = 3600.0


@dataclass
class Rotation:
    current: str | None = None
    count: int = 0


@dataclass
class ComboRotation:
    index: int = 0
    count: int = 0


def account_strategy(settings: Mapping[str, Any], provider: str) -> tuple[str, int]:
    override = (settings.get("providerStrategies") or {}).get(provider) or {}
    strategy = override.get("fallbackStrategy") or settings.get("fallbackStrategy") or "fill-first"
    limit = override.get("stickyRoundRobinLimit") or settings.get("stickyRoundRobinLimit") or 3
    return str(strategy), max(int(limit), 1)


def combo_strategy(settings: Mapping[str, Any], combo: str) -> tuple[str, int]:
    override = (settings.get("comboStrategies") or {}).get(combo) or {}
    strategy = override.get("fallbackStrategy") or settings.get("comboStrategy") or "fallback"
    limit = settings.get("comboStickyRoundRobinLimit") or 1
    return str(strategy), max(int(limit), 1)


@dataclass
class RoutingState:
    """Rotation cursors and session affinity. One instance per server."""

    clock: Callable[[], float]
    session_ttl: float = DEFAULT_SESSION_TTL
    rotations: dict[str, Rotation] = field(default_factory=dict)
    combo_rotations: dict[str, ComboRotation] = field(default_factory=dict)
    sessions: OrderedDict[tuple[str, str], tuple[str, float]] = field(default_factory=OrderedDict)
    dirty_rotation: set[str] = field(default_factory=set)

    # --- accounts -------------------------------------------------------------------------------

    def pick_account(
        self,
        provider: str,
        conns: Sequence[Connection],
        available: Callable[[Connection], bool],
        strategy: str,
        limit: int,
        session: str | None,
    ) -> Connection | None:
        """The account to try next among `conns` (priority order), or None if none is available."""
        usable = [c for c in conns if available(c)]
        if not usable:
            return None
        if strategy == "sticky" and session:
            return self._sticky_account(provider, conns, usable, session)
        if strategy == "round-robin":
            return self._round_robin(provider, conns, usable, limit)
        return usable[0]

    def _round_robin(
        self, provider: str, conns: Sequence[Connection], usable: list[Connection], limit: int
    ) -> Connection:
        state = self.rotations.setdefault(provider, Rotation())
        ids = [c.id for c in usable]
        if state.current in ids and state.count < limit:
            state.count += 1
            chosen = usable[ids.index(state.current)]
        else:
            order = [c.id for c in conns]
            start = order.index(state.current) + 1 if state.current in order else 0
            rotated = order[start:] + order[:start]
            chosen_id = next(cid for cid in rotated if cid in ids)
            chosen = usable[ids.index(chosen_id)]
            state.current, state.count = chosen.id, 1
        self.dirty_rotation.add(provider)
        return chosen

    def _sticky_account(
        self, provider: str, conns: Sequence[Connection], usable: list[Connection], session: str
    ) -> Connection:
        key = (f"account:{provider}", session)
        now = self.clock()
        bound = self._session_get(key, now)
        by_id = {c.id: c for c in usable}
        if bound in by_id:
            self._session_put(key, bound, now)
            return by_id[bound]
        load: dict[str, int] = {c.id: 0 for c in usable}
        for (scope, _), (value, _) in self.sessions.items():
            if scope == key[0] and value in load:
                load[value] += 1
        chosen = min(usable, key=lambda c: (load[c.id], conns.index(c)))
        self._session_put(key, chosen.id, now)
        return chosen

    def restore_rotation(self, provider: str, conns: Sequence[Connection]) -> None:
        """After a restart: resume where 9Router-shaped `lastUsedAt`/`consecutiveUseCount` left off."""
        if provider in self.rotations:
            return
        used = [c for c in conns if isinstance(c.data.get("lastUsedAt"), str)]
        if not used:
            return
        last = max(used, key=lambda c: str(c.data["lastUsedAt"]))
        count = last.data.get("consecutiveUseCount")
        self.rotations[provider] = Rotation(last.id, int(count) if isinstance(count, int) else 1)

    def rotation_patches(self, stamp: str) -> dict[str, dict[str, Any]]:
        """`lastUsedAt`/`consecutiveUseCount` of each provider's current account, to persist."""
        patches: dict[str, dict[str, Any]] = {}
        for provider in self.dirty_rotation:
            state = self.rotations.get(provider)
            if state and state.current:
                patches[state.current] = {"lastUsedAt": stamp, "consecutiveUseCount": state.count}
        self.dirty_rotation.clear()
        return patches

    # --- combos ---------------------------------------------------------------------------------

    def combo_order(
        self, combo: str, entries: Sequence[Any], strategy: str, session: str | None
    ) -> list[int]:
        """Positions of the entries in the order to try them."""
        positions = list(range(len(entries)))
        if strategy == "round-robin" and entries:
            start = self.combo_rotations.setdefault(combo, ComboRotation()).index % len(entries)
            return positions[start:] + positions[:start]
        if strategy == "sticky" and session:
            bound = self._session_get((f"combo:{combo}", session), self.clock())
            if bound is not None and bound.isdigit() and int(bound) < len(entries):
                first = int(bound)
                return [first, *[p for p in positions if p != first]]
        return positions

    def combo_served(
        self, combo: str, position: int, size: int, strategy: str, limit: int, session: str | None
    ) -> None:
        """Advance the rotation past the entry that actually served; remember a sticky session."""
        if strategy == "round-robin" and size:
            state = self.combo_rotations.setdefault(combo, ComboRotation())
            if position == state.index % size:
                state.count += 1
                if state.count >= limit:
                    state.index, state.count = (position + 1) % size, 0
            else:
                state.index, state.count = (position + 1) % size, 0
        elif strategy == "sticky" and session:
            self._session_put((f"combo:{combo}", session), str(position), self.clock())

    def reset_combo(self, combo: str) -> None:
        self.combo_rotations.pop(combo, None)

    # --- sessions -------------------------------------------------------------------------------

    def _session_get(self, key: tuple[str, str], now: float) -> str | None:
        entry = self.sessions.get(key)
        if entry is None:
            return None
        value, seen = entry
        if now - seen > self.session_ttl:
            del self.sessions[key]
            return None
        return value

    def _session_put(self, key: tuple[str, str], value: str, now: float) -> None:
        self.sessions[key] = (value, now)
        self.sessions.move_to_end(key)
        while len(self.sessions) > MAX_SESSIONS:
            self.sessions.popitem(last=False)
