"""Reading rendered worked solutions back: the numbered equations of a Markdown or LaTeX document."""

from __future__ import annotations

import re

_TAG = re.compile(r"\\tag\{(\d+)\}")
_BEGIN = "\\begin{aligned}"
# The LaTeX document's wrapper around a line holding a matrix (scaled to fit when too wide): layout, not math.
_FIT_LINE = re.compile(r"\\fitline\{(.*)\}(?=( \\\\)?$)", re.MULTILINE)


def equations(text: str) -> dict[int, str]:
    """Equation number -> the text of its aligned block, for Markdown and LaTeX alike."""
    found = {}
    position = 0
    for match in _TAG.finditer(text):
        start = text.rfind(_BEGIN, position, match.start())
        assert start >= 0, f"equation ({match.group(1)}) has no aligned block"
        number = int(match.group(1))
        assert number not in found, f"equation ({number}) appears twice"
        found[number] = _FIT_LINE.sub(r"\1", text[start:match.start()])
        position = match.end()
    return found


def last_line(block: str) -> str:
    """The final right-hand side of an aligned block (its value)."""
    lines = [line.strip() for line in block.replace("\\end{aligned}", "").splitlines() if line.strip()]
    return lines[-1].removesuffix("\\\\").strip()


def printed(value: str) -> str:
    """A published number as the document prints it: trailing zeros dropped, "-" for minus."""
    value = value.replace("\u2212", "-")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value
