"""store.combos: rows in 9Router's shape in, dataclasses out."""

from __future__ import annotations

import json

import pytest

from ninerouter.models import Combo
from ninerouter.store import Store


def test_insert_get_by_id_and_name(store: Store) -> None:
    with store.write():
        combo = store.combos.insert("KIRO", ["kr/claude-opus-4.8", "kr/claude-opus-4.7"], "llm")
    assert isinstance(combo, Combo)
    assert combo.models == ("kr/claude-opus-4.8", "kr/claude-opus-4.7") and combo.kind == "llm"
    assert store.combos.get("KIRO") == combo
    assert store.combos.get(combo.id) == combo
    assert store.combos.get("kiro") is None
    raw = next(store.db.query("SELECT * FROM combos"))
    assert json.loads(raw["models"]) == ["kr/claude-opus-4.8", "kr/claude-opus-4.7"]
    assert raw["createdAt"] == raw["updatedAt"] == combo.created_at


def test_id_match_wins_over_name(store: Store) -> None:
    with store.write():
        first = store.combos.insert("first", ["kr/a"])
        store.combos.insert(first.id, ["kr/b"])  # a name that equals another row's id
    found = store.combos.get(first.id)
    assert found is not None and found.name == "first"


def test_update_changes_given_fields_and_bumps_updated_at(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ninerouter.store.combos.now_iso", lambda: "2026-01-01T00:00:00.000Z")
    with store.write():
        combo = store.combos.insert("KIRO", ["kr/a"], None)
    monkeypatch.setattr("ninerouter.store.combos.now_iso", lambda: "2026-01-02T00:00:00.000Z")
    with store.write():
        renamed = store.combos.update(combo.id, name="KIRO2")
        assert renamed.models == ("kr/a",) and renamed.kind is None
        changed = store.combos.update(combo.id, models=["kr/b", "kr/c"], kind="llm")
    assert changed == Combo(
        id=combo.id,
        name="KIRO2",
        models=("kr/b", "kr/c"),
        kind="llm",
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-02T00:00:00.000Z",
    )
    assert store.combos.get("KIRO2") == changed


def test_update_of_a_missing_id_raises(store: Store) -> None:
    with pytest.raises(LookupError), store.write():
        store.combos.update("nope", name="x")


def test_delete_and_all_sorted_by_name(store: Store) -> None:
    with store.write():
        b = store.combos.insert("b", ["kr/b"])
        store.combos.insert("a", ["kr/a"])
    assert [c.name for c in store.combos.all()] == ["a", "b"]
    with store.write():
        store.combos.delete(b.id)
    assert [c.name for c in store.combos.all()] == ["a"]
