"""git diff, git status and git log filters."""

from __future__ import annotations

import difflib
import re

from ninerouter.rtk import detect, shrink, shrink_detail
from ninerouter.rtk.git import HUNK, git_diff, git_log, git_status
from ninerouter.rtk.lines import split_lines
from tests.rtk.conftest import load


def _source(n: int) -> list[str]:
    return [
        f"    value_{i} = compute(item_{i}, scale={i % 7})  # step {i}" for i in range(1, n + 1)
    ]


def _diff(old: list[str], new: list[str], path: str = "src/app/core.py") -> str:
    body = difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", lineterm="", n=3)
    return f"diff --git a/{path} b/{path}\nindex 3f2a9c1..8b7d6a5 100644\n" + "\n".join(body) + "\n"


def test_diff_keeps_every_change_and_one_context_line() -> None:
    old = _source(200)
    new = list(old)
    new[20] = "    value_21 = compute(item_21, scale=0)  # fixed"
    del new[120]
    new.insert(150, "    extra = True")
    text = _diff(old, new)
    out = shrink(text)
    assert out is not None and shrink_detail(text).filter == "git-diff"  # type: ignore[union-attr]
    changes = [s for s in text.splitlines() if s[:1] in "+-" and not s.startswith(("---", "+++"))]
    assert all(line in out.splitlines() for line in changes)
    assert out.startswith("diff --git a/src/app/core.py b/src/app/core.py\n@@ ")
    assert "index 3f2a9c1" not in out and "--- a/src" not in out
    assert re.search(r"\.\.\. \(\d+ unchanged context lines dropped\)$", out)


def test_diff_hunk_headers_point_at_the_right_lines() -> None:
    old = _source(120)
    new = list(old)
    for i in (10, 14, 60, 61, 100):
        new[i] = new[i].replace("compute", "recompute")
    new.insert(90, "    inserted = 1")
    out = git_diff(split_lines(_diff(old, new)))
    hunks = 0
    lines = out.splitlines()
    for i, line in enumerate(lines):
        found = HUNK.match(line)
        if not found:
            continue
        hunks += 1
        o, n = int(found[1]), int(found[3])
        for body in lines[i + 1 :]:
            if body.startswith(("@@", "...")):
                break
            if body[:1] in " -":
                assert old[o - 1] == body[1:]
                o += 1
            if body[:1] in " +":
                assert new[n - 1] == body[1:]
                n += 1
    assert hunks >= 4  # the 3-line-context hunks were re-cut around each change


def test_diff_fixture_keeps_file_headers() -> None:
    text = load("git_diff")
    out = shrink(text)
    assert out is not None
    for name in re.findall(r"^diff --git (.*)$", text, re.M):
        assert f"diff --git {name}" in out
    assert "deleted file mode 100644" in out


def test_diff_detected_past_the_first_kib() -> None:
    old, new = _source(300), _source(300)
    new[250] = "    changed = True"
    text = _diff(old, new)
    assert detect(split_lines(text)) == "git-diff"
    assert "+    changed = True" in (shrink(text) or "")


def test_status_long_form_groups_and_keeps_every_path() -> None:
    text = load("git_status")
    out = git_status(split_lines(text))
    assert out == (
        "On branch main\n"
        "staged deleted (1): redact.py\n"
        "staged modified (1): translate/tokens.py\n"
        "unstaged modified (2): proxy/chat.py, translate/sse.py\n"
        "untracked (3): NOTES.txt, redact.py, scratch/"
    )
    assert shrink(text) == out


def test_status_porcelain() -> None:
    paths = [f"src/module_{i}/handlers/request_handler_{i}.py" for i in range(12)]
    text = "## main...origin/main [ahead 2]\n" + "".join(
        f"{code} {p}\n" for code, p in zip([" M", "M ", "??", "A "] * 3, paths, strict=True)
    )
    out = git_status(split_lines(text))
    assert out.splitlines()[0] == "## main...origin/main [ahead 2]"
    assert out.splitlines()[1].startswith("modified (3): src/module_0/")
    assert all(p in out for p in paths)


def test_log_one_line_per_commit() -> None:
    text = load("git_log")
    out = shrink(text)
    assert out is not None
    hashes = re.findall(r"^commit ([0-9a-f]{40})", text, re.M)
    lines = out.splitlines()
    assert len(lines) == len(hashes) + 1
    assert lines[0] == "6f75ab05f588 2024-05-09 Keep meta in sync with the design"
    assert all(h[:12] in out for h in hashes)
    assert lines[-1] == "... (16 commit-body and context lines dropped)"


def test_log_with_patches_keeps_the_compacted_diff() -> None:
    text = load("git_log_patch")
    out = git_log(split_lines(text))
    assert "diff --git a/translate/meta.py b/translate/meta.py" in out
    assert "+# touched: keep translate/meta.py in sync with DESIGN.md" in out
    assert "Author:" not in out


def test_log_dates_and_refs() -> None:
    text = (
        "commit 0123456789abcdef0123456789abcdef01234567 (HEAD -> main, tag: v1.2)\n"
        "Merge: 1111111 2222222\nAuthor: A <a@x>\nDate:   Tue Jan 2 09:00:00 2024 +0000\n\n"
        "    Merge branch 'feature'\n\n    Long body line one\n    Long body line two\n"
    ) * 4
    text = text.replace("Long body line two", "Fixes the panic at src/relay.py:88")
    out = git_log(split_lines(text))
    assert "    Fixes the panic at src/relay.py:88" in out  # error lines in bodies stay
    assert out.splitlines()[0] == (
        "0123456789ab 2024-01-02 Merge branch 'feature' (HEAD -> main, tag: v1.2)"
    )
