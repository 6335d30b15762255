"""`ninerouter combo ...` end to end: --json parsed, exit codes, and nothing written on bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from ninerouter.cli import app
from ninerouter.errors import NotFound, UserError
from ninerouter.home import Home
from ninerouter.services.combos import set_combo_strategy
from ninerouter.store import Store

runner = CliRunner()

KIRO = ["kr/claude-opus-4.8", "kr/claude-opus-4.7", "xmtp/mimo-v2.5-pro-claude"]
XIAOMI = ["xmtp/mimo-v2.5-pro", "xmtp/mimo-v2-pro", "xmtp/mimo-v2.5"]


def run(*args: str):
    return runner.invoke(app, list(args))


def ok(*args: str) -> Any:
    """Run with --json, assert success, return the parsed stdout."""
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def create(name: str, *models: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    args = ["combo", "create", name]
    for model in models:
        args += ["--model", model]
    return ok(*args, *extra)


def snapshot(home: Home) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every combos row and the settings row, raw, to prove a refused command wrote nothing."""
    store = Store(home.db_path)
    try:
        combos = list(store.db.query("SELECT * FROM combos ORDER BY id"))
        settings = list(store.db.query("SELECT * FROM settings"))
        return combos, settings
    finally:
        store.close()


def stored_overrides(home: Home) -> dict[str, Any]:
    store = Store(home.db_path)
    try:
        return dict(store.settings.stored().get("comboStrategies", {}))
    finally:
        store.close()


