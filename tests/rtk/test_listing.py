"""grep, find, ls -la, ls -R and tree."""

from __future__ import annotations

import re

from ninerouter.rtk import detect, shrink
from ninerouter.rtk.lines import split_lines
from ninerouter.rtk.listing import grep, group_paths, ls_long, ls_recursive, tree
from tests.rtk.conftest import load

GREP_LINE = re.compile(r"^(\S+?):(\d+):", re.M)


def grouped_refs(out: str) -> set[tuple[str, str]]:
    """(path, line) pairs of a grouped grep output: a path line, then `  N: text` lines."""
    refs: set[tuple[str, str]] = set()
    path = ""
    for line in out.splitlines():
        found = re.match(r"^  (\d+)[:-] ", line)
        if found:
            refs.add((path, found[1]))
        elif line and not line.startswith(" "):
            path = line
    return refs


def test_grep_groups_by_file_and_keeps_every_line_number() -> None:
    text = load("grep")
    out = shrink(text)
    assert out is not None
    assert set(GREP_LINE.findall(text)) <= grouped_refs(out)
    assert out.count("translate/meta.py\n") == 1
    assert "  12: import hashlib" in out


def test_grep_context_lines_and_separators() -> None:
    text = (
        "src/app-core/router.py-10-def route(model):\n"
        "src/app-core/router.py:11:    prefix, _, name = model.partition('/')\n"
        "src/app-core/router.py-12-    return prefix\n"
        "--\n"
        "src/app-core/router.py:40:    prefix = prefix.lower()\n"
        "Binary file build/router.pyc matches\n"
    )
    out = grep(split_lines(text))
    assert out == (
        "src/app-core/router.py\n"
        "  10- def route(model):\n"
        "  11:     prefix, _, name = model.partition('/')\n"
        "  12-     return prefix\n"
        "  40:     prefix = prefix.lower()\n"
        "Binary file build/router.pyc matches"
    )


def test_timestamps_are_not_grep() -> None:
    text = "".join(f"2024-05-06T14:00:{i:02d}.000Z INFO tick {i}\n" for i in range(30))
    assert detect(split_lines(text)) != "grep"


def test_find_keeps_every_name_and_collapses_prefixes() -> None:
    text = load("find")
    out = shrink(text)
    assert out is not None
    for path in text.split():
        name = path.rsplit("/", 1)[-1]
        assert name in out, name
    assert "proxy/dashboard/static/: dashboard.css, dashboard.js, favicon.svg" in out


def test_group_paths_common_prefix() -> None:
    paths = [
        "/home/dev/project/src/ninerouter/rtk/git.py",
        "/home/dev/project/src/ninerouter/rtk/shrink.py",
        "/home/dev/project/src/ninerouter/translate/tokens.py",
        "/home/dev/project/src/ninerouter/__init__.py",
    ]
    assert group_paths(paths) == (
        "under /home/dev/project/src/ninerouter/\n"
        "rtk/: git.py, shrink.py\n"
        "translate/: tokens.py\n"
        "./: __init__.py"
    )


LS_LA = """\
total 64
drwxr-xr-x  6 dana staff   192 May  6 14:03 .
drwxr-xr-x 12 dana staff   384 May  6 13:50 ..
-rw-r--r--  1 dana staff  1234 May  6 14:03 Cargo.toml
-rw-r--r--  1 dana staff  5678 Apr 30  2023 README.md
-rwxr-xr-x  1 dana staff   812 May  6 14:01 build.sh
lrwxrwxrwx  1 dana staff    11 May  6 14:01 latest -> target/rel
drwxr-xr-x  4 dana staff   128 May  6 14:03 src
drwxr-xr-x 30 dana staff   960 May  6 14:03 node_modules
"""


def test_ls_la() -> None:
    out = ls_long(split_lines(LS_LA))
    assert out == (
        "Cargo.toml 1.2K\nREADME.md 5.5K\nbuild.sh* 812B\nlatest -> target/rel\nsrc/\nnode_modules/"
    )
    assert detect(split_lines(LS_LA)) == "ls"
    assert shrink(LS_LA * 3) is not None


def test_ls_la_fixture_keeps_every_name() -> None:
    text = load("ls_la")
    out = shrink(text)
    assert out is not None
    for line in text.splitlines():
        if line.startswith(("-", "d")) and not line.endswith((" .", " ..")):
            assert line.split()[-1] in out


def test_ls_recursive() -> None:
    text = ".:\nCargo.toml\nsrc\n\n./src:\nmain.rs\nlib.rs\n"
    assert ls_recursive(split_lines(text)) == "./: Cargo.toml, src\n./src/: main.rs, lib.rs"


def test_tree_keeps_every_name_and_the_summary() -> None:
    text = load("tree")
    out = shrink(text)
    assert out is not None
    for line in text.splitlines()[1:-2]:
        assert line.split("── ", 1)[1] in out
    assert out.endswith("24 directories, 118 files")
    small = ".\n├── src\n│   └── main.rs\n└── Cargo.toml\n\n1 directory, 2 files\n"
    assert tree(split_lines(small)) == "src/: main.rs\n./: Cargo.toml\n1 directory, 2 files"
