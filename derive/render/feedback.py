"""A student's feedback from ``derive grade``: their numbers, the verdicts and the worked steps
where they went wrong, as Markdown and as LaTeX (``templates/feedback.md.j2``, ``feedback.tex.j2``).

The report is a :class:`derive.classroom.check.CheckReport` (read by its attributes, as
:mod:`derive.render.check_report` does); every piece of student text is escaped by the templates'
environment.
"""

from __future__ import annotations

from .check_report import reason_text, verdict_text
from .environment import render_template
from .numbers import fixed


def feedback_context(student: str, variant: dict, report, steps: dict, *, asked=(), problems=(),
                     earned=None) -> dict:
    """What the feedback templates show, as plain data.

    ``variant`` holds ``index``, ``seed``, ``title`` and ``decimals``; ``steps`` the step views of the
    variant's worked solution by key (:func:`derive.render.view.steps_by_key`); ``asked`` the names of
    the asked quantities as ``(key, name)``, to list those the student left out; ``problems`` lines about
    cells not read; ``earned`` the score as ``(points, out of)`` when it is not the report's own.
    """
    earned, possible = earned or (report.score if report is not None else (0, 0))
    places = variant.get("decimals", 0)
    results = report.results if report is not None else ()
    claimed = {r.claim.key for r in results}
    rows = [{"name": r.claim.name, "claimed": r.claim.written, "correct": fixed(r.claim.shown(r.computed), max(r.claim.decimals, places)),
             "verdict": verdict_text(r), "reason": reason_text(r),
             "points": _points(r.points), "out_of": _points(r.out_of)} for r in results]
    roots = []
    for root, follows in (report.root_errors() if report is not None else ()):
        roots.append({"name": root.claim.name, "claimed": root.claim.written,
                      "correct": fixed(root.claim.shown(root.computed), max(root.claim.decimals, places)),
                      "why": root.explanation.text if root.explanation else "",
                      "follows": [f.claim.name for f in follows], "step": steps.get(root.claim.key)})
    return {"student": student, **variant, "score": _points(earned), "out_of": _points(possible),
            "rows": rows, "roots": roots, "missing": [name for key, name in asked if key not in claimed],
            "problems": list(problems)}


def render_feedback(context: dict, fmt: str) -> str:
    """The feedback document: ``fmt`` "md" (Markdown) or "tex" (a standalone LaTeX document).

    >>> from derive.classroom.check import check_claims
    >>> report = check_claims("2-2-2", {"net_o2": "1.3", "out_o2": "0.7858"})
    >>> context = feedback_context("s_1", {"index": 1, "seed": 0, "title": "Demo", "decimals": 4}, report, {})
    >>> text = render_feedback(context, "md")
    >>> "# Feedback for s\\\\_1" in text, "follow-through credit: out\\\\_o2" in text
    (True, True)
    """
    return render_template(fmt, f"feedback.{fmt}.j2", {"fb": context}, None)


def _points(value) -> str:
    value = value if hasattr(value, "denominator") else 0
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.2f}".rstrip("0").rstrip(".")
