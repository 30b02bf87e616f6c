"""How a number is written in a document: the one formatter every renderer uses.

Values arrive exact (SymPy ``Rational``) or as high-precision ``Float``; both are turned into an
exact fraction first and rounded half away from zero, so ``0.0004385677344`` prints as
``0.000438568`` whatever binary noise a float would carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import RenderError

DEFAULT_DECIMALS = 9  # as the 2-2-2 tutorial prints: 0.000438568
MAX_PLACES = 30
SCIENTIFIC_BELOW = Fraction(1, 10**6)  # in --digits mode, smaller magnitudes use a power of ten


@dataclass(frozen=True)
class NumberFormat:
    """``decimals`` places after the point, or ``digits`` significant digits; trailing zeros dropped.

    >>> NumberFormat().text(Fraction(7513650695, 10**10))
    '0.75136507'
    >>> NumberFormat(digits=3).text(Fraction(-19049118, 10**9))
    '-0.019'
    >>> NumberFormat(decimals=2).text(Fraction(1, 10**12))
    '1e-12'
    """

    decimals: int | None = DEFAULT_DECIMALS
    digits: int | None = None

    def __post_init__(self):
        if self.digits is not None:
            if not 1 <= self.digits <= MAX_PLACES:
                raise RenderError(f"digits must be a whole number from 1 to {MAX_PLACES}; got {self.digits}")
            object.__setattr__(self, "decimals", None)
        elif self.decimals is None or not 0 <= self.decimals <= MAX_PLACES:
            raise RenderError(f"decimals must be a whole number from 0 to {MAX_PLACES}; got {self.decimals}")

    def parts(self, value) -> tuple[str, int | None]:
        """(mantissa, exponent): the digits to print and a power of ten, or None for plain numbers.

        >>> NumberFormat().parts(Fraction(3, 8)), NumberFormat(decimals=1).parts(Fraction(-1, 100))
        (('0.375', None), ('-1', -2))
        """
        exact = to_fraction(value)
        if exact == 0:
            return "0", None
        if self.digits is None:
            text = _fixed(exact, self.decimals)
            if text != "0":
                return text, None
            places = max(self.decimals, 1)  # would print as 0: keep as many significant digits instead
        else:
            places = self.digits
            if abs(exact) >= SCIENTIFIC_BELOW:
                return _fixed(exact, places - 1 - _exponent(exact)), None
        exponent = _exponent(exact)
        mantissa = _fixed(exact / Fraction(10) ** exponent, places - 1)
        if mantissa in ("10", "-10"):  # rounding carried into the next power
            mantissa, exponent = mantissa[:-1], exponent + 1
        return mantissa, exponent

    def text(self, value) -> str:
        """The number as plain text (``1e-12`` for a power of ten), with the document language's decimal mark."""
        from .language import localize_number

        mantissa, exponent = self.parts(value)
        mantissa = localize_number(mantissa)
        return mantissa if exponent is None else f"{mantissa}e{exponent}"


def to_fraction(value) -> Fraction:
    """An exact fraction from a SymPy number, a Fraction, an int or a float.

    >>> to_fraction(0.5), to_fraction(Fraction(1, 3))
    (Fraction(1, 2), Fraction(1, 3))
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, float)):
        return Fraction(value)
    if getattr(value, "is_Rational", False):
        return Fraction(int(value.p), int(value.q))
    if getattr(value, "is_Float", False):
        mantissa, exponent = value._mpf_[1], value._mpf_[2]
        sign = -1 if value._mpf_[0] else 1
        return sign * Fraction(mantissa) * Fraction(2) ** exponent
    raise RenderError(f"not a number: {value!r}")


def fixed(value, decimals: int) -> str:
    """``value`` rounded half away from zero to exactly ``decimals`` places, as text (trailing zeros kept).

    >>> fixed(Fraction(-1745, 10000), 3), fixed(Fraction(1, 3), 0), fixed(Fraction(1, 10), 2), fixed(-0.001, 2)
    ('-0.175', '0', '0.10', '0.00')
    """
    exact = to_fraction(value)
    scaled = abs(exact) * 10**decimals
    digits = int(scaled + Fraction(1, 2))
    text = str(digits).rjust(decimals + 1, "0")
    body = f"{text[:-decimals]}.{text[-decimals:]}" if decimals else text
    return ("-" if exact < 0 and digits else "") + body


def _exponent(exact: Fraction) -> int:
    """The power of ten of the leading digit: 0.0438 -> -2."""
    magnitude = abs(exact)
    exponent = len(str(magnitude.numerator)) - len(str(magnitude.denominator))
    if Fraction(10) ** exponent > magnitude:
        exponent -= 1
    if Fraction(10) ** (exponent + 1) <= magnitude:
        exponent += 1
    return exponent


def _fixed(exact: Fraction, places: int) -> str:
    """Round half away from zero to ``places`` decimals (negative: to tens, hundreds, ...);
    drop trailing zeros and a bare "-0"."""
    scaled = abs(exact) * Fraction(10) ** places
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    if places < 0:
        text = str(whole * 10**-places)
        return "-" + text if exact < 0 and whole else text
    digits = str(whole).rjust(places + 1, "0")
    text = digits[:-places] + "." + digits[-places:] if places else digits
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "0":
        return "0"
    return "-" + text if exact < 0 else text
