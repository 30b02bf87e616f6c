"""YAML from PyYAML's event stream: nothing constructed, no tag, anchor or alias honoured; lines kept."""

from __future__ import annotations


import yaml

from ..errors import SpecError
from .values import (_BOOLS, _child_path, Doc, _duplicate, _error, _Frame, _make_num, MAX_DEPTH, _MISSING,
                     _NON_FINITE, _NULLS, _NUMBER, _shorten, _too_deep)


# ---------------------------------------------------------------------------------------
# YAML: walk the event stream ourselves


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~20x faster when present


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


def _parse_yaml(text: str, source, what: str = "spec") -> Doc:
    try:
        return _walk_events(yaml.parse(text, Loader=_YAML_LOADER), source, what)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        if "nesting depth" in problem:  # libyaml (PyYAML >= 6.0.4) may stop a deep document before we do
            problem += f"; at most {MAX_DEPTH} levels are allowed"
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


def _walk_events(events, source, what: str = "spec") -> Doc:
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
        raise SpecError(f"the {what} is empty", source=source)
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


def _event_value(event, path, source, line):
    if isinstance(event, yaml.MappingStartEvent):
        return {}
    if isinstance(event, yaml.SequenceStartEvent):
        return []
    if event.style in (None, ""):  # plain (PyYAML says None, libyaml says "")
        return _plain_scalar(event.value, path, source, line)
    return event.value  # quoted or block scalars are always strings
