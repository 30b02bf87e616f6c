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
import math
import numbers
import os

from ..errors import SpecError
from .json_reader import _JsonSyntaxError, _parse_json
from .values import (MAX_BYTES, MAX_DEPTH, _TOO_BIG, Doc, Num, _check_top, _error, format_path, _huge, _shorten,
                     _too_deep)

__all__ = ["MAX_BYTES", "MAX_DEPTH", "Doc", "Num", "format_path", "from_python", "parse_text", "read_document"]
from .yaml_reader import _parse_yaml


# ---------------------------------------------------------------------------------------
# Entry points


def parse_text(text: str, *, source: str | None = None, fmt: str | None = None, what: str = "spec") -> Doc:
    """Parse spec text; *fmt* is ``"yaml"``, ``"json"`` or None to guess; *what* names the document in errors.

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
        raise SpecError(f"the {what} is empty", source=source)
    if fmt == "json" or (fmt is None and text.lstrip()[:1] in ("{", "[")):
        try:
            return _check_top(_parse_json(text, source))
        except _JsonSyntaxError:
            if fmt == "json":
                raise
    return _check_top(_parse_yaml(text, source, what))


def read_document(path, *, what: str = "spec") -> Doc:
    """Read a spec file (UTF-8); the format follows the extension (.json, .yaml/.yml, else a guess).

    *what* names the document in errors (``claims file``, ``scheme``): "cannot read the scheme".

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
                raise SpecError(f"the {what} is {size} bytes; the limit is {MAX_BYTES} bytes", source=source)
    except OSError as exc:
        raise SpecError(f"cannot read the {what}: {exc.strerror or exc}", source=source) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise SpecError(f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded",
                        source=source, line=line) from None
    ext = os.path.splitext(source)[1].lower()
    fmt = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}.get(ext)
    return parse_text(text, source=source, fmt=fmt, what=what)


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
