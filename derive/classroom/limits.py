"""The classroom commands' limits and choices, in a module of constants only.

The command line builds its parser from these (``derive --help``), so they live apart from the
worksheet, exam and variant code, which load PyLaTeX, Jinja and the spec readers.
"""

from __future__ import annotations

import os

DEFAULT_DECIMALS = 6
DEFAULT_ASK = "forward,E_total,grad:*,updated:*"
# More variants than any class needs; a typo such as -n 100000 fails at once instead of grinding.
MAX_VARIANTS = 1000
KEY_STYLES = ("short", "full")
WORKSHEET_FORMATS = ("pdf", "moodle")
EXAM_FORMATS = ("pdf", "qti", "prairielearn")


def max_workers() -> int:
    """The most TeX runs at once: one per core (more only make each slower and use more memory).

    >>> max_workers() >= 1
    True
    """
    return os.cpu_count() or 1
