"""`import 9router`: move a 9Router home (0.5.x `db/data.sqlite`, or 0.4.x `db.json`) into ours.

Reading: the SQLite file is checked, then read in one snapshot; the legacy JSON files (db.json,
usage.json, disabledModels.json, request-details.json) are converted exactly as 9Router's own
db/migrate.js does it (row columns out, every other field into the `data` JSON), so both formats
give the same rows.

Writing is one transaction and never changes a row that is already there. Rows are keyed on their
id, and also connections on provider+name, nodes on prefix, combos on name, API keys on the key,
proxy pools on proxyUrl, kv on scope+key, usage rows on what they record. Whatever is not written is
reported with the reason, so running the import twice changes nothing and says why.
Settings keys are taken when ninerouter still has the default (or nothing) for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ninerouter.errors import UserError
from ninerouter.models import DEFAULT_SETTINGS, SECRET_SETTINGS
from ninerouter.redact import mask, mask_url
from ninerouter.registry import PROVIDERS, prefix_table
from ninerouter.store import Store
from ninerouter.store.backup import Rows, read_tables
from ninerouter.store.rows import dump_json, load_json, now_iso
from ninerouter.store.verify import EXPECTED_COLUMNS, Refused, verify_file

TABLES = (
    "settings",
    "providerConnections",
    "providerNodes",
    "proxyPools",
    "apiKeys",
    "combos",
    "kv",
    "usageHistory",
    "usageDaily",
    "requestDetails",
)
KV_SCOPES = ("modelAliases", "customModels", "mitmAlias", "pricing", "disabledModels")
_MISSING = object()


@dataclass(frozen=True)
class Source:
    kind: str  # "sqlite" | "json"
    path: Path

    def public(self) -> dict[str, str]:
        return {"kind": self.kind, "path": str(self.path)}


@dataclass(frozen=True)
class Skip:
    kind: str
    name: str
    reason: str
    count: int = 1

    def public(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "reason": self.reason, "count": self.count}


@dataclass
class ImportReport:
    source: Source
    imported: dict[str, int] = field(default_factory=dict)
    skipped: list[Skip] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def took(self, kind: str) -> None:
        self.imported[kind] = self.imported.get(kind, 0) + 1

    def skip(self, kind: str, name: str, reason: str, count: int = 1) -> None:
        if count:
            self.skipped.append(Skip(kind, name, reason, count))

    @property
    def changed(self) -> bool:
        return any(self.imported.values())

    def public(self) -> dict[str, Any]:
        return {
            "source": self.source.public(),
            "imported": dict(self.imported),
            "skipped": [s.public() for s in self.skipped],
            "warnings": list(self.warnings),
        }


def locate(path: Path) -> Source:
    """The file to read in a 9Router home (db/data.sqlite wins over a legacy db.json)."""
    path = path.expanduser()
    if path.is_file():
        return Source("json" if path.suffix == ".json" else "sqlite", path)
    for candidate, kind in (
        (path / "db" / "data.sqlite", "sqlite"),
        (path / "data.sqlite", "sqlite"),
        (path / "db.json", "json"),
    ):
        if candidate.is_file():
            return Source(kind, candidate)
    raise UserError(
        f"no 9Router data in {path}: expected db/data.sqlite (0.5.x) or db.json (0.4.x). "
        "Pass the 9Router home directory (default ~/.9router)."
    )


def read_source(source: Source) -> dict[str, list[dict[str, Any]]]:
    """9Router's rows, per table, in the SQLite column layout."""
    if source.kind == "sqlite":
        problems = verify_file(source.path, max_schema_version=1_000_000)
        if problems:
            raise Refused(f"{source.path} cannot be imported", problems)
        tables = read_tables(source.path, TABLES)
        return {  # a newer 9Router may have added columns; we take the ones we know
            t: [{k: v for k, v in r.items() if k in EXPECTED_COLUMNS[t]} for r in rows]
            for t, rows in tables.items()
        }
    return read_legacy(source.path.parent, source.path)


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UserError(f"{path} is not valid JSON ({exc}); nothing was imported.") from None


def _split(obj: Mapping[str, Any], columns: Iterable[str]) -> tuple[dict[str, Any], str]:
    """(the column fields, the JSON of every other field); timestamps are columns too."""
    cols = set(columns)
    rest = {k: v for k, v in obj.items() if k not in cols | {"createdAt", "updatedAt"}}
    return {k: obj.get(k) for k in cols}, dump_json(rest)


