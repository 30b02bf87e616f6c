"""Exact numbers (:class:`Num`), a read document with its lines (:class:`Doc`), and the reader's errors."""

from __future__ import annotations

import fractions
import json
import re
from dataclasses import dataclass

from ..errors import SpecError


MAX_BYTES = 1_000_000   # size cap: a spec is a few kilobytes; anything huge is a mistake or an attack
MAX_DEPTH = 20          # nesting cap: a spec nests 4-5 levels; deeper is a mistake or an attack

# Limits on a single number, so that ``1e999999999`` cannot make Fraction compute 10**999999999
# and a 5000-digit literal cannot trip Python's int-from-str digit limit.
_MAX_DIGITS = 1000
_MAX_EXPONENT = 1000

# [0-9], not \d: \d also matches other scripts' digits ("٣"), which must stay strings.
_NUMBER = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_INTEGER = re.compile(r"[-+]?[0-9]+")
_NON_FINITE = re.compile(r"[-+]?\.?(inf|infinity|nan)", re.IGNORECASE)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {word: value
          for words, value in (("true yes on y", True), ("false no off n", False))
          for word in words.split()
          for word in (word, word.capitalize(), word.upper())}


def _number_problem(text: str) -> str | None:
    """Why *text* is not an acceptable number literal, or None if it is."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return "must be a decimal number such as 3, -0.25 or 1e-3"
    mantissa = match.group(1)  # digits and at most one "."
    digits = len(mantissa) - mantissa.count(".")
    exponent = match.group(3)  # "e-3"; its length is checked first so int() stays cheap
    if digits > _MAX_DIGITS or (exponent and (len(exponent) > 8 or abs(int(exponent[1:])) > _MAX_EXPONENT)):
        return _TOO_BIG
    return None


_TOO_BIG = (f"must be a number of at most {_MAX_DIGITS} digits with an exponent "
            f"between -{_MAX_EXPONENT} and {_MAX_EXPONENT}")


def _huge(n: int) -> bool:
    """More digits than we accept (checked before str(), which refuses > 4300 digits)."""
    return abs(n) >= 10 ** _MAX_DIGITS


def _shorten(text: str, limit: int = 40) -> str:
    """*text* cut to *limit* characters, for quoting user input in a one-line message."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Num:
    """A number exactly as the user wrote it. Immutable, hashable, ``==`` by value.

    >>> Num("0.15")
    Num('0.15')
    >>> Num("0.1").value
    1/10
    >>> Num("1e3").value, Num("1e3").is_integer_literal, Num("-2").is_integer_literal
    (1000, False, True)
    >>> Num("0.50") == Num(".5"), len({Num("2"), Num("2.0")})
    (True, 1)
    >>> Num("1/3")
    Traceback (most recent call last):
    ...
    ValueError: must be a decimal number such as 3, -0.25 or 1e-3; got '1/3'
    """

    __slots__ = ("text", "_fraction")

    def __init__(self, text: str):
        problem = _number_problem(text) if isinstance(text, str) else "must be a str"
        if problem:
            raise ValueError(f"{problem}; got {_shorten(repr(text))}")
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "_fraction", fractions.Fraction(text))

    @classmethod
    def _exact(cls, value: fractions.Fraction) -> Num:
        """A Num for an exact rational given from Python (text ``"1/3"`` when not an integer)."""
        if _huge(value.numerator) or _huge(value.denominator):
            raise ValueError(_TOO_BIG)
        num = object.__new__(cls)
        object.__setattr__(num, "text", str(value))
        object.__setattr__(num, "_fraction", value)
        return num

    @property
    def value(self):
        """The exact value as a ``sympy.Rational``."""
        import sympy  # lazily: reading a spec should not pay for importing sympy

        return sympy.Rational(self._fraction.numerator, self._fraction.denominator)

    @property
    def fraction(self) -> fractions.Fraction:
        """The exact value as a :class:`fractions.Fraction` (no SymPy needed).

        >>> Num("0.25").fraction
        Fraction(1, 4)
        """
        return self._fraction

    @property
    def is_integer_literal(self) -> bool:
        """True when written as an integer (``3``, ``-2``), False for ``3.0`` or ``1e3``."""
        return _INTEGER.fullmatch(self.text) is not None

    def __eq__(self, other):
        if isinstance(other, Num):
            return self._fraction == other._fraction
        return NotImplemented

    def __hash__(self):
        return hash(self._fraction)

    def __repr__(self):
        return f"Num({self.text!r})"

    def __setattr__(self, name, value):
        raise AttributeError("Num is immutable")

    def __delattr__(self, name):
        raise AttributeError("Num is immutable")


