"""Numbered file reads, build/test output, repeated lines and long output."""

from __future__ import annotations

import re

from ninerouter.rtk.lines import dropped, has_error, is_important, shape

NUMBERED = re.compile(r"^\s*(\d+)(\t|→| ?\| ?|: ?)(.*)$")


def numbered(lines: list[str]) -> str:
    """cat -n style reads: line numbers kept without their padding, and a run of blank lines
    becomes one `first-last` line. The text of every other line is kept byte for byte (trailing
    spaces included), so an editor tool's exact-match `old_string` still finds it."""
    out: list[str] = []
    blank: list[tuple[str, str]] = []

    def flush() -> None:
        if len(blank) == 1:
            out.append(blank[0][0] + blank[0][1].rstrip(" "))
        elif blank:
            out.append(f"{blank[0][0]}-{blank[-1][0]}{blank[0][1].rstrip(' ')}")
        blank.clear()

    for line in lines:
        found = NUMBERED.match(line)
        if found and not found[3].strip():
            blank.append((found[1], found[2]))
            continue
        flush()
        out.append(f"{found[1]}{found[2]}{found[3]}" if found else line)
    flush()
    return "\n".join(out)


BUILD_SIGNS = re.compile(
    r"^=+ .*(?:test session starts|FAILURES|ERRORS|short test summary|passed|failed).*=+$"
    r"|^(?:PASS|FAIL) \S|^Tests?:\s+\d|^Test Suites:|^npm (?:ERR!|WARN|error|warn)|^> \S+@\S+ "
    r"|^\s*(?:Compiling|Finished|Checking|Downloaded|Downloading|Collecting|Installing) \S"
    r"|^error(?:\[E\d+\])?: |^warning: |error TS\d+|^make(?:\[\d+\])?: |^\[(?:INFO|ERROR|WARN\w*)\] "
    r"|BUILD (?:SUCCESS|FAILED|SUCCESSFUL)|^(?:ok|FAIL|---|===) |^Traceback \(most recent|"
    r"^Successfully (?:installed|built)|webpack \d|compiled (?:successfully|with)|^\s*✓ "
)
PROGRESS = re.compile(
    r"\d+(?:\.\d+)?\s*%|\[[=#>.\s-]{6,}\]|^\s*(?:Compiling|Checking|Downloading|Downloaded|"
    r"Fetching|Installing|Resolving|Collecting|Using cached|Requirement already|Building|"
    r"Updating|Unpacking|Preparing|Linking|Extracting|Progress|PASS|ok|✓)\b|"
    r"^\S+\.py [.sxX]+\s*$|^\S+::\S+ PASSED|^npm (?:http|timing|sill|verb) "
)
_SUMMARY = re.compile(
    r"^=+ .* =+$|^_+ .* _+$|^(?:Tests?|Test Suites|Snapshots|Time):|\b\d+ (?:passed|failed|"
    r"errors?|warnings?|skipped|tests?)\b|BUILD |^(?:Finished|Done|Successfully)\b"
)
CONTEXT = 3  # lines kept before and after an error line
KEEP_RUN = 8  # a run of ordinary lines with up to this many non-blank ones is kept whole


def build(lines: list[str]) -> str:
    """Keep error lines with CONTEXT lines around them, summaries, head and tail; drop progress;
    a long run of ordinary lines becomes a note."""
    keep = [False] * len(lines)
    for i, line in enumerate(lines):
        if is_important(line):
            for j in range(max(0, i - CONTEXT), min(len(lines), i + CONTEXT + 1)):
                keep[j] = True
        elif _SUMMARY.search(line[:500]) or i < 3 or i >= len(lines) - 3:
            keep[i] = True
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and not keep[j] and not PROGRESS.search(lines[j][:500]):
            j += 1
        if sum(1 for k in range(i, j) if lines[k].strip()) <= KEEP_RUN:
            for k in range(i, j):
                keep[k] = True
        i = j + 1
    return "\n".join(_emit(lines, keep))


def _emit(lines: list[str], keep: list[bool]) -> list[str]:
    out: list[str] = []
    gap = 0
    for line, kept in zip(lines, keep, strict=True):
        if kept:
            if gap:
                out.append(dropped(gap))
                gap = 0
            out.append(line)
        else:
            gap += 1
    if gap:
        out.append(dropped(gap))
    return out


REPEAT_MIN = 3  # identical lines
SHAPE_MIN = 4  # same-shape lines (numbers differ)
SHAPE_MAX = 1_000  # longer lines are only collapsed when identical


def dedup(lines: list[str]) -> list[str]:
    """Runs of identical lines → the line + "(repeated N times)"; runs of lines differing only
    in numbers → the first + "(repeated N times with varying numbers, last below)" + the last.
    Lines with an error marker or a file:line reference are only collapsed when identical."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        j = i + 1
        while j < len(lines) and lines[j] == line:
            j += 1
        if j - i >= REPEAT_MIN and line.strip():
            out.append(f"{line}  (repeated {j - i} times)")
            i = j
            continue
        if line.strip() and len(line) <= SHAPE_MAX and not is_important(line):
            key = shape(line)
            j = i + 1
            while j < len(lines) and shape(lines[j]) == key and not is_important(lines[j]):
                j += 1
            if j - i >= SHAPE_MIN and key != line:
                out.append(f"{line}  (repeated {j - i} times with varying numbers, last below)")
                out.append(lines[j - 1])
                i = j
                continue
        if line.strip() or not out or out[-1].strip():
            out.append(line)
        i += 1
    return out


def overwritten(line: str) -> str:
    """A line redrawn with carriage returns shows only its last part (unless any part is an
    error line)."""
    if "\r" not in line or has_error(line):
        return line
    parts = [p for p in line.split("\r") if p.strip()]
    return parts[-1] if parts else ""


LONG = 12_000  # characters: above this the middle is dropped
HEAD = 4_000
TAIL = 4_000
LONG_LINE = 2_000  # a longer ordinary line is cut in the middle


def long_output(lines: list[str]) -> list[str]:
    """Keep about HEAD characters of lines at the start and TAIL at the end, plus every error
    line and file:line reference in between; the rest becomes "... (N lines dropped)"."""
    if sum(len(line) + 1 for line in lines) <= LONG:
        return lines
    lines = [_cut(line) for line in lines]
    keep = [is_important(line) for line in lines]
    used = 0
    for i, line in enumerate(lines):
        if used > HEAD:
            break
        keep[i], used = True, used + len(line) + 1
    used = 0
    for i in range(len(lines) - 1, -1, -1):
        if used > TAIL:
            break
        keep[i], used = True, used + len(lines[i]) + 1
    return _emit(lines, keep)


def _cut(line: str) -> str:
    if len(line) <= LONG_LINE or is_important(line):
        return line
    middle = len(line) - LONG_LINE
    return (
        f"{line[: LONG_LINE // 2]} ... ({middle} characters dropped) ... {line[-LONG_LINE // 2 :]}"
    )
