"""The runbooks in recipes/, run with bash against a temporary home (only the CLI, --json)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ninerouter.home import Home
from ninerouter.services.providers import NewConnection, add_connection
from ninerouter.store import Store
from tests.importers.nine_router_homes import legacy_home

RECIPES = Path(__file__).parent.parent.parent / "recipes"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def bash(script: str, home: Home, *args: str) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).parent / "ninerouter"
    env = {
        **os.environ,
        "NINEROUTER": str(cli) if cli.exists() else f"{sys.executable} -m ninerouter",
        "NINEROUTER_DATA_DIR": str(home.root),
    }
    return subprocess.run(
        ["bash", str(RECIPES / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def names(home: Home) -> list[str]:
    store = Store(home.db_path)
    try:
        return sorted(c.name for c in store.connections.all())
    finally:
        store.close()


def seed(home: Home) -> None:
    store = Store(home.db_path)
    add_connection(store, NewConnection("openrouter", "mine", api_key="sk-or-mine-0123456789ab"))
    store.close()


def test_every_recipe_is_strict_bash() -> None:
    scripts = sorted(RECIPES.glob("*.sh"))
    assert [s.name for s in scripts] == ["nightly-backup.sh", "restore-after-bad-import.sh"]
    for script in scripts:
        text = script.read_text()
        assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
        assert os.access(script, os.X_OK)


def test_nightly_backup_rotates_and_prints_the_path(home: Home) -> None:
    seed(home)
    paths = []
    for _ in range(2):
        result = bash("nightly-backup.sh", home, "1")
        assert result.returncode == 0, result.stderr
        paths.append(Path(result.stdout.strip()))
    assert list(home.backups_dir.iterdir()) == [paths[1]]
    assert "keeping the newest 1" in result.stderr
    store = Store(paths[1])
    assert [c.name for c in store.connections.all()] == ["mine"]
    store.close()


def test_restore_after_bad_import_rolls_back_only_a_bad_import(home: Home, tmp_path: Path) -> None:
    seed(home)
    bad = legacy_home(tmp_path / "bad")
    doc = json.loads((bad / "db.json").read_text())
    doc["combos"].append({"id": "combo-x", "name": "typo", "models": ["opnrouter/gpt-4o"]})
    (bad / "db.json").write_text(json.dumps(doc))
    result = bash("restore-after-bad-import.sh", home, str(bad))
    assert result.returncode == 3, result.stderr
    assert "unknown provider prefix 'opnrouter/'" in result.stderr
    assert "rolling back" in result.stderr
    assert names(home) == ["mine"]

    good = bash("restore-after-bad-import.sh", home, str(legacy_home(tmp_path / "good")))
    assert good.returncode == 0, good.stderr
    assert names(home) == ["backup", "lab-1", "luke-account-1", "main", "me@example.com", "mine"]
    assert len(list(home.backups_dir.iterdir())) == 3  # two runs, one pre-restore
