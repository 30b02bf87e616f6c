"""LaTeX output: the derivation through ``templates/solution.tex.j2``, a standalone document."""

from __future__ import annotations

from .environment import render_template
from .numbers import NumberFormat
from .view import build_view

# The packages a document uses (TeX Live's latex-base, -recommended, -extra and -pictures hold them).
PACKAGES = ("fontenc", "lmodern", "geometry", "amsmath", "amssymb", "array", "booktabs", "longtable", "tikz")


def render_latex(derivation, *, fragment: bool = False, number_format: NumberFormat | None = None,
                 template_dir=None, diagram_values: bool = False, diagram: bool = True) -> str:
    """The worked solution as a LaTeX document that pdflatex compiles (``fragment``: the body alone).

    ``diagram=False`` leaves out the TikZ picture of the network, for a LaTeX of someone else's
    preamble without TikZ (nbconvert's, when a notebook becomes a PDF).

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> text = render_latex(derive_steps(derive.load("2-2-2")))
    >>> text.startswith("\\\\documentclass"), "\\\\tag{16}" in text
    (True, True)
    """
    view = build_view(derivation, number_format=number_format, diagram_values=diagram_values)
    context = {"view": view, "fragment": fragment, "show_diagram": diagram}
    return render_template("tex", "solution.tex.j2", context, template_dir)
