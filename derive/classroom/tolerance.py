"""When a student's number counts as right: one tolerance for ``derive check``, every quiz export and grading.

A :class:`Tolerance` is one of five modes (PrairieLearn's and STACK's, plus the default):

``shown`` (the default)
    Any value between the exact answer and the *carried-rounding* answer (every intermediate
    rounded to the places shown, as a student with a calculator does), widened by half a unit of
    the last shown place; a number truncated from a value in that range is accepted too. A student
    who rounds intermediates to the printed places is therefore right.
``absolute=A``
    ``|claimed - exact| <= A``.
``relative=R`` (also ``relative=1%``)
    ``|claimed - exact| <= R·|exact|``.
``sigfigs=N``
    ``claimed`` agrees with ``exact`` to N significant figures (within half a unit of the N-th).
``decimals=N``
    ``claimed`` agrees with ``exact`` to N decimal places (within half a unit of the N-th).

Only ``shown`` looks at the carried answer; the other modes centre on the exact answer, and
an export may give the carried answer partial credit (:meth:`Tolerance.answers`).

All arithmetic is exact (:class:`~fractions.Fraction`); ``exact``/``carried`` may be SymPy numbers.

>>> t = parse_tolerance("shown")
>>> t.accepts(Fraction("0.4087"), Fraction("0.408666"), decimals=4)
True
>>> t.accepts(Fraction("0.4089"), Fraction("0.408666"), Fraction("0.4089"), decimals=4)
True
>>> parse_tolerance("relative=1%").accepts(Fraction("1.01"), Fraction(1))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import SpecError
from ..render.numbers import _exponent, to_fraction
from ..spec.tolerance import EXAMPLES, MAX_AMOUNT, MAX_PLACES, MODES, read_tolerance  # noqa: F401 (re-exported)

@dataclass(frozen=True)
class Tolerance:
    """A tolerance: a mode (:data:`MODES`) and its amount (None for ``shown``).

    >>> Tolerance("absolute", Fraction(1, 2000)).band(Fraction(1))
    (Fraction(1999, 2000), Fraction(2001, 2000))
    >>> str(Tolerance("sigfigs", 3))
    'sigfigs=3'
    """

    mode: str = "shown"
    amount: Fraction | int | None = None

    def __str__(self) -> str:
        if self.mode == "shown":
            return "shown"
        amount = self.amount
        text = str(amount) if isinstance(amount, int) or amount.denominator == 1 else _decimal_text(amount)
        return f"{self.mode}={text}"

    def band(self, exact, carried=None, *, decimals: int | None = None) -> tuple[Fraction, Fraction]:
        """The closed interval of accepted values (rounding only; truncation is :meth:`accepts`' extra).

        ``decimals`` (the places shown) is needed by ``shown`` only.

        >>> Tolerance().band(Fraction("0.5"), Fraction("0.51"), decimals=2)
        (Fraction(99, 200), Fraction(103, 200))
        >>> Tolerance("relative", Fraction(1, 10)).band(Fraction(-2))
        (Fraction(-11, 5), Fraction(-9, 5))
        """
        exact = to_fraction(exact)
        if self.mode == "shown":
            lo, hi = _span(exact, carried)
            half = _unit(_need(decimals)) / 2
            return lo - half, hi + half
        radius = self.radius(exact)
        return exact - radius, exact + radius

    def radius(self, exact) -> Fraction:
        """How far from ``exact`` a value may be, for the modes centred on it.

        >>> Tolerance("sigfigs", 2).radius(Fraction("0.0438")), Tolerance("decimals", 3).radius(5)
        (Fraction(1, 2000), Fraction(1, 2000))
        """
        exact = to_fraction(exact)
        if self.mode == "absolute":
            return Fraction(self.amount)
        if self.mode == "relative":
            return Fraction(self.amount) * abs(exact)
        if self.mode == "decimals":
            return _unit(self.amount) / 2
        if self.mode == "sigfigs":
            return _unit(self.amount - 1 - _exponent(exact)) / 2 if exact else Fraction(0)
        raise ValueError("the shown tolerance has no fixed radius; use band()")

    def accepts(self, claimed, exact, carried=None, *, decimals: int | None = None) -> bool:
        """True when ``claimed`` is right: inside :meth:`band`, or (``shown``) truncated from a value in range.

        >>> t = Tolerance()
        >>> t.accepts(Fraction("0.4086"), Fraction("0.408666"), decimals=4)  # truncated
        True
        >>> t.accepts(Fraction("0.4085"), Fraction("0.408666"), decimals=4)
        False
        """
        return self.match(claimed, exact, carried, decimals=decimals) is not None

    def match(self, claimed, exact, carried=None, *, decimals: int | None = None) -> str | None:
        """How ``claimed`` is right: ``"rounded"`` (from the exact answer), ``"carried"`` (only within
        the carried-rounding range), ``"truncated"``, or None when it is not.

        >>> t = Tolerance()
        >>> t.match(Fraction("0.51"), Fraction("0.5"), Fraction("0.51"), decimals=2)
        'carried'
        >>> t.match(Fraction("0.50"), Fraction("0.5"), Fraction("0.51"), decimals=2)
        'rounded'
        """
        claimed, exact = to_fraction(claimed), to_fraction(exact)
        if self.mode != "shown":
            return "rounded" if abs(claimed - exact) <= self.radius(exact) else None
        half = _unit(_need(decimals)) / 2
        if abs(claimed - exact) <= half:
            return "rounded"
        lo, hi = self.band(exact, carried, decimals=decimals)
        if lo <= claimed <= hi:
            return "carried"
        if _truncates(claimed, *_span(exact, carried), decimals):
            return "truncated"
        return None

    def answers(self, exact, carried=None, *, decimals: int, partial: int = 50) -> list[tuple[Fraction, Fraction, int]]:
        """The answers a quiz with symmetric tolerances (Moodle, QTI) needs: ``(value, radius, percent)``.

        The first is the band at 100 %; ``shown`` adds the truncated answers at 100 % where they fall
        outside it; the other modes add the carried-rounding answer at ``partial`` % where it does.

        >>> Tolerance().answers(Fraction("0.4086661"), decimals=4)
        [(Fraction(4086661, 10000000), Fraction(1, 20000), 100), (Fraction(2043, 5000), Fraction(1, 20000), 100)]
        >>> Tolerance("absolute", Fraction(1, 10**6)).answers(Fraction("0.5"), Fraction("0.5001"), decimals=4)
        [(Fraction(1, 2), Fraction(1, 1000000), 100), (Fraction(5001, 10000), Fraction(1, 1000000), 50)]
        """
        exact = to_fraction(exact)
        lo, hi = self.band(exact, carried, decimals=decimals)
        found = [((lo + hi) / 2, (hi - lo) / 2, 100)]
        if self.mode == "shown":
            first, last = (_truncate(v, decimals) for v in _span(exact, carried))
            if not lo <= first <= last <= hi:
                half = _unit(decimals) / 2
                found.append(((first + last) / 2, (last - first) / 2 + half, 100))
        elif carried is not None and not lo <= to_fraction(carried) <= hi:
            found.append((to_fraction(carried), self.radius(exact), partial))
        return found


DEFAULT = Tolerance()


def parse_tolerance(text, *, field: str = "tolerance") -> Tolerance:
    """A tolerance as a spec, scheme file or command line writes it (a bare number is absolute).

    ``field`` names the setting in the error message (``--tolerance`` on a command line).

    >>> parse_tolerance("0.0005"), parse_tolerance("relative=1%"), parse_tolerance("sigfigs: 3")
    (Tolerance(mode='absolute', amount=Fraction(1, 2000)), Tolerance(mode='relative', amount=Fraction(1, 100)), \
Tolerance(mode='sigfigs', amount=3))
    >>> parse_tolerance("loose")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: tolerance must be one of shown, absolute=0.0005, relative=1%, sigfigs=3 or decimals=4; got 'loose'
    """
    if isinstance(text, Tolerance):
        return text
    mode, amount = read_tolerance(text, field=field)
    return DEFAULT if mode == "shown" else Tolerance(mode, amount)


# ---------------------------------------------------------------- helpers

def _need(decimals):
    if decimals is None:
        raise ValueError("the shown tolerance needs the number of decimals shown")
    return decimals


def _unit(decimals: int) -> Fraction:
    return Fraction(1, 10**decimals) if decimals >= 0 else Fraction(10 ** -decimals)


def _span(exact: Fraction, carried) -> tuple[Fraction, Fraction]:
    other = exact if carried is None else to_fraction(carried)
    return min(exact, other), max(exact, other)


def _truncate(value: Fraction, decimals: int) -> Fraction:
    """``value`` with the digits after the ``decimals``-th place dropped (towards zero)."""
    scaled = abs(value) * 10**decimals
    whole = Fraction(scaled.numerator // scaled.denominator, 10**decimals)
    return whole if value >= 0 else -whole


def _truncates(claimed: Fraction, lo: Fraction, hi: Fraction, decimals: int) -> bool:
    """Is ``claimed`` some value of [lo, hi] truncated to ``decimals`` places?"""
    unit = _unit(decimals)
    if (claimed / unit).denominator != 1:
        return False
    if claimed > 0:
        return claimed <= hi and claimed + unit > lo
    if claimed < 0:
        return lo <= claimed and claimed - unit < hi
    return lo < unit and hi > -unit


def _decimal_text(value: Fraction) -> str:
    """A fraction with a finite decimal expansion as plain decimal text: 1/2000 -> 0.0005."""
    places = 0
    while (value * 10**places).denominator != 1 and places < 40:
        places += 1
    scaled = value * 10**places
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    text = (digits[:-places] + "." + digits[-places:]) if places else digits
    return ("-" if value < 0 else "") + text
