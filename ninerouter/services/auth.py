"""The dashboard password: a slow hash in settings["password"], the initial password, changes.

Stored format (self-describing, so the cost can be raised later without breaking old hashes):

    scrypt$<n>$<r>$<p>$<salt, base64>$<hash, base64>

9Router keeps a bcrypt hash ("$2a$10$...") in the same place. It is verified with the `bcrypt` module
when that is installed; otherwise login is refused with a message saying how to reset it.

No password stored means the initial one: $INITIAL_PASSWORD, else "123456" (as 9Router). The admin
layer lets it log in only from this machine. Every comparison of secrets is constant-time.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import importlib
import os
import secrets
from collections.abc import Mapping
from typing import Any

from ninerouter.errors import Conflict, UserError
from ninerouter.store import Store

DEFAULT_PASSWORD = "123456"
MIN_LENGTH = 8
MAX_LENGTH = 1024
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
_MAX_N = 2**20
RESET_HINT = "set a new one with `ninerouter password set`"


class Check(enum.Enum):
    OK = "ok"
    INITIAL = "initial"  # right, and it is the initial password: no password has been set yet
    WRONG = "wrong"
    UNVERIFIABLE = "unverifiable"  # a stored hash this install cannot check (bcrypt without bcrypt)


class WrongPassword(UserError):
    """The current password given with a change is wrong."""


def initial_password(env: Mapping[str, str] | None = None) -> str:
    """The password that works while none is stored: $INITIAL_PASSWORD, else 123456."""
    source = os.environ if env is None else env
    return source.get("INITIAL_PASSWORD") or DEFAULT_PASSWORD


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=2 * 128 * r * n + 1024 * 1024,
        dklen=size,
    )


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, n, r, p, _HASH_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def is_legacy_hash(stored: str) -> bool:
    """A bcrypt hash as 9Router writes it."""
    return stored.startswith("$2")


def verify_password(password: str, stored: str) -> Check:
    """OK or WRONG against a stored hash; UNVERIFIABLE when the hash cannot be checked here."""
    if is_legacy_hash(stored):
        return _verify_bcrypt(password, stored)
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return Check.UNVERIFIABLE
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return Check.UNVERIFIABLE
    if not (2 <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        return Check.UNVERIFIABLE
    if not expected:
        return Check.UNVERIFIABLE
    actual = _scrypt(password, salt, n, r, p, len(expected))
    return Check.OK if hmac.compare_digest(actual, expected) else Check.WRONG


def _verify_bcrypt(password: str, stored: str) -> Check:
    try:
        bcrypt = importlib.import_module("bcrypt")
    except ImportError:
        return Check.UNVERIFIABLE
    try:
        ok = bool(bcrypt.checkpw(password.encode("utf-8"), stored.encode("ascii")))
    except (ValueError, UnicodeError):
        return Check.UNVERIFIABLE
    return Check.OK if ok else Check.WRONG


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def check_password(password: str, stored: Any, *, initial: str) -> Check:
    """The outcome of a login attempt against the stored value of settings["password"]."""
    if stored is None or stored == "":
        return Check.INITIAL if _same(password, initial) else Check.WRONG
    if not isinstance(stored, str):
        return Check.UNVERIFIABLE
    return verify_password(password, stored)


def unverifiable_message(stored: Any) -> str:
    if isinstance(stored, str) and is_legacy_hash(stored):
        return (
            "the stored password is a 9Router bcrypt hash, which this install cannot check "
            f"(the optional 'bcrypt' module is not installed); {RESET_HINT}."
        )
    return f"the stored password hash is not in a format ninerouter knows; {RESET_HINT}."


def password_stamp(stored: Any) -> str:
    """Changes whenever the stored password changes; sessions remember it, so a new password
    ends every session made with the old one."""
    text = stored if isinstance(stored, str) else ""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def validate_new_password(password: str, *, initial: str = DEFAULT_PASSWORD) -> None:
    """At least 8 characters, at most 1024, not the initial password. Used exactly as given: no
    trimming, no truncation."""
    if len(password) < MIN_LENGTH:
        raise UserError(f"the new password must have at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise UserError(f"the new password may have at most {MAX_LENGTH} characters.")
    if any(_same(password, known) for known in (DEFAULT_PASSWORD, initial)):
        raise UserError("the new password must differ from the initial password.")


def set_password(store: Store, password: str, *, initial: str | None = None) -> None:
    """Store a new password (the CLI: whoever can write the data directory may reset it)."""
    validate_new_password(password, initial=initial or initial_password())
    hashed = hash_password(password)
    with store.write():
        store.settings.patch({"password": hashed})


def prepare_change(stored: Any, new: str, current: str, *, initial: str) -> str:
    """The hash to store for a change through the admin API, once the current password checks
    out. While none is stored, `current` may be empty or the initial password (as in 9Router).
    CPU-bound (two slow hashes) and free of I/O: run it off the event loop."""
    validate_new_password(new, initial=initial)
    if stored:
        outcome = check_password(current, stored, initial=initial)
        if outcome is Check.UNVERIFIABLE:
            raise UserError(unverifiable_message(stored))
        if outcome is not Check.OK:
            raise WrongPassword("currentPassword is wrong.")
    elif current and check_password(current, None, initial=initial) is not Check.INITIAL:
        raise WrongPassword("currentPassword is wrong.")
    return hash_password(new)


def store_hash(store: Store, expected: Any, hashed: str) -> None:
    """Write a prepared hash, unless the password changed since `expected` was read."""
    with store.write():
        if store.settings.stored().get("password") != expected:
            raise Conflict("the password was changed meanwhile; try again.")
        store.settings.patch({"password": hashed})


def change_password(store: Store, new: str, current: str, *, initial: str) -> None:
    """prepare_change and store_hash in one call (for callers already off the event loop)."""
    stored = store.settings.stored().get("password")
    store_hash(store, stored, prepare_change(stored, new, current, initial=initial))
