"""The one place where user text is made safe for LaTeX, Markdown and HTML.

Titles, labels and names come from the spec. Anything a template prints goes through
:func:`finalize_latex`, :func:`finalize_markdown` or :func:`finalize_html`, which escape every plain ``str`` and let
only PyLaTeX's :class:`~pylatex.utils.NoEscape` text (produced by our own renderers, and the
one type for text that is already in the target format, LaTeX, Markdown or HTML) through unchanged.
A forgotten escape therefore shows up as visible backslashes, never as TeX that runs.
"""

from __future__ import annotations

import re

import jinja2
from pylatex.utils import NoEscape

from ..errors import RenderError


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
# Beyond ASCII, pdflatex (utf8 input, T1 and TS1 fonts) sets these as they are: Latin-1, Latin
# Extended-A (but for the few T1 lacks), Romanian commas, dashes, quotes, dots, euro, arrows.
_TEXT_RANGES = ((0xA0, 0x125), (0x128, 0x137), (0x139, 0x13E), (0x141, 0x148), (0x14A, 0x165),
                (0x168, 0x17E), (0x218, 0x21B), (0x2010, 0x2014), (0x2018, 0x201A), (0x201C, 0x201E),
                (0x2020, 0x2022), (0x2026, 0x2026), (0x2030, 0x2030), (0x2039, 0x203A), (0x20AC, 0x20AC),
                (0x2122, 0x2122), (0x2190, 0x2193))
_TEXT_CHARS = frozenset(chr(c) for low, high in _TEXT_RANGES for c in range(low, high + 1))
# Greek letters and the usual math symbols, which a teacher may well put in a title: set in math mode.
_GREEK = ("alpha beta gamma delta varepsilon zeta eta theta iota kappa lambda mu nu xi o pi rho varsigma "
          "sigma tau upsilon varphi chi psi omega").split()
_GREEK_CAPITALS = "A B Gamma Delta E Z H Theta I K Lambda M N Xi O Pi P - Sigma T Upsilon Phi X Psi Omega".split()
_MATH_CHARS = {
    **{chr(0x3B1 + i): name for i, name in enumerate(_GREEK)},
    **{chr(0x391 + i): name for i, name in enumerate(_GREEK_CAPITALS) if name != "-"},
    "ϑ": "vartheta", "ϕ": "phi", "ϵ": "epsilon", "ϱ": "varrho", "ϖ": "varpi",
    "∂": "partial", "∇": "nabla", "∆": "Delta", "∑": "sum", "∏": "prod", "√": "surd", "∞": "infty",
    "≤": "leq", "≥": "geq", "≠": "neq", "≈": "approx", "≡": "equiv", "∈": "in", "∉": "notin",
    "⊂": "subset", "∪": "cup", "∩": "cap", "∀": "forall", "∃": "exists", "−": "-", "∓": "mp", "⋅": "cdot",
    "∘": "circ", "⇒": "Rightarrow", "⇐": "Leftarrow", "⇔": "Leftrightarrow", "↔": "leftrightarrow",
    "∝": "propto", "′": "prime", "∫": "int", "∼": "sim", "≪": "ll", "≫": "gg", "⊗": "otimes",
    "⊕": "oplus", "∅": "emptyset",
}
_LATEX_PATTERN = re.compile("|".join(re.escape(ch) for ch in _LATEX_SPECIALS) + r"|[^\x00-\x7f]")


def _latex_char(ch: str) -> str:
    if ch in _LATEX_SPECIALS:
        return _LATEX_SPECIALS[ch]
    if ch in _TEXT_CHARS:
        return ch
    name = _MATH_CHARS.get(ch)
    if name == "-":
        return r"\ensuremath{-}"
    if name is not None and len(name) == 1:  # Alpha, Omicron, ... look like Latin letters: set upright
        return rf"\ensuremath{{\mathrm{{{name}}}}}"
    if name is not None:
        return rf"\ensuremath{{\{name}}}"
    # CJK, emoji, combining marks, bidi and zero-width characters: no font here has them, and a
    # hidden one should not be hidden. Shown as its code point instead of failing the TeX run.
    return f"[U+{ord(ch):04X}]"


