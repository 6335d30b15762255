"""backup, restore, db check/migrate, import 9router, config export/apply and doctor, end to end."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import stat
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from typer.testing import CliRunner

from ninerouter.cli import app
from ninerouter.home import Home
from ninerouter.proxy.app import create_app
from ninerouter.proxy.runtime import RUNTIME
from ninerouter.services.backup import restore
from ninerouter.services.doctor import ServerProbe, run_doctor
from ninerouter.services.providers import NewConnection, add_connection
from ninerouter.store import Store
from ninerouter.store.backup import backup_to
from tests.importers.nine_router_homes import SECRETS, legacy_home, sqlite_home
from tests.store.test_verify import BAD_FILES

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seed(path: Path, name: str = "main", combo: str = "coding") -> None:
    store = Store(path)
    add_connection(
        store, NewConnection("openrouter", name, api_key=f"sk-or-{name}-0123456789abcdef")
    )
    with store.write():
        store.combos.insert(combo, ["or/openai/gpt-4o-mini"])
    store.close()


def table(path: Path, name: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid')]
    finally:
        conn.close()
    for row in rows:
        for column in ("data", "models", "value"):
            if isinstance(row.get(column), str):
                row[column] = json.loads(row[column])
    return rows


def has_table(path: Path, name: str) -> bool:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return conn.execute(sql, [name]).fetchone() is not None
    finally:
        conn.close()


# ---------------------------------------------------------------------------------- backup


def test_backup_default_location_rotation_and_mode(home: Home) -> None:
    seed(home.db_path)
    paths = []
    for _ in range(3):
        result = run("backup", "--keep", "2", "--json")
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        paths.append(Path(data["path"]))
        assert data["bytes"] == paths[-1].stat().st_size > 0
    assert json.loads(result.stdout)["deleted"] == [str(paths[0])]
    assert sorted(home.backups_dir.iterdir()) == sorted(paths[1:])
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in paths[1:])
    assert stat.S_IMODE(home.backups_dir.stat().st_mode) == 0o700
    human = run("backup")
    assert human.stdout.strip().startswith(str(home.backups_dir)) and "bytes" in human.stderr


def test_backup_out_never_overwrites(home: Home, tmp_path: Path) -> None:
    seed(home.db_path)
    target = tmp_path / "mine.sqlite"
    assert run("backup", "--out", str(target)).exit_code == 0
    before = sha(target)
    again = run("backup", "--out", str(target))
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert sha(target) == before
    assert run("backup", "--keep", "0").exit_code == 1


# --------------------------------------------------------------------------------- restore


def test_restore_needs_yes_without_a_terminal(home: Home, tmp_path: Path) -> None:
    seed(home.db_path)
    backup = tmp_path / "b.sqlite"
    backup_to(home.db_path, backup)
    before = sha(home.db_path)
    result = run("restore", str(backup))
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert sha(home.db_path) == before


def test_restore_brings_back_the_backup_and_keeps_the_replaced_db(
    home: Home, tmp_path: Path
) -> None:
    seed(home.db_path, "first", "combo-a")
    backup = tmp_path / "b.sqlite"
    backup_to(home.db_path, backup)
    seed(home.db_path, "second", "combo-b")
    result = run("restore", str(backup), "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["restored"] == str(home.db_path) and data["migrated"] == []
    assert [r["name"] for r in table(home.db_path, "providerConnections")] == ["first"]
    previous = Path(data["previousBackup"]["path"])
    assert previous.parent == home.backups_dir
    assert [r["name"] for r in table(previous, "providerConnections")] == ["first", "second"]
    assert stat.S_IMODE(home.db_path.stat().st_mode) == 0o600
    assert not [p.name for p in home.db_dir.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_restore_refuses_a_bad_file_and_leaves_the_db_untouched(
    home: Home, tmp_path: Path, case: str
) -> None:
    seed(home.db_path)
    Store(home.db_path).close()
    before = sha(home.db_path)
    build, code = BAD_FILES[case]
    bad = build(tmp_path / f"{case}.sqlite")
    result = run("restore", str(bad), "--yes", "--json")
    assert result.exit_code == 3, result.stderr
    data = json.loads(result.stdout)
    assert data["restored"] is False and code in [p["code"] for p in data["problems"]]
    assert "not restored" in result.stderr and ".restore-" not in result.stdout
    assert sha(home.db_path) == before
    assert sorted(p.name for p in home.db_dir.iterdir()) == ["data.sqlite"]


def test_restore_over_a_damaged_db_keeps_the_damaged_bytes(home: Home, tmp_path: Path) -> None:
    seed(home.db_path)
    backup = tmp_path / "good.sqlite"
    backup_to(home.db_path, backup)
    raw = home.db_path.read_bytes()
    home.db_path.write_bytes(raw[:100] + bytes(len(raw) - 100))
    damaged = sha(home.db_path)
    result = run("restore", str(backup), "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    kept = Path(json.loads(result.stdout)["previousBackup"]["path"])
    assert kept.name.endswith("-pre-restore-damaged.sqlite") and sha(kept) == damaged
    assert run("db", "check").exit_code == 0


async def test_a_running_server_switches_to_the_restored_data(
    home: Home, tmp_path: Path, aiohttp_server
) -> None:
    seed(home.db_path, "before", "before-combo")
    other = tmp_path / "other.sqlite"
    seed(other, "after", "after-combo")
    backup = backup_to(other, tmp_path / "after-backup.sqlite").path
    server = await aiohttp_server(create_app(home))
    runtime = server.app[RUNTIME]
    async with aiohttp.ClientSession() as http:

        async def model_ids() -> list[str]:
            async with http.get(server.make_url("/v1/models")) as resp:
                return [m["id"] for m in (await resp.json())["data"]]

        assert "before-combo" in await model_ids()
        await asyncio.to_thread(restore, home, backup)
        for _ in range(100):  # the server polls every 250 ms
            if "after-combo" in await model_ids():
                break
            await asyncio.sleep(0.05)
        ids = await model_ids()
    assert "after-combo" in ids and "before-combo" not in ids
    assert [c.name for c in runtime.config.current.connections] == ["after"]
    store = Store(home.db_path)  # the server's reopened file is the one on disk, intact
    assert [c.name for c in store.connections.all()] == ["after"]
    assert store.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    store.close()


# -------------------------------------------------------------------------------- db check


def test_db_check_clean_and_with_domain_problems(home: Home) -> None:
    seed(home.db_path)
    ok = run("db", "check", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout) == {
        "ok": True,
        "path": str(home.db_path),
        "problems": [],
    }
    store = Store(home.db_path)
    with store.write():
        store.combos.insert("broken", ["nope/x", "glm/glm-4", "coding"])
        store.connections.insert(
            provider="openrouter",
            name="empty",
            auth_type="apikey",
            priority=2,
            data={"providerSpecificData": {"proxyPoolId": "pool-gone"}},
        )
        store.connections.insert(
            provider="claude",
            name="stale",
            auth_type="oauth",
            priority=1,
            data={"accessToken": "sk-ant-oat01-expired-000000", "expiresAt": 1_600_000_000_000},
        )
        store.connections.insert(
            provider="cursor",
            name="unknown",
            auth_type="apikey",
            priority=1,
            data={"apiKey": "k-1234567890"},
        )
        for pid in ("p1", "p2"):
            store.db.execute(
                "INSERT INTO proxyPools VALUES (?, 1, 'active', ?, 't', 't')",
                [pid, json.dumps({"name": pid, "proxyUrl": "http://u:secretpw@10.0.0.1:80"})],
            )
    store.close()
    result = run("db", "check", "--json")
    assert result.exit_code == 3
    problems = json.loads(result.stdout)["problems"]
    assert sorted(p["code"] for p in problems) == [
        "combo-no-connection",
        "combo-unknown-model",
        "connection-no-credentials",
        "connection-unknown-provider",
        "proxy-duplicate",
        "proxy-pool-missing",
        "token-expired",
    ]
    assert all(p["fix"] for p in problems)
    assert "secretpw" not in result.stdout and "sk-ant-oat01" not in result.stdout
    human = run("db", "check")
    assert human.exit_code == 3 and "proxy-duplicate" in human.stdout


def test_db_check_of_a_corrupt_file_lists_integrity_rows(home: Home, tmp_path: Path) -> None:
    build, _ = BAD_FILES["bit-flipped"]
    bad = build(tmp_path / "flip.sqlite")
    result = run("db", "check", "--file", str(bad), "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["problems"][0]["message"] == (
        "integrity_check: row 1 missing from index idx_uh_model"
    )


def test_db_migrate_backs_up_then_applies(home: Home, tmp_path: Path) -> None:
    nine = sqlite_home(tmp_path / "9r")
    shutil.copyfile(nine / "db" / "data.sqlite", home.db_path)
    before = sha(home.db_path)
    result = run("db", "migrate", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["applied"] == ["m001_9router_schema"]
    taken = Path(data["backup"]["path"])
    assert taken.parent == home.backups_dir and taken.name.endswith("-pre-migrate.sqlite")
    assert len(table(taken, "providerConnections")) == 5
    assert not has_table(taken, "nr_migrations") and has_table(home.db_path, "nr_migrations")
    assert before != sha(home.db_path)
    again = json.loads(run("db", "migrate", "--json").stdout)
    assert again == {"applied": [], "backup": None, "schemaVersion": 1}


# ---------------------------------------------------------------------------------- import


@pytest.mark.parametrize("make", [legacy_home, sqlite_home])
def test_import_cli_reports_and_never_prints_secrets(home: Home, tmp_path: Path, make) -> None:
    source = make(tmp_path / "9router")
    result = run("import", "9router", str(source), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["imported"]["connections"] == 5 and data["source"]["path"].startswith(str(source))
    human = run("import", "9router", str(source))
    assert human.exit_code == 0
    assert "already present (same id)" in human.stderr
    for text in (result.stdout, result.stderr, human.stdout, human.stderr):
        assert not any(secret in text for secret in SECRETS)


# ---------------------------------------------------------------------------------- config


CONFIG_TABLES = (
    "providerConnections",
    "providerNodes",
    "proxyPools",
    "combos",
    "apiKeys",
    "settings",
)


def test_config_export_apply_round_trips_to_an_identical_db(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("import", "9router", str(legacy_home(tmp_path / "old"))).exit_code == 0
    seed(home.db_path, "extra", "extra-combo")
    assert run("settings", "set", "stickyRoundRobinLimit", "7").exit_code == 0
    exported = run("config", "export", "--include-secrets")
    assert exported.exit_code == 0 and "holds secrets" in exported.stderr
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("NINEROUTER_DATA_DIR", str(fresh))
    applied = run("config", "apply", "-", "--json", input=exported.stdout)
    assert applied.exit_code == 0, applied.stderr
    assert not any(secret in applied.stdout + applied.stderr for secret in SECRETS)
    for name in CONFIG_TABLES:
        assert table(Home(fresh).db_path, name) == table(home.db_path, name), name
    again = json.loads(run("config", "apply", "-", "--json", input=exported.stdout).stdout)
    assert again == {"applied": False, "changes": [], "warnings": []}


def test_export_without_secrets_then_apply_keeps_the_stored_secrets(home: Home) -> None:
    seed(home.db_path)
    exported = run("config", "export", "--json")
    doc = json.loads(exported.stdout)
    assert "sk-or-main" not in exported.stdout and "apiKey" not in doc["connections"][0]
    doc["connections"][0]["priority"] = 5
    doc["settings"]["rtkEnabled"] = False
    result = run("config", "apply", "-", input=json.dumps(doc))
    assert result.exit_code == 0, result.stderr
    assert "update  connection  openrouter/main  priority" in result.stdout
    [conn] = table(home.db_path, "providerConnections")
    assert conn["priority"] == 5 and conn["data"]["apiKey"] == "sk-or-main-0123456789abcdef"
    assert table(home.db_path, "settings")[0]["data"]["rtkEnabled"] is False


def test_apply_env_secrets_dry_run_and_prune(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(home.db_path)
    doc = {
        "providers": [
            {"type": "openai-compatible", "prefix": "lab", "baseUrl": "https://llm.example.com/v1/"}
        ],
        "connections": [{"provider": "lab", "name": "lab-1", "apiKey": "${LAB_KEY}"}],
        "combos": [{"name": "mixed", "models": ["lab/m1", "or/openai/gpt-4o-mini"]}],
    }
    path = tmp_path / "nr.json"
    path.write_text(json.dumps(doc))
    missing = run("config", "apply", str(path))
    assert missing.exit_code == 1 and "LAB_KEY" in missing.stderr
    monkeypatch.setenv("LAB_KEY", "sk-lab-from-env-0123456789")
    before = sha(home.db_path)
    dry = run("config", "apply", str(path), "--dry-run", "--json")
    assert dry.exit_code == 0 and sha(home.db_path) == before
    plan = [(c["action"], c["kind"], c["name"]) for c in json.loads(dry.stdout)["changes"]]
    assert plan == [
        ("create", "provider", "lab"),
        ("create", "connection", "lab/lab-1"),
        ("create", "combo", "mixed"),
    ]
    result = run("config", "apply", str(path), "--prune", "--json")
    assert result.exit_code == 0, result.stderr
    changes = [(c["action"], c["kind"], c["name"]) for c in json.loads(result.stdout)["changes"]]
    assert changes == [
        ("delete", "connection", "openrouter/main"),
        ("delete", "combo", "coding"),
        *plan,
    ]
    assert "sk-lab-from-env" not in result.stdout
    [conn] = table(home.db_path, "providerConnections")
    [node] = table(home.db_path, "providerNodes")
    assert conn["provider"] == node["id"] and conn["data"]["apiKey"] == "sk-lab-from-env-0123456789"
    assert node["data"]["baseUrl"] == "https://llm.example.com/v1" and conn["priority"] == 1
    check = run("db", "check", "--json")  # pruning the openrouter account broke one combo entry
    assert check.exit_code == 3
    [problem] = json.loads(check.stdout)["problems"]
    assert (
        problem["code"] == "combo-no-connection" and "or/openai/gpt-4o-mini" in problem["message"]
    )


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"combos": [{"name": "a", "models": ["b"]}, {"name": "b", "models": ["a"]}]}, "loop"),
        ({"connections": [{"provider": "openrouter", "name": "x"}]}, "no apiKey or token"),
        ({"settings": {"fallbackStrategy": "random"}}, "must be one of"),
        ({"colors": []}, "unknown section"),
        ({"keys": [{"name": "k"}]}, "has no 'key'"),
        ({"combos": [{"id": "other-id", "name": "coding", "models": ["or/x"]}]}, "already holds"),
    ],
)
def test_apply_refuses_an_invalid_file_and_writes_nothing(home: Home, doc, needle: str) -> None:
    seed(home.db_path)
    before = [table(home.db_path, t) for t in CONFIG_TABLES]
    result = run("config", "apply", "-", input=json.dumps(doc))
    assert result.exit_code == 1 and needle in result.stderr
    assert [table(home.db_path, t) for t in CONFIG_TABLES] == before


def test_yaml_is_the_default_and_round_trips(home: Home) -> None:
    import yaml

    seed(home.db_path)
    before = [table(home.db_path, t) for t in CONFIG_TABLES]
    result = run("config", "export", "--include-secrets")
    assert result.exit_code == 0
    doc = yaml.safe_load(result.stdout)
    assert set(doc) >= {"settings", "connections", "combos"}
    applied = run("config", "apply", "-", "--json", input=result.stdout)
    assert applied.exit_code == 0, applied.stderr
    assert [table(home.db_path, t) for t in CONFIG_TABLES] == before


# ---------------------------------------------------------------------------------- doctor


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_doctor_cli_on_a_fresh_home(home: Home) -> None:
    seed(home.db_path)
    home.pid_path.write_text(
        json.dumps({"pid": os.getpid(), "host": "127.0.0.1", "port": free_port()})
    )
    result = run("doctor", "--json")
    assert result.exit_code == 0, result.stdout
    checks = {c["check"]: c["status"] for c in json.loads(result.stdout)["checks"]}
    assert checks == {
        "permissions": "ok",
        "database": "ok",
        "config": "ok",
        "password": "warn",
        "server": "warn",
        "port": "ok",
        "tokens": "ok",
        "proxies": "ok",
    }
    home.db_path.chmod(0o644)
    loose = run("doctor")
    assert loose.exit_code == 3
    assert f"chmod 600 {home.db_path}" in loose.stdout


def probe(info: dict | None, alive: bool, healthy: bool, owner: str | None) -> ServerProbe:
    return ServerProbe(info, lambda pid: alive, lambda host, port: healthy, lambda port: owner)


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        (probe({"pid": 7, "port": 20999}, True, True, None), [("server", "ok"), ("port", "ok")]),
        (
            probe({"pid": 7, "port": 20999}, True, False, "pid 7 (python3)"),
            [("server", "fail"), ("port", "fail")],
        ),
        (probe(None, False, False, "pid 99 (nginx)"), [("server", "warn"), ("port", "fail")]),
        (probe({"pid": 7}, False, False, None), [("server", "warn"), ("port", "ok")]),
    ],
)
def test_doctor_server_and_port_checks(home: Home, server: ServerProbe, expected) -> None:
    seed(home.db_path)
    checks = run_doctor(home, server)
    got = [(c.name, c.status) for c in checks if c.name in ("server", "port")]
    assert got == expected
    assert all(c.fix for c in checks if c.status != "ok")


def test_doctor_finds_expired_tokens_and_proxies_in_error(home: Home) -> None:
    seed(home.db_path)
    store = Store(home.db_path)
    with store.write():
        store.connections.insert(
            provider="claude",
            name="stale",
            auth_type="oauth",
            priority=1,
            data={"accessToken": "sk-ant-oat01-x-000000000", "expiresAt": "2020-01-01T00:00:00Z"},
        )
        store.db.execute(
            "INSERT INTO proxyPools VALUES ('p1', 1, 'error', '{\"name\":\"res-1\",\"proxyUrl\":\"http://h:1\"}', 't', 't')"
        )
        store.settings.patch({"password": "hash"})
    store.close()
    checks = {c.name: c for c in run_doctor(home, probe(None, False, False, None))}
    assert checks["tokens"].status == "fail" and "stale" in checks["tokens"].message
    assert checks["proxies"].status == "warn" and "res-1" in checks["proxies"].message
    assert checks["password"].status == "ok"


def test_a_stored_dollar_brace_survives_export_and_apply(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(home.db_path)
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    assert run("settings", "set", "outboundNoProxy", "${NOT_SET_ANYWHERE},$${X}").exit_code == 0
    exported = run("config", "export", "--include-secrets").stdout
    monkeypatch.setenv("NINEROUTER_DATA_DIR", str(tmp_path / "fresh"))
    result = run("config", "apply", "-", input=exported)
    assert result.exit_code == 0, result.stderr
    stored = table(Home(tmp_path / "fresh").db_path, "settings")[0]["data"]
    assert stored["outboundNoProxy"] == "${NOT_SET_ANYWHERE},$${X}"