def read_legacy(home: Path, db_json: Path) -> dict[str, list[dict[str, Any]]]:
    """0.4.x JSON files -> rows, field for field as 9Router's migrate.js converts them."""
    main = _read_json(db_json) or {}
    if not isinstance(main, dict):
        raise UserError(f"{db_json} does not hold a JSON object; nothing was imported.")
    now = now_iso()
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    if isinstance(main.get("settings"), dict):
        out["settings"].append({"id": 1, "data": dump_json(main["settings"])})
    for c in _objects(main.get("providerConnections")):
        cols, data = _split(
            c, ("id", "provider", "authType", "name", "email", "priority", "isActive")
        )
        out["providerConnections"].append(
            {
                **cols,
                "authType": cols["authType"] or "oauth",
                "name": cols["name"] or None,
                "email": cols["email"] or None,
                "priority": cols["priority"] or None,
                "isActive": 0 if cols["isActive"] is False else 1,
                "data": data,
                **_stamps(c, now),
            }
        )
    for n in _objects(main.get("providerNodes")):
        cols, data = _split(n, ("id", "type", "name"))
        row = {"id": cols["id"], "type": cols["type"] or None, "name": cols["name"] or None}
        out["providerNodes"].append({**row, "data": data, **_stamps(n, now)})
    for p in _objects(main.get("proxyPools")):
        cols, data = _split(p, ("id", "isActive", "testStatus"))
        out["proxyPools"].append(
            {
                "id": cols["id"],
                "isActive": 0 if cols["isActive"] is False else 1,
                "testStatus": cols["testStatus"] or "unknown",
                "data": data,
                **_stamps(p, now),
            }
        )
    for k in _objects(main.get("apiKeys")):
        out["apiKeys"].append(
            {
                "id": k.get("id"),
                "key": k.get("key"),
                "name": k.get("name") or None,
                "machineId": k.get("machineId") or None,
                "isActive": 0 if k.get("isActive") is False else 1,
                "createdAt": k.get("createdAt") or now,
            }
        )
    for c in _objects(main.get("combos")):
        out["combos"].append(
            {
                "id": c.get("id"),
                "name": c.get("name"),
                "kind": c.get("kind") or None,
                "models": dump_json(c.get("models") or []),
                **_stamps(c, now),
            }
        )
    out["kv"] = _legacy_kv(main, _read_json(home / "disabledModels.json"))
    _legacy_usage(out, _read_json(home / "usage.json"), now)
    details = _read_json(home / "request-details.json")
    for r in _objects(details.get("records") if isinstance(details, dict) else None):
        row = {k: r.get(k) for k in ("id", "provider", "model", "connectionId", "status")}
        out["requestDetails"].append(
            {**row, "timestamp": r.get("timestamp") or now, "data": dump_json(r)}
        )
    return out


