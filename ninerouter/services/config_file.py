"""`config export` / `config apply`: the whole configuration as one declarative file.

The document (JSON always; YAML when PyYAML is installed), version 1:

    settings:    {fallbackStrategy: round-robin, ...}          the stored settings object
    providers:   [{id, type, name, prefix, baseUrl, apiType}]   custom nodes (providerNodes)
    connections: [{id, provider, name, authType, email, priority, isActive, apiKey, ...,
                   state: {testStatus, lastUsedAt, ...}}]         accounts (providerConnections)
    proxyPools:  [{id, name, proxyUrl, noProxy, type, isActive, state: {testStatus, ...}}]
    combos:      [{id, name, kind, models: [...]}]
    keys:        [{id, name, key, machineId, isActive}]          API keys for /v1 clients

Apply matches each entry by id, else by its natural key (connection: provider+name, provider:
prefix, proxy pool: name, combo: name, key: name). A column the entry leaves out keeps its value;
the data fields of an entry are the whole truth, except that a secret the file leaves out (exports
omit them unless --include-secrets) keeps its stored value, and `state` (runtime health written by
the router) is only used when an entry is created. `createdAt`/`updatedAt` likewise. --prune deletes
what a section present in the file does not name. `${VAR}` in any string is read from the
environment (`$${` is a literal `${`). The plan names fields, never values; it is computed and
applied inside one write transaction.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Mapping
from typing import Any

from ninerouter.errors import UserError
from ninerouter.models import SECRET_FIELDS, SECRET_SETTINGS
from ninerouter.redact import mask_url
from ninerouter.store import Store
from ninerouter.store.backup import Rows
from ninerouter.store.rows import load_json

VERSION = 1
SECTIONS = ("settings", "providers", "connections", "proxyPools", "combos", "keys")
CREDENTIALS = (*SECRET_FIELDS, "expiresAt", "expiresIn", "tokenType", "scope", "lastRefreshAt")
NESTED_SECRETS = ("clientSecret", "copilotToken")
CONN_RUNTIME = {
    "testStatus",
    "lastTestedAt",
    "lastError",
    "lastErrorAt",
    "errorCode",
    "backoffLevel",
    "rateLimitedUntil",
    "lastUsedAt",
    "consecutiveUseCount",
}
POOL_RUNTIME = {"lastTestedAt", "lastError"}
_ENV = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ESCAPE = re.compile(r"\$\{(?=[A-Za-z_][A-Za-z0-9_]*\})")
PREFIX_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,31}$")


def is_conn_runtime(key: str) -> bool:
    return key in CONN_RUNTIME or key.startswith("modelLock_") or bool(re.match(r"nr[A-Z]", key))


# ------------------------------------------------------------------------------ file formats


def yaml_module() -> Any:
    """PyYAML when it is installed (it is optional: JSON always works)."""
    try:
        return importlib.import_module("yaml")
    except ImportError:
        return None


def dumps(doc: Mapping[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    yaml = yaml_module()
    if fmt != "yaml":
        raise UserError(f"--format must be yaml or json, not '{fmt}'.")
    if yaml is None:
        raise UserError("YAML needs PyYAML (pip install pyyaml); use --format json meanwhile.")
    return str(yaml.safe_dump(dict(doc), sort_keys=False, allow_unicode=True))


def loads(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        yaml = yaml_module()
        if yaml is None:
            raise UserError(f"the config file is not valid JSON ({exc}).") from None
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as yexc:
            raise UserError(f"the config file is neither JSON nor YAML ({yexc}).") from None
    if not isinstance(doc, dict):
        raise UserError("the config file must hold an object (settings:, connections:, ...).")
    unknown = sorted(set(doc) - {*SECTIONS, "version"})
    if unknown:
        raise UserError(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}.")
    if doc.get("version", VERSION) != VERSION:
        raise UserError(f"config version {doc.get('version')} is not supported (only {VERSION}).")
    return doc


def expand_env(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """Replace ${VAR} in every string; a variable that is not set is an error naming it."""
    env = os.environ if environ is None else environ
    missing: list[str] = []

    def sub(match: re.Match[str]) -> str:
        if match.group(1):
            return "${" + match.group(2) + "}"
        name = match.group(2)
        if name not in env:
            missing.append(name)
            return ""
        return env[name]

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return _ENV.sub(sub, item)
        if isinstance(item, list):
            return [walk(v) for v in item]
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        return item

    out = walk(value)
    if missing:
        names = ", ".join(sorted(set(missing)))
        raise UserError(f"environment variable(s) not set: {names} (used as ${{...}} in the file).")
    return out


# ----------------------------------------------------------------------------------- export


def _strip_credentials(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in CREDENTIALS}
    specific = out.get("providerSpecificData")
    if isinstance(specific, dict):
        out["providerSpecificData"] = {
            k: v
            for k, v in specific.items()
            if k not in NESTED_SECRETS and not (k == "connectionProxyUrl" and has_password(v))
        }
    return out


def has_password(url: Any) -> bool:
    return isinstance(url, str) and mask_url(url) != url


def export_config(store: Store, include_secrets: bool = False) -> dict[str, Any]:
    rows = Rows(store.db)
    settings = store.settings.stored()
    if not include_secrets:
        settings = {k: v for k, v in settings.items() if k not in SECRET_SETTINGS}
    doc: dict[str, Any] = {"version": VERSION, "settings": settings, "providers": []}
    for r in rows.all("providerNodes"):
        data = as_obj(r["data"])
        node = {"id": r["id"], "type": r["type"], "name": r["name"], **data}
        doc["providers"].append({**node, **_stamps(r)})
    doc["connections"] = [
        _export_connection(r, include_secrets) for r in rows.all("providerConnections")
    ]
    doc["proxyPools"] = [_export_pool(r, include_secrets) for r in rows.all("proxyPools")]
    doc["combos"] = [
        {**{k: r[k] for k in ("id", "name", "kind")}, "models": as_list(r["models"]), **_stamps(r)}
        for r in rows.all("combos")
    ]
    doc["keys"] = [
        {
            **{k: r[k] for k in ("id", "name", "machineId")},
            "isActive": bool(r["isActive"]),
            **({"key": r["key"]} if include_secrets else {}),
            "createdAt": r["createdAt"],
        }
        for r in rows.all("apiKeys")
    ]
    escaped: dict[str, Any] = _escape_dollars(doc)
    return escaped


def _escape_dollars(item: Any) -> Any:
    """A stored value holding `${` is written as `$${`, so apply gives it back unchanged."""
    if isinstance(item, str):
        return _ESCAPE.sub("$${", item)
    if isinstance(item, list):
        return [_escape_dollars(v) for v in item]
    if isinstance(item, dict):
        return {k: _escape_dollars(v) for k, v in item.items()}
    return item


def as_obj(text: Any) -> dict[str, Any]:
    value = load_json(text, {})
    return value if isinstance(value, dict) else {}


def as_list(text: Any) -> list[Any]:
    value = load_json(text, [])
    return value if isinstance(value, list) else []


def _stamps(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"createdAt": row["createdAt"], "updatedAt": row["updatedAt"]}


CONN_COLUMNS = ("id", "provider", "name", "authType", "email", "priority", "isActive")


def _export_connection(row: Mapping[str, Any], include_secrets: bool) -> dict[str, Any]:
    data = as_obj(row["data"])
    config = {k: v for k, v in data.items() if not is_conn_runtime(k) and k not in CONN_COLUMNS}
    if not include_secrets:
        config = _strip_credentials(config)
    entry = {k: row[k] for k in CONN_COLUMNS}
    entry["isActive"] = bool(row["isActive"])
    state = {k: v for k, v in data.items() if is_conn_runtime(k)}
    return {**entry, **config, **({"state": state} if state else {}), **_stamps(row)}


def _export_pool(row: Mapping[str, Any], include_secrets: bool) -> dict[str, Any]:
    data = as_obj(row["data"])
    config = {k: v for k, v in data.items() if k not in POOL_RUNTIME}
    if not include_secrets and has_password(config.get("proxyUrl")):
        del config["proxyUrl"]
    state = {
        "testStatus": row["testStatus"],
        **{k: v for k, v in data.items() if k in POOL_RUNTIME},
    }
    return {
        "id": row["id"],
        "isActive": bool(row["isActive"]),
        **config,
        "state": state,
        **_stamps(row),
    }


# ------------------------------------------------------------------------------------- plan
