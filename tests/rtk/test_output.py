"""Numbered reads, build/test output, repeated lines, long output, and detection."""

from __future__ import annotations

import re

from ninerouter.rtk import detect, shrink, shrink_detail
from ninerouter.rtk.lines import ERROR, FILE_REF, split_lines
from ninerouter.rtk.output import dedup, long_output, numbered
from tests.rtk.conftest import load


def test_numbered_read_drops_padding_collapses_blank_runs_and_keeps_text_exact() -> None:
    lines = ["def main():   ", "    run()\t", "", "", "", "", "class App:", "    pass  "] * 30
    text = "".join(f"{i:>6}\t{line}\n" for i, line in enumerate(lines, 1))
    out = shrink(text)
    assert out is not None and detect(split_lines(text)) == "numbered"
    assert out.splitlines()[:5] == [
        "1\tdef main():   ",
        "2\t    run()\t",
        "3-6\t",
        "7\tclass App:",
        "8\t    pass  ",
    ]
    numbers = {
        int(n)
        for a, b in re.findall(r"^(\d+)(?:-(\d+))?\t", out, re.M)
        for n in range(int(a), int(b or a) + 1)
    }
    assert numbers == set(range(1, len(lines) + 1))


def test_numbered_formats() -> None:
    assert numbered(["    12→x = 1  ", "    13→", "    14→"]) == "12→x = 1  \n13-14→"
    assert numbered(["12: a", "13 | b "]) == "12: a\n13 | b "


def test_numbered_detected_on_long_reads() -> None:
    # 9Router looked at 1 KiB only and saw a dedup-log here; the whole text is a numbered read.
    text = "".join(f"{i:>6}→  value = {i}   \n" for i in range(1, 401))
    assert shrink_detail(text).filter == "numbered"  # type: ignore[union-attr]


def _kept(text: str, out: str) -> None:
    """Every error line and every file:line reference of text is in out."""
    for line in text.splitlines():
        if ERROR.search(line):
            assert line in out, line
    assert set(FILE_REF.findall(text)) <= set(FILE_REF.findall(out))


def test_pytest_failure_keeps_failures_and_summary() -> None:
    text = load("pytest_failure")
    out = shrink(text)
    assert out is not None
    _kept(text, out)
    assert "=================== 2 failed, 100 passed, 1 skipped in 0.41s ===================" in out
    assert "tests/test_router.py:15: AssertionError" in out
    assert "PASSED" in out and out.count("PASSED") < 10


def test_npm_build_keeps_errors() -> None:
    text = load("npm_build")
    out = shrink(text)
    assert out is not None
    _kept(text, out)
    assert "src/lib/api.ts(118,5): error TS2345" in out
    assert "building modules 74/1443" not in out


def test_repeated_identical_and_same_shape_lines() -> None:
    lines = ["GET /health 200"] * 5 + [f"worker {i} ready in {i * 3} ms" for i in range(6)]
    assert dedup(lines) == [
        "GET /health 200  (repeated 5 times)",
        "worker 0 ready in 0 ms  (repeated 6 times with varying numbers, last below)",
        "worker 5 ready in 15 ms",
    ]


def test_same_shape_error_lines_are_not_merged() -> None:
    lines = [f"src/app.py:{i}: error: bad value" for i in range(10, 20)]
    assert dedup(lines) == lines


def test_repeated_log_fixture() -> None:
    text = load("repeated_log")
    out = shrink(text)
    assert out is not None
    _kept(text, out)
    assert out.count("(repeated 8 times)") == 6


def test_long_output_keeps_head_tail_and_important_lines() -> None:
    text = load("long_output")
    out = shrink(text)
    assert out is not None
    _kept(text, out)
    assert "0400 see config/providers.yaml:88 for the override that applies here" in out
    assert out.startswith("0000 ") and out.rstrip().endswith(text.splitlines()[-1])
    notes = re.findall(r"^\.\.\. \((\d+) lines dropped\)$", out, re.M)
    kept = len(out.splitlines()) - len(notes)
    assert kept + sum(map(int, notes)) == len(text.splitlines())


def test_long_line_is_cut_in_the_middle() -> None:
    lines = ["x" * 30_000]
    out = long_output(lines)
    assert len(out[0]) < 2100 and "(28000 characters dropped)" in out[0]


def test_carriage_return_progress_keeps_last_frame() -> None:
    text = "".join(f"\rDownloading model.bin {p}%" for p in range(100)) + "\ndone\n"
    text = text * 3
    out = shrink(text)
    assert (
        out is not None
        and "Downloading model.bin 99%" in out
        and "Downloading model.bin 5%" not in out
    )


def test_detection_uses_the_whole_text() -> None:
    head = "".join(f"src/a{i}.py:{i}:match {i}\n" for i in range(5))
    prose = "".join(
        f"this is an ordinary sentence number {i} without structure\n" for i in range(200)
    )
    assert detect(split_lines(head + prose)) is None
    late_error = prose * 2 + "FATAL: disk full on /var/lib/data\n" + prose * 2
    out = shrink(late_error)
    assert out is not None and "FATAL: disk full on /var/lib/data" in out
