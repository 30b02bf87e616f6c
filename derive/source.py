"""Read a network spec (YAML, JSON or a Python dict) into plain data with exact numbers.

This is the only place that touches user-supplied document text, so it is strict:

* YAML is read from PyYAML's *event stream* -- nothing is constructed by PyYAML, no
  tag is honoured and no anchor or alias is allowed, so there is nothing to exploit
  and an alias bomb is refused at its first ``&``.
* Numbers stay exactly as written (:class:`Num`); ``0.1`` is 1/10, never a float.
* Plain YAML scalars are resolved by our own small rules (see :func:`_plain_scalar`),
  not by YAML 1.1's implicit resolver, so ``1e3`` is a number and ``"1e3"`` a string.
* Every value's line is remembered (:attr:`Doc.lines`) for error messages.
* Every problem is a :class:`~derive.errors.SpecError`, never another exception.

>>> doc = parse_text("inputs: [0.5, 2]\\nactivation: sigmoid\\n", source="net.yaml")
>>> doc.data
{'inputs': [Num('0.5'), Num('2')], 'activation': 'sigmoid'}
>>> doc.lines[("inputs", 1)], doc.lines[("activation",)]
(1, 2)
"""

from __future__ import annotations

import decimal
import fractions
import json
import math
import numbers
import os
import re
from dataclasses import dataclass

import yaml

