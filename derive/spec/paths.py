"""Which file a SPEC or CLAIMS argument names, refused at once when missing: nothing is read here.

Kept apart from the readers and the validator so that the command line can refuse a missing file
without loading YAML, the validator or SymPy (tests/test_startup.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import SpecError


def spec_path(source: str) -> Path | None:
    """The file a SPEC string names (a built-in example's or a path), or None for YAML/JSON text.

    A missing file and an unknown one-word name are refused here, before anything is read
    (the command line asks this first, so such an error comes without loading SymPy).

    >>> spec_path("2-2-2").name
    '2-2-2.yaml'
    >>> spec_path("missing.yaml")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: no such spec file: missing.yaml
    """
    from .examples import example_path, is_example

    if is_example(source):
        if os.path.lexists(source):
            # which one the user meant cannot be guessed: neither may shadow the other silently
            raise SpecError(f"{source!r} is both a built-in example and a file in this folder; write "
                            f"./{source} for the file, or rename the file to use the example")
        return example_path(source)
    if "\n" not in source and (source.endswith((".yaml", ".yml", ".json")) or Path(source).is_file()):
        if not Path(source).is_file():
            raise SpecError(f"no such spec file: {source}")
        return Path(source)
    if "\n" not in source and ":" not in source and not source.lstrip().startswith("{"):
        # one word is a mistyped file or example name, not a YAML document
        from .examples import example_names

        raise SpecError(f"no such spec file or built-in example: {source!r}; "
                        f"the examples are {', '.join(example_names())}")
    return None


def claims_path(source: str) -> Path | None:
    """The file a CLAIMS string names, or None for YAML/JSON text; a missing file is refused, nothing read.

    >>> claims_path("missing.yaml")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: no such claims file: missing.yaml
    """
    if "\n" in source or source.lstrip().startswith("{"):
        return None
    if not Path(source).is_file():
        raise SpecError(f"no such claims file: {source}")
    return Path(source)
