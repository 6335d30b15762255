"""Dashboard sessions and the login rate limit, in memory (a restart logs everyone out).

A session id is 256 random bits (secrets.token_urlsafe(32)), new on every login. Only its SHA-256 is
kept; a presented cookie is hashed and compared in constant time. A session also remembers the
password stamp it was made under, so changing the password (from the API or the CLI) ends it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

SESSION_TTL = 24 * 3600.0
MAX_SESSIONS = 1000
LOGIN_FAILURES = 5
LOGIN_WINDOW = 15 * 60.0
MAX_TRACKED_CLIENTS = 10_000
_MAX_TOKEN_CHARS = 256


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


@dataclass
class _Session:
    digest: bytes
    expires: float
    stamp: str


class Sessions:
    def __init__(
        self,
        clock: Callable[[], float],
        ttl: float = SESSION_TTL,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        self.clock = clock
        self.ttl = ttl
        self.max_sessions = max_sessions
        self._book: OrderedDict[bytes, _Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._book)

    def create(self, stamp: str) -> str:
        """A new session id; the oldest sessions are dropped beyond max_sessions."""
        self._prune()
        token = secrets.token_urlsafe(32)
        digest = _digest(token)
        self._book[digest] = _Session(digest, self.clock() + self.ttl, stamp)
        while len(self._book) > self.max_sessions:
            self._book.popitem(last=False)
        return token

    def valid(self, token: str | None, stamp: str) -> bool:
        """True for a live session made under the current password stamp."""
        if not token or len(token) > _MAX_TOKEN_CHARS:
            return False
        digest = _digest(token)
        session = self._book.get(digest)
        if session is None or not hmac.compare_digest(session.digest, digest):
            return False
        if self.clock() >= session.expires:
            del self._book[digest]
            return False
        return hmac.compare_digest(session.stamp.encode(), stamp.encode())

    def revoke(self, token: str | None) -> None:
        if token and len(token) <= _MAX_TOKEN_CHARS:
            self._book.pop(_digest(token), None)

    def revoke_all(self) -> None:
        self._book.clear()

    def _prune(self) -> None:
        now = self.clock()
        for digest in [d for d, s in self._book.items() if now >= s.expires]:
            del self._book[digest]


class LoginLimiter:
    """At most `limit` failed logins per client address in any `window` seconds.

    The handler counts an attempt as failed before it checks the password and forgives it on
    success, so concurrent guesses cannot slip past the limit."""

    def __init__(
        self,
        clock: Callable[[], float],
        limit: int = LOGIN_FAILURES,
        window: float = LOGIN_WINDOW,
        max_clients: int = MAX_TRACKED_CLIENTS,
    ) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it may try now."""
        recent = self._recent(client)
        if len(recent) < self.limit:
            return None
        return max(1, math.ceil(recent[-self.limit] + self.window - self.clock()))

    def failed(self, client: str) -> None:
        recent = self._recent(client)
        recent.append(self.clock())
        self._failures[client] = recent
        self._failures.move_to_end(client)
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)

    def forgive(self, client: str) -> None:
        """Undo the attempt counted up front: a success clears the client's record."""
        self._failures.pop(client, None)

    def _recent(self, client: str) -> list[float]:
        cutoff = self.clock() - self.window
        recent = [t for t in self._failures.get(client, ()) if t > cutoff]
        if recent:
            self._failures[client] = recent
        else:
            self._failures.pop(client, None)
        return recent
