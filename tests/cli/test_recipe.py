from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ninerouter.cli import app
from ninerouter.home import Home
from ninerouter.services.keys import ensure_initial_key
from ninerouter.services.recipes import RECIPES

runner = CliRunner()


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_names_this_install(home: Home, name: str) -> None:
    result = runner.invoke(app, ["recipe", name, "-p", "20999"])
    assert result.exit_code == 0, result.stderr
    assert "20999" in result.stdout


def test_systemd_unit_runs_this_binary_on_this_home(home: Home) -> None:
    out = runner.invoke(app, ["recipe", "systemd", "-H", "0.0.0.0"]).stdout
    line = next(x for x in out.splitlines() if x.startswith("ExecStart="))
    assert line.endswith(f"--data-dir {home.root} serve -p 20128 -H 0.0.0.0")
    assert "ninerouter" in line.split()[0]


def test_key_is_written_only_when_asked(home: Home) -> None:
    key, _ = ensure_initial_key(home)
    assert key not in runner.invoke(app, ["recipe", "claude-code"]).stdout
    assert (
        f"ANTHROPIC_API_KEY={key}"
        in runner.invoke(app, ["recipe", "claude-code", "--with-key"]).stdout
    )


def test_unknown_recipe_lists_the_known_ones() -> None:
    result = runner.invoke(app, ["recipe", "kubernetes"])
    assert result.exit_code == 1 and "systemd" in result.stderr