@dataclass(frozen=True)
class Doc:
    """A parsed spec: plain *data*, the 1-based line of every value path, and the file name.

    >>> from derive.spec.source import parse_text
    >>> doc = parse_text('{"layers": [{"size": 2}]}')
    >>> doc.data["layers"][0]["size"], doc.lines[("layers", 0, "size")], doc.source
    (Num('2'), 1, None)
    """

    data: object
    lines: dict
    source: str | None


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


_LONGEST_KEY_SHOWN = 60


def format_path(path: tuple) -> str:
    """A path tuple as users write it.

    >>> format_path(("layers", 1, "weights", 0))
    'layers[1].weights[0]'
    >>> format_path(())
    '<top level>'
    >>> format_path((0, "odd key"))
    '[0]["odd key"]'
    >>> format_path(("k" * 5000,))
    '["kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk... (5000 characters)"]'
    """
    if not path:
        return "<top level>"
    parts = []
    for step in path:
        if isinstance(step, str) and len(step) > _LONGEST_KEY_SHOWN:
            # a hostile key of a megabyte is not echoed whole into a one-line error
            step = f"{step[:40]}... ({len(step)} characters)"
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _PLAIN_KEY.fullmatch(step):
            parts.append(f".{step}" if parts else step)
        else:
            parts.append(f"[{json.dumps(step, ensure_ascii=False)}]")
    return "".join(parts)


def _describe(value) -> str:
    """What kind of value this is, for 'got ...' in messages."""
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    kinds = {dict: "a mapping", list: "a list", str: "a string", Num: "a number"}
    return kinds.get(type(value), type(value).__name__)


def _error(message, path=None, source=None, line=None, column=None) -> SpecError:
    field = format_path(path) if path is not None else None
    return SpecError(message, field=field, source=source, line=line, column=column)


def _too_deep(path, source, line=None) -> SpecError:
    return _error(f"is nested {MAX_DEPTH + 1} levels deep; at most {MAX_DEPTH} levels are allowed",
                  path, source, line)


def _duplicate(key, path, first, again, source) -> SpecError:
    lines = f" (lines {first} and {again})" if first and again else ""
    return _error(f"has the key {key!r} twice{lines}; keys must be unique", path, source, again)


def _make_num(text, path, source, line=None) -> Num:
    """A Num from user text, or a SpecError naming the path."""
    if _NON_FINITE.fullmatch(text):
        raise _error(f"must be a finite number; got {text}", path, source, line)
    try:
        return Num(text)
    except ValueError as exc:
        raise _error(str(exc), path, source, line) from None


def _check_top(doc: Doc) -> Doc:
    if not isinstance(doc.data, dict):
        raise _error(f"must be a mapping of keys to values; got {_describe(doc.data)}",
                     (), doc.source, doc.lines.get(()))
    return doc


# ---------------------------------------------------------------- shared by the YAML and JSON readers

_MISSING = object()


class _Frame:
    """An open YAML mapping or sequence while walking events."""

    __slots__ = ("path", "value", "key", "key_lines")

    def __init__(self, path, value):
        self.path = path
        self.value = value
        self.key = _MISSING     # in a mapping: the key whose value comes next
        self.key_lines = {}     # in a mapping: key -> line, for duplicate messages

    def expects_key(self) -> bool:
        return isinstance(self.value, dict) and self.key is _MISSING


def _child_path(top: _Frame | None, lines, line) -> tuple:
    """The path of the value that comes next inside *top*; records list items' lines."""
    if top is None:
        return ()
    if isinstance(top.value, dict):
        return top.path + (top.key,)
    path = top.path + (len(top.value),)
    lines[path] = line
    return path
