"""A tolerance as text (a spec's ``marking`` block, a scheme file, ``--tolerance``), checked.

The text is ``shown`` (the default), ``absolute=A`` (or a bare number), ``relative=R`` (or
``relative=1%``), ``sigfigs=N`` or ``decimals=N``; ``:`` may stand for ``=``. What each mode
accepts is :mod:`derive.classroom.tolerance`'s business; here the text becomes a mode and an
exact amount, or one clear error.

>>> read_tolerance("relative=1%"), read_tolerance("sigfigs: 3"), read_tolerance("shown")
(('relative', Fraction(1, 100)), ('sigfigs', 3), ('shown', None))
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..errors import SpecError

MODES = ("shown", "absolute", "relative", "sigfigs", "decimals")
EXAMPLES = "shown, absolute=0.0005, relative=1%, sigfigs=3 or decimals=4"
MAX_PLACES = 30
MAX_AMOUNT = 1_000_000  # the largest number a spec may hold: a wider tolerance accepts any answer
_NUMBER = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"


def read_tolerance(text, *, field: str = "tolerance") -> tuple:
    """``(mode, amount)`` of a tolerance's text (a bare number is absolute; amount None for ``shown``).

    ``field`` names the setting in the error message (``--tolerance`` on a command line).

    >>> read_tolerance("0.0005")
    ('absolute', Fraction(1, 2000))
    >>> read_tolerance("loose")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: tolerance must be one of shown, absolute=0.0005, relative=1%, sigfigs=3 or decimals=4; got 'loose'
    """
    raw = str(text).strip()
    if raw in ("shown", "default"):
        return "shown", None
    if re.fullmatch(_NUMBER, raw):
        return "absolute", _amount(raw, raw, field)
    match = re.fullmatch(rf"(absolute|relative|sigfigs|decimals)\s*[:=]\s*({_NUMBER})(%?)", raw)
    if match:
        mode, number, percent = match.groups()
        if mode in ("sigfigs", "decimals"):
            lowest = 1 if mode == "sigfigs" else 0
            if number.isdigit() and not percent and lowest <= int(number) <= MAX_PLACES:
                return mode, int(number)
        elif not percent or mode == "relative":
            return mode, _amount(number, raw, field) / (100 if percent else 1)
    raise SpecError(f"must be one of {EXAMPLES}; got {raw[:40]!r}", field=field)


def _amount(number: str, raw: str, field: str) -> Fraction:
    """The number's exact value; its exponent bounded first (1e100000000 would be 100 million digits)."""
    exponent = re.search(r"[eE]([-+]?[0-9]+)$", number)
    if exponent and (len(exponent.group(1).lstrip("+-")) > 3 or abs(int(exponent.group(1))) > 100):
        raise SpecError(f"must be a decimal number with an exponent of at most 100 ({EXAMPLES}); got {raw[:40]!r}",
                        field=field)
    value = Fraction(number)
    if value > MAX_AMOUNT:
        raise SpecError(f"must be at most {MAX_AMOUNT}; got {raw[:40]!r}", field=field)
    return value
