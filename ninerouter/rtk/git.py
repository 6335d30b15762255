"""git diff, git status and git log filters: pure functions from lines to a smaller text."""

from __future__ import annotations

import re

from ninerouter.rtk.lines import dropped, is_important

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
_DIFF_GIT = re.compile(r"^diff --git (?:\"?a/)?(.+?)\"? (?:\"?b/)?(.+?)\"?$")
CONTEXT = 1  # unchanged lines kept on each side of a change (and every error line)


def _hunk(header: re.Match[str], body: list[str]) -> tuple[list[str], int]:
    """One hunk re-cut into sub-hunks holding the changes plus CONTEXT lines around them."""
    old, new = int(header[1]), int(header[3])
    changed = [i for i, line in enumerate(body) if line[:1] in ("+", "-", "\\")]
    keep = [False] * len(body)
    for i in changed:
        for j in range(max(0, i - CONTEXT), min(len(body), i + CONTEXT + 1)):
            keep[j] = True
    for i, line in enumerate(body):
        keep[i] = keep[i] or is_important(line)  # error lines and file:line references stay
    if all(keep) or not changed:
        return [header[0], *body], 0
    out: list[str] = []
    group: list[str] = []
    counts = [0, 0, 0, 0]  # old start, old count, new start, new count
    first = True
    for i, line in enumerate(body):
        tag = line[:1]
        if keep[i]:
            if not group:
                counts = [old, 0, new, 0]
            group.append(line)
            counts[1] += tag in (" ", "", "-")
            counts[3] += tag in (" ", "", "+")
        if not keep[i] or i == len(body) - 1:
            if group:
                o0 = counts[0] - (counts[1] == 0)
                n0 = counts[2] - (counts[3] == 0)
                rest = header[5] if first else ""
                out.append(f"@@ -{o0},{counts[1]} +{n0},{counts[3]} @@{rest}")
                out.extend(group)
                group, first = [], False
        old += tag in (" ", "", "-")
        new += tag in (" ", "", "+")
    return out, len(body) - sum(keep)


def _hunk_body(lines: list[str], i: int, header: re.Match[str]) -> int:
    """Index just past the hunk starting at lines[i] (the line after its header)."""
    old_left = int(header[2]) if header[2] is not None else 1
    new_left = int(header[4]) if header[4] is not None else 1
    while i < len(lines) and (old_left > 0 or new_left > 0):
        tag = lines[i][:1]
        if tag in (" ", ""):
            old_left, new_left = old_left - 1, new_left - 1
        elif tag == "-":
            old_left -= 1
        elif tag == "+":
            new_left -= 1
        elif tag != "\\":
            break
        i += 1
    while i < len(lines) and lines[i].startswith("\\"):
        i += 1
    return i


def diff_lines(lines: list[str]) -> tuple[list[str], int]:
    """(compacted lines, context lines dropped) for unified-diff lines."""
    out: list[str] = []
    names: tuple[str, str] | None = None
    dropped_context = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        git = _DIFF_GIT.match(line)
        hunk = HUNK.match(line)
        if git:
            names = (git[1], git[2])
            out.append(line)
        elif line.startswith("index ") and names:
            pass  # blob hashes: the file names stay in the diff --git line
        elif names and line in (f"--- a/{names[0]}", f"+++ b/{names[1]}"):
            pass
        elif hunk:
            end = _hunk_body(lines, i + 1, hunk)
            kept, n = _hunk(hunk, lines[i + 1 : end])
            out.extend(kept)
            dropped_context += n
            i = end
            continue
        else:
            out.append(line)
        i += 1
    return out, dropped_context


def git_diff(lines: list[str]) -> str:
    out, n = diff_lines(lines)
    if n:
        out.append(dropped(n, "unchanged context lines"))
    return "\n".join(out)


