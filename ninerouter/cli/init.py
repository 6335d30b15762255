"""`ninerouter init`: first provider, first client key, client setup. A wizard on a terminal; with
flags (or without a terminal) it runs without asking anything."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from ninerouter.cli._console import JsonOpt, emit, message, open_store, state
from ninerouter.errors import NotInteractive

FLAGS = "--provider, --name and --api-key (and --base-url, --prefix for a compatible endpoint)"


def questions(providers: list[str]) -> list[dict[str, Any]]:
    """The wizard as data (questionary's dict form), so it can be tested without a terminal."""
    custom = ("openai-compatible", "anthropic-compatible")
    return [
        {"type": "select", "name": "provider", "message": "Provider:", "choices": providers},
        {
            "type": "text",
            "name": "name",
            "message": "A name for this account (e.g. account-1):",
            "validate": lambda v: bool(v.strip()) or "a name is required",
        },
        {"type": "password", "name": "api_key", "message": "API key:"},
        {
            "type": "text",
            "name": "base_url",
            "message": "Base URL (e.g. https://host/v1):",
            "when": lambda a: a.get("provider") in custom,
        },
        {
            "type": "text",
            "name": "prefix",
            "message": "Model prefix clients will type:",
            "when": lambda a: a.get("provider") in custom,
        },
    ]


def ask(providers: list[str], **prompt_options: Any) -> dict[str, Any]:
    import questionary

    return dict(questionary.unsafe_prompt(questions(providers), **prompt_options))


def init(
    ctx: typer.Context,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Registry id or openai-compatible.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Account name.")] = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="Provider key.", envvar="NINEROUTER_PROVIDER_KEY"),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="API root of a compatible endpoint.")
    ] = None,
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Model prefix of a compatible endpoint.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Set up a first account and show how to point a client at the router."""
    from ninerouter.services.keys import ensure_initial_key
    from ninerouter.services.providers import NewConnection, add_connection, known_provider_ids

    answers: dict[str, Any] = {
        "provider": provider,
        "name": name,
        "api_key": api_key,
        "base_url": base_url,
        "prefix": prefix,
    }
    if not (provider and name and api_key):
        if not sys.stdin.isatty():
            raise NotInteractive(f"init needs a terminal to ask, or the flags {FLAGS}.")
        answers.update({k: v for k, v in ask(known_provider_ids()).items() if v})
    store = open_store(ctx)
    conn = add_connection(
        store,
        NewConnection(
            provider=answers["provider"],
            name=answers["name"],
            api_key=answers["api_key"],
            base_url=answers.get("base_url"),
            prefix=answers.get("prefix"),
        ),
    )
    home = state(ctx).home.ensure()
    ensure_initial_key(home)
    data = {
        "connection": conn.public(),
        "apiKeyFile": str(home.initial_key_path),
        "baseUrl": "http://localhost:20128/v1",
    }
    emit(
        ctx,
        json_out,
        data,
        lambda: message(
            f"added '{conn.name}'. Next: 'ninerouter serve --daemon', then point a client at "
            f"http://localhost:20128/v1 with the key in {home.initial_key_path} "
            "('ninerouter recipe claude-code|codex|cursor|hermes' prints the config)."
        ),
    )


def register(app: typer.Typer) -> None:
    app.command("init")(init)
