"""A marking scheme: points per quantity, credit for follow-through and rounding, tolerances.

A scheme is a YAML or JSON file (read by the project's safe reader) or a dict; every key is
optional::

    tolerance: shown           # the default tolerance (derive.classroom.tolerance)
    tolerances:                # per quantity
      grad_w1: relative=1%
    points:                    # per quantity (a step of the solution is a quantity); default 1
      E_total: 2
      grad_w5: 3
    default_points: 1
    follow_through: 1          # share of the points for a claim right from the student's own
                               # earlier values (0 or false: no follow-through credit)
    rounding: 1                # share of the points for a rounding difference within the tolerance

Quantity names are the claims file's (``dE/dw1`` is ``grad_w1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import SpecError
from ..spec.claims import resolve_name
from ..spec.source import Num, from_python, parse_text, read_document
from .tolerance import DEFAULT, Tolerance, parse_tolerance

KEYS = ("tolerance", "tolerances", "points", "default_points", "follow_through", "rounding")


@dataclass(frozen=True)
class Scheme:
    """How claims are marked. :data:`DEFAULT_SCHEME` gives 1 point per quantity and full credit.

    >>> s = Scheme(points={"E_total": Fraction(2)}, follow_through=Fraction(1, 2))
    >>> s.credit("E_total", "follow_through"), s.credit("out_o1", "ok"), s.credit("out_o1", "wrong")
    (Fraction(1, 1), Fraction(1, 1), Fraction(0, 1))
    """

    tolerance: Tolerance = DEFAULT
    tolerances: dict = field(default_factory=dict)
    points: dict = field(default_factory=dict)
    default_points: Fraction = Fraction(1)
    follow_through: Fraction = Fraction(1)
    rounding: Fraction = Fraction(1)

    def tolerance_for(self, key: str) -> Tolerance:
        return self.tolerances.get(key, self.tolerance)

    def points_for(self, key: str) -> Fraction:
        return self.points.get(key, self.default_points)

    def credit(self, key: str, status: str, match: str | None = None) -> Fraction:
        """The points a claim of ``key`` earns with this verdict."""
        share = {"ok": self.rounding if match == "carried" else Fraction(1),
                 "follow_through": self.follow_through}.get(status, Fraction(0))
        return self.points_for(key) * share


DEFAULT_SCHEME = Scheme()


def read_scheme(source, keys) -> Scheme:
    """A scheme from a file path, YAML/JSON text or dict, its quantity names checked against ``keys``.

    >>> s = read_scheme("points: {E: 2, dE/dw5: 3}\\nfollow_through: 0.5\\ntolerance: sigfigs=3\\n", {"E_total", "grad_w5"})
    >>> s.points_for("E_total"), s.points_for("grad_w5"), s.follow_through, str(s.tolerance)
    (Fraction(2, 1), Fraction(3, 1), Fraction(1, 2), 'sigfigs=3')
    >>> read_scheme("rounding: 2\\n", set())
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: <scheme>:1: rounding must be a number from 0 to 1 (or true/false); got 2
    """
    if isinstance(source, Scheme):
        return source
    doc = from_python(source) if isinstance(source, dict) else \
        parse_text(source) if "\n" in str(source) else read_document(source)
    where = doc.source or "<scheme>"
    data = doc.data if isinstance(doc.data, dict) else {}

    def fail(path, message):
        raise SpecError(message, field=".".join(map(str, path)), source=where, line=doc.lines.get(path))

    for name in data:
        if name not in KEYS:
            fail((name,), f"is not a scheme setting; the settings are {', '.join(KEYS)}")
    options = {}
    if "tolerance" in data:
        options["tolerance"] = _tolerance(data["tolerance"], ("tolerance",), fail)
    for name, reader in (("tolerances", _tolerance), ("points", _points)):
        table = data.get(name, {})
        if not isinstance(table, dict):
            fail((name,), "must map quantity names to values")
        options[name] = {_key(q, keys, (name, q), fail): reader(v, (name, q), fail) for q, v in table.items()}
    if "default_points" in data:
        options["default_points"] = _points(data["default_points"], ("default_points",), fail)
    for name in ("follow_through", "rounding"):
        if name in data:
            options[name] = _share(data[name], (name,), fail)
    return Scheme(**options)


def _key(name, keys, path, fail) -> str:
    key = resolve_name(str(name), keys)
    if key is None:
        fail(path, "is not a quantity of this network")
    return key


def _tolerance(value, path, fail) -> Tolerance:
    try:
        return parse_tolerance(value.text if isinstance(value, Num) else value)
    except SpecError as err:
        fail(path, err.message)


def _points(value, path, fail) -> Fraction:
    if isinstance(value, Num) and Fraction(value.text) >= 0:
        return Fraction(value.text)
    fail(path, f"must be a number of points >= 0; got {_shown(value)}")


def _share(value, path, fail) -> Fraction:
    if isinstance(value, bool):
        return Fraction(int(value))
    if isinstance(value, Num) and 0 <= Fraction(value.text) <= 1:
        return Fraction(value.text)
    fail(path, f"must be a number from 0 to 1 (or true/false); got {_shown(value)}")


def _shown(value) -> str:
    return value.text if isinstance(value, Num) else repr(value)
