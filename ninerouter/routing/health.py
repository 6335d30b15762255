"""Per-account health: cooldowns, back-off and ejection, driven by an injected clock (pure).

Rules (DESIGN §6, reliability catalogue T01–T08, T32–T34):
- rate limit: lock (account, model) for Retry-After, else 2 s·2^(level-1) capped at 5 min; a 429 that
  arrives while the lock is already running only ever extends it and does not raise the level again;
- quota: lock the whole account until the provider's reset (else 10 min);
- auth: lock the whole account until its row is edited (updatedAt changes) or a test passes;
- model not found: lock (account, model) for 10 min;
- transient: a Retry-After locks the account for that long; otherwise 3 in a row eject for
  30 s × ejections (max 5 min). A 5xx answer counts against (account, model), since a provider can
  fail one model and serve the others; a connect error, timeout or broken stream counts against the
  whole account. A success resets the run and the back-off level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ninerouter.routing.failures import MAX_COOLDOWN, AttemptError, Failure

BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0
MAX_BACKOFF_LEVEL = 15
MODEL_NOT_FOUND_COOLDOWN = 600.0
QUOTA_DEFAULT_COOLDOWN = 600.0
EJECT_AFTER = 3
EJECT_BASE = 30.0
AUTH_LOCK_SECONDS = 365 * 24 * 3600.0
ALL = "__all"


@dataclass
class Lock:
    until: float
    reason: str


@dataclass
class AccountHealth:
    model_locks: dict[str, Lock] = field(default_factory=dict)
    account_lock: Lock | None = None
    backoff_level: int = 0
    consecutive_failures: dict[str, int] = field(default_factory=dict)  # model (or ALL) -> run
    ejections: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    last_error_at: float | None = None
    error_code: int | None = None
    auth_failed_version: str | None = None  # updatedAt of the row when auth failed
    tested_at: str | None = None  # lastTestedAt last seen in the row

    def blocked_until(self, model: str, now: float) -> Lock | None:
        """The lock that keeps this account from serving `model` now, if any."""
        if self.account_lock and self.account_lock.until > now:
            return self.account_lock
        lock = self.model_locks.get(model)
        if lock and lock.until > now:
            return lock
        return None


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class HealthBook:
    """Health of every account, in memory. Changes are collected as 9Router-shaped `data` patches
    (modelLock_<model>, backoffLevel, testStatus, lastError, …) for a writer to persist in batches."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.accounts: dict[str, AccountHealth] = {}
        self._dirty: dict[str, dict[str, Any]] = {}

    def get(self, conn_id: str) -> AccountHealth:
        health = self.accounts.get(conn_id)
        if health is None:
            health = self.accounts[conn_id] = AccountHealth()
        return health

    def seed(self, conn_id: str, data: Mapping[str, Any], updated_at: str) -> None:
        """Adopt what the DB says about an account the first time we see it (survives restarts);
        later, notice an edit of an auth-failed account and lift its lock."""
        now = self.clock()
        known = self.accounts.get(conn_id)
        tested_at = data.get("lastTestedAt")
        if known is not None and tested_at != known.tested_at:
            known.tested_at = tested_at if isinstance(tested_at, str) else None
            if data.get("testStatus") == "active":  # a passing `provider test` lifts every lock
                self.accounts[conn_id] = AccountHealth(tested_at=known.tested_at)
                return
        if known is not None:
            if known.auth_failed_version is not None and known.auth_failed_version != updated_at:
                known.auth_failed_version = None
                known.account_lock = None
                self._patch(
                    conn_id,
                    {f"modelLock_{ALL}": None, "testStatus": "active", "nrAuthFailedVersion": None},
                )
            return
        health = self.get(conn_id)
        health.tested_at = tested_at if isinstance(tested_at, str) else None
        for key, value in data.items():
            if not key.startswith("modelLock_"):
                continue
            until = parse_iso(value)
            if until is None or until <= now:
                continue
            model = key[len("modelLock_") :]
            reason = str(data.get("nrLockReason") or "rate_limited")
            if model == ALL:
                health.account_lock = Lock(until, reason)
            else:
                health.model_locks[model] = Lock(until, "rate_limited")
        level = data.get("backoffLevel")
        if isinstance(level, int) and not isinstance(level, bool):
            health.backoff_level = max(0, min(level, MAX_BACKOFF_LEVEL))
        version = data.get("nrAuthFailedVersion")
        if isinstance(version, str):
            if version == updated_at:
                health.auth_failed_version = version
            elif health.account_lock and health.account_lock.reason == Failure.AUTH.value:
                health.account_lock = None

    def blocked(self, conn_id: str, model: str) -> Lock | None:
        health = self.accounts.get(conn_id)
        return health.blocked_until(model, self.clock()) if health else None

    def on_failure(
        self, conn_id: str, model: str, error: AttemptError, updated_at: str = ""
    ) -> None:
        if not error.failure.cools:
            return
        now = self.clock()
        health = self.get(conn_id)
        health.last_error = error.message[:100]
        health.last_error_at = now
        health.error_code = error.status or None
        patch: dict[str, Any] = {
            "lastError": health.last_error,
            "lastErrorAt": iso(now),
            "errorCode": health.error_code,
            "testStatus": "unavailable",
        }
        failure = error.failure
        if failure is Failure.RATE_LIMIT:
            current = health.model_locks.get(model)
            if current is None or current.until <= now:
                health.backoff_level = min(health.backoff_level + 1, MAX_BACKOFF_LEVEL)
            seconds = error.retry_after or min(
                BACKOFF_BASE * 2 ** (health.backoff_level - 1), BACKOFF_CAP
            )
            until = self._extend_model(health, model, now + seconds, failure.value)
            patch.update({f"modelLock_{model}": iso(until), "backoffLevel": health.backoff_level})
        elif failure is Failure.MODEL_NOT_FOUND:
            until = self._extend_model(health, model, now + MODEL_NOT_FOUND_COOLDOWN, failure.value)
            patch[f"modelLock_{model}"] = iso(until)
        elif failure is Failure.QUOTA:
            seconds = min(error.retry_after or QUOTA_DEFAULT_COOLDOWN, MAX_COOLDOWN)
            until = self._extend_account(health, now + seconds, failure.value)
            patch.update({f"modelLock_{ALL}": iso(until), "nrLockReason": failure.value})
        elif failure is Failure.AUTH:
            until = self._extend_account(health, now + AUTH_LOCK_SECONDS, failure.value)
            health.auth_failed_version = updated_at
            patch.update(
                {
                    f"modelLock_{ALL}": iso(until),
                    "nrLockReason": failure.value,
                    "testStatus": "error",
                    "nrAuthFailedVersion": updated_at,
                }
            )
        elif failure is Failure.TRANSIENT:
            scope = ALL if error.transport else model
            running = health.account_lock if scope == ALL else health.model_locks.get(model)
            if running is not None and running.until > now:
                # In flight when the account (or model) was ejected: already counted.
                self._patch(conn_id, patch)
                return
            run = health.consecutive_failures[scope] = health.consecutive_failures.get(scope, 0) + 1
            seconds = None
            if error.retry_after:
                seconds, scope = error.retry_after, ALL
            elif run >= EJECT_AFTER:
                ejections = health.ejections[scope] = health.ejections.get(scope, 0) + 1
                health.consecutive_failures[scope] = 0
                seconds = min(EJECT_BASE * ejections, BACKOFF_CAP)
            if seconds is not None and scope == ALL:
                until = self._extend_account(health, now + seconds, failure.value)
                patch.update({f"modelLock_{ALL}": iso(until), "nrLockReason": failure.value})
            elif seconds is not None:
                until = self._extend_model(health, model, now + seconds, failure.value)
                patch[f"modelLock_{model}"] = iso(until)
            else:
                patch["testStatus"] = "active" if health.account_lock is None else "unavailable"
        self._patch(conn_id, patch)

    def on_success(self, conn_id: str, model: str) -> None:
        health = self.accounts.get(conn_id)
        if health is None:
            return
        now = self.clock()
        changed = (
            any(health.consecutive_failures.values()) or health.backoff_level or health.last_error
        )
        removed = [m for m, lock in health.model_locks.items() if m == model or lock.until <= now]
        for m in removed:
            del health.model_locks[m]
        patch: dict[str, Any] = {f"modelLock_{m}": None for m in removed}
        if health.account_lock and health.account_lock.until <= now:
            health.account_lock = None
            patch[f"modelLock_{ALL}"] = None
            patch["nrLockReason"] = None
        health.consecutive_failures.pop(model, None)
        health.consecutive_failures.pop(ALL, None)
        health.backoff_level = 0
        if changed or patch:
            health.last_error = None
            patch.update(
                {
                    "backoffLevel": 0,
                    "lastError": None,
                    "lastErrorAt": None,
                    "errorCode": None,
                    "testStatus": "active",
                }
            )
            self._patch(conn_id, patch)

    def clear(self, conn_id: str) -> None:
        """Forget every lock of an account (after a passing `provider test`)."""
        health = self.accounts.pop(conn_id, None)
        if health is None:
            return
        patch: dict[str, Any] = {f"modelLock_{m}": None for m in health.model_locks}
        patch.update(
            {
                f"modelLock_{ALL}": None,
                "nrLockReason": None,
                "backoffLevel": 0,
                "nrAuthFailedVersion": None,
            }
        )
        self._patch(conn_id, patch)

    def earliest_recovery(self, conn_ids: Iterable[str], model: str) -> float | None:
        now = self.clock()
        times = [lock.until for cid in conn_ids if (lock := self.blocked(cid, model))]
        finite = [t for t in times if t - now < AUTH_LOCK_SECONDS / 2]
        return max(min(finite) - now, 0.0) if finite else None

    def requeue(self, patches: Mapping[str, Mapping[str, Any]]) -> None:
        """Put back patches that could not be written; newer changes win."""
        for conn_id, patch in patches.items():
            self._dirty[conn_id] = {**patch, **self._dirty.get(conn_id, {})}

    def take_patches(self) -> dict[str, dict[str, Any]]:
        patches, self._dirty = self._dirty, {}
        return patches

    def _patch(self, conn_id: str, patch: Mapping[str, Any]) -> None:
        self._dirty.setdefault(conn_id, {}).update(patch)

    @staticmethod
    def _extend_model(health: AccountHealth, model: str, until: float, reason: str) -> float:
        current = health.model_locks.get(model)
        if current is not None and current.until >= until:
            return current.until
        health.model_locks[model] = Lock(until, reason)
        return until

    @staticmethod
    def _extend_account(health: AccountHealth, until: float, reason: str) -> float:
        current = health.account_lock
        if current is not None and current.until >= until:
            return current.until
        health.account_lock = Lock(until, reason)
        return until
