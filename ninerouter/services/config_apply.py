"""`config apply`: plan the changes a declarative file asks for, then write them in one transaction.
The document format and `config export` are in config_file.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ninerouter.errors import UserError
from ninerouter.models import SECRET_SETTINGS
from ninerouter.redact import mask_url
from ninerouter.registry import CUSTOM_NODE_TYPES, PROVIDERS
from ninerouter.routing.combos import ComboError, expand, find_cycle
from ninerouter.services import combos as combo_rules
from ninerouter.services import settings as setting_rules
from ninerouter.services.config_file import (
    CONN_COLUMNS,
    CREDENTIALS,
    NESTED_SECRETS,
    POOL_RUNTIME,
    PREFIX_RE,
    as_list,
    as_obj,
    expand_env,
    has_password,
    is_conn_runtime,
)
from ninerouter.services.providers import validate_base_url
from ninerouter.store import Store
from ninerouter.store.backup import Rows
from ninerouter.store.rows import dump_json, load_json, new_id, now_iso


@dataclass(frozen=True)
class Change:
    action: str  # create | update | delete
    kind: str
    name: str
    id: str | None = None
    fields: tuple[str, ...] = ()

    def public(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": self.kind,
            "name": self.name,
            "id": self.id,
            "fields": list(self.fields),
        }


@dataclass(frozen=True)
class _Op:
    change: Change
    table: str
    key: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class ApplyResult:
    changes: list[Change]
    warnings: list[str]
    applied: bool

    def public(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "changes": [c.public() for c in self.changes],
            "warnings": list(self.warnings),
        }


def apply_config(
    store: Store, doc: Mapping[str, Any], *, prune: bool = False, dry_run: bool = False
) -> ApplyResult:
    """Validate everything, then (unless dry_run) write the whole plan in one transaction."""
    doc = expand_env(dict(doc))
    if dry_run:
        ops, warnings = _Planner(store, doc, prune).plan()
        return ApplyResult([op.change for op in ops], warnings, False)
    with store.write() as db:
        ops, warnings = _Planner(store, doc, prune).plan()
        rows = Rows(db)
        for op in ops:
            if op.change.action == "create":
                rows.insert(op.table, op.values)
            elif op.change.action == "update":
                rows.update(op.table, op.key, op.values)
            else:
                rows.delete(op.table, op.key)
    return ApplyResult([op.change for op in ops], warnings, bool(ops))


def _entries(doc: Mapping[str, Any], section: str) -> list[dict[str, Any]]:
    value = doc.get(section)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise UserError(f"'{section}' must be a list of objects.")
    return [dict(v) for v in value]


def _need(entry: Mapping[str, Any], key: str, what: str) -> Any:
    value = entry.get(key)
    if value is None or value == "":
        raise UserError(f"{what} needs '{key}'.")
    return value


class _Planner:
    def __init__(self, store: Store, doc: Mapping[str, Any], prune: bool) -> None:
        self.store = store
        self.doc = doc
        self.prune = prune
        self.rows = Rows(store.db)
        self.ops: list[_Op] = []
        self.warnings: list[str] = []
        self.now = now_iso()
        self._node_ids: dict[str, Any] = {}
        self._priorities: dict[str, int] = {}

    def plan(self) -> tuple[list[_Op], list[str]]:
        nodes = self._section("providers", "provider", "providerNodes", self._node)
        self._node_ids = {r["id"]: as_obj(r["data"]).get("prefix") for r in nodes}
        self._section("proxyPools", "proxyPool", "proxyPools", self._pool)
        conns = self._section("connections", "connection", "providerConnections", self._connection)
        pruned = {
            str(op.change.id)
            for op in self.ops
            if op.change.kind == "provider" and op.change.action == "delete"
        }
        orphaned = sorted(pruned & {str(c["provider"]) for c in conns})
        if orphaned:
            raise UserError(
                f"--prune would delete provider node(s) {', '.join(orphaned)} that connections "
                "still use; remove those connections from the file too."
            )
        self._check_combos(self._section("combos", "combo", "combos", self._combo))
        self._section("keys", "key", "apiKeys", self._key)
        self._settings()
        # Deletes first, then updates, then creates: a freed name or key can be taken again.
        rank = {"delete": 0, "update": 1, "create": 2}
        return sorted(self.ops, key=lambda op: rank[op.change.action]), self.warnings

    def _section(
        self,
        section: str,
        kind: str,
        table: str,
        build: Callable[[dict[str, Any], dict[str, Any] | None], tuple[dict[str, Any], str]],
    ) -> list[dict[str, Any]]:
        """Diff one section; returns the rows the section will hold afterwards."""
        current = self.rows.all(table)
        pk = "id"
        matched: set[str] = set()
        final: dict[str, dict[str, Any]] = {r[pk]: r for r in current}
        present = section in self.doc
        for entry in _entries(self.doc, section):
            cur = self._match(section, entry, current)
            if cur is not None and cur[pk] in matched:
                raise UserError(f"two {section} entries describe the same {kind} ({cur[pk]}).")
            row, name = build(entry, cur)
            if cur is None:
                if row[pk] in final:
                    raise UserError(f"{kind} '{name}': id {row[pk]} is already used.")
                twin = self._match(section, {**entry, "id": None}, current)
                if twin is not None and not self.prune:
                    raise UserError(
                        f"{kind} '{name}' has id {row[pk]}, but {twin[pk]} already holds that "
                        "name. Drop the id from the file to update it, or use --prune to replace it."
                    )
                self.ops.append(
                    _Op(Change("create", kind, name, row[pk]), table, {pk: row[pk]}, row)
                )
            else:
                matched.add(cur[pk])
                changed = _diff(cur, row)
                if changed:
                    values = {c: row[c] for c in changed}
                    if "updatedAt" in row:
                        values["updatedAt"] = row["updatedAt"] = self.now
                    change = Change("update", kind, name, cur[pk], _field_names(cur, row, changed))
                    self.ops.append(_Op(change, table, {pk: cur[pk]}, values))
            matched.add(row[pk])
            final[row[pk]] = row
        if self.prune and present:
            for row in current:
                if row[pk] not in matched:
                    name = str(row.get("name") or as_obj(row.get("data")).get("name") or row[pk])
                    if table == "providerConnections":
                        name = f"{row['provider']}/{name}"
                    self.ops.append(
                        _Op(Change("delete", kind, name, row[pk]), table, {pk: row[pk]})
                    )
                    final.pop(row[pk], None)
        return list(final.values())

    def _match(
        self, section: str, entry: Mapping[str, Any], current: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        if entry.get("id"):
            return next((r for r in current if r["id"] == entry["id"]), None)
        natural: Callable[[dict[str, Any]], Any]
        if section == "providers":
            want: Any = entry.get("prefix")
            natural = lambda r: as_obj(r["data"]).get("prefix")  # noqa: E731
        elif section == "connections":
            want = (self._provider(entry), entry.get("name"))
            natural = lambda r: (r["provider"], r["name"])  # noqa: E731
        elif section == "proxyPools":
            field_name = "name" if entry.get("name") else "proxyUrl"
            want = entry.get(field_name)
            natural = lambda r: as_obj(r["data"]).get(field_name)  # noqa: E731
        else:
            want = entry.get("name")
            natural = lambda r: r["name"]  # noqa: E731
        return next((r for r in current if want and natural(r) == want), None)

    # ---- one builder per section: (target row, display name) from the entry and current row

    def _node(self, e: dict[str, Any], cur: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
        prefix = str(_need(e, "prefix", "a provider (custom node)"))
        if not PREFIX_RE.match(prefix):
            raise UserError(
                f"provider prefix '{prefix}' may hold only letters, digits, '.', '_', '-'."
            )
        node_type = str(e.get("type") or (cur or {}).get("type") or "openai-compatible")
        if node_type not in CUSTOM_NODE_TYPES:
            self.warnings.append(
                f"provider '{prefix}': type '{node_type}' is not routable by ninerouter"
            )
        data = {
            k: v for k, v in e.items() if k not in ("id", "type", "name", "createdAt", "updatedAt")
        }
        data["baseUrl"] = validate_base_url(str(_need(e, "baseUrl", f"provider '{prefix}'")))
        api_type = str(data.get("apiType") or "chat")
        kind = f"{node_type}-{api_type}" if node_type == "openai-compatible" else node_type
        node_id = cur["id"] if cur else str(e.get("id") or f"{kind}-{new_id()}")
        row = {
            "id": node_id,
            "type": node_type,
            "name": e.get("name") or (cur or {}).get("name") or prefix,
            "data": dump_json(data),
            **self._times(e, cur),
        }
        return row, prefix

    def _provider(self, e: Mapping[str, Any]) -> str:
        provider = str(e.get("provider") or "")
        if provider in PROVIDERS or provider in self._node_ids:
            return provider
        by_prefix = [node_id for node_id, prefix in self._node_ids.items() if prefix == provider]
        return by_prefix[0] if by_prefix else provider

    def _connection(
        self, e: dict[str, Any], cur: dict[str, Any] | None
    ) -> tuple[dict[str, Any], str]:
        provider = self._provider(e)
        name = str(_need(e, "name", f"a connection of '{e.get('provider')}'"))
        label = f"{e.get('provider') or provider}/{name}"
        if not provider:
            raise UserError(f"connection '{name}' needs 'provider'.")
        if provider not in PROVIDERS and provider not in self._node_ids:
            self.warnings.append(f"connection {label}: unknown provider '{provider}', not routable")
        old = as_obj(cur["data"]) if cur else {}
        skip = {*CONN_COLUMNS, "state", "createdAt", "updatedAt"}
        data = {k: v for k, v in e.items() if k not in skip}
        _keep_absent_secrets(data, old)
        runtime = (
            {k: v for k, v in old.items() if is_conn_runtime(k)}
            if cur
            else dict(e.get("state") or {})
        )
        data.update(runtime)
        if cur is None and not any(data.get(k) for k in ("apiKey", "accessToken", "refreshToken")):
            raise UserError(
                f"connection {label} has no apiKey or token in the file. Export with "
                "--include-secrets, or write e.g. apiKey: ${MY_KEY} and set that variable."
            )
        row = {
            "id": cur["id"] if cur else str(e.get("id") or new_id()),
            "provider": provider,
            "authType": e.get("authType") or (cur or {}).get("authType") or "apikey",
            "name": name,
            "email": e["email"] if "email" in e else (cur or {}).get("email"),
            "priority": e["priority"] if "priority" in e else self._priority(provider, cur),
            "isActive": _flag(e.get("isActive"), (cur or {}).get("isActive", 1)),
            "data": dump_json(data),
            **self._times(e, cur),
        }
        return row, label

    def _priority(self, provider: str, cur: dict[str, Any] | None) -> Any:
        if cur is not None:
            return cur.get("priority")
        if provider not in self._priorities:
            taken = [
                int(r["priority"] or 0)
                for r in self.rows.all("providerConnections")
                if r["provider"] == provider
            ]
            self._priorities[provider] = max(taken, default=0)
        self._priorities[provider] += 1
        return self._priorities[provider]

    def _pool(self, e: dict[str, Any], cur: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
        old = as_obj(cur["data"]) if cur else {}
        data = {
            k: v
            for k, v in e.items()
            if k not in ("id", "isActive", "state", "createdAt", "updatedAt", "testStatus")
        }
        if "proxyUrl" not in data and "proxyUrl" in old:
            data["proxyUrl"] = old["proxyUrl"]
        name = str(data.get("name") or mask_url(str(data.get("proxyUrl") or "")) or e.get("id"))
        if not data.get("proxyUrl"):
            raise UserError(f"proxy pool '{name}' needs 'proxyUrl'.")
        state = dict(e.get("state") or {})
        runtime = {k: v for k, v in (old if cur else state).items() if k in POOL_RUNTIME}
        row = {
            "id": cur["id"] if cur else str(e.get("id") or new_id()),
            "isActive": _flag(e.get("isActive"), (cur or {}).get("isActive", 1)),
            "testStatus": cur["testStatus"] if cur else state.get("testStatus", "unknown"),
            "data": dump_json({**data, **runtime}),
            **self._times(e, cur),
        }
        return row, name

    def _combo(self, e: dict[str, Any], cur: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
        name = str(_need(e, "name", "a combo"))
        models = e.get("models")
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            raise UserError(f"combo '{name}' needs 'models': a list of model strings.")
        kind = e["kind"] if "kind" in e else (cur or {}).get("kind")
        combo_rules.validate(name, models, kind)
        row = {
            "id": cur["id"] if cur else str(e.get("id") or new_id()),
            "name": name,
            "kind": kind,
            "models": dump_json(models),
            **self._times(e, cur),
        }
        return row, name

    def _check_combos(self, combos: Iterable[Mapping[str, Any]]) -> None:
        graph = {str(r["name"]): tuple(as_list(r["models"])) for r in combos}
        for name, models in graph.items():
            cycle = find_cycle(graph, name, models)
            try:
                if cycle:
                    raise ComboError(f"combo loop: {' -> '.join(cycle)}")
                expand(graph, name)
            except ComboError as exc:
                raise UserError(f"combo '{name}': {exc.message}") from None

    def _key(self, e: dict[str, Any], cur: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
        name = str(_need(e, "name", "a key"))
        key = e.get("key") or (cur or {}).get("key")
        holder = next((r for r in self.rows.all("apiKeys") if r["key"] == key), None)
        if key and holder is not None and holder["id"] != (cur or {}).get("id"):
            raise UserError(f"key '{name}': the same key is already stored as '{holder['name']}'.")
        if not key:
            raise UserError(
                f"key '{name}' has no 'key' in the file: export with --include-secrets, "
                "or write key: ${MY_KEY} and set that variable."
            )
        row = {
            "id": cur["id"] if cur else str(e.get("id") or new_id()),
            "key": key,
            "name": name,
            "machineId": e["machineId"] if "machineId" in e else (cur or {}).get("machineId"),
            "isActive": _flag(e.get("isActive"), (cur or {}).get("isActive", 1)),
            "createdAt": (cur or {}).get("createdAt") or e.get("createdAt") or self.now,
        }
        return row, name

    def _times(self, e: Mapping[str, Any], cur: Mapping[str, Any] | None) -> dict[str, Any]:
        if cur is not None:
            return {"createdAt": cur["createdAt"], "updatedAt": cur["updatedAt"]}
        return {
            "createdAt": e.get("createdAt") or self.now,
            "updatedAt": e.get("updatedAt") or self.now,
        }

    def _settings(self) -> None:
        wanted = self.doc.get("settings")
        if wanted is None:
            return
        if not isinstance(wanted, dict):
            raise UserError("'settings' must be an object.")
        for key, value in wanted.items():
            if key in setting_rules.known_keys() and key not in SECRET_SETTINGS:
                setting_rules.validate(key, value)
        stored = self.store.settings.stored()
        target = {**stored, **wanted}
        if self.prune:
            target = {k: v for k, v in target.items() if k in wanted or k in SECRET_SETTINGS}
        changed = sorted(
            k for k in {*stored, *target} if stored.get(k, _NONE) != target.get(k, _NONE)
        )
        if changed:
            self.ops.append(
                _Op(
                    Change("update", "settings", "settings", None, tuple(changed)),
                    "settings",
                    {"id": 1},
                    {"data": dump_json(target)},
                )
            )


_NONE = object()


def _flag(value: Any, default: Any) -> int:
    return int(bool(default)) if value is None else int(bool(value))


def _keep_absent_secrets(data: dict[str, Any], old: Mapping[str, Any]) -> None:
    """Secrets an export leaves out keep their stored value (set one to null to remove it)."""
    for key in CREDENTIALS:
        if key not in data and key in old:
            data[key] = old[key]
    old_specific = old.get("providerSpecificData")
    if not isinstance(old_specific, dict):
        return
    carried = {
        k: v
        for k, v in old_specific.items()
        if (k in NESTED_SECRETS or (k == "connectionProxyUrl" and has_password(v)))
    }
    specific = data.get("providerSpecificData")
    if carried and (specific is None or isinstance(specific, dict)):
        merged = dict(specific or {})
        for k, v in carried.items():
            merged.setdefault(k, v)
        data["providerSpecificData"] = merged
    for key in [k for k, v in data.items() if v is None and k in CREDENTIALS]:
        del data[key]


_JSON_COLUMNS = {"data", "models"}


def _diff(cur: Mapping[str, Any], row: Mapping[str, Any]) -> list[str]:
    changed = []
    for column, value in row.items():
        if column in ("createdAt", "updatedAt"):
            continue
        before = cur.get(column)
        if column in _JSON_COLUMNS:
            if load_json(before, None) != load_json(value, None):
                changed.append(column)
        elif before != value:
            changed.append(column)
    return changed


def _field_names(
    cur: Mapping[str, Any], row: Mapping[str, Any], changed: list[str]
) -> tuple[str, ...]:
    names = [c for c in changed if c != "data"]
    if "data" in changed:
        before, after = as_obj(cur.get("data")), as_obj(row.get("data"))
        names += sorted(k for k in {*before, *after} if before.get(k, _NONE) != after.get(k, _NONE))
    return tuple(names)
