"""The whole error hierarchy. Messages are always safe to show: they never hold a secret.

NineRouterError            exit_code 1
├─ UserError               bad input or configuration; the message says what to do
│  ├─ NotFound             a named thing does not exist
│  ├─ Conflict             a name or id is already taken
│  └─ NotInteractive       a prompt was needed but stdin is not a terminal
├─ StoreError              the database cannot be used
│  └─ CorruptDatabase      integrity check failed (exit 3); never re-created
├─ ServerError             the server cannot start or be reached (port in use, not running)
└─ UpstreamError           an upstream answered with an error or could not be reached
"""

from __future__ import annotations


class NineRouterError(Exception):
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UserError(NineRouterError):
    pass


class NotFound(UserError):
    pass


class Conflict(UserError):
    pass


class NotInteractive(UserError):
    exit_code = 2


class StoreError(NineRouterError):
    pass


class CorruptDatabase(StoreError):
    exit_code = 3

    def __init__(self, path: str, problems: list[str]) -> None:
        detail = "; ".join(problems[:5])
        super().__init__(
            f"database {path} failed its integrity check ({detail}). It was left untouched. "
            "Restore a backup with 'ninerouter restore FILE' or move the file away to start empty."
        )
        self.problems = problems


class ServerError(NineRouterError):
    pass


class UpstreamError(NineRouterError):
    def __init__(self, message: str, status: int = 502, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