_SECTIONS = {
    "Changes to be committed:": "staged",
    "Changes not staged for commit:": "unstaged",
    "Untracked files:": "untracked",
    "Unmerged paths:": "unmerged",
    "Ignored files:": "ignored",
}
_STATE = re.compile(
    r"^\t(modified|new file|deleted|renamed|copied|typechange|both modified|both added|"
    r"both deleted|added by us|added by them|deleted by us|deleted by them):\s+(.+)$"
)
PORCELAIN = re.compile(r"^([ MTADRCU?!]{2}) (\S.*)$")
_CODES = {
    "M ": "staged modified",
    " M": "modified",
    "MM": "staged+modified",
    "A ": "staged new",
    "AM": "staged new+modified",
    "D ": "staged deleted",
    " D": "deleted",
    "R ": "renamed",
    "RM": "renamed+modified",
    "C ": "copied",
    "UU": "conflict",
    "AA": "conflict (both added)",
    "??": "untracked",
    "!!": "ignored",
    " T": "typechange",
}
STATUS_MARKERS = ("On branch ", "HEAD detached ", "nothing to commit", *_SECTIONS)


def git_status(lines: list[str]) -> str:
    """Group paths by section and state (one line per group); hints and blank lines go."""
    groups: dict[str, list[str]] = {}
    out: list[str] = []
    section = ""
    for line in lines:
        if line in _SECTIONS:
            section = _SECTIONS[line]
            continue
        state = _STATE.match(line)
        porcelain = PORCELAIN.match(line)
        if not line.strip() or re.match(r"^\s+\(.*\)$", line):
            continue
        if state and section:
            groups.setdefault(f"{section} {state[1]}", []).append(state[2])
        elif section and line.startswith("\t"):
            groups.setdefault(section, []).append(line[1:])
        elif porcelain and not section:
            code = porcelain[1]
            groups.setdefault(_CODES.get(code, f"[{code}]"), []).append(porcelain[2])
        else:
            if groups:
                out.extend(f"{k} ({len(v)}): {', '.join(v)}" for k, v in groups.items())
                groups = {}
            out.append(line)
    out.extend(f"{k} ({len(v)}): {', '.join(v)}" for k, v in groups.items())
    return "\n".join(out)


COMMIT = re.compile(r"^commit ([0-9a-f]{7,40})(.*)$")
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_GIT_DATE = re.compile(r"^\w{3} (\w{3}) +(\d{1,2}) [\d:]+ (\d{4})")


def _date(value: str) -> str:
    found = _GIT_DATE.match(value)
    if found and found[1] in _MONTHS:
        return f"{found[3]}-{_MONTHS.index(found[1]) + 1:02d}-{int(found[2]):02d}"
    iso = re.match(r"^\d{4}-\d\d-\d\d", value)
    return iso[0] if iso else value


def git_log(lines: list[str]) -> str:
    """One line per commit (hash, date, subject, refs); stats kept; patches compacted; body
    lines dropped unless they mention an error or a file:line."""
    out: list[str] = []
    body_dropped = 0
    patch: list[str] = []
    i = 0

    def flush() -> None:
        nonlocal body_dropped
        if patch:
            compact, n = diff_lines(patch)
            out.extend(compact)
            body_dropped += n
            patch.clear()

    while i < len(lines):
        line = lines[i]
        commit = COMMIT.match(line)
        if not commit:
            if patch or line.startswith("diff --git "):
                patch.append(line)
            elif line.strip():
                out.append(line)
            i += 1
            continue
        flush()
        i += 1
        date, subject, refs = "", "", commit[2].strip()
        while i < len(lines) and re.match(r"^[A-Z][\w-]*: ", lines[i]):
            if lines[i].startswith(("Date: ", "AuthorDate: ")):
                date = _date(lines[i].split(":", 1)[1].strip())
            i += 1
        message: list[str] = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
            if lines[i].strip():
                message.append(lines[i].strip())
            i += 1
        subject = message[0] if message else ""
        out.append(" ".join(p for p in (commit[1][:12], date, subject, refs) if p))
        kept = [f"    {line}" for line in message[1:] if is_important(line)]
        out.extend(kept)  # body lines naming an error or a file:line stay
        body_dropped += max(0, len(message) - 1 - len(kept))
    flush()
    if body_dropped:
        out.append(dropped(body_dropped, "commit-body and context lines"))
    return "\n".join(out)
