"""How the objects a user meets show themselves in Jupyter: short reprs and rich displays.

Problem, TrainingRun and Quantity live in the engine and VariantSet and CheckReport in the
classroom stage; neither may import presentation, so the displays are written here (duck-typed,
as the other renderers are) and :func:`install` attaches them as ``_repr_html_`` /
``_repr_markdown_`` methods when ``derive`` is imported. Only LaTeX that nbconvert's own preamble
can set is offered as ``_repr_latex_`` (the worked solution without its TikZ picture), so a
notebook converts to PDF.
"""

from __future__ import annotations

from .environment import render_template


def problem_view(problem) -> dict:
    """What the displays of a :class:`~derive.engine.problem.Problem` show.

    >>> import derive
    >>> problem_view(derive.load("2-2-2"))["shape"]
    '2-2-2'
    """
    spec = problem.spec
    shape = "-".join(str(n) for n in [len(spec.examples[0].inputs)] + [layer.units for layer in spec.layers])
    return {"title": spec.title or "", "shape": shape, "examples": len(spec.examples), "loss": spec.loss,
            "activations": [layer.activation for layer in spec.layers], "parameters": problem.parameter_names}


def problem_html(problem) -> str:
    """The problem as an HTML fragment: its summary, the network as SVG, its data and layers.

    >>> import derive
    >>> html = problem_html(derive.load("2-2-2"))
    >>> "<svg" in html and "2-2-2" in html
    True
    """
    from ..steps import derive_steps
    from .html import diagram_geometry, render_page
    from .view import build_problem_view

    view = {"problem": build_problem_view(derive_steps(problem, only=problem.parameter_names[:1]))}
    context = {"kind": "problem", "item": problem_view(problem), "view": view,
               "svg": diagram_geometry(view["problem"]["diagram"])}
    return render_page("html/display.html.j2", context)


def problem_markdown(problem) -> str:
    """The problem in a few Markdown lines.

    >>> import derive
    >>> print(problem_markdown(derive.load("2-2-1")).splitlines()[0])
    **Problem** 2-2-1: Two inputs, two hidden, one output (linear, no bias)
    """
    return render_template("md", "md/display.md.j2", {"kind": "problem", "item": problem_view(problem)})


def run_view(run) -> dict:
    """What the displays of a :class:`~derive.engine.train.TrainingRun` show.

    >>> import derive
    >>> run_view(derive.train("2-2-1", 3))["final"]
    '0.168563945'
    """
    from pylatex.utils import NoEscape

    from .training import format_number, svg_curve

    positive = all(loss > 0 for loss in run.loss_history)
    return {"title": run.spec.title or "", "steps": run.steps, "optimizer": run.spec.optimizer.name,
            "first": format_number(run.loss_history[0]), "final": format_number(run.loss),
            "parameters": [(name, format_number(value)) for name, value in run.parameters.items()],
            "curve": NoEscape(svg_curve(run.loss_history, log_scale=positive))}


def variants_view(variants) -> dict:
    """What the displays of a :class:`~derive.classroom.variants.VariantSet` show.

    >>> import derive
    >>> variants_view(derive.generate_variants("2-2-2-exercise", 2, seed=1))["count"]
    2
    """
    keys = list(variants.variants[0].parameters) if variants.variants else []
    return {"title": variants.spec.title or "", "seed": variants.seed, "count": len(variants.variants),
            "asked": [q.key for q in variants.questions], "report": variants.report(), "keys": keys,
            "rows": [{"index": v.index, "values": [v.parameters[k] for k in keys]} for v in variants.variants]}


def report_view(report) -> dict:
    """What the displays of a :class:`~derive.classroom.check.CheckReport` show.

    >>> from derive.classroom.check import check_claims
    >>> report_view(check_claims("2-2-2", {"out_o1": 0.6}))["wrong"]
    1
    """
    from .numbers import fixed

    rows = [{"name": r.claim.name, "claimed": r.claim.text, "computed": fixed(r.computed, r.claim.decimals),
             "ok": r.ok, "why": (r.explanation.text if r.explanation else "") if not r.ok else ""}
            for r in report.results]
    return {"source": report.source or "", "title": report.spec.title or "", "rows": rows,
            "wrong": sum(not r.ok for r in report.results)}


def quantity_view(quantity) -> dict:
    """What the displays of a quantity show: its key, kind and formula (SymPy's plain text).

    >>> import derive
    >>> quantity_view(derive.load("2-2-2").quantity("net_h1"))["formula"]
    'b1 + w1*x1 + w2*x2'
    """
    return {"key": quantity.key, "kind": quantity.kind, "layer": quantity.layer, "neuron": quantity.neuron or "",
            "formula": "" if quantity.formula is None else str(quantity.formula)}


_VIEWS = {"problem": problem_view, "run": run_view, "variants": variants_view, "report": report_view,
          "quantity": quantity_view}


def display_html(kind: str, item) -> str:
    """The HTML fragment of one object (``kind``: run, variants, report or quantity).

    >>> import derive
    >>> "0.168563945" in display_html("run", derive.train("2-2-1", 3))
    True
    """
    from .html import render_page

    return render_page("html/display.html.j2", {"kind": kind, "item": _VIEWS[kind](item)})


def display_markdown(kind: str, item) -> str:
    """The Markdown of one object, for front ends (and nbconvert's PDF) that take Markdown.

    >>> import derive
    >>> display_markdown("quantity", derive.load("2-2-2").quantity("net_h1")).startswith("**Quantity**")
    True
    """
    return render_template("md", "md/display.md.j2", {"kind": kind, "item": _VIEWS[kind](item)})


def install(**classes) -> None:
    """Give each class (keyword: its kind) ``_repr_html_`` and ``_repr_markdown_`` methods.

    >>> class Thing:
    ...     pass
    >>> install(quantity=Thing)
    >>> hasattr(Thing, "_repr_html_") and hasattr(Thing, "_repr_markdown_")
    True
    """
    for kind, cls in classes.items():
        if kind == "problem":
            cls._repr_html_, cls._repr_markdown_ = problem_html, problem_markdown
            continue
        cls._repr_html_ = lambda self, _kind=kind: display_html(_kind, self)
        cls._repr_markdown_ = lambda self, _kind=kind: display_markdown(_kind, self)


__all__ = ["display_html", "display_markdown", "install", "problem_html", "problem_markdown"]
