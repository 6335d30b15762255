"""shrink(): pick a filter by looking at the whole text (up to SCAN_LIMIT), apply it, and keep
the result only when it saves at least MIN_SAVING of the characters."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from ninerouter.rtk import git, listing, output
from ninerouter.rtk.lines import split_lines

MIN_CHARS = 400  # shorter texts are left alone
MIN_SAVING = 0.10  # a result must be at least this much shorter
SCAN_LIMIT = 2 * 1024 * 1024  # longer texts only get the generic treatment
PROBE = 4096  # a longer line counts as "other" in the shape tests

_DIFFISH = re.compile(
    r"^(?:[ +\-\\]|@@ |diff |index |--- |\+\+\+ |(?:new|deleted) file mode |"
    r"old mode |new mode |similarity index |rename (?:from|to) |Binary files )"
)
_PATHISH = re.compile(r"^(?:\./|/|~/)?[^\s:*?\"<>|/]+(?:/[^\s:*?\"<>|/]+)+/?$|^\./\S.*$")


@dataclass(frozen=True)
class Shrunk:
    text: str
    filter: str


def _share(lines: list[str], test: Callable[[str], object]) -> float:
    body = [line for line in lines if line.strip()]
    return sum(1 for line in body if len(line) <= PROBE and test(line)) / len(body) if body else 0.0


def _first(lines: list[str], test: Callable[[str], object]) -> int:
    return next((i for i, line in enumerate(lines) if test(line)), len(lines))


def detect(lines: list[str]) -> str | None:
    """The name of the filter that fits the whole text, or None (then the generic one)."""
    start = _first(lines, git.COMMIT.match)
    if start <= 3 and any(line.startswith(("Author: ", "Date: ")) for line in lines[: start + 4]):
        return "git-log"
    start = _first(lines, lambda s: s.startswith(("diff --git ", "--- ")) or git.HUNK.match(s))
    if (
        start <= 3
        and any(map(git.HUNK.match, lines))
        and _share(lines[start:], _DIFFISH.match) >= 0.95
    ):
        return "git-diff"
    if any(line.startswith(git.STATUS_MARKERS) for line in lines[:5]) or (
        len(lines) >= 3 and _share(lines, git.PORCELAIN.match) >= 0.9
    ):
        return "git-status"
    if (
        sum(1 for line in lines if listing.GREP.match(line)) >= 3
        and _share(lines, lambda s: listing.GREP.match(s) or s == "--" or re.search(r"-\d+-", s))
        >= 0.8
    ):
        return "grep"
    if len(lines) >= 10 and _share(lines, output.NUMBERED.match) >= 0.9:
        return "numbered"
    if _share(lines, listing.TREE.match) >= 0.5:
        return "tree"
    headers = sum(1 for line in lines if line.endswith(":") and not line.startswith(" "))
    if headers >= 2 and lines and lines[0].endswith(":"):
        return "ls-recursive"
    if _share(lines, lambda s: listing.LS_LONG.match(s) or re.match(r"^total \d", s)) >= 0.7:
        return "ls"
    if len(lines) >= 5 and _share(lines, _PATHISH.match) >= 0.9:
        return "find"
    if sum(1 for line in lines if output.BUILD_SIGNS.search(line[:500])) >= 2:
        return "build"
    return None


_FILTERS: dict[str, Callable[[list[str]], str]] = {
    "git-log": git.git_log,
    "git-diff": git.git_diff,
    "git-status": git.git_status,
    "grep": listing.grep,
    "numbered": output.numbered,
    "tree": listing.tree,
    "ls-recursive": listing.ls_recursive,
    "ls": listing.ls_long,
    "find": listing.group_paths,
    "build": lambda lines: "\n".join(
        output.long_output(output.build(output.dedup(lines)).split("\n"))
    ),
}


def generic(lines: list[str]) -> str:
    """Redrawn lines, repeated lines and the middle of long output."""
    return "\n".join(output.long_output(output.dedup([output.overwritten(s) for s in lines])))


CACHE_TEXT_LIMIT = 64 * 1024


def shrink_detail(text: str) -> Shrunk | None:
    """The smaller text and the filter that made it, or None. A conversation re-sends its earlier
    tool outputs on every turn, so results for texts up to 64 KiB are remembered (pure memo)."""
    if len(text) < MIN_CHARS:
        return None
    if len(text) <= CACHE_TEXT_LIMIT:
        return _remembered(text)
    return _shrink_detail(text)


@functools.lru_cache(maxsize=256)
def _remembered(text: str) -> Shrunk | None:
    return _shrink_detail(text)


def _shrink_detail(text: str) -> Shrunk | None:
    lines = split_lines(text)
    kind = detect(lines) if len(text) <= SCAN_LIMIT else None
    if kind == "build":
        lines = [output.overwritten(line) for line in lines]
    candidates = [Shrunk(_FILTERS[kind](lines), kind)] if kind else []
    if kind in (None, "build"):
        # Structured outputs never fall back: the generic cut could drop file names.
        candidates.append(Shrunk(generic(lines), "generic"))
    limit = len(text) * (1 - MIN_SAVING)
    good = [c for c in candidates if c.text.strip() and len(c.text) <= limit]
    return good[0] if good else None


def shrink(text: str) -> str | None:
    """A smaller version of a tool output, or None when it cannot be shrunk by MIN_SAVING."""
    found = shrink_detail(text)
    return found.text if found else None
