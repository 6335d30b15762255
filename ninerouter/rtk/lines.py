"""Shared line tests: what counts as an error line or a file:line reference, and note wording."""

from __future__ import annotations

import re

# A line with a word starting with one of these (any case), a pytest `E   ` line or a cross mark
# is an "error line": no filter ever drops it.
_ERROR_WORDS = (
    "err", "warn", "fail", "traceback", "panic", "assert", "exception", "fatal", "critical",
    "segfault",
)  # fmt: skip
ERROR = re.compile(rf"(?i)\b(?:{'|'.join(_ERROR_WORDS)})|^E {{2,}}\S|[✗✖✘]")
# A reference to a place in a file: path:line, path(line,col), Python's File "x", line N.
FILE_REF = re.compile(
    r"(?<![\w./\\~@+-])[\w./\\~@+-]*\.[A-Za-z]\w{0,9}(?::\d+|\(\d+,\s*\d+\))"
    r"|File \"[^\"]+\", line \d+"
)
# The same, only to test for one (anchored on the extension: much faster on long lines).
_HAS_REF = re.compile(r"\.[A-Za-z]\w{0,9}(?::\d|\(\d+,\s*\d)|, line \d")
_TOKENISH = re.compile(r"[A-Za-z]+|[0-9]{1,3}|[^\w\s]+|\n+|[^\x00-\x7f]")
_SHAPE = re.compile(r"0x[0-9a-fA-F]+|(?<![0-9a-fA-F])[0-9a-fA-F]*\d[0-9a-fA-F]*")


def has_error(line: str) -> bool:
    """ERROR.search, with plain substring tests first (the regex is slow on long lines)."""
    low = line.lower()
    if any(word in low for word in _ERROR_WORDS) or line.startswith("E ") or not line.isascii():
        return bool(ERROR.search(line))
    return False


def is_important(line: str) -> bool:
    """True for a line no filter may drop: an error marker or a file:line reference."""
    if has_error(line):
        return True
    return ("(" in line or ":" in line or ", line " in line) and bool(_HAS_REF.search(line))


def shape(line: str) -> str:
    """The line with every number (decimal or hex) replaced by '#': same-shape lines collapse."""
    return " ".join(_SHAPE.sub("#", line).split())


def split_lines(text: str) -> list[str]:
    """Lines without their terminators; a final newline does not make an extra empty line."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def dropped(count: int, what: str = "lines") -> str:
    return f"... ({count} {what} dropped)"


def rough_tokens(text: str) -> int:
    """A crude token count (words, 3-digit groups, punctuation runs, line breaks, non-ASCII
    characters); callers that can should pass ninerouter.translate.tokens.estimate_text."""
    return len(_TOKENISH.findall(text)) if text else 0
