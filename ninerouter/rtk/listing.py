"""grep/rg matches and file listings (find, ls -l, ls -R, tree): group by file or directory."""

from __future__ import annotations

import re

GREP = re.compile(r"^(?=[^\s:]*[./])([^\s:]++):(\d+):(.*)$")
_GREP_CONTEXT = re.compile(r"-(\d+)-")


def grep(lines: list[str]) -> str:
    """`path:line:text` (and `path-line-text` context) → the path once, then `  line: text`."""
    groups: dict[str, list[str]] = {}
    rest: list[str] = []
    parsed: list[tuple[str, str] | None] = []
    for line in lines:
        found = GREP.match(line)
        parsed.append((found[1], f"  {found[2]}: {found[3].rstrip()}") if found else None)
        if found:
            groups.setdefault(found[1], [])
    for line, item in zip(lines, parsed, strict=True):
        if item is None:
            for ctx in _GREP_CONTEXT.finditer(line, 0, 1024):
                if line[: ctx.start()] in groups:
                    item = (line[: ctx.start()], f"  {ctx[1]}- {line[ctx.end() :].rstrip()}")
                    break
        if item is not None:
            groups[item[0]].append(item[1])
        elif line.strip() and line.strip() != "--":
            rest.append(line)
    out: list[str] = []
    for path, entries in groups.items():
        out.append(path)
        out.extend(entries)
    return "\n".join(out + rest)


def _prefix(dirs: list[str]) -> str:
    """The longest common directory prefix (ending in '/') of the given directories."""
    parts = [d.split("/") for d in dirs]
    common: list[str] = []
    for segment in zip(*parts, strict=False):
        if len(set(segment)) != 1:
            break
        common.append(segment[0])
    return "/".join(common) + "/" if common else ""


def group_paths(paths: list[str], footer: list[str] | None = None) -> str:
    """Paths grouped by directory (`dir/: a, b`), the shared prefix printed once.

    A path that is the parent of another one is implied by that one's group header and is not
    repeated; every other name stays.
    """
    paths = [p.rstrip("/") if len(p) > 1 else p for p in paths]
    parents = {p.rsplit("/", 1)[0] for p in paths if "/" in p}
    groups: dict[str, list[str]] = {}
    for path in paths:
        if path in parents:
            groups.setdefault(path, [])
            continue
        folder, _, name = path.rpartition("/")
        groups.setdefault(folder, []).append(name)
    prefix = _prefix([g for g in groups if g]) if len(groups) > 1 else ""
    if prefix in ("./", "/") or any(not g.startswith(prefix) and g + "/" != prefix for g in groups):
        prefix = ""
    out = [f"under {prefix}"] if prefix else []
    for folder, names in groups.items():
        if not names:
            continue
        rel = folder[len(prefix) :] if folder.startswith(prefix) else ""
        label = rel + "/" if rel else ("./" if prefix else (folder + "/" if folder else "./"))
        out.append(f"{label}: {', '.join(names)}")
    return "\n".join(out + (footer or []))


LS_LONG = re.compile(
    r"^([dlcbps-])([rwxsStT-]{9})[.@+]?\s+\d+\s+\S+\s+\S+\s+(\d+(?:[.,]\d+)?[KMGTP]?|\d+,\s*\d+)\s+"
    r"([A-Z][a-z]{2}\s+\d{1,2}\s+(?:\d{1,2}:\d{2}|\d{4})|\d{4}-\d\d-\d\d\s+\d\d:\d\d(?::\S+)?"
    r"(?:\s+[+-]\d{4})?)\s(.+)$"
)


def _size(raw: str) -> str:
    if not raw.isdigit():
        return raw
    value = float(raw)
    for unit in ("B", "K", "M", "G"):
        if value < 1024 or unit == "G":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return raw


def ls_entry(line: str) -> str | None:
    """One `ls -l` row as `name/`, `name -> target`, `name*` (executable) or `name size`."""
    found = LS_LONG.match(line)
    if not found:
        return None
    kind, mode, size, name = found[1], found[2], found[3], found[5]
    if name in (".", ".."):
        return ""
    if kind == "d":
        return name + "/"
    if kind == "l":
        return name
    exe = "*" if kind == "-" and "x" in mode else ""
    return f"{name}{exe} {_size(size)}" if kind == "-" else f"{name} ({kind})"


def ls_long(lines: list[str]) -> str:
    """ls -l / ls -la / ls -lR rows compacted; `total N` lines dropped, headers kept."""
    out: list[str] = []
    for line in lines:
        entry = ls_entry(line)
        if entry is None:
            if not re.match(r"^total \d", line) and line.strip():
                out.append(line)
        elif entry:
            out.append(entry)
    return "\n".join(out)


def ls_recursive(lines: list[str]) -> str:
    """ls -R: each `dir:` section becomes one line `dir/: a, b, c`."""
    out: list[str] = []
    header: str | None = None
    names: list[str] = []
    for line in [*lines, ""]:
        if header is None and line.endswith(":") and line.strip():
            header, names = line[:-1], []
        elif header is not None and not line.strip():
            out.append(f"{header.rstrip('/')}/: {', '.join(names)}")
            header = None
        elif header is not None:
            entry = ls_entry(line)
            if entry is None and not re.match(r"^total \d", line):
                names.append(line.strip())
            elif entry:
                names.append(entry)
        elif line.strip():
            out.append(line)
    return "\n".join(out)


TREE = re.compile(r"^((?:│   |\|   |    )*)(├── |└── |\|-- |`-- )(.*)$")


def tree(lines: list[str]) -> str:
    """tree output → paths → grouped like find; the root and the summary line are kept."""
    paths: list[str] = []
    stack: list[str] = []
    other: list[str] = []
    root = ""
    for line in lines:
        found = TREE.match(line)
        if not found:
            if line.strip() and not paths and not root:
                root = line.strip()
            elif line.strip():
                other.append(line)
            continue
        depth = len(found[1]) // 4
        del stack[depth:]
        stack.append(found[3])
        paths.append("/".join(stack))
    base = root.rstrip("/") + "/" if root and root != "." else ""
    return group_paths([base + p for p in paths], other)
