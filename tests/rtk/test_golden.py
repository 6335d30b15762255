"""Every tests/golden/rtk/<case>.in.txt through shrink(); <case>.out.txt is what goes upstream
(the input itself when shrink() returns None)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ninerouter.rtk import shrink, shrink_detail
from tests.rtk.conftest import GOLDEN

CASES = [
    pytest.param(p, id=p.name.removesuffix(".in.txt")) for p in sorted(GOLDEN.glob("*.in.txt"))
]
# What each fixture must be detected as (None: left as is).
FILTERS = {
    "cat_n": None,  # cat -n of source code: < 10 % to gain, so it is left alone
    "find": "find",
    "git_diff": "git-diff",
    "git_log": "git-log",
    "git_log_patch": "git-log",
    "git_status": "git-status",
    "grep": "grep",
    "long_output": "generic",
    "ls_la": "ls-recursive",
    "ls_recursive": None,  # bare names one per line: nothing to gain
    "npm_build": "build",
    "pytest_failure": "build",
    "read_arrow": None,
    "repeated_log": "generic",
    "tree": "tree",
}


def test_every_fixture_is_listed() -> None:
    assert sorted(p.name.removesuffix(".in.txt") for p in GOLDEN.glob("*.in.txt")) == sorted(
        FILTERS
    )


@pytest.mark.parametrize("path", CASES)
def test_rtk_golden(path: Path, update_golden: bool) -> None:
    text = path.read_text()
    found = shrink_detail(text)
    actual = found.text if found else text
    assert (found.filter if found else None) == FILTERS[path.name.removesuffix(".in.txt")]
    assert len(actual) <= len(text)
    expected = path.with_name(path.name.replace(".in.txt", ".out.txt"))
    if update_golden or not expected.exists():
        expected.write_text(actual)
        if not update_golden:
            pytest.fail(f"{expected} was missing and has been written; review and re-run")
    assert actual == expected.read_text()
    assert shrink(text) == (found.text if found else None)
