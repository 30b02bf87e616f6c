"""The public face of a worked solution: ``derive.solve(spec) -> Solution``.

A :class:`Solution` (an :class:`UpdatesSolution` for online and mini-batch updates: each update's
worked solution in turn, through ``templates/updates.*.j2``) renders itself as Markdown, LaTeX or HTML, writes a file, and shows itself
rendered in Jupyter (``_repr_html_``, ``_repr_markdown_``, ``_repr_latex_``).
"""

from __future__ import annotations

from functools import cached_property, wraps
from pathlib import Path

from ..errors import RenderError


def _in_own_language(method):
    """Run a rendering method in the solution's language (``self.lang``), whatever the caller's is.

    >>> class Shown:
    ...     lang = "de"
    ...     @_in_own_language
    ...     def which(self):
    ...         from derive.render.language import current_language
    ...         return current_language()
    >>> Shown().which()
    'de'
    """
    @wraps(method)
    def in_language(self, *args, **kwargs):
        from .language import language

        with language(self.lang):
            return method(self, *args, **kwargs)

    return in_language


class Solution:
    """One worked solution: the derivation (data) and how to print numbers.

    >>> import derive
    >>> solution = derive.solve("2-2-2")
    >>> "0.000438568" in solution.markdown(), "\\\\begin{document}" in solution.latex()
    (True, True)
    >>> "\\\\begin{document}" in solution.latex(fragment=True)
    False
    """

    def __init__(self, derivation, *, number_format=None, template_dir=None, diagram_values: bool = False,
                 lang: str | None = None):
        from .language import check_language, current_language
        from .numbers import NumberFormat

        self.lang = check_language(lang) if lang is not None else current_language()
        self.derivation = derivation
        self.number_format = number_format or NumberFormat()
        self.template_dir = template_dir
        self.diagram_values = diagram_values

    @property
    def problem(self):
        return self.derivation.problem

    @cached_property
    @_in_own_language
    def _markdown(self) -> str:
        from .markdown import render_markdown

        return render_markdown(self.derivation, number_format=self.number_format, template_dir=self.template_dir,
                               diagram_values=self.diagram_values)

    def markdown(self) -> str:
        """The solution as Markdown text."""
        return self._markdown

    @_in_own_language
    def latex(self, fragment: bool = False) -> str:
        """The solution as a standalone LaTeX document, or (``fragment``) its body alone."""
        from .tex import render_latex

        return render_latex(self.derivation, fragment=fragment, number_format=self.number_format,
                            template_dir=self.template_dir, diagram_values=self.diagram_values)

    @_in_own_language
    def html(self, *, reveal: bool = False) -> str:
        """The solution as one self-contained HTML page (``reveal``: each result behind a button).

        >>> import derive
        >>> derive.solve("2-2-1").html().startswith("<!DOCTYPE html>")
        True
        """
        from .html import render_html

        return render_html(self.derivation, number_format=self.number_format, template_dir=self.template_dir,
                           diagram_values=self.diagram_values, reveal=reveal)

    def pdf(self, *, timeout: float | None = None) -> bytes:
        """The solution as PDF bytes, built by the hardened TeX run of :mod:`derive.io.texrun`.

        >>> import derive
        >>> derive.solve("2-2-1").pdf()[:5]
        b'%PDF-'
        """
        from ..io.texrun import build_pdf_bytes

        return build_pdf_bytes(self.latex(), timeout=timeout)

    def render(self, format: str, *, fragment: bool = False, reveal: bool = False) -> str | bytes:
        """The solution in ``format`` ("md", "tex", "html" or "pdf", the last as bytes)."""
        if reveal and format != "html":
            raise RenderError(f"reveal applies to html; the format is {format}")
        if format == "md":
            return self.markdown()
        if format == "html":
            return self.html(reveal=reveal)
        if format == "tex":
            return self.latex(fragment=fragment)
        if format == "pdf":
            if fragment:
                raise RenderError("a PDF is always a whole document; fragment applies to tex")
            return self.pdf()
        raise RenderError(f"format must be md, tex, html or pdf; got {format!r}")

    def write(self, path, *, format: str | None = None, force: bool = False, fragment: bool = False,
              reveal: bool = False) -> Path:
        """Write the solution to ``path`` (format from the suffix unless given); never half a file.

        >>> import derive, tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> derive.solve("2-2-1").write(folder / "solution.md").read_text().startswith("# ")
        True
        """
        from ..io.output import check_output_path, format_from_suffix, write_atomic

        path = Path(path)
        format = format or format_from_suffix(path, ("md", "tex", "html", "pdf"), way_out="or pass format=")
        check_output_path(path, force=force)
        return write_atomic(path, self.render(format, fragment=fragment, reveal=reveal), force=force)

    def __repr__(self) -> str:
        """Title, style and how many steps.

        >>> import derive
        >>> derive.solve("2-2-1", style="delta")  # doctest: +ELLIPSIS
        <Solution 'Two inputs, two hidden, one output (linear, no bias)': delta style, ... steps>
        """
        title = f" {self.derivation.statement.title!r}" if self.derivation.statement.title else ""
        return f"<Solution{title}: {self.derivation.style} style, {len(list(self.derivation.steps()))} steps>"

    @_in_own_language
    def _repr_html_(self) -> str:
        from .html import solution_html

        return solution_html(self)

    def _repr_markdown_(self) -> str:
        return self.markdown()

    @_in_own_language
    def _repr_latex_(self) -> str:
        """The body without the TikZ picture, which nbconvert's LaTeX preamble cannot set."""
        from .tex import render_latex

        return render_latex(self.derivation, fragment=True, number_format=self.number_format,
                            template_dir=self.template_dir, diagram=False)


