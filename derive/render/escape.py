"""The one place where user text is made safe for LaTeX and Markdown.

Titles, labels and names come from the spec. Anything a template prints goes through
:func:`finalize_latex` or :func:`finalize_markdown`, which escape every plain ``str`` and let
only :class:`Trusted` text (produced by our own renderers) through unchanged, as PyLaTeX's
``NoEscape`` does. A forgotten escape therefore shows up as visible backslashes, never as
TeX that runs.
"""

from __future__ import annotations

import re

import jinja2

from ..errors import RenderError


class Trusted(str):
    """Text our own code produced for the target format; printed as it is.

    >>> Trusted(r"\\frac{1}{2}") + "!"
    '\\\\frac{1}{2}!'
    >>> isinstance(Trusted("x"), Trusted)
    True
    """

    __slots__ = ()


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    # ligatures that would change what the reader sees
    "-": "-{}",
    "`": r"\textasciigrave{}",
    "'": r"\textquotesingle{}",
    '"': r"\textquotedbl{}",
}
_LATEX_PATTERN = re.compile("|".join(re.escape(ch) for ch in _LATEX_SPECIALS))


def escape_latex(text: str) -> Trusted:
    """User text for LaTeX's text mode: every special character printed literally.

    >>> print(escape_latex(r"50% of $x & y_1 \\input{/etc/passwd}"))
    50\\% of \\$x \\& y\\_1 \\textbackslash{}input\\{/etc/passwd\\}
    """
    return Trusted(_LATEX_PATTERN.sub(lambda m: _LATEX_SPECIALS[m.group(0)], str(text)))


# Parentheses stay: "\(" would open inline math in Jupyter. Nothing here starts a line.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]#|~^$])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_markdown(text: str) -> Trusted:
    """User text for Markdown (GitHub, Jupyter): no emphasis, links, HTML or math.

    >>> print(escape_markdown("a_b *c* $x$ <b> {{7*7}}"))
    a\\_b \\*c\\* \\$x\\$ &lt;b&gt; \\{\\{7\\*7\\}\\}
    """
    text = "".join(_HTML.get(ch, ch) for ch in str(text))
    return Trusted(_MARKDOWN_SPECIALS.sub(r"\\\1", text))


_NAME = re.compile(r"[A-Za-z0-9_]+\Z")


def tex_name(name: str) -> Trusted:
    """A spec name (or a part of one) inside math: underscores escaped, letters and digits kept.

    Names are validated by the spec as ``[A-Za-z][A-Za-z0-9_]*``; anything else is a bug.

    >>> print(tex_name("h1_2"))
    h1\\_2
    """
    if not _NAME.match(name):
        raise RenderError(f"not a valid name for a formula: {name!r}")
    return Trusted(name.replace("_", r"\_"))


def _finalize(escape):
    def finalize(value):
        if isinstance(value, Trusted):
            return value
        if isinstance(value, jinja2.Undefined):
            return escape(str(value))  # StrictUndefined raises here, naming the missing variable
        if isinstance(value, bool) or value is None:
            raise RenderError(f"a template printed {value!r}; print text or numbers only")
        if isinstance(value, int):
            return str(value)
        if isinstance(value, str):
            return escape(value)
        raise RenderError(f"a template printed a {type(value).__name__}; render it to text first")

    return finalize


finalize_latex = _finalize(escape_latex)
finalize_latex.__doc__ = """Jinja's ``finalize`` for LaTeX templates: escape plain text, keep Trusted.

>>> finalize_latex("a&b"), finalize_latex(Trusted("a&b")), finalize_latex(7)
('a\\\\&b', 'a&b', '7')
"""
finalize_markdown = _finalize(escape_markdown)
finalize_markdown.__doc__ = """Jinja's ``finalize`` for Markdown templates: escape plain text, keep Trusted.

>>> finalize_markdown("a*b"), finalize_markdown(Trusted("a*b"))
('a\\\\*b', 'a*b')
"""
