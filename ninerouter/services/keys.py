"""API keys for /v1 clients."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from ninerouter.errors import NotFound, UserError
from ninerouter.home import Home, write_private
from ninerouter.models import ApiKey
from ninerouter.store import Store


def machine_id() -> str:
    """First 16 hex of sha256(machine id + salt), as 9Router stamps its keys."""
    raw = ""
    for candidate in (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id")):
        try:
            raw = candidate.read_text().strip()
            break
        except OSError:
            continue
    return hashlib.sha256(f"{raw}endpoint-proxy-salt".encode()).hexdigest()[:16]


def generate_key() -> str:
    """`sk-<machineId16>-<random>`: 9Router's key shape, with 192 bits of randomness."""
    return f"sk-{machine_id()}-{secrets.token_hex(24)}"


def create_key(store: Store, name: str) -> ApiKey:
    name = name.strip()
    if not name:
        raise UserError("--name is required for a new API key.")
    with store.write():
        return store.keys.insert(key=generate_key(), name=name, machine_id=machine_id())


def revoke_key(store: Store, ref: str) -> ApiKey:
    with store.write():
        matches = [k for k in store.keys.all() if ref in (k.id, k.name)]
        if not matches:
            raise NotFound(f"no API key with id or name '{ref}'. See 'ninerouter keys list'.")
        if len(matches) > 1:
            raise UserError(
                f"'{ref}' names {len(matches)} keys; use the id from 'ninerouter keys list'."
            )
        store.keys.set_active(matches[0].id, False)
        return matches[0]


def ensure_initial_key(home: Home) -> tuple[str, bool]:
    """The key in <home>/auth/api-key (64 hex chars), created on first start. Returns (key, created)."""
    path = home.initial_key_path
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key, False
    key = secrets.token_hex(32)
    write_private(path, key + "\n")
    return key, True


def read_initial_key(home: Home) -> str | None:
    try:
        return home.initial_key_path.read_text().strip() or None
    except OSError:
        return None


def key_by_id(store: Store, key_id: str) -> ApiKey:
    key = store.keys.get(key_id)
    if key is None:
        raise NotFound(f"no API key with id '{key_id}'.")
    return key


def set_key_active(store: Store, key_id: str, active: bool) -> ApiKey:
    with store.write():
        key_by_id(store, key_id)
        store.keys.set_active(key_id, active)
        return key_by_id(store, key_id)


def delete_key(store: Store, key_id: str) -> ApiKey:
    with store.write():
        key = key_by_id(store, key_id)
        store.keys.delete(key_id)
        return key
