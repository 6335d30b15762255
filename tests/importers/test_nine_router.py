"""import 9router: both on-disk formats give the same state; a second run changes nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ninerouter.errors import UserError
from ninerouter.home import Home
from ninerouter.importers.nine_router import import_9router, locate, read_legacy, read_source
from ninerouter.services.doctor import check_database
from ninerouter.services.providers import NewConnection, add_connection
from ninerouter.store import Store
from ninerouter.store.verify import Refused
from tests.importers.nine_router_homes import legacy_home, routing_state, sqlite_home


def run_import(db: Path, source: Path):
    store = Store(db)
    try:
        return import_9router(store, source)
    finally:
        store.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_both_formats_yield_the_same_routing_state(tmp_path: Path) -> None:
    from_json = tmp_path / "a.sqlite"
    from_sqlite = tmp_path / "b.sqlite"
    run_import(from_json, legacy_home(tmp_path / "old"))
    run_import(from_sqlite, sqlite_home(tmp_path / "new"))
    state = routing_state(from_json)
    assert state == routing_state(from_sqlite)
    conns = {c[3]: c for c in state["connections"]}
    assert sorted(conns) == ["backup", "lab-1", "luke-account-1", "main", "me@example.com"]
    main = conns["main"]
    assert (main[0], main[1], main[5], main[6]) == (
        "6f1c2a9e-0000-4000-8000-000000000001",
        "openrouter",
        1,
        True,
    )
    assert main[7] == {
        "apiKey": "sk-or-v1-fixture-main-0000000000000001",
        "testStatus": "active",
        "lastUsedAt": "2025-06-01T09:00:00.000Z",
        "consecutiveUseCount": 2,
    }
    assert conns["luke-account-1"][6] is False
    assert conns["me@example.com"][2:5] == ("oauth", "me@example.com", "me@example.com")
    assert [(n["id"], n["prefix"]) for n in state["nodes"]] == [
        ("openai-compatible-chat-0b5c1d2e", "lab")
    ]
    assert [(c["name"], c["models"]) for c in state["combos"]] == [
        ("cheap", ["or/openai/gpt-4o-mini"]),
        ("coding", ["lab/my-model", "or/openai/gpt-4o-mini"]),
    ]
    assert [(k[2], k[3]) for k in state["keys"]] == [("cursor", True), ("old-laptop", False)]
    settings = state["settings"]
    assert settings["fallbackStrategy"] == "round-robin" and settings["rtkEnabled"] is False
    assert settings["comboStrategies"] == {"coding": {"fallbackStrategy": "round-robin"}}
    assert settings["outboundProxyUrl"] == "http://proxy.example.com:3128"
    assert "password" not in settings  # a 9Router bcrypt hash is not our password
    assert state["pools"][0]["proxyUrl"] == "http://user:fixturepw@10.0.0.1:8080"
    assert state["aliases"] == {
        "fast": "or/openai/gpt-4o-mini",
        "opus": {"provider": "claude", "model": "claude-opus-4-8"},
    }
    assert check_database(from_json) == []  # every combo routes, every pool exists


def test_the_legacy_conversion_matches_the_rows_9router_itself_wrote(tmp_path: Path) -> None:
    legacy = read_legacy(legacy_home(tmp_path / "old"), tmp_path / "old" / "db.json")
    source = read_source(locate(sqlite_home(tmp_path / "new")))
    for table in ("providerConnections", "providerNodes", "proxyPools", "apiKeys", "combos"):
        assert _parsed(legacy[table]) == _parsed(source[table]), table
    assert sorted(_parsed(legacy["kv"]), key=str) == sorted(_parsed(source["kv"]), key=str)
    strip = [{k: v for k, v in r.items() if k != "id"} for r in source["usageHistory"]]
    assert _parsed(legacy["usageHistory"]) == _parsed(strip)
    assert _parsed(legacy["usageDaily"]) == _parsed(source["usageDaily"])


def _parsed(rows: list[dict]) -> list[dict]:
    def value(v):
        if isinstance(v, str) and v[:1] in '[{"':
            return json.loads(v)
        return v

    return [{k: value(v) for k, v in r.items()} for r in rows]


@pytest.mark.parametrize("make", [legacy_home, sqlite_home])
def test_a_second_import_changes_nothing_and_says_why(tmp_path: Path, make) -> None:
    db = tmp_path / "ours.sqlite"
    source = make(tmp_path / "9router")
    first = run_import(db, source)
    assert first.imported == {
        "nodes": 1,
        "proxyPools": 1,
        "connections": 5,
        "combos": 2,
        "apiKeys": 2,
        "modelAliases": 2,
        "customModels": 1,
        "pricing": 1,
        "disabledModels": 1,
        "settings": 9,
        "usage": 2,
        "usageDaily": 1,
    }
    assert [(s.kind, s.name, s.reason) for s in first.skipped] == [
        ("settings", "password", "secret; set it with 'ninerouter password set'"),
        ("settings", "2 key(s)", "already the same"),
    ]
    Store(db).close()
    before = sha(db)
    second = run_import(db, source)
    assert second.imported == {}
    assert sha(db) == before
    reasons = {(s.kind, s.reason) for s in second.skipped}
    assert ("connections", "already present (same id)") in reasons
    assert ("usage", "already present") in reasons
    assert sum(s.count for s in second.skipped if s.kind == "connections") == 5
    text = json.dumps(second.public())
    assert "sk-or-v1-fixture" not in text and "fixturepw" not in text


def test_usage_rows_keep_the_key_id_never_the_key(tmp_path: Path) -> None:
    db = tmp_path / "ours.sqlite"
    run_import(db, sqlite_home(tmp_path / "new"))
    store = Store(db)
    rows = list(store.db.query("SELECT apiKey, promptTokens FROM usageHistory ORDER BY timestamp"))
    store.close()
    assert rows == [
        {"apiKey": "key-0001", "promptTokens": 12},
        {"apiKey": None, "promptTokens": 100},
    ]


def test_clashes_with_existing_rows_are_skipped_with_reasons(tmp_path: Path, home: Home) -> None:
    store = Store(home.db_path)
    add_connection(store, NewConnection("openrouter", "main", api_key="sk-or-mine-000000000001"))
    with store.write():
        store.combos.insert("coding", ["or/x"])
        store.settings.patch({"fallbackStrategy": "fill-first", "rtkEnabled": True})
        store.settings.patch({"stickyRoundRobinLimit": 9})
        store.kv.put("modelAliases", "fast", "or/mine")
    report = import_9router(store, legacy_home(tmp_path / "old"))
    mine = store.connections.find("openrouter", "main")
    store.close()
    skipped = {(s.kind, s.name): s.reason for s in report.skipped}
    assert skipped[("connections", "main (openrouter)")] == (
        "a connection named 'main' exists for openrouter"
    )
    assert skipped[("combos", "coding")] == "a combo named 'coding' already exists"
    assert skipped[("modelAliases", "fast")] == "ninerouter has its own value; kept"
    assert skipped[("settings", "stickyRoundRobinLimit")] == "ninerouter has its own value; kept"
    assert report.imported["connections"] == 4
    assert mine is not None and mine.api_key == "sk-or-mine-000000000001"


def test_a_failure_half_way_writes_nothing(tmp_path: Path, home: Home) -> None:
    source = legacy_home(tmp_path / "old")
    doc = json.loads((source / "db.json").read_text())
    doc["combos"].append({"id": "combo-9", "name": None, "models": []})  # NOT NULL name
    (source / "db.json").write_text(json.dumps(doc))
    store = Store(home.db_path)
    with pytest.raises(Exception, match="NOT NULL"):
        import_9router(store, source)
    assert store.connections.all() == [] and store.proxy_pools.all() == []
    store.close()


def test_sources_that_cannot_be_imported(tmp_path: Path, home: Home) -> None:
    store = Store(home.db_path)
    try:
        with pytest.raises(UserError, match="no 9Router data"):
            import_9router(store, tmp_path / "nowhere")
        with pytest.raises(UserError, match="ninerouter's own database"):
            import_9router(store, home.db_path)
        broken = tmp_path / "broken"
        broken.mkdir()
        (broken / "db.json").write_text("{not json")
        with pytest.raises(UserError, match="not valid JSON"):
            import_9router(store, broken)
        (tmp_path / "bad.sqlite").write_bytes(b"SQLite format 3\x00" + bytes(200))
        with pytest.raises(Refused):
            import_9router(store, tmp_path / "bad.sqlite")
        assert store.connections.all() == []
    finally:
        store.close()