from derive.errors import SpecError

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
    digits = sum(ch.isdigit() for ch in match.group(1))
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

    >>> doc = parse_text('{"layers": [{"size": 2}]}')
    >>> doc.data["layers"][0]["size"], doc.lines[("layers", 0, "size")], doc.source
    (Num('2'), 1, None)
    """

    data: object
    lines: dict
    source: str | None


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def format_path(path: tuple) -> str:
    """A path tuple as users write it.

    >>> format_path(("layers", 1, "weights", 0))
    'layers[1].weights[0]'
    >>> format_path(())
    '<top level>'
    >>> format_path((0, "odd key"))
    '[0]["odd key"]'
    """
    if not path:
        return "<top level>"
    parts = []
    for step in path:
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


# ---------------------------------------------------------------------------------------
# Entry points


def parse_text(text: str, *, source: str | None = None, fmt: str | None = None) -> Doc:
    """Parse spec text; *fmt* is ``"yaml"``, ``"json"`` or None to guess.

    The guess is JSON when the text starts with ``{`` or ``[`` and parses as JSON, else YAML.

    >>> parse_text("activation: no\\nbias: ~\\nrate: 1e-3\\nname: '1e3'\\n").data
    {'activation': False, 'bias': None, 'rate': Num('1e-3'), 'name': '1e3'}
    >>> parse_text("a: &x 1\\nb: *x\\n", source="net.yaml")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: net.yaml:1:4: a has an anchor, but YAML anchors and aliases are not allowed; got '&x'
    >>> parse_text('[1, 2]', source="net.json")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: net.json:1: <top level> must be a mapping of keys to values; got a list
    """
    if fmt not in (None, "yaml", "json"):
        raise SpecError(f"format must be 'yaml' or 'json'; got {fmt!r}")
    text = text.removeprefix("\ufeff")  # a byte-order mark is not content
    _check_text(text, source)
    if not text.strip():
        raise SpecError("the spec is empty", source=source)
    if fmt == "json" or (fmt is None and text.lstrip()[:1] in ("{", "[")):
        try:
            return _check_top(_parse_json(text, source))
        except _JsonSyntaxError:
            if fmt == "json":
                raise
    return _check_top(_parse_yaml(text, source))


def read_document(path) -> Doc:
    """Read a spec file (UTF-8); the format follows the extension (.json, .yaml/.yml, else a guess).

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     name = pathlib.Path(tmp, "net.yml")
    ...     _ = name.write_text("layers:\\n  - size: 3\\n")
    ...     doc = read_document(str(name))
    >>> doc.data, doc.lines[("layers", 0, "size")], doc.source.endswith("net.yml")
    ({'layers': [{'size': Num('3')}]}, 2, True)
    """
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                size = os.fstat(handle.fileno()).st_size
                raise SpecError(f"the spec is {size} bytes; the limit is {MAX_BYTES} bytes", source=source)
    except OSError as exc:
        raise SpecError(f"cannot read the spec: {exc.strerror or exc}", source=source) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise SpecError(f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded",
                        source=source, line=line) from None
    ext = os.path.splitext(source)[1].lower()
    fmt = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}.get(ext)
    return parse_text(text, source=source, fmt=fmt)


def from_python(obj, *, source: str | None = None) -> Doc:
    """Check and convert a spec given as Python data (from the API); ``lines`` is empty.

    ints and floats become the Num the user typed (``0.1`` -> ``Num('0.1')``); Fraction,
    Decimal and sympy.Rational are taken exactly; bools stay bools; tuples become lists.

    >>> from fractions import Fraction
    >>> from_python({"x": [1, 0.1, Fraction(1, 3), True, (2, None)]}).data
    {'x': [Num('1'), Num('0.1'), Num('1/3'), True, [Num('2'), None]]}
    >>> from_python({"x": float("nan")})
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: x must be a finite number; got nan
    """
    return _check_top(Doc(_from_python(obj, (), source, 0), {}, source))


def _from_python(obj, path, source, depth):
    if isinstance(obj, dict):
        if depth >= MAX_DEPTH:  # also stops self-referencing structures
            raise _too_deep(path, source)
        for key in obj:
            if not isinstance(key, str):
                raise _error(f"has the key {_shorten(repr(key))}; mapping keys must be strings", path, source)
        return {key: _from_python(item, path + (key,), source, depth + 1) for key, item in obj.items()}
    if isinstance(obj, (list, tuple)):
        if depth >= MAX_DEPTH:
            raise _too_deep(path, source)
        return [_from_python(item, path + (i,), source, depth + 1) for i, item in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, str, Num)):
        return obj
    return _python_number(obj, path, source)


def _python_number(obj, path, source) -> Num:
    """A Num from a Python number, exactly; anything else is refused."""
    try:
        if isinstance(obj, numbers.Integral):
            if _huge(int(obj)):
                raise ValueError(_TOO_BIG)
            return Num(str(int(obj)))
        if isinstance(obj, float):
            if not math.isfinite(obj):
                raise _error(f"must be a finite number; got {obj!r}", path, source)
            return Num(repr(float(obj)))  # shortest repr: what the user typed
        if isinstance(obj, decimal.Decimal):
            if not obj.is_finite():
                raise _error(f"must be a finite number; got {obj}", path, source)
            return Num(str(obj))
        if isinstance(obj, numbers.Rational):  # Fraction, sympy.Rational
            return Num._exact(fractions.Fraction(int(obj.numerator), int(obj.denominator)))
    except ValueError as exc:
        raise _error(str(exc), path, source) from None
    raise _error("must be a string, number (int, float, Fraction, Decimal or sympy Rational), "
                 f"boolean, null, list or mapping; got {type(obj).__module__}.{type(obj).__qualname__}"
                 .replace("builtins.", ""), path, source)


def _check_text(text: str, source) -> None:
    """Refuse text over the size cap, and text that is not encodable (lone surrogates)."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise SpecError(f"contains a character that is not valid Unicode: {text[exc.start]!r}",
                        source=source, line=line) from None
    if size > MAX_BYTES:
        raise SpecError(f"the spec is {size} bytes; the limit is {MAX_BYTES} bytes", source=source)


# ---------------------------------------------------------------------------------------
# YAML: walk the event stream ourselves


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~20x faster when present
_MISSING = object()


def _yaml_tag(tag: str) -> str:
    """A resolved tag back in the short form the user wrote (``!!str``)."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix):] if tag.startswith(prefix) else tag


def _plain_scalar(text, path, source, line):
    """Our resolution of an unquoted YAML scalar: null, boolean, number, or string.

    >>> [_plain_scalar(t, (), None, 1) for t in ["~", "", "Yes", "off", "n", "1e3", ".5", "5.", "0x1F", "abc"]]
    [None, None, True, False, False, Num('1e3'), Num('.5'), Num('5.'), '0x1F', 'abc']
    """
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _NUMBER.fullmatch(text) or _NON_FINITE.fullmatch(text):
        return _make_num(text, path, source, line)
    return text


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


def _parse_yaml(text: str, source) -> Doc:
    try:
        return _walk_events(yaml.parse(text, Loader=_YAML_LOADER), source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise SpecError(f"invalid YAML: {problem}", source=source,
                        line=mark.line + 1 if mark else None,
                        column=mark.column + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
        where = text.find(char)
        raise SpecError(f"invalid YAML: the character {char!r} is not allowed in YAML text "
                        f"(write it as an escape inside double quotes)",
                        source=source, line=text.count("\n", 0, where) + 1 if where >= 0 else None) from None
    except (yaml.YAMLError, UnicodeError, RecursionError) as exc:
        raise SpecError(f"invalid YAML: {' '.join(str(exc).split())}", source=source) from None


def _walk_events(events, source) -> Doc:
    """Build plain data from YAML events with an explicit stack (no recursion, depth capped)."""
    lines = {(): 1}
    stack: list[_Frame] = []
    root, documents = _MISSING, 0
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise SpecError("must be a single YAML document; found a second one (after '---')",
                                source=source, line=line)
            continue
        if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            continue
        top = stack[-1] if stack else None
        if top is not None and top.expects_key():
            _refuse_anchor_and_tag(event, top.path, source, event.start_mark)
            _take_key(top, event, lines, source, line)
            continue
        path = _child_path(top, lines, line)
        _refuse_anchor_and_tag(event, path, source, event.start_mark)
        value = _event_value(event, path, source, line)
        if top is None:
            root = value
        elif isinstance(top.value, list):
            top.value.append(value)
        else:
            top.value[top.key] = value
            top.key = _MISSING
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise _too_deep(path, source, line)
            stack.append(_Frame(path, value))
    if root is _MISSING:
        raise SpecError("the spec is empty", source=source)
    return Doc(root, lines, source)


def _refuse_anchor_and_tag(event, path, source, mark) -> None:
    """Anchors and tags are refused on sight, before anything could be expanded or built."""
    if isinstance(event, yaml.AliasEvent):
        what, got = "is an alias", f"*{event.anchor}"
    elif getattr(event, "anchor", None) is not None:
        what, got = "has an anchor", f"&{event.anchor}"
    elif getattr(event, "tag", None) is not None:
        raise _error(f"is tagged, but YAML tags are not allowed; got '{_shorten(_yaml_tag(event.tag))}'",
                     path, source, mark.line + 1, mark.column + 1)
    else:
        return
    raise _error(f"{what}, but YAML anchors and aliases are not allowed; got '{_shorten(got)}'",
                 path, source, mark.line + 1, mark.column + 1)


def _take_key(frame: _Frame, event, lines, source, line) -> None:
    """Record a mapping key. A scalar key is its text as written (``y:`` is the key 'y')."""
    if not isinstance(event, yaml.ScalarEvent):
        kind = "a mapping" if isinstance(event, yaml.MappingStartEvent) else "a list"
        raise _error(f"has {kind} as a key; mapping keys must be strings", frame.path, source, line)
    key = event.value
    if key in frame.key_lines:
        raise _duplicate(key, frame.path, frame.key_lines[key], line, source)
    frame.key_lines[key] = line
    frame.key = key
    lines[frame.path + (key,)] = line  # a value is located at its key's line


def _child_path(top: _Frame | None, lines, line) -> tuple:
    """The path of the value that comes next inside *top*; records list items' lines."""
    if top is None:
        return ()
    if isinstance(top.value, dict):
        return top.path + (top.key,)
    path = top.path + (len(top.value),)
    lines[path] = line
    return path


def _event_value(event, path, source, line):
    if isinstance(event, yaml.MappingStartEvent):
        return {}
    if isinstance(event, yaml.SequenceStartEvent):
        return []
    if event.style in (None, ""):  # plain (PyYAML says None, libyaml says "")
        return _plain_scalar(event.value, path, source, line)
    return event.value  # quoted or block scalars are always strings


# ---------------------------------------------------------------------------------------
# JSON: the json module for the data, a small token pass for the lines


class _JsonSyntaxError(SpecError):
    """Invalid JSON (lets a guessed format fall back to YAML)."""


class _Pairs(list):
    """A JSON object as its (key, value) pairs, so duplicates survive until we can name them."""


class _RawNumber(str):
    """A JSON number's exact text, turned into a Num once its path is known."""


class _NonFinite(str):
    """NaN / Infinity / -Infinity, refused once its path is known."""


def _parse_json(text: str, source) -> Doc:
    try:
        data = json.loads(text, object_pairs_hook=_Pairs, parse_int=_RawNumber,
                          parse_float=_RawNumber, parse_constant=_NonFinite)
    except json.JSONDecodeError as exc:
        raise _JsonSyntaxError(f"invalid JSON: {exc.msg}", source=source,
                               line=exc.lineno, column=exc.colno) from None
    except RecursionError:  # nested ~1000 deep: the token pass names the line
        _json_lines(text, source)
        raise _too_deep((), source) from None
    lines = _json_lines(text, source)
    return Doc(_from_json(data, (), lines, source), lines, source)


def _from_json(value, path, lines, source, depth=0):
    """Replace the json module's markers by our values; recursion is bounded by MAX_DEPTH."""
    line = lines.get(path)
    if isinstance(value, (_Pairs, list)):
        if depth >= MAX_DEPTH:
            raise _too_deep(path, source, line)
        if isinstance(value, list) and not isinstance(value, _Pairs):
            return [_from_json(item, path + (i,), lines, source, depth + 1) for i, item in enumerate(value)]
        result = {}
        for key, item in value:
            if key in result:
                raise _duplicate(key, path, None, lines.get(path + (key,)), source)
            result[key] = _from_json(item, path + (key,), lines, source, depth + 1)
        return result
    if isinstance(value, _NonFinite):
        raise _error(f"must be a finite number; got {value}", path, source, line)
    if isinstance(value, _RawNumber):
        return _make_num(str(value), path, source, line)
    return value  # str, bool, None


# JSON tokens: a string, a punctuation mark, whitespace, or a literal (number, true, ...).
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]|\s+|[^\s{}\[\]:,"]+|.', re.S)


def _json_lines(text: str, source) -> dict:
    """Line of every value path in JSON text, checking depth and duplicate keys on the way.

    Only positions come from here; the data comes from the json module. If the pass
    trips over something unexpected it gives up and returns {} (no lines, no harm).

    >>> _json_lines('{"a": [1,\\n 2], "b": {"c": null}}', None)
    {(): 1, ('a',): 1, ('a', 0): 1, ('a', 1): 2, ('b',): 2, ('b', 'c'): 2}
    """
    lines, stack, line = {(): 1}, [], 1
    try:
        for token in _JSON_TOKEN.findall(text):
            if token.isspace():
                line += token.count("\n")
            elif token in "]}":
                stack.pop()
            elif token == ",":
                if isinstance(stack[-1].value, dict):
                    stack[-1].key = _MISSING
            elif token != ":":
                _json_value_token(token, stack, lines, source, line)
    except SpecError:
        raise
    except Exception:  # noqa: BLE001 -- positions are a nicety; never fail a valid spec over them
        return {}
    return lines


def _json_value_token(token, stack, lines, source, line) -> None:
    """Handle a key or the start of a value in the JSON token pass."""
    top = stack[-1] if stack else None
    if top is not None and top.expects_key():
        key = json.loads(token)
        if key in top.key_lines:
            raise _duplicate(key, top.path, top.key_lines[key], line, source)
        top.key_lines[key], top.key = line, key
        lines[top.path + (key,)] = line
        return
    path = _child_path(top, lines, line)
    if top is not None and isinstance(top.value, list):
        top.value.append(None)  # only the count matters: it numbers the next item
    if token in ("{", "["):
        if len(stack) >= MAX_DEPTH:
            raise _too_deep(path, source, line)
        stack.append(_Frame(path, {} if token == "{" else []))
