"""The validator's tools: where a value came from, and one-line errors.

Each error names the field, what is allowed, what was given and (for files) the line.
"""

from __future__ import annotations

import difflib
import keyword
from fractions import Fraction

from ..errors import SpecError
from .model import DERIVED_PREFIXES, MAX_ABS_VALUE, MAX_INPUTS, NAME_PATTERN, RESERVED_NAMES
from .source import Doc, Num, format_path


class Checker:
    """Carries the document so each check can say where a value came from."""

    def __init__(self, doc: Doc):
        self.doc = doc

    def fail(self, path: tuple, message: str):
        line = self.line(path)
        raise SpecError(message, field=format_path(path) if path else None,
                        source=self.doc.source, line=line)

    def line(self, path: tuple) -> int | None:
        """The line of the value at ``path``, or of its nearest enclosing value that has one (None for a dict).

        >>> from derive.spec.source import parse_text
        >>> Checker(parse_text("a:\\n  b: 1\\n", source="spec.yaml")).line(("a", "b", 0))
        2
        """
        while True:
            if path in self.doc.lines:
                return self.doc.lines[path]
            if not path:
                return None
            path = path[:-1]

    # -- shapes of values
    def mapping(self, value, path: tuple, allowed: tuple, required: tuple = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping of keys to values; got {describe(value)}")
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                tip = f"; did you mean '{hint[0]}'?" if hint else f"; allowed keys: {', '.join(allowed)}"
                self.fail(path + (key,), f"is not a known key{tip}")
        for key in required:
            if key not in value:
                if path:
                    self.fail(path, f"is missing the required key '{key}'")
                self.fail((), f"the spec is missing the required key '{key}'")
        return value

    def number(self, value, path: tuple, *, low=None, high=None, low_open=False) -> Fraction:
        if isinstance(value, bool) or not isinstance(value, Num):
            self.fail(path, f"must be a number; got {describe(value)}")
        exact = value.fraction
        if abs(exact) > MAX_ABS_VALUE:
            self.fail(path, f"must be at most {MAX_ABS_VALUE} in size; got {value.text}")
        if low is not None and (exact < low or (low_open and exact == low)):
            rel = ">" if low_open else ">="
            self.fail(path, f"must be {rel} {show_number(low)}; got {value.text}")
        if high is not None and exact > high:
            self.fail(path, f"must be <= {show_number(high)}; got {value.text}")
        return exact

    def integer(self, value, path: tuple, *, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, Num) or not value.is_integer_literal:
            self.fail(path, f"must be a whole number from {low} to {high}; got {describe(value)}")
        number = int(value.text)
        if not low <= number <= high:
            self.fail(path, f"must be a whole number from {low} to {high}; got {value.text}")
        return number

    def boolean(self, value, path: tuple) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false; got {describe(value)}")
        return value

    def choice(self, value, path: tuple, allowed: tuple) -> str:
        if isinstance(value, Num) and value.text in allowed:
            return value.text
        if not isinstance(value, str) or value not in allowed:
            hint = difflib.get_close_matches(value, allowed, n=1) if isinstance(value, str) else []
            tip = f" (did you mean '{hint[0]}'?)" if hint else ""
            self.fail(path, f"must be one of {', '.join(allowed)}; got {describe(value)}{tip}")
        return value

    def text(self, value, path: tuple, *, limit: int = 200) -> str:
        if not isinstance(value, str):
            self.fail(path, f"must be text; got {describe(value)}")
        if len(value) > limit:
            self.fail(path, f"must be at most {limit} characters; got {len(value)}")
        bad = [c for c in value if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029"
               or 0xD800 <= ord(c) <= 0xDFFF]
        if bad:
            self.fail(path, f"must not contain control characters or line breaks; got {bad[0]!r}")
        return value

    def sequence(self, value, path: tuple, *, min_len=1, max_len=None, what="a list") -> list:
        if not isinstance(value, list):
            self.fail(path, f"must be {what}; got {describe(value)}")
        if len(value) < min_len:
            self.fail(path, f"must not be empty" if min_len == 1 else f"must have at least {min_len} items")
        if max_len is not None and len(value) > max_len:
            self.fail(path, f"must have at most {max_len} items; got {len(value)}")
        return value

    def numbers(self, value, path: tuple, length: int | None = None, what="values") -> tuple:
        items = self.sequence(value, path, max_len=MAX_INPUTS, what=f"a list of numbers")
        if length is not None and len(items) != length:
            self.fail(path, f"must have {length} {what}; got {len(items)}")
        return tuple(self.number(v, path + (i,)) for i, v in enumerate(items))

    def name(self, value, path: tuple) -> str:
        if not isinstance(value, str):
            self.fail(path, f"must be a name (text); got {describe(value)}")
        self.text(value, path, limit=24)
        if value in RESERVED_NAMES or keyword.iskeyword(value):  # before the pattern: 'lambda' is letters
            shown = ", ".join(sorted(RESERVED_NAMES, key=str.lower)[:10])
            self.fail(path, f"must not be a name that SymPy, Python or derive reserve ({shown}, ...); got {value!r}")
        if not NAME_PATTERN.match(value):
            self.fail(path, "must be a name of letters, digits and '_' starting with a letter "
                            f"(at most 24 characters); got {value!r}")
        if value.startswith(DERIVED_PREFIXES) or value.endswith("_new") or "__" in value:
            self.fail(path, f"must not look like a derived quantity's name (starting with "
                            f"{', '.join(DERIVED_PREFIXES)}, ending in _new or holding __); got {value!r}")
        return value


def describe(value) -> str:
    """How a rejected value is shown in a message.

    >>> describe(True), describe("3"), describe(None), describe([1])
    ('a boolean (true)', "text '3'", 'nothing (null)', 'a list')
    """
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if value is None:
        return "nothing (null)"
    if isinstance(value, Num):
        return value.text
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def show_number(number: Fraction) -> str:
    return str(number.numerator) if number.denominator == 1 else str(float(number))