def escape_latex(text: str) -> NoEscape:
    """User text for LaTeX's text mode: every character printed literally, none run as TeX.

    Characters beyond what pdflatex can set never fail the build: Greek letters and common
    math symbols are set in math mode, anything else (CJK, emoji, zero-width marks) appears
    as its code point; Markdown keeps them all as they are.

    >>> print(escape_latex(r"50% of $x & y_1 \\input{/etc/passwd}"))
    50\\% of \\$x \\& y\\_1 \\textbackslash{}input\\{/etc/passwd\\}
    >>> print(escape_latex("Größe σ-Netz ∂E/∂w 中 😀"))
    Größe \\ensuremath{\\sigma}-{}Netz \\ensuremath{\\partial}E/\\ensuremath{\\partial}w [U+4E2D] [U+1F600]

    A word too long for a line (a URL, a title without spaces) may break every few characters:

    >>> print(escape_latex("x" * 32))
    xxxxxxxxxxxxxxxx\\allowbreak{}xxxxxxxxxxxxxxxx
    """
    # re.split with a group: the long words are at the odd places
    parts = _LONG_WORD.split(str(text))
    return NoEscape("".join(_breakable(part) if i % 2 else _escape_chunk(part) for i, part in enumerate(parts)))


_LONG_WORD = re.compile(r"(\S{30,})")
_CHUNK = 16


def _escape_chunk(text: str) -> str:
    return _LATEX_PATTERN.sub(lambda m: _latex_char(m.group(0)), text)


def _breakable(word: str) -> str:
    return r"\allowbreak{}".join(_escape_chunk(word[i:i + _CHUNK]) for i in range(0, len(word), _CHUNK))


# Parentheses stay: "\(" would open inline math in Jupyter. Nothing here starts a line.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]#|~^$])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_markdown(text: str) -> NoEscape:
    """User text for Markdown (GitHub, Jupyter): no emphasis, links, HTML or math.

    >>> print(escape_markdown("a_b *c* $x$ <b> {{7*7}}"))
    a\\_b \\*c\\* \\$x\\$ &lt;b&gt; \\{\\{7\\*7\\}\\}
    """
    text = "".join(_HTML.get(ch, ch) for ch in str(text))
    return NoEscape(_MARKDOWN_SPECIALS.sub(r"\\\1", text))


# "$" too: the HTML renderer turns the templates' own $...$ into MathML, never the user's.
_HTML_SPECIALS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "$": "&#36;"}
_HTML_PATTERN = re.compile("[&<>\"'$]")


def escape_html(text: str) -> NoEscape:
    """User text for HTML, in element content or a quoted attribute: no tag, entity, link or math.

    >>> print(escape_html('<script>alert("x")</script> & $\\\\frac{1}{2}$'))
    &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#36;\\frac{1}{2}&#36;
    """
    return NoEscape(_HTML_PATTERN.sub(lambda m: _HTML_SPECIALS[m.group(0)], str(text)))


_NAME = re.compile(r"[A-Za-z0-9_]+\Z")


def tex_name(name: str) -> NoEscape:
    """A spec name (or a part of one) inside math: underscores escaped, letters and digits kept.

    Names are validated by the spec as ``[A-Za-z][A-Za-z0-9_]*``; anything else is a bug.

    >>> print(tex_name("h1_2"))
    h1\\_2
    """
    if not _NAME.match(name):
        raise RenderError(f"not a valid name for a formula: {name!r}")
    return NoEscape(name.replace("_", r"\_"))


def _finalize(escape):
    def finalize(value):
        if isinstance(value, NoEscape):
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
finalize_latex.__doc__ = """Jinja's ``finalize`` for LaTeX templates: escape plain text, keep NoEscape.

>>> finalize_latex("a&b"), finalize_latex(NoEscape("a&b")), finalize_latex(7)
(NoEscape(a\\&b), NoEscape(a&b), '7')
"""
finalize_markdown = _finalize(escape_markdown)
finalize_markdown.__doc__ = """Jinja's ``finalize`` for Markdown templates: escape plain text, keep NoEscape.

>>> finalize_markdown("a*b"), finalize_markdown(NoEscape("a*b"))
(NoEscape(a\\*b), NoEscape(a*b))
"""
finalize_html = _finalize(escape_html)
finalize_html.__doc__ = """Jinja's ``finalize`` for HTML templates: escape plain text, keep NoEscape.

>>> finalize_html("<b>"), finalize_html(NoEscape("<b>"))
(NoEscape(&lt;b&gt;), NoEscape(<b>))
"""
