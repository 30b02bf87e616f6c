"""Markdown output: the derivation through ``templates/solution.md.j2``."""

from __future__ import annotations

from .environment import render_template
from .numbers import NumberFormat
from .view import build_view


def render_markdown(derivation, *, number_format: NumberFormat | None = None, template_dir=None,
                    diagram_values: bool = False) -> str:
    """The worked solution as Markdown (GitHub and Jupyter render its math).

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> text = render_markdown(derive_steps(derive.load("2-2-2")))
    >>> "&= 0.593269992" in text
    True
    """
    view = build_view(derivation, number_format=number_format, diagram_values=diagram_values)
    return render_template("md", "solution.md.j2", {"view": view, "fragment": False}, template_dir)
