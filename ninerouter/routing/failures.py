"""Failure classification: which upstream failures cool what, and for how long (DESIGN §6).

Only upstream-caused failures touch an account's health. A request the upstream rejects because of the
request itself (400/413/422) goes back to the client untouched; a context-length error moves to the next
combo entry; a client abort changes nothing.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MIN_COOLDOWN = 1.0
MAX_COOLDOWN = 30 * 60.0


class Failure(enum.Enum):
    RATE_LIMIT = "rate_limited"  # lock (account, model)
    QUOTA = "quota_exhausted"  # lock the whole account until reset
    AUTH = "auth_failed"  # lock the whole account until it is edited or re-tested
    MODEL_NOT_FOUND = "model_not_found"  # lock (account, model) for 10 minutes
    TRANSIENT = "transient"  # 5xx, connect, timeout, bad answer: eject after repeats
    CONTEXT_LENGTH = "context_length"  # next combo entry, nothing cooled
    CLIENT_ERROR = "client_error"  # back to the client, nothing cooled, no fallback

    @property
    def fails_over(self) -> bool:
        return self is not Failure.CLIENT_ERROR

    @property
    def cools(self) -> bool:
        return self not in (Failure.CLIENT_ERROR, Failure.CONTEXT_LENGTH)


_CONTEXT = re.compile(
    r"context[_ ]length|maximum context|context window|prompt is too long|too many tokens"
    r"|input is too long|reduce the length",
    re.I,
)
_RATE = re.compile(r"rate[ _-]?limit|too many requests|overloaded|capacity", re.I)
_QUOTA = re.compile(
    r"insufficient[_ ]quota|exceeded your current quota|quota exhausted|billing", re.I
)


def classify(status: int, message: str = "", transport: str = "http") -> Failure:
    """status = the upstream HTTP status (0 when no answer); transport = how the attempt failed."""
    if transport != "http":
        return Failure.TRANSIENT
    if status == 402 or (status in (403, 429) and _QUOTA.search(message)):
        return Failure.QUOTA
    if status in (429, 529):
        return Failure.RATE_LIMIT
    if status in (401, 403):
        return Failure.AUTH
    if status == 404:
        return Failure.MODEL_NOT_FOUND
    if status == 408 or status >= 500:
        return Failure.TRANSIENT
    if 400 <= status < 500:
        if _CONTEXT.search(message):
            return Failure.CONTEXT_LENGTH
        if _RATE.search(message):
            return Failure.RATE_LIMIT
        return Failure.CLIENT_ERROR
    return Failure.TRANSIENT


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date).

    0 (or a date in the past) becomes the 1 s minimum, so it cannot cause a tight loop; negative or
    unparsable values count as absent; everything is capped at 30 minutes."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now
        return min(max(seconds, MIN_COOLDOWN), MAX_COOLDOWN)
    if seconds < 0 or seconds != seconds:  # negative or NaN
        return None
    return min(max(seconds, MIN_COOLDOWN), MAX_COOLDOWN)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def _parse_duration(text: str) -> float | None:
    """'1m30s', '6m0s', '250ms', '12s' -> seconds (OpenAI's x-ratelimit-reset-* format)."""
    total = 0.0
    matched = False
    for number, unit in _DURATION.findall(text):
        matched = True
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total if matched else None


def reset_after(headers: Mapping[str, str], now: float) -> float | None:
    """The provider's own signal of when to come back: Retry-After, retry-after-ms, then the
    Anthropic and OpenAI rate-limit reset headers."""
    found = parse_retry_after(headers.get("Retry-After"), now)
    if found is not None:
        return found
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return min(max(float(ms) / 1000, MIN_COOLDOWN), MAX_COOLDOWN)
        except ValueError:
            pass
    resets: list[float] = []
    for name in ("anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset"):
        if value := headers.get(name):
            try:
                resets.append(
                    datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() - now
                )
            except ValueError:
                continue
    for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
        if value := headers.get(name):
            parsed = _parse_duration(value)
            if parsed is not None:
                resets.append(parsed)
    if resets:
        return min(max(max(resets), MIN_COOLDOWN), MAX_COOLDOWN)
    return None


@dataclass(frozen=True)
class AttemptError:
    """What one failed attempt tells the router."""

    failure: Failure
    status: int
    message: str
    retry_after: float | None = None
    transport: bool = False  # no HTTP answer (connect, timeout, bad stream): the account's fault
