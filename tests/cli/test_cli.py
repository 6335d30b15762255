"""CLI commands through typer's CliRunner: --json parsed, exit codes, nothing written on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ninerouter.cli import app, normalize_argv
from ninerouter.home import Home
from ninerouter.store import Store

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def connection_count(home: Home) -> int:
    store = Store(home.db_path)
    try:
        return len(store.connections.all())
    finally:
        store.close()


def test_provider_add_list_remove_json(home: Home) -> None:
    added = run(
        "provider",
        "add",
        "openai-compatible",
        "--name",
        "acc1",
        "--api-key",
        "sk-secret-value-123456",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--prefix",
        "lab",
        "--json",
    )
    assert added.exit_code == 0, added.stderr
    row = json.loads(added.stdout)
    assert row["name"] == "acc1" and row["providerSpecificData"]["prefix"] == "lab"
    assert row["apiKey"] == "sk-…3456"
    second = run(
        "provider",
        "add",
        "openai-compatible",
        "--name",
        "acc2",
        "--api-key",
        "sk-other-value-654321",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--prefix",
        "lab",
        "--json",
    )
    assert json.loads(second.stdout)["provider"] == row["provider"]  # same node, second account
    listed = run("--json", "provider", "list")
    assert [c["name"] for c in json.loads(listed.stdout)] == ["acc1", "acc2"]
    assert "sk-secret-value-123456" not in listed.stdout
    human = run("provider", "list")
    assert "acc1" in human.stdout and "sk-secret-value-123456" not in human.stdout
    removed = run("provider", "remove", "acc1", "--yes", "--json")
    assert removed.exit_code == 0 and json.loads(removed.stdout)["name"] == "acc1"
    assert connection_count(home) == 1


def test_registry_provider_with_region(home: Home) -> None:
    result = run(
        "provider",
        "add",
        "xiaomi-tokenplan",
        "--name",
        "luke-account-1",
        "--api-key",
        "tp-abcdefabcdef123",
        "--region",
        "cn",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["providerSpecificData"]["region"] == "cn"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["provider", "add", "opnai", "--name", "a", "--api-key", "sk-1"], "Did you mean 'openai'"),
        (
            [
                "provider",
                "add",
                "openai-compatible",
                "--name",
                "a",
                "--api-key",
                "k",
                "--base-url",
                "ftp://x",
                "--prefix",
                "p",
            ],
            "not an http(s) URL",
        ),
        (
            [
                "provider",
                "add",
                "openai-compatible",
                "--name",
                "a",
                "--api-key",
                "k",
                "--base-url",
                "http://h:99999/v1",
                "--prefix",
                "p",
            ],
            "invalid port",
        ),
        (["provider", "add", "openai", "--name", "a"], "--api-key is required"),
        (
            ["provider", "add", "openai-compatible", "--name", "a", "--api-key", "k"],
            "needs --base-url and --prefix",
        ),
        (
            ["provider", "add", "xiaomi-mimo", "--name", "a", "--api-key", "tp-123456789"],
            "xiaomi-tokenplan",
        ),
        (
            ["provider", "add", "xiaomi-tokenplan", "--name", "a", "--api-key", "sk-123456789"],
            "xiaomi-mimo",
        ),
        (
            [
                "provider",
                "add",
                "openai-compatible",
                "--name",
                "a",
                "--api-key",
                "k",
                "--base-url",
                "http://h/v1",
                "--prefix",
                "kr",
            ],
            "built-in provider prefix",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_written(home: Home, args: list[str], needle: str) -> None:
    result = run(*args)
    assert result.exit_code in (1, 2)
    assert needle in result.stderr
    assert result.stdout == ""
    assert connection_count(home) == 0


def test_duplicate_connection_name_is_refused(home: Home) -> None:
    assert (
        run("provider", "add", "openai", "--name", "main", "--api-key", "sk-aaaaaaaaaaaa").exit_code
        == 0
    )
    again = run("provider", "add", "openai", "--name", "main", "--api-key", "sk-bbbbbbbbbbbb")
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    assert connection_count(home) == 1


def test_missing_required_option_is_usage_error() -> None:
    result = run("provider", "add", "openai")
    assert result.exit_code == 2


def test_remove_without_tty_needs_yes(home: Home) -> None:
    run("provider", "add", "openai", "--name", "main", "--api-key", "sk-aaaaaaaaaaaa")
    result = runner.invoke(app, ["provider", "remove", "main"], input="")
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert connection_count(home) == 1


def test_remove_unknown_is_error() -> None:
    result = run("provider", "remove", "ghost", "--yes")
    assert result.exit_code == 1 and "no connection" in result.stderr


def test_keys_create_list_revoke(home: Home) -> None:
    created = run("keys", "create", "--name", "cursor", "--json")
    assert created.exit_code == 0
    key = json.loads(created.stdout)["key"]
    assert key.startswith("sk-") and len(key) > 40
    listed = run("keys", "list", "--json")
    rows = json.loads(listed.stdout)
    assert key not in listed.stdout
    assert rows[-1]["name"] == "cursor" and rows[-1]["isActive"] is True
    assert run("keys", "revoke", "cursor").exit_code == 0
    assert json.loads(run("keys", "list", "--json").stdout)[-1]["isActive"] is False


def test_settings_set_get_list() -> None:
    assert run("settings", "set", "stickyRoundRobinLimit", "5").exit_code == 0
    assert json.loads(run("settings", "get", "stickyRoundRobinLimit", "--json").stdout) == {
        "stickyRoundRobinLimit": 5
    }
    assert run("settings", "set", "rtkEnabled", "false").exit_code == 0
    listed = json.loads(run("settings", "list", "--json").stdout)
    assert listed["rtkEnabled"] is False and listed["hasPassword"] is False
    bad_type = run("settings", "set", "stickyRoundRobinLimit", "lots")
    assert bad_type.exit_code == 1 and "takes a int" in bad_type.stderr
    unknown = run("settings", "set", "fallbackStrategyy", "fill-first")
    assert unknown.exit_code == 1 and "Did you mean 'fallbackStrategy'" in unknown.stderr
    assert run("settings", "set", "password", "x").exit_code == 1


def test_corrupt_db_gives_exit_3(home: Home) -> None:
    home.db_path.write_bytes(b"garbage, not sqlite" * 500)
    result = run("provider", "list")
    assert result.exit_code == 3
    assert "integrity check" in result.stderr


def test_version() -> None:
    from ninerouter import __version__

    assert run("--version").stdout.strip() == __version__
    assert run("-v").stdout.strip() == __version__


def test_9router_flag_form_means_serve() -> None:
    assert normalize_argv(["-p", "20128", "-n", "-t", "-l", "--skip-update"]) == [
        "serve",
        "-p",
        "20128",
        "-n",
        "-t",
        "-l",
        "--skip-update",
    ]
    assert normalize_argv(["--data-dir", "/x", "-p", "1"]) == [
        "--data-dir",
        "/x",
        "serve",
        "-p",
        "1",
    ]
    assert normalize_argv(["provider", "list"]) == ["provider", "list"]
    assert normalize_argv(["--json", "status"]) == ["--json", "status"]


def test_help_does_not_import_aiohttp() -> None:
    code = "import sys; from ninerouter.cli import app; print('aiohttp' in sys.modules, 'sqlite_utils' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_models_lists_combos_registry_and_node_models(home: Home) -> None:
    from ninerouter.services.combos import create_combo

    run("provider", "add", "openrouter", "--name", "or1", "--api-key", "sk-or-aaaaaaaaaaaa")
    run(
        "provider",
        "add",
        "openai-compatible",
        "--name",
        "lab",
        "--api-key",
        "sk-lab-aaaaaaaaaa",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--prefix",
        "lab",
    )
    store = Store(home.db_path)
    create_combo(store, "team", ["or/openai/gpt-5"])
    store.close()
    rows = json.loads(run("models", "--json").stdout)
    assert rows[0] == {"id": "team", "kind": "combo", "provider": None, "connection": None}
    ids = {r["id"]: r for r in rows}
    assert ids["or/openai/gpt-5"]["connection"] == "or1"
    assert ids["lab/*"]["kind"] == "live"


def test_alias_set_list_remove() -> None:
    assert run("alias", "set", "sonnet", "kr/claude-sonnet-4.5").exit_code == 0
    assert json.loads(run("alias", "list", "--json").stdout) == {"sonnet": "kr/claude-sonnet-4.5"}
    bad = run("alias", "set", "x", "zz/model")
    assert bad.exit_code == 1 and "unknown provider prefix 'zz/'" in bad.stderr
    assert run("alias", "remove", "sonnet").exit_code == 0
    assert run("alias", "remove", "sonnet").exit_code == 1


def test_global_proxy_setting_is_validated_and_a_masked_url_keeps_the_stored_one(
    home: Home,
) -> None:
    assert run("settings", "set", "outboundProxyUrl", "not a proxy").exit_code == 1
    assert (
        run("settings", "set", "outboundProxyUrl", "http://u:real-pass@10.0.0.1:3128").exit_code
        == 0
    )
    assert run("settings", "set", "outboundProxyUrl", "http://u:***@10.0.0.1:3128").exit_code == 0
    store = Store(home.db_path)
    try:
        assert store.settings.get()["outboundProxyUrl"] == "http://u:real-pass@10.0.0.1:3128"
    finally:
        store.close()


def test_help_is_plain_and_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("serve", "provider", "combo", "proxy", "backup", "restore", "probe", "usage"):
        assert f"  {command} " in result.stdout
