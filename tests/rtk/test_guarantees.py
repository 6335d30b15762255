"""Property-style checks of shrink()'s guarantees over seeded random tool outputs."""

from __future__ import annotations

import random
import re
import string

import pytest

from ninerouter.rtk import shrink
from ninerouter.rtk.lines import ERROR, FILE_REF
from ninerouter.rtk.shrink import MIN_CHARS, MIN_SAVING
from tests.rtk.conftest import GOLDEN, load
from tests.rtk.test_listing import grouped_refs

SEEDS = range(60)


def _word(rnd: random.Random) -> str:
    return "".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(2, 10)))


def _path(rnd: random.Random) -> str:
    dirs = "/".join(_word(rnd) for _ in range(rnd.randint(0, 4)))
    name = f"{_word(rnd)}.{rnd.choice(['py', 'ts', 'rs', 'go', 'md'])}"
    return f"{dirs}/{name}" if dirs else name


def _line(rnd: random.Random, paths: list[str], kind: int | None = None) -> str:
    kind = rnd.randrange(9) if kind is None else kind
    if kind == 0:
        return f"{rnd.choice(paths)}:{rnd.randint(1, 999)}:{' '.join(_word(rnd) for _ in range(4))}"
    if kind == 1:
        return f"{rnd.randint(1, 9999):>6}\t{_word(rnd)} = {_word(rnd)}(){' ' * rnd.randint(0, 3)}"
    if kind == 2:
        return rnd.choice(["+", "-", " "]) + " ".join(_word(rnd) for _ in range(5))
    if kind == 3:
        return f"ERROR {_word(rnd)} failed with code {rnd.randint(1, 255)}"
    if kind == 4:
        return f"2024-05-06T14:00:{rnd.randint(0, 59):02d}Z INFO tick seq={rnd.randint(1, 99)}"
    if kind == 5:
        return ""
    if kind == 6:
        return "./" + rnd.choice(paths)
    if kind == 7:
        return "".join(rnd.choice(string.printable) for _ in range(rnd.randint(0, 120)))
    return " ".join(_word(rnd) for _ in range(rnd.randint(1, 14)))


def random_text(seed: int) -> str:
    rnd = random.Random(seed)
    paths = [_path(rnd) for _ in range(rnd.randint(1, 8))]
    pick = rnd.randrange(3)
    if pick == 0:  # one shape repeated: grep-like, log-like, numbered...
        kind = rnd.choice([0, 0, 1, 1, 2, 3, 4, 6, 8])
        return "\n".join(_line(rnd, paths, kind) for _ in range(rnd.randint(5, 900)))
    lines = [_line(rnd, paths) for _ in range(rnd.randint(1, 1500))]
    if pick == 1:
        lines = [line for line in lines for _ in range(rnd.randint(1, 4))]
    return "\n".join(lines) + "\n" * rnd.randint(0, 2)


def refs(text: str) -> set[tuple[str, str]]:
    """Every (path, line) of a text, in raw `path:N` form or in grouped grep form."""
    raw = {tuple(r.rsplit(":", 1)) for r in FILE_REF.findall(text) if ":" in r}
    return raw | grouped_refs(text)  # type: ignore[arg-type]


def _check(text: str) -> None:
    out = shrink(text)
    if out is None:
        return
    assert len(out) <= len(text) * (1 - MIN_SAVING)
    assert out.strip()
    assert refs(text) <= refs(out)
    flat = out.replace("\n  ", "\n")
    for line in text.split("\n"):
        if ERROR.search(line):
            kept = (
                line.rstrip() in out  # as is
                or line.split(":", 2)[-1].rstrip() in flat  # grouped grep text
                or line.split()[-1].rstrip("/").rsplit("/", 1)[-1] in out  # a listed name
            )
            assert kept, line


@pytest.mark.parametrize("seed", SEEDS)
def test_random_text_never_grows_and_keeps_refs_and_errors(seed: int) -> None:
    _check(random_text(seed))


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.in.txt")), ids=lambda p: p.name[:-7])
def test_fixtures_keep_refs_and_errors(path: object) -> None:
    _check(load(str(getattr(path, "name", ""))[:-7]))


def test_deterministic() -> None:
    for seed in range(10):
        text = random_text(seed)
        assert shrink(text) == shrink(text)
    assert shrink(load("git_diff")) == shrink(load("git_diff"))


def test_short_texts_are_left_alone() -> None:
    text = "src/a.py:1:x\n" * ((MIN_CHARS - 1) // 13)
    assert len(text) < MIN_CHARS and shrink(text) is None


def test_small_saving_returns_none() -> None:
    # Grouping two files' matches saves under 10 %: the text stays as is.
    text = "".join(f"a.py:{i}:{'x' * 80} {i}\nb.py:{i}:{'y' * 80} {i}\n" for i in range(10))
    assert shrink(text) is None


def test_incompressible_text_returns_none() -> None:
    rnd = random.Random(3)
    text = "\n".join(" ".join(_word(rnd) for _ in range(12)) for _ in range(100))
    assert len(text) < 12_000  # longer would get the long-output cut
    assert shrink(text) is None


def test_every_file_name_of_a_listing_is_kept() -> None:
    for seed in range(20):
        rnd = random.Random(seed)
        paths = sorted({"./" + _path(rnd) for _ in range(rnd.randint(5, 300))})
        text = "\n".join(paths) + "\n"
        out = shrink(text) or text
        names = set(re.split(r"[\s,:/]+", out))
        assert {p.rsplit("/", 1)[-1] for p in paths} <= names
