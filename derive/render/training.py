"""A training run (:class:`derive.engine.train.TrainingRun`) as Markdown, LaTeX or an HTML page.

The document holds the loss curve (an SVG drawn here in Markdown and HTML, pgfplots in LaTeX), the
error table thinned to about twenty rows, the final parameters and outputs, the optimizer's
own first step (m, v, m̂, v̂, ... for momentum and Adam) and the worked derivation of the first
step from :func:`derive.solve`.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

import sympy as sp
from pylatex.utils import NoEscape

from .environment import render_template

CURVE_POINTS = 200  # points of the loss curve (the table keeps about 20 rows)
SVG_WIDTH, SVG_HEIGHT = 560, 300
_MARGIN = {"left": 70, "right": 20, "top": 20, "bottom": 45}

# How the optimizer's own quantities are written (the model's names come from Names).
_OPTIMIZER_TEX = {"eta": r"\eta", "mu": r"\mu", "dampening": "d", "beta1": r"\beta_1", "beta2": r"\beta_2",
                  "eps": r"\varepsilon"}
_ROLE_TEX = {"m": "m", "v": "v", "m_hat": r"\hat{m}", "v_hat": r"\hat{v}", "buf": "b", "direction": "g'",
             "update": r"\Delta"}


def format_number(value: float, decimals: int = 9, significant: int = 6) -> str:
    """``value`` in fixed notation with ``decimals`` places, more when needed for ``significant`` digits.

    Far from 1 (from 10^15 up, or below 10^-12) a power of ten, as ``1.00000e+300``.

    >>> format_number(3.510187783e-05), format_number(0.2983711087600027), format_number(0.6)
    ('0.0000351019', '0.298371109', '0.600000000')
    >>> format_number(1e300), format_number(-2.5e-300)
    ('1.00000e+300', '-2.50000e-300')
    """
    if value != 0 and math.isfinite(value) and not 1e-12 <= abs(value) < 1e15:
        return f"{value:.{significant - 1}e}"
    if value != 0 and math.isfinite(value):
        decimals = max(decimals, significant - 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


def render_training(run, kind: str, *, template_dir=None) -> str:
    """The run as a document: ``kind`` is "md", "tex" (a standalone pdflatex document) or "html".

    >>> from derive.engine.train import train
    >>> text = render_training(train("2-2-1", 3), "md")
    >>> "<svg" in text and "| 3 | 0.168563945 |" in text
    True
    """
    view = build_training_view(run, kind)
    if kind == "html":
        from .html import render_page

        return render_page("html/training.html.j2", {"view": view, "reveal": False}, template_dir)
    return render_template(kind, f"training.{kind}.j2", {"view": view}, template_dir)


def build_training_view(run, kind: str) -> dict:
    """What the training templates print; numbers and math are NoEscape, user text stays plain."""
    from ..engine.problem import Problem
    from .solution import solve
    from ..engine.train import conventions_dict, first_step
    from .latex import Names

    spec = run.spec
    problem = Problem(spec)
    names = Names(problem.model)
    first = problem
    if spec.update != "batch":  # the first step is update 1, on its own examples
        from ..engine.updates import update_problems

        first = update_problems(problem, stop=1)[0].problem
    solution = solve(first, carry_rounding=spec.conventions.carry_rounding)
    positive = all(loss > 0 for loss in run.loss_history)
    from .language import localize_number, localize_tex

    shown = _tex_shown if kind == "tex" else localize_number  # LaTeX prints these in maths, the others as text
    return {
        "title": spec.title,
        "steps": run.steps,
        "optimizer": spec.optimizer.name,
        "learning_rate": NoEscape(localize_tex(_decimal(spec.learning_rate))),
        "conventions": [{"name": name, "value": switch_text(value)} for name, value in conventions_dict(spec).items()],
        "rows": [{"step": step, "loss": NoEscape(shown(format_number(loss)))} for step, loss in run.thinned()],
        "final_loss": NoEscape(shown(format_number(run.loss))),
        "parameters": [{"tex": NoEscape(names.tex(name)), "value": NoEscape(shown(format_number(value)))}
                       for name, value in run.parameters.items()],
        "outputs": [{**row, "value": NoEscape(shown(row["value"]))} for row in _outputs(run, problem, names)],
        "log_scale": positive,
        "curve": NoEscape(svg_curve(run.loss_history, log_scale=positive)) if kind != "tex"
        else NoEscape(pgfplots_coordinates(run.loss_history)),
        "axis": _trusted(pgfplots_axis(run.loss_history)) if kind == "tex" else None,
        "optimizer_step": None if spec.optimizer.name == "sgd" else _optimizer_view(first_step(problem), names),
        "solution": NoEscape(_solution_text(solution, kind)),
        **_epochs_view(run, shown),
    }


def _tex_shown(text: str) -> str:
    r"""A number of :func:`format_number` for LaTeX maths: the language's decimal mark, ``e+300`` as a power of ten.

    >>> _tex_shown("1.00000e+300"), _tex_shown("0.25")
    ('1.00000 \\cdot 10^{300}', '0.25')
    """
    from .language import localize_tex

    return re.sub(r"e([+-])0*(\d+)", lambda m: rf" \cdot 10^{{{'-' if m[1] == '-' else ''}{m[2]}}}", localize_tex(text))


def _epochs_view(run, shown) -> dict:
    """Online and mini-batch runs: how updates make epochs, and each epoch's error (about twenty rows).

    >>> from derive.engine.train import train
    >>> view = _epochs_view(train("2-2-1-xor-negnevitsky", 9, epoch_error="before"), str)
    >>> view["update_mode"], view["per_epoch"], view["epochs"], [row["epoch"] for row in view["epoch_rows"]]
    ('online', 4, 2, [1, 2])
    """
    from ..engine.train import default_every

    if run.update == "batch":
        return {"update_mode": "batch"}  # not "update": a template's view.update is the dict's method
    spec = run.spec
    every = default_every(len(run.epoch_errors))
    rows = [{"epoch": e, "error": NoEscape(shown(format_number(error)))}
            for e, error in enumerate(run.epoch_errors, start=1) if e % every == 0 or e in (1, len(run.epoch_errors))]
    return {"update_mode": run.update, "batch_size": spec.batch_size, "per_epoch": len(spec.update_groups),
            "epochs": run.epochs, "epoch_error": run.epoch_error, "shuffle_seed": run.shuffle_seed, "epoch_rows": rows}


def _decimal(value) -> str:
    return format(float(value), "g")


def switch_text(value) -> str:
    """A convention's setting as the reports print it.

    >>> switch_text(None), switch_text(True), switch_text(3)
    ('off', 'on', '3')
    """
    from .language import gettext

    if value is None:
        return gettext("off")
    if isinstance(value, bool):
        return gettext("on") if value else gettext("off")
    return str(value)


def _outputs(run, problem, names) -> list[dict]:
    model = problem.model
    rows = []
    for n, row in enumerate(run.outputs):
        for neuron, value in zip(problem.network.output_layer.neurons, row):
            rows.append({"tex": NoEscape(names.tex(model.ex(f"out_{neuron}", n))),
                         "value": NoEscape(format_number(value))})
    return rows


def _solution_text(solution, kind: str) -> str:
    if kind == "tex":
        return solution.latex(fragment=True)
    if kind == "html":
        from .html import render_solution_body

        return render_solution_body(solution.derivation, number_format=solution.number_format)
    return _demote_headings(solution.markdown())


def _demote_headings(text: str) -> str:
    """Markdown headings one level down, to nest the solution in the report.

    (A line of display math never starts with ``#``: TeX writes a literal one as ``\\#``.)

    >>> _demote_headings("# A\\n$$x$$\\n## B\\n")
    '## A\\n$$x$$\\n### B\\n'
    """
    return re.sub(r"(?m)^(#+ )", r"#\1", text)


def _optimizer_view(steps: dict, names) -> dict | None:
    """The optimizer's first step: its hyper-parameters, then per parameter each quantity as
    LaTeX (formula = value) after the values it starts from."""
    if not steps:
        return None
    params = []
    for param, step in steps.items():
        symbols = _symbol_names(step, names)
        rows = [(NoEscape(symbols[sp.Symbol(q.key, real=True)]),
                 NoEscape(rf"= {sp.latex(q.formula, symbol_names=symbols, order='none')} = {_tex_number(q.value)}"))
                for q in step.quantities]
        lines = [NoEscape(f"{left} &{right}") for left, right in rows]
        givens = []
        for key, value in step.givens.items():
            if key in _OPTIMIZER_TEX:
                continue
            tex = symbols[_symbol(key)]
            if key == f"grad_{param}":  # written g in the formulas, defined once here
                tex = rf"{tex} = {names.tex(key)}"
            givens.append(NoEscape(rf"{tex} = {_tex_number(value)}"))
        params.append({"tex": NoEscape(names.tex(param)), "lines": lines, "rows": rows, "givens": givens})
    first = next(iter(steps.values()))
    hyper = [NoEscape(rf"{_OPTIMIZER_TEX[k]} = {_tex_number(v)}") for k, v in first.givens.items()
             if k in _OPTIMIZER_TEX]
    return {"hyper": hyper, "params": params}


def _tex_number(value) -> str:
    """Nine significant digits; a power of ten as ``\\cdot 10^{n}``."""
    from .numbers import NumberFormat

    from .language import localize_tex

    mantissa, exponent = NumberFormat(digits=9).parts(value)
    mantissa = localize_tex(mantissa)
    return mantissa if exponent is None else rf"{mantissa} \cdot 10^{{{exponent}}}"


def _symbol(name: str) -> sp.Symbol:
    from ..engine.optim import _assumptions

    return sp.Symbol(name, **_assumptions(name))


def _symbol_names(step, names) -> dict:
    """LaTeX for every symbol of one parameter's optimizer step."""
    param = names.tex(step.param)
    table = {_symbol(k): tex for k, tex in _OPTIMIZER_TEX.items()}
    table[_symbol(step.param)] = param
    table[_symbol(f"grad_{step.param}")] = rf"g_{{{param}}}"
    for q in step.quantities:
        table[sp.Symbol(q.key, real=True)] = names.tex(q.key) if q.role == "new" else \
            rf"{_ROLE_TEX[q.role]}_{{{param}}}"
    for role in ("m", "v", "buf"):
        table[_symbol(f"{role}_{step.param}_prev")] = rf"{_ROLE_TEX[role]}_{{{param}}}^{{\text{{prev}}}}"
    return table


def sample(history, points: int = CURVE_POINTS) -> list[tuple[int, float]]:
    """About ``points`` (step, error) pairs evenly spread over the run, the last one included.

    >>> sample([3.0, 2.0, 1.0, 0.5, 0.25], 2)
    [(0, 3.0), (2, 1.0), (4, 0.25)]
    """
    last = len(history) - 1
    every = max(1, math.ceil(last / points))
    picked = [(i, history[i]) for i in range(0, last + 1, every)]
    if picked[-1][0] != last:
        picked.append((last, history[last]))
    return picked


def pgfplots_coordinates(history) -> str:
    """The loss curve as a pgfplots ``coordinates`` list.

    >>> pgfplots_coordinates([0.5, 0.25])
    '(0,0.5) (1,0.25)'
    """
    return " ".join(f"({step},{loss:.10g})" for step, loss in sample(history))


LOG_AXIS_FACTOR = 10  # a log axis only when the error changes by a factor of ten or more
MIN_RELATIVE_SPAN = 1e-4  # a flatter curve is drawn flat: pgfplots' arithmetic and the tick labels stay short


def pgfplots_axis(history) -> dict:
    """The loss curve's axis limits and y ticks, computed here so that pgfplots never meets a range
    too narrow for TeX's arithmetic ("Dimension too large"), whatever the history.

    A log axis (ticks left to pgfplots) when the error spans a factor of ten or more, else a linear
    one whose span is at least :data:`MIN_RELATIVE_SPAN` of the largest error, with ticks at round
    numbers labelled here (a power of ten outside 0.001 to 100000).

    >>> axis = pgfplots_axis([0.5, 0.25])
    >>> axis["log"], axis["xmax"], axis["ymin"], axis["ymax"], axis["labels"]
    (False, 1, '0.25', '0.5', ['0.25', '0.30', '0.35', '0.40', '0.45', '0.50'])
    >>> pgfplots_axis([1.0, 0.001])["log"], pgfplots_axis([0.3])["labels"]
    (True, ['0.29998', '0.29999', '0.30000', '0.30001', '0.30002'])
    """
    from .language import localize_tex

    points = [loss for _, loss in sample(history)]
    xmax = max(len(history) - 1, 1)  # one point still needs an x range
    low, high = min(points), max(points)
    if low > 0 and high / low >= LOG_AXIS_FACTOR:
        return {"log": True, "xmax": xmax}
    magnitude = max(abs(low), abs(high))
    least = MIN_RELATIVE_SPAN * magnitude if magnitude else 1.0
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    unit, power = _tick_step((high - low) / 5)
    step = Decimal(unit).scaleb(power)
    first, last = math.floor(Decimal(low) / step), math.ceil(Decimal(high) / step)
    ticks = [Decimal(k * unit).scaleb(power) for k in range(first, last + 1)]
    return {"log": False, "xmax": xmax, "ymin": _pgf(ticks[0]), "ymax": _pgf(ticks[-1]),
            "ticks": [_pgf(t) for t in ticks], "labels": [localize_tex(t) for t in _tick_labels(ticks, power)]}


def _trusted(axis: dict) -> dict:
    """The axis of :func:`pgfplots_axis` with its numbers as LaTeX (NoEscape), for the template."""
    return {key: [NoEscape(v) for v in value] if isinstance(value, list) else
            NoEscape(value) if isinstance(value, str) else value for key, value in axis.items()}


def _tick_step(rough: float) -> tuple[int, int]:
    """The round step (1, 2 or 5 times a power of ten) at or above ``rough``, as (unit, power).

    >>> _tick_step(0.03), _tick_step(7e-5), _tick_step(1e299)
    ((5, -2), (1, -4), (1, 299))
    """
    power = math.floor(math.log10(rough))
    for unit in (1, 2, 5, 10):
        if unit * 10.0 ** power >= rough * (1 - 1e-12):
            break
    return (1, power + 1) if unit == 10 else (unit, power)


def _pgf(value: Decimal) -> str:
    """A number as pgfplots reads it (``1e+300``, ``0.25``): at most 15 significant digits."""
    return f"{float(value):.15g}"


def _tick_labels(ticks: list[Decimal], power: int) -> list[str]:
    r"""Tick values as LaTeX, as many decimals as the step needs; a power of ten when far from 1.

    >>> _tick_labels([Decimal("0.4888"), Decimal("0.4889")], -4)
    ['0.4888', '0.4889']
    >>> _tick_labels([Decimal("0"), Decimal("2E+300"), Decimal("4E+300")], 300)
    ['0', '2 \\cdot 10^{300}', '4 \\cdot 10^{300}']
    """
    exponent = max(math.floor(abs(t).log10()) for t in ticks if t) if any(ticks) else 0
    if -3 <= exponent < 6:
        return [f"{t:.{max(0, -power)}f}" for t in ticks]
    places = max(0, exponent - power)
    return [f"{t.scaleb(-exponent):.{places}f} \\cdot 10^{{{exponent}}}" if t else "0" for t in ticks]


def svg_curve(history, *, log_scale: bool = True) -> str:
    """The loss curve as an inline SVG (no external files): axes, a polyline, end labels.

    >>> svg = svg_curve([1.0, 0.1, 0.01])
    >>> svg.startswith("<svg") and "polyline" in svg and "10000" not in svg
    True
    """
    from .escape import escape_html
    from .language import gettext, localize_number

    points = sample(history)
    left, right, top, bottom = (_MARGIN[k] for k in ("left", "right", "top", "bottom"))
    width, height = SVG_WIDTH - left - right, SVG_HEIGHT - top - bottom
    scale = (lambda y: math.log10(y)) if log_scale else (lambda y: y)
    ys = [scale(loss) for _, loss in points]
    low, high = min(ys), max(ys)
    span = (high - low) or 1.0
    last = max(points[-1][0], 1)
    coords = " ".join(f"{left + width * step / last:.1f},{top + height * (1 - (y - low) / span):.1f}"
                      for (step, _), y in zip(points, ys))
    axis_y = top + height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_WIDTH}" height="{SVG_HEIGHT}" '
        f'viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{axis_y}" stroke="black"/>',
        f'<line x1="{left}" y1="{axis_y}" x2="{left + width}" y2="{axis_y}" stroke="black"/>',
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{coords}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{localize_number(format_number(max(h for _, h in points), 3, 3))}</text>',
        f'<text x="{left - 6}" y="{axis_y}" text-anchor="end">{localize_number(format_number(min(h for _, h in points), 3, 3))}</text>',
        f'<text x="{left}" y="{axis_y + 16}" text-anchor="middle">0</text>',
        f'<text x="{left + width}" y="{axis_y + 16}" text-anchor="middle">{points[-1][0]}</text>',
        f'<text x="{left + width / 2}" y="{axis_y + 34}" text-anchor="middle">{escape_html(gettext("step"))}</text>',
        f'<text x="14" y="{top + height / 2}" text-anchor="middle" transform="rotate(-90 14 {top + height / 2})">'
        + escape_html(gettext("error (log scale)") if log_scale else gettext("error")) + "</text>",
        "</svg>",
    ]
    return "".join(parts)
