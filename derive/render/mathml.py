"""The printer's LaTeX as MathML, for HTML pages.

Why MathML, converted here by ``latex2mathml``, and not a bundled KaTeX: Chromium (since 109)
and Firefox render MathML Core natively, so a page needs no script, no web font and no network
to show its math, prints as it shows, and stays small (KaTeX would add ~270 kB of script and
~300 kB of fonts to every page). Every formula comes from the one printer
(:mod:`derive.render.latex`), so the converter only meets the LaTeX that printer writes; the few
constructs ``latex2mathml`` renders poorly are rewritten first (``bmatrix`` becomes
``\\left[\\begin{matrix}...\\end{matrix}\\right]``, whose stretchy fences span the rows), and an
aligned chain of equalities is laid out as a two-column ``<mtable>`` here, not by the converter
(which does not know ``aligned``), with its columns aligned by the page's style sheet.
"""

from __future__ import annotations

import re

from latex2mathml.converter import convert
from pylatex.utils import NoEscape

from ..errors import RenderError

_REWRITES = ((r"\begin{bmatrix}", r"\left[\begin{matrix}"), (r"\end{bmatrix}", r"\end{matrix}\right]"))
_OUTER = re.compile(r"\A<math[^>]*>(.*)</math>\Z", re.S)
_INLINE = re.compile(r"\$([^$]+)\$")
# The printer's decimal comma, 0{,}5, which the converter splits into 0, a comma and 5: one <mn>0,5</mn>.
_DECIMAL_COMMA = re.compile(r"<mn>([0-9]+)</mn><mrow><mo>&#x0002C;</mo></mrow><mn>([0-9]+)</mn>")


def _inner(tex: str) -> str:
    """The MathML of one formula, without its ``<math>`` element."""
    for old, new in _REWRITES:
        tex = tex.replace(old, new)
    try:
        markup = convert(tex)
    except Exception as err:  # the converter raises bare exceptions of several kinds
        raise RenderError(f"cannot convert a formula to MathML: {tex!r} ({err})") from None
    return _DECIMAL_COMMA.sub(r"<mn>\1,\2</mn>", _OUTER.match(markup).group(1))


def _trusted(tex) -> str:
    if not isinstance(tex, NoEscape):
        raise RenderError(f"only the printer's LaTeX becomes math; got a {type(tex).__name__}")
    return str(tex)


def inline_math(tex) -> NoEscape:
    """One formula (trusted LaTeX) as inline MathML.

    >>> print(inline_math(NoEscape("x_{1}")))
    <math><mrow><msub><mi>x</mi><mrow><mn>1</mn></mrow></msub></mrow></math>
    >>> print(inline_math(NoEscape("0{,}25")))
    <math><mrow><mn>0,25</mn></mrow></math>
    """
    return NoEscape(f"<math>{_inner(_trusted(tex))}</math>")


def math_chain(rows, results_from: int | None = None) -> NoEscape:
    """An aligned chain ``lhs = a = b`` (rows of left and right LaTeX) as display MathML.

    Rows from ``results_from`` on are marked ``class="result"``, for a page to hide until asked.

    >>> print(math_chain([(NoEscape("y"), NoEscape("= 1"))]))  # doctest: +NORMALIZE_WHITESPACE
    <math display="block" class="chain"><mtable><mtr><mtd><mstyle displaystyle="true" scriptlevel="0"><mrow><mi>y</mi></mrow>\
</mstyle></mtd><mtd><mstyle displaystyle="true" scriptlevel="0"><mrow><mo>&#x0003D;</mo><mn>1</mn></mrow>\
</mstyle></mtd></mtr></mtable></math>
    """
    cells = "".join(_row(row, results_from is not None and i >= results_from) for i, row in enumerate(rows))
    return NoEscape(f'<math display="block" class="chain"><mtable>{cells}</mtable></math>')


def _row(row, result: bool) -> str:
    cells = "".join('<mtd><mstyle displaystyle="true" scriptlevel="0">'
                    f"{_inner(_trusted(side)) if str(side) else ''}</mstyle></mtd>" for side in row)
    return ('<mtr class="result">' if result else "<mtr>") + cells + "</mtr>"


def text_with_math(html) -> NoEscape:
    """Trusted HTML text whose ``$...$`` formulas (the templates' own) become MathML.

    User text never reaches here with a ``$``: :func:`~derive.render.escape.escape_html` writes it as
    ``&#36;``.

    >>> print(text_with_math(NoEscape("the sigmoid $\\\\sigma$")))
    the sigmoid <math><mrow><mi>&#x003C3;</mi></mrow></math>
    """
    return NoEscape(_INLINE.sub(lambda m: inline_math(NoEscape(m.group(1))), _trusted(html)))


__all__ = ["inline_math", "math_chain", "text_with_math"]