def refused(home: Home, args: list[str], needle: str, code: int = 1) -> str:
    before = snapshot(home)
    result = run(*args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert needle in result.stderr
    assert result.stdout == ""
    assert snapshot(home) == before
    return result.stderr


def test_round_trip_create_list_show_edit_delete(home: Home) -> None:
    created = create("KIRO", *KIRO, extra=("--kind", "llm"))
    assert created["name"] == "KIRO" and created["kind"] == "llm"
    assert created["models"] == KIRO
    assert created["createdAt"] == created["updatedAt"] and created["createdAt"].endswith("Z")

    listed = ok("combo", "list")
    assert [(c["name"], c["models"], c["id"]) for c in listed] == [("KIRO", KIRO, created["id"])]

    shown = ok("combo", "show", "KIRO")
    assert shown == {**created, "strategy": "fallback"}
    assert ok("combo", "show", created["id"])["name"] == "KIRO"

    edited = ok("combo", "edit", "KIRO", "--remove", "kr/claude-opus-4.7", "--add", "or/gpt-5")
    assert edited["models"] == ["kr/claude-opus-4.8", "xmtp/mimo-v2.5-pro-claude", "or/gpt-5"]
    assert edited["id"] == created["id"] and edited["createdAt"] == created["createdAt"]
    assert edited["updatedAt"] >= created["updatedAt"]

    replaced = ok("combo", "edit", "KIRO", "--model", "kr/claude-opus-4.7", "--model", "kr/x")
    assert replaced["models"] == ["kr/claude-opus-4.7", "kr/x"]
    assert ok("combo", "show", "KIRO")["models"] == ["kr/claude-opus-4.7", "kr/x"]

    deleted = ok("combo", "delete", "KIRO", "--yes")
    assert deleted["id"] == created["id"] and deleted["models"] == ["kr/claude-opus-4.7", "kr/x"]
    assert ok("combo", "list") == []
    assert snapshot(home)[0] == []


def test_human_output_goes_to_the_right_streams() -> None:
    created = run("combo", "create", "KIRO", "-m", KIRO[0], "-m", KIRO[1])
    assert created.exit_code == 0
    assert created.stdout == "" and "created combo 'KIRO'" in created.stderr
    listed = run("combo", "list")
    assert "KIRO" in listed.stdout and KIRO[1] in listed.stdout and "fallback" in listed.stdout
    shown = run("combo", "show", "KIRO")
    assert f"1. {KIRO[0]}" in shown.stdout and f"2. {KIRO[1]}" in shown.stdout
    assert "strategy: fallback" in shown.stdout


def test_empty_list_says_how_to_create() -> None:
    result = run("combo", "list")
    assert result.exit_code == 0 and result.stdout == ""
    assert "ninerouter combo create" in result.stderr


def test_tutorial_combos(home: Home) -> None:
    create("KIRO", *KIRO)
    create("XIAOMI", *XIAOMI)
    listed = ok("combo", "list")
    assert [(c["name"], c["models"], c["kind"]) for c in listed] == [
        ("KIRO", KIRO, None),
        ("XIAOMI", XIAOMI, None),
    ]
    store = Store(home.db_path)
    try:
        raw = {r["name"]: r["models"] for r in store.db.query("SELECT name, models FROM combos")}
    finally:
        store.close()
    assert json.loads(raw["KIRO"]) == KIRO  # a JSON array, as 9Router stores it
    assert ok("settings", "set", "comboStrategy", "round-robin") == {"comboStrategy": "round-robin"}
    assert ok("combo", "show", "XIAOMI")["strategy"] == "round-robin"


def test_nested_prefixed_and_bare_models_are_accepted() -> None:
    create("KIRO", *KIRO)
    create("XIAOMI", *XIAOMI)
    nested = create("ALL", "KIRO", "XIAOMI", "kr/KIRO", "gpt-4o")
    assert nested["models"] == ["KIRO", "XIAOMI", "kr/KIRO", "gpt-4o"]
    assert ok("combo", "show", "ALL")["models"] == ["KIRO", "XIAOMI", "kr/KIRO", "gpt-4o"]


def test_self_cycle_is_refused_at_create_and_edit(home: Home) -> None:
    refused(home, ["combo", "create", "a", "--model", "x/y", "--model", "a"], "would loop: a -> a")
    assert snapshot(home)[0] == []
    create("a", "x/y")
    stderr = refused(home, ["combo", "edit", "a", "--add", "a"], "would loop: a -> a")
    assert "not itself" in stderr
    refused(home, ["combo", "edit", "a", "--rename", "y", "--model", "y"], "would loop: y -> y")


def test_three_combo_cycle_is_refused_with_its_path(home: Home) -> None:
    create("a", "b")
    create("b", "c")
    refused(
        home, ["combo", "create", "c", "--model", "a"], "combo 'c' would loop: c -> a -> b -> c"
    )
    create("c", "or/model")
    refused(home, ["combo", "edit", "c", "--add", "a"], "combo 'c' would loop: c -> a -> b -> c")
    refused(
        home,
        ["combo", "edit", "c", "--model", "kr/x", "--model", "b"],
        "combo 'c' would loop: c -> b -> c",
    )
    assert ok("combo", "show", "c")["models"] == ["or/model"]


def test_rename_into_a_cycle_is_refused(home: Home) -> None:
    create("a", "b")  # no combo 'b' yet: a bare model name
    create("z", "a")
    refused(home, ["combo", "edit", "z", "--rename", "b"], "combo 'b' would loop: b -> a -> b")
    create("y", "kr/x")
    assert ok("combo", "edit", "y", "--rename", "b")["name"] == "b"
    refused(home, ["combo", "edit", "b", "--add", "a"], "combo 'b' would loop: b -> a -> b")


def test_nesting_deeper_than_routing_allows_is_refused(home: Home) -> None:
    create("c0", "kr/x")
    for level in range(1, 8):
        create(f"c{level}", f"c{level - 1}")
    stderr = refused(home, ["combo", "create", "c8", "--model", "c7"], "nesting deeper than 8")
    assert "c8 -> c7" in stderr
    create("d0", "kr/y")
    refused(home, ["combo", "edit", "c0", "--add", "d0"], "nesting deeper than 8")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["combo", "create", "bad name", "-m", "kr/x"], "may hold only letters"),
        (["combo", "create", "kr/x", "-m", "kr/x"], "no '/'"),
        (["combo", "create", "ok", "-m", ""], "empty or holds whitespace"),
        (["combo", "create", "ok", "-m", "kr/claude opus"], "empty or holds whitespace"),
        (["combo", "create", "ok", "-m", " kr/x"], "empty or holds whitespace"),
        (["combo", "create", "ok", "-m", "kr/"], "empty model id"),
        (["combo", "create", "ok", "-m", "/claude"], "empty prefix"),
        (["combo", "create", "ok", "-m", "kr/x", "-m", "kr/x"], "listed twice"),
        (["combo", "create", "ok", "-m", "kr/x", "--strategy", "rr"], "not one of: fallback"),
        (["combo", "create", "ok", "-m", "kr/x", "--kind", "l l"], "not a kind name"),
        (["combo", "create", "KIRO", "-m", "kr/x"], "already exists"),
        (["combo", "edit", "KIRO", "--rename", "a b"], "may hold only letters"),
        (["combo", "edit", "KIRO", "--rename", "XIAOMI"], "already exists"),
        (["combo", "edit", "KIRO", "--remove", "kr/nope"], "has no model 'kr/nope'"),
        (["combo", "edit", "KIRO", "--add", KIRO[0]], "already has model"),
        (["combo", "edit", "KIRO", "--model", "kr/a", "--add", "kr/b"], "without --add/--remove"),
        (["combo", "edit", "KIRO"], "nothing to change"),
        (["combo", "edit", "KIRO", "--strategy", "random"], "not one of"),
        (["combo", "edit", "GHOST", "--add", "kr/x"], "no combo with name or id 'GHOST'"),
        (["combo", "show", "GHOST"], "no combo with name or id 'GHOST'"),
        (["combo", "delete", "GHOST", "--yes"], "no combo with name or id 'GHOST'"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(home: Home, args: list[str], needle: str) -> None:
    create("KIRO", *KIRO, extra=("--strategy", "sticky"))
    create("XIAOMI", *XIAOMI)
    refused(home, args, needle)


def test_removing_every_model_is_refused(home: Home) -> None:
    create("solo", "kr/x")
    refused(home, ["combo", "edit", "solo", "--remove", "kr/x"], "needs at least one model")


@pytest.mark.parametrize(
    "args",
    [
        ["combo", "create", "KIRO"],  # --model is required
        ["combo", "create"],
        ["combo", "show"],
        ["combo", "create", "KIRO", "-m", "kr/x", "--bogus"],
    ],
)
def test_usage_errors_exit_2(home: Home, args: list[str]) -> None:
    refused(home, args, "", code=2)


def test_delete_without_a_terminal_needs_yes(home: Home) -> None:
    create("KIRO", *KIRO)
    result = runner.invoke(app, ["combo", "delete", "KIRO"], input="")
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert [c["name"] for c in ok("combo", "list")] == ["KIRO"]


def test_delete_is_refused_while_another_combo_uses_it(home: Home) -> None:
    create("KIRO", *KIRO)
    create("ALL", "KIRO", "xmtp/mimo-v2.5")
    refused(home, ["combo", "delete", "KIRO", "--yes"], "used by combo 'ALL'")
    ok("combo", "edit", "ALL", "--remove", "KIRO")
    assert ok("combo", "delete", "KIRO", "--yes")["name"] == "KIRO"


def test_strategy_override_is_stored_and_fallback_kept_explicitly(home: Home) -> None:
    ok("settings", "set", "comboStrategy", "round-robin")
    create("KIRO", *KIRO, extra=("--strategy", "sticky"))
    create("XIAOMI", *XIAOMI)
    assert stored_overrides(home) == {"KIRO": {"fallbackStrategy": "sticky"}}
    assert ok("combo", "show", "KIRO")["strategy"] == "sticky"
    assert ok("combo", "show", "XIAOMI")["strategy"] == "round-robin"  # the global default

    edited = ok("combo", "edit", "KIRO", "--strategy", "fallback")
    assert edited["models"] == KIRO
    # 9Router drops the entry for "fallback", so the global round-robin would take over again.
    assert stored_overrides(home) == {"KIRO": {"fallbackStrategy": "fallback"}}
    assert ok("combo", "show", "KIRO")["strategy"] == "fallback"
    assert ok("settings", "get", "comboStrategy") == {"comboStrategy": "round-robin"}


def test_strategy_keeps_other_keys_of_the_entry(home: Home) -> None:
    create("KIRO", *KIRO)
    entry = {"KIRO": {"fallbackStrategy": "round-robin", "judgeModel": "kr/x"}}
    ok("settings", "set", "comboStrategies", json.dumps(entry))
    ok("combo", "edit", "KIRO", "--strategy", "fallback")
    assert stored_overrides(home) == {
        "KIRO": {"fallbackStrategy": "fallback", "judgeModel": "kr/x"}
    }


def test_rename_carries_strategy_and_references(home: Home) -> None:
    create("KIRO", *KIRO, extra=("--strategy", "round-robin"))
    create("XIAOMI", *XIAOMI, extra=("--strategy", "fallback"))
    create("ALL", "KIRO", "XIAOMI")
    renamed = ok("combo", "edit", "KIRO", "--rename", "KIRO2")
    assert renamed["name"] == "KIRO2" and renamed["models"] == KIRO
    assert stored_overrides(home) == {
        "KIRO2": {"fallbackStrategy": "round-robin"},
        "XIAOMI": {"fallbackStrategy": "fallback"},
    }
    assert ok("combo", "show", "KIRO2")["strategy"] == "round-robin"
    assert ok("combo", "show", "ALL")["models"] == ["KIRO2", "XIAOMI"]
    assert run("combo", "show", "KIRO").exit_code == 1


def test_delete_drops_the_strategy_override(home: Home) -> None:
    create("KIRO", *KIRO, extra=("--strategy", "sticky"))
    create("XIAOMI", *XIAOMI, extra=("--strategy", "round-robin"))
    ok("combo", "delete", "KIRO", "--yes")
    assert stored_overrides(home) == {"XIAOMI": {"fallbackStrategy": "round-robin"}}
    assert ok("combo", "create", "KIRO", "-m", "kr/x")["name"] == "KIRO"
    assert ok("combo", "show", "KIRO")["strategy"] == "fallback"


def test_set_combo_strategy_service(store: Store) -> None:
    create("KIRO", *KIRO)
    assert set_combo_strategy(store, "KIRO", "fallback") == "fallback"
    assert store.settings.stored()["comboStrategies"] == {"KIRO": {"fallbackStrategy": "fallback"}}
    with pytest.raises(UserError, match="not one of"):
        set_combo_strategy(store, "KIRO", "fusion")
    with pytest.raises(NotFound):
        set_combo_strategy(store, "GHOST", "sticky")
    assert store.settings.stored()["comboStrategies"] == {"KIRO": {"fallbackStrategy": "fallback"}}
