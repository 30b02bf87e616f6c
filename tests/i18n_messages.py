"""Every message the documents print: the msgids of the templates (``_``, ``gettext``, ``ngettext``)
and of the renderers' Python (``gettext``/``ngettext``/``lazy_gettext`` calls with a literal), for the catalog tests."""

from __future__ import annotations

import ast
from pathlib import Path

import jinja2.ext

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = {"block_start_string": "((*", "block_end_string": "*))", "variable_start_string": "(((",
           "variable_end_string": ")))", "comment_start_string": "((=", "comment_end_string": "=))",
           "trim_blocks": "true", "lstrip_blocks": "true", "extensions": "jinja2.ext.i18n"}
KEYWORDS = ("_", "gettext", "ngettext")


def template_messages() -> dict[str, str | tuple]:
    """msgid (a pair for a plural) -> where it is used."""
    found = {}
    for path in sorted((ROOT / "templates").rglob("*.j2")):
        with path.open("rb") as handle:
            for line, _function, message, _comments in jinja2.ext.babel_extract(handle, KEYWORDS, [], OPTIONS):
                parts = (message,) if isinstance(message, str) else tuple(m for m in message if m)
                key = parts[0] if len(parts) == 1 else parts
                found.setdefault(key, f"{path.relative_to(ROOT)}:{line}")
    return found


def python_messages() -> dict:
    found = {}
    for folder in ("render", "classroom", "cli"):
        for path in sorted((ROOT / "derive" / folder).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                        in ("gettext", "ngettext", "_", "lazy_gettext")):
                    continue
                strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if strings and not node.args[0] is None and isinstance(node.args[0], ast.Constant):
                    key = strings[0] if len(strings) == 1 else tuple(strings[:2])
                    found.setdefault(key, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def all_messages() -> dict:
    return {**template_messages(), **python_messages()}