class UpdatesSolution(Solution):
    """A worked solution of several updates (``update: online`` or ``{batch_size: k}``).

    >>> import derive
    >>> spec = {"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}], "update": "online",
    ...         "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]}
    >>> solution = derive.solve(spec)
    >>> solution
    <Solution (online, 2 updates): scalar style, ... steps>
    >>> "# Update 2 (example 2)" in solution.markdown()
    True
    """

    def __init__(self, updates, derivations, **options):
        super().__init__(derivations[0], **options)
        self.updates = updates
        self.derivations = derivations

    @property
    def spec(self):
        return self.updates[0].problem.spec

    @property
    def mode(self) -> str:
        """``online`` (one example per update) or ``mini-batch``."""
        return "online" if all(len(u.examples) == 1 for u in self.updates) else "mini-batch"

    def _context(self, **extra) -> dict:
        from .view import build_view

        spec = self.derivations[0].problem.spec
        full = self.updates[0]
        items = []
        for update, derivation in zip(self.updates, self.derivations):
            view = build_view(derivation, number_format=self.number_format, diagram_values=self.diagram_values)
            items.append({"number": update.number, "examples": list(update.examples), "view": view,
                          **({k: f(update, derivation) for k, f in extra.items()})})
        last = items[-1]["view"]["summary"]["rows"]
        return {"title": spec.title, "mode": self.mode, "batch_size": len(full.examples), "updates": items,
                "final": [{"name": row["param"], "value": row["updated"]} for row in last]}

    @cached_property
    @_in_own_language
    def _markdown(self) -> str:
        from .environment import render_template

        return render_template("md", "updates.md.j2", {**self._context(), "fragment": False}, self.template_dir)

    @_in_own_language
    def latex(self, fragment: bool = False) -> str:
        from .environment import render_template

        return render_template("tex", "updates.tex.j2", {**self._context(), "fragment": fragment,
                                                         "show_diagram": True}, self.template_dir)

    def _html_context(self, reveal: bool) -> dict:
        """The updates' context with each update's HTML body; its ids (and links to them) start
        u<number>-, unique on the page."""
        from .html import render_solution_body

        def body(update, derivation):
            return render_solution_body(derivation, number_format=self.number_format, template_dir=self.template_dir,
                                        id_prefix=f"u{update.number}-", reveal=reveal,
                                        diagram_values=self.diagram_values)

        return {**self._context(body=body), "reveal": reveal}

    @_in_own_language
    def html(self, *, reveal: bool = False) -> str:
        """The updates as one self-contained HTML page (``reveal``: each result behind a button).

        >>> import derive
        >>> page = derive.solve("2-2-1-xor-negnevitsky").html(reveal=True)
        >>> page.startswith("<!DOCTYPE html>"), 'id="u4-eq-1"' in page, "revealable concealed" in page
        (True, True, True)
        """
        from .html import render_page

        return render_page("html/updates.html.j2", self._html_context(reveal), self.template_dir)

    @_in_own_language
    def _repr_html_(self) -> str:
        """The updates as an HTML fragment for a notebook, as :meth:`Solution._repr_html_`."""
        from .environment import render_template
        from .html import render_page
        from pylatex.utils import NoEscape

        body = render_template("html", "html/_updates_body.html.j2", self._html_context(False), self.template_dir)
        item = {"body": NoEscape(body), "title": self.derivation.statement.title or ""}
        return render_page("html/display.html.j2", {"kind": "solution", "item": item})

    def _repr_latex_(self) -> str:
        return self.latex(fragment=True)

    def __repr__(self) -> str:
        title = f" {self.derivation.statement.title!r}" if self.derivation.statement.title else ""
        steps = sum(len(list(d.steps())) for d in self.derivations)
        return f"<Solution{title} ({self.mode}, {len(self.updates)} updates): {self.derivation.style} style, {steps} steps>"


