"""JSON: the json module for the data (duplicate keys refused), a small token pass for the lines."""

from __future__ import annotations

import json
import re

from ..errors import SpecError
from .values import (_MISSING, _Frame, _child_path, MAX_DEPTH, Doc, _error, _too_deep, _duplicate, _make_num)


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
