from __future__ import annotations

import json

from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from typer.testing import CliRunner

from ninerouter.cli import app
from ninerouter.cli.init import ask, questions
from ninerouter.home import Home
from ninerouter.store import Store

runner = CliRunner()


def test_without_a_terminal_init_names_the_flags(home: Home) -> None:
    result = runner.invoke(app, ["init"], input="")
    assert result.exit_code == 2 and "--provider, --name and --api-key" in result.stderr


def test_with_flags_init_adds_the_account_and_the_key_file(home: Home) -> None:
    result = runner.invoke(
        app,
        [
            "init",
            "--provider",
            "openrouter",
            "--name",
            "main",
            "--api-key",
            "sk-or-abcdefabcdef",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["connection"]["name"] == "main" and data["connection"]["apiKey"] == "sk-…cdef"
    assert (home.auth_dir / "api-key").exists()
    store = Store(home.db_path)
    assert [c.name for c in store.connections.all()] == ["main"]
    store.close()


def test_custom_endpoints_are_asked_for_url_and_prefix() -> None:
    asked = {q["name"]: q for q in questions(["openai", "openai-compatible"])}
    assert asked["base_url"]["when"]({"provider": "openai-compatible"})
    assert not asked["prefix"]["when"]({"provider": "openai"})


def test_the_wizard_answers_through_a_real_prompt() -> None:
    with create_pipe_input() as pipe:
        pipe.send_text("\x1b[B\r")  # second provider
        pipe.send_text("lab-1\r")
        pipe.send_text("sk-secret-000000\r")
        pipe.send_text("http://127.0.0.1:9/v1\r")
        pipe.send_text("lab\r")
        answers = ask(["openai", "openai-compatible"], input=pipe, output=DummyOutput())
    assert answers == {
        "provider": "openai-compatible",
        "name": "lab-1",
        "api_key": "sk-secret-000000",
        "base_url": "http://127.0.0.1:9/v1",
        "prefix": "lab",
    }