def _objects(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _stamps(obj: Mapping[str, Any], now: str) -> dict[str, Any]:
    return {"createdAt": obj.get("createdAt") or now, "updatedAt": obj.get("updatedAt") or now}


def _legacy_kv(main: Mapping[str, Any], disabled: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def put(scope: str, key: str, value: Any) -> None:
        rows.append({"scope": scope, "key": key, "value": dump_json(value)})

    for scope in ("modelAliases", "mitmAlias", "pricing"):
        values = main.get(scope)
        for key, value in values.items() if isinstance(values, dict) else ():
            put(scope, str(key), value if scope == "modelAliases" else (value or {}))
    for m in _objects(main.get("customModels")):
        put("customModels", f"{m.get('providerAlias')}|{m.get('id')}|{m.get('type') or 'llm'}", m)
    lists = disabled.get("disabled") if isinstance(disabled, dict) else None
    for provider, ids in lists.items() if isinstance(lists, dict) else ():
        put("disabledModels", str(provider), ids or [])
    return rows


def _legacy_usage(out: dict[str, list[dict[str, Any]]], usage: Any, now: str) -> None:
    if not isinstance(usage, dict):
        return
    for e in _objects(usage.get("history")):
        tokens = e.get("tokens")
        t: dict[str, Any] = tokens if isinstance(tokens, dict) else {}
        out["usageHistory"].append(
            {
                "timestamp": e.get("timestamp") or now,
                **{k: e.get(k) or None for k in ("provider", "model", "connectionId", "apiKey")},
                "endpoint": e.get("endpoint") or None,
                "promptTokens": t.get("prompt_tokens") or t.get("input_tokens") or 0,
                "completionTokens": t.get("completion_tokens") or t.get("output_tokens") or 0,
                "cost": e.get("cost") or 0,
                "status": e.get("status") or "ok",
                "tokens": dump_json(t),
                "meta": dump_json({}),
            }
        )
    daily = usage.get("dailySummary")
    for date_key, day in daily.items() if isinstance(daily, dict) else ():
        out["usageDaily"].append({"dateKey": str(date_key), "data": dump_json(day)})


def import_9router(store: Store, path: Path) -> ImportReport:
    """Read everything first, then write it in one transaction (all or nothing)."""
    source = locate(path)
    if source.kind == "sqlite" and source.path.resolve() == store.path.resolve():
        raise UserError("that is ninerouter's own database; give the 9Router home instead.")
    tables = read_source(source)
    report = ImportReport(source)
    with store.write() as db:
        writer = _Writer(Rows(db), store, report)
        writer.run(tables)
    return report


class _Writer:
    def __init__(self, rows: Rows, store: Store, report: ImportReport) -> None:
        self.rows = rows
        self.store = store
        self.report = report
        self.skipped_nodes: set[str] = set()

    def run(self, tables: Mapping[str, list[dict[str, Any]]]) -> None:
        self.nodes(tables.get("providerNodes", []))
        self.pools(tables.get("proxyPools", []))
        self.connections(tables.get("providerConnections", []))
        self.combos(tables.get("combos", []))
        self.keys(tables.get("apiKeys", []))
        self.kv(tables.get("kv", []))
        self.settings(tables.get("settings", []))
        self.usage(tables.get("usageHistory", []), tables.get("apiKeys", []))
        self.keyed("usageDaily", "dateKey", tables.get("usageDaily", []), "usageDaily")
        self.keyed("requestDetails", "id", tables.get("requestDetails", []), "requestDetails")

    def _insert(self, table: str, kind: str, row: Mapping[str, Any]) -> None:
        self.rows.insert(table, row)
        self.report.took(kind)

    def nodes(self, rows: list[dict[str, Any]]) -> None:
        existing = {r["id"]: r for r in self.rows.all("providerNodes")}
        prefixes = {_node_prefix(r): r["id"] for r in existing.values()}
        builtin = prefix_table()
        for row in rows:
            prefix, name = _node_prefix(row), str(row.get("name") or row.get("id"))
            reason = None
            if not row.get("id"):
                reason = "it has no id"
            elif row["id"] in existing:
                reason = "already present (same id)"
            elif prefix in builtin:
                reason = f"its prefix '{prefix}' is a built-in provider prefix"
            elif prefix and prefix in prefixes:
                reason = f"prefix '{prefix}' already belongs to node {prefixes[prefix]}"
            if reason is not None:
                if row.get("id") and row["id"] not in existing:
                    self.skipped_nodes.add(str(row["id"]))
                self.report.skip("nodes", name, reason)
                continue
            self._insert("providerNodes", "nodes", row)
            prefixes[prefix] = row["id"]
            existing[row["id"]] = row

    def pools(self, rows: list[dict[str, Any]]) -> None:
        existing = self.rows.all("proxyPools")
        ids = {r["id"] for r in existing}
        urls = {_pool_url(r): r["id"] for r in existing if _pool_url(r)}
        for row in rows:
            url = _pool_url(row)
            name = str(load_json(row.get("data"), {}).get("name") or mask_url(url) or row["id"])
            if row["id"] in ids:
                self.report.skip("proxyPools", name, "already present (same id)")
            elif url and url in urls:
                self.report.skip("proxyPools", name, f"same proxyUrl as pool {urls[url]}")
            else:
                self._insert("proxyPools", "proxyPools", row)
                ids.add(row["id"])
                if url:
                    urls[url] = row["id"]

    def connections(self, rows: list[dict[str, Any]]) -> None:
        existing = self.rows.all("providerConnections")
        ids = {r["id"] for r in existing}
        names = {(r["provider"], r["name"]) for r in existing}
        known = set(PROVIDERS) | {r["id"] for r in self.rows.all("providerNodes")}
        for row in rows:
            provider, name = row.get("provider"), row.get("name")
            label = f"{name or row.get('id')} ({provider})"
            if not row.get("id") or not provider:
                self.report.skip("connections", label, "it has no id or provider")
            elif provider in self.skipped_nodes:
                self.report.skip("connections", label, "its custom node was skipped")
            elif row["id"] in ids:
                self.report.skip("connections", label, "already present (same id)")
            elif name and (provider, name) in names:
                self.report.skip(
                    "connections", label, f"a connection named '{name}' exists for {provider}"
                )
            else:
                self._insert("providerConnections", "connections", row)
                ids.add(row["id"])
                names.add((provider, name))
                if provider not in known:
                    self.report.warnings.append(
                        f"connection {label}: provider '{provider}' is not supported by "
                        "ninerouter yet; imported, but not routable"
                    )

    def combos(self, rows: list[dict[str, Any]]) -> None:
        existing = self.rows.all("combos")
        ids = {r["id"] for r in existing}
        names = {r["name"]: r["id"] for r in existing}
        for row in rows:
            name = str(row.get("name"))
            if row.get("id") in ids:
                self.report.skip("combos", name, "already present (same id)")
            elif name in names:
                self.report.skip("combos", name, f"a combo named '{name}' already exists")
            else:
                self._insert("combos", "combos", row)
                ids.add(row["id"])
                names[name] = row["id"]

    def keys(self, rows: list[dict[str, Any]]) -> None:
        existing = self.rows.all("apiKeys")
        ids = {r["id"] for r in existing}
        keys = {r["key"]: r.get("name") or r["id"] for r in existing}
        for row in rows:
            name = str(row.get("name") or mask(row.get("key")))
            if not row.get("key"):
                self.report.skip("apiKeys", name, "it has no key")
            elif row.get("id") in ids:
                self.report.skip("apiKeys", name, "already present (same id)")
            elif row["key"] in keys:
                self.report.skip("apiKeys", name, f"the same key exists (as '{keys[row['key']]}')")
            else:
                self._insert("apiKeys", "apiKeys", row)
                ids.add(row["id"])
                keys[row["key"]] = name

    def kv(self, rows: list[dict[str, Any]]) -> None:
        existing = {(r["scope"], r["key"]): r["value"] for r in self.rows.all("kv")}
        for row in rows:
            scope, key = str(row["scope"]), str(row["key"])
            current = existing.get((scope, key))
            if current is None:
                self._insert("kv", scope, row)
                existing[(scope, key)] = row["value"]
            elif load_json(current, None) == load_json(row["value"], None):
                self.report.skip(scope, key, "already present")
            else:
                self.report.skip(scope, key, "ninerouter has its own value; kept")

    def settings(self, rows: list[dict[str, Any]]) -> None:
        theirs = load_json(rows[0]["data"], {}) if rows else {}
        ours = self.store.settings.stored()
        changes: dict[str, Any] = {}
        same = 0
        for key, value in theirs.items() if isinstance(theirs, dict) else ():
            current = ours.get(key, _MISSING)
            if key in SECRET_SETTINGS:
                self.report.skip("settings", key, "secret; set it with 'ninerouter password set'")
            elif current == value:
                same += 1
            elif current is _MISSING or current == DEFAULT_SETTINGS.get(key, _MISSING):
                changes[key] = value
            else:
                self.report.skip("settings", key, "ninerouter has its own value; kept")
        self.report.skip("settings", f"{same} key(s)", "already the same", same)
        if changes:
            self.store.settings.patch(changes)
            self.report.imported["settings"] = len(changes)

    def usage(self, rows: list[dict[str, Any]], source_keys: list[dict[str, Any]]) -> None:
        fields = ("timestamp", "provider", "model", "connectionId", "endpoint", "status")
        existing = {tuple(r.get(f) for f in fields) for r in self.rows.all("usageHistory")}
        key_ids = {r["key"]: r["id"] for r in [*source_keys, *self.rows.all("apiKeys")]}
        present = 0
        for row in rows:
            natural = tuple(row.get(f) for f in fields)
            if natural in existing:
                present += 1
                continue
            record = {k: v for k, v in row.items() if k != "id"}
            raw_key = record.get("apiKey")
            if raw_key:  # 9Router stores the client's key itself; we keep only its row id
                record["apiKey"] = key_ids.get(raw_key) or mask(str(raw_key))
            self._insert("usageHistory", "usage", record)
            existing.add(natural)
        self.report.skip("usage", f"{present} row(s)", "already present", present)

    def keyed(self, table: str, key: str, rows: list[dict[str, Any]], kind: str) -> None:
        existing = {r[key] for r in self.rows.all(table)}
        present = 0
        for row in rows:
            if row.get(key) in existing:
                present += 1
            else:
                self._insert(table, kind, row)
                existing.add(row[key])
        self.report.skip(kind, f"{present} row(s)", "already present", present)


def _node_prefix(row: Mapping[str, Any]) -> str:
    data = load_json(row.get("data"), {})
    return str(data.get("prefix") or "") if isinstance(data, dict) else ""


def _pool_url(row: Mapping[str, Any]) -> str:
    data = load_json(row.get("data"), {})
    return str(data.get("proxyUrl") or "").strip() if isinstance(data, dict) else ""
