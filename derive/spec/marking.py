"""A marking scheme's settings checked (a spec's ``marking`` block, or a scheme file; part of :mod:`.validate`).

``check`` is the validator's checker (field paths, file:line errors), passed in as in
:mod:`.conventions`. Quantity names are kept as written, with their lines: only the network
(in :mod:`derive.classroom.scheme`) knows which quantities there are.
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import SpecError
from .checker import describe
from .model import MARKING_KEYS, Marking
from .source import Num
from .tolerance import read_tolerance


def read_marking(check, value, path: tuple = ()) -> Marking:
    """The settings of a marking block at ``path`` of the checker's document.

    >>> from derive.spec.checker import Checker
    >>> from derive.spec.source import parse_text
    >>> doc = parse_text("tolerance: relative=1%\\ntolerances: {E_total: sigfigs=3}\\nfollow_through: 0.5\\n")
    >>> m = read_marking(Checker(doc), doc.data)
    >>> m.tolerance, m.tolerances, m.follow_through, m.points
    (('relative', Fraction(1, 100)), (('E_total', ('sigfigs', 3), 2),), Fraction(1, 2), ())
    """
    if not isinstance(value, dict):
        check.fail(path, f"must be a mapping of scheme settings ({', '.join(MARKING_KEYS)}); got {describe(value)}")
    for name in value:
        if name not in MARKING_KEYS:
            check.fail(path + (name,), f"is not a scheme setting; the settings are {', '.join(MARKING_KEYS)}")
    found = {}
    if "tolerance" in value:
        found["tolerance"] = _tolerance(check, value["tolerance"], path + ("tolerance",))
    for name, reader in (("tolerances", _tolerance), ("points", _points)):
        table = value.get(name, {})
        if not isinstance(table, dict):
            check.fail(path + (name,), f"must map quantity names to values; got {describe(table)}")
        found[name] = tuple((str(q), reader(check, v, path + (name, q)), check.line(path + (name, q)))
                            for q, v in table.items())
    if "default_points" in value:
        found["default_points"] = _points(check, value["default_points"], path + ("default_points",))
    for name in ("follow_through", "rounding"):
        if name in value:
            found[name] = _share(check, value[name], path + (name,))
    return Marking(**found, source=check.doc.source, path=path)


def _tolerance(check, value, path) -> tuple:
    try:
        return read_tolerance(value.text if isinstance(value, Num) else value)
    except SpecError as err:
        check.fail(path, err.message)


def _points(check, value, path) -> Fraction:
    if isinstance(value, Num) and not isinstance(value, bool) and 0 <= Fraction(value.text) <= 10**6:
        return Fraction(value.text)
    check.fail(path, f"must be a number of points from 0 to 1000000; got {_shown(value)}")


def _share(check, value, path) -> Fraction:
    if isinstance(value, bool):
        return Fraction(int(value))
    if isinstance(value, Num) and 0 <= Fraction(value.text) <= 1:
        return Fraction(value.text)
    check.fail(path, f"must be a number from 0 to 1 (or true/false); got {_shown(value)}")


def _shown(value) -> str:
    return value.text if isinstance(value, Num) else repr(value)[:40]
