"""`ninerouter combo ...`: named, ordered lists of models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ninerouter.cli._console import JsonOpt, confirm, emit, message, open_store, print_table

if TYPE_CHECKING:
    from ninerouter.models import Combo
    from ninerouter.store import Store

app = typer.Typer(no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Combo name (or id).")]
KindOpt = Annotated[
    str | None, typer.Option("--kind", help="What the combo serves: llm (default), image, tts, …")
]
StrategyOpt = Annotated[
    str | None,
    typer.Option(
        "--strategy",
        help="This combo's strategy: fallback, round-robin or sticky (else settings comboStrategy).",
    ),
]


def _strategy(store: Store, combo: Combo) -> str:
    from ninerouter.services.combos import effective_strategy

    return effective_strategy(store.settings.get(), combo.name)


def _describe(combo: Combo, strategy: str) -> str:
    return f"'{combo.name}' ({strategy}): {', '.join(combo.models)}"


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name clients send as the model, e.g. KIRO.")],
    models: Annotated[
        list[str],
        typer.Option(
            "--model",
            "-m",
            help="A model string (PREFIX/MODEL, a bare model or another combo); repeat, in order.",
        ),
    ],
    kind: KindOpt = None,
    strategy: StrategyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create a combo. Nothing is written unless every check passes (names, models, loops)."""
    from ninerouter.services.combos import create_combo

    store = open_store(ctx)
    combo = create_combo(store, name, models, kind, strategy=strategy)
    effective = _strategy(store, combo)
    emit(
        ctx,
        json_out,
        combo.public(),
        lambda: message(f"created combo {_describe(combo, effective)}"),
    )


@app.command("list")
def list_(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """List combos with their models in order."""
    from ninerouter.services.combos import effective_strategy

    store = open_store(ctx)
    combos = store.combos.all()
    settings = store.settings.get()
    rows = [
        (c.name, c.kind or "", effective_strategy(settings, c.name), ", ".join(c.models))
        for c in combos
    ]
    emit(
        ctx,
        json_out,
        [c.public() for c in combos],
        lambda: print_table(
            ("NAME", "KIND", "STRATEGY", "MODELS"),
            rows,
            empty="no combos yet: create one with 'ninerouter combo create NAME --model PREFIX/MODEL'",
        ),
    )


@app.command("show")
def show(ctx: typer.Context, name: NameArg, json_out: JsonOpt = False) -> None:
    """Show one combo: its models in the order they are tried, and its effective strategy."""
    from ninerouter.services.combos import get_combo

    store = open_store(ctx)
    combo = get_combo(store, name)
    strategy = _strategy(store, combo)

    def human() -> None:
        print(f"name:     {combo.name}\nid:       {combo.id}\nkind:     {combo.kind or ''}")
        print(f"strategy: {strategy}\nmodels:")
        for position, model in enumerate(combo.models, 1):
            print(f"  {position}. {model}")

    emit(ctx, json_out, {**combo.public(), "strategy": strategy}, human)


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: NameArg,
    rename: Annotated[str | None, typer.Option("--rename", help="New name.")] = None,
    models: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Replace the model list (repeat, in order)."),
    ] = None,
    add: Annotated[
        list[str] | None, typer.Option("--add", help="Append a model (repeatable).")
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Drop a model (repeatable).")
    ] = None,
    kind: KindOpt = None,
    strategy: StrategyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change a combo. A rename carries its strategy and the references in other combos along."""
    from ninerouter.services.combos import edit_combo

    store = open_store(ctx)
    combo = edit_combo(store, name, rename, models, add, remove, kind, strategy=strategy)
    effective = _strategy(store, combo)
    emit(
        ctx,
        json_out,
        combo.public(),
        lambda: message(f"updated combo {_describe(combo, effective)}"),
    )


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: NameArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Delete a combo (and its strategy override). Refused while another combo includes it."""
    from ninerouter.services.combos import check_deletable, delete_combo, get_combo

    store = open_store(ctx)
    target = get_combo(store, name)
    check_deletable(store, target)
    confirm(f"Delete combo '{target.name}' ({len(target.models)} models)?", yes=yes)
    combo = delete_combo(store, target.id)
    emit(ctx, json_out, combo.public(), lambda: message(f"deleted combo '{combo.name}'"))