def solve(spec, *, style: str = "scalar", only=None, names: str = "sequential", decimals: int | None = None,
          digits: int | None = None, carry_rounding: int | None = None, collapse: bool | None = None,
          template_dir=None, diagram_values: bool = False, lang: str | None = None) -> Solution:
    """Work out one backpropagation step of ``spec`` (path, text, dict, example name or Problem).

    ``lang`` is the language of its sentences and numbers: "en", "de" or "es" (default: English,
    or the language of an enclosing ``with derive.language(...)``).

    >>> import derive
    >>> solution = derive.solve("2-2-1", style="matrix", carry_rounding=3)
    >>> "-0.809" in solution.markdown()
    True
    >>> "-0{,}809" in derive.solve("2-2-1", style="matrix", carry_rounding=3, lang="de").markdown()
    True
    """
    from .language import check_language

    lang = check_language(lang) if lang is not None else None
    from ..engine.problem import Problem, load
    from .numbers import DEFAULT_DECIMALS, NumberFormat
    from ..steps import derive_steps

    if decimals is not None and digits is not None:
        raise RenderError("give decimals or digits, not both")
    number_format = NumberFormat(digits=digits) if digits is not None else \
        NumberFormat(decimals=DEFAULT_DECIMALS if decimals is None else decimals)
    problem = spec if isinstance(spec, Problem) else load(spec)
    if problem.spec.update != "batch":
        from ..engine.updates import update_problems

        _check_updates_size(problem)
        updates = update_problems(problem, carry_rounding=carry_rounding)
        derivations = [derive_steps(u.problem, style=style, only=only, names=names, carry_rounding=carry_rounding,
                                    collapse=collapse) for u in updates]
        return UpdatesSolution(updates, derivations, number_format=number_format, template_dir=template_dir,
                               diagram_values=diagram_values, lang=lang)
    derivation = derive_steps(problem, style=style, only=only, names=names, carry_rounding=carry_rounding,
                              collapse=collapse)
    return Solution(derivation, number_format=number_format, template_dir=template_dir,
                    diagram_values=diagram_values, lang=lang)


def _check_updates_size(problem) -> None:
    """Refuse, before any work, online updates whose documents together exceed one document's limit.

    Each update is a whole worked solution: 256 updates of a 1,000-parameter network would each be
    allowed alone, and together take hours and gigabytes.
    """
    from ..errors import keyword
    from ..steps import MAX_FOCUSED_PARAMETERS

    count, size = len(problem.spec.update_groups), len(problem.network.parameters)
    if count * size > MAX_FOCUSED_PARAMETERS:
        raise RenderError(f"{count} updates of {size} parameters are too long for one document (at most "
                          f"{MAX_FOCUSED_PARAMETERS} parameters over all the updates); give fewer examples, or "
                          f"{keyword('format', 'json', api_text='Problem.to_dict()')} gives every number")
