"""LaTeX output: the derivation through ``templates/solution.tex.j2``, a standalone document."""

from __future__ import annotations

from .environment import render_template
from .numbers import NumberFormat
from .view import build_view

# The packages a document uses (TeX Live's latex-base, -recommended, -extra and -pictures hold them).
PACKAGES = ("fontenc", "lmodern", "geometry", "amsmath", "amssymb", "array", "booktabs", "longtable", "tikz")


def render_latex(derivation, *, fragment: bool = False, number_format: NumberFormat | None = None,
                 template_dir=None, diagram_values: bool = False) -> str:
    """The worked solution as a LaTeX document that pdflatex compiles (``fragment``: the body alone).

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> text = render_latex(derive_steps(derive.load("2-2-2")))
    >>> text.startswith("\\\\documentclass"), "\\\\tag{16}" in text
    (True, True)
    """
    view = build_view(derivation, number_format=number_format, diagram_values=diagram_values)
    return render_template("tex", "solution.tex.j2", {"view": view, "fragment": fragment}, template_dir)
