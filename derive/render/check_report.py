"""A check report (:class:`derive.classroom.check.CheckReport`) as Markdown or as an HTML page.

Claim names and numbers come from the user's claims file, so every cell goes through
:func:`~derive.render.escape.escape_markdown` (Markdown) or the HTML templates' escaping.
"""

from __future__ import annotations

from .escape import escape_markdown


def render_check_markdown(report) -> str:
    """The report as a Markdown document: a summary line and one table row per claim.

    >>> from derive.classroom.check import check_claims
    >>> text = render_check_markdown(check_claims("2-2-2", {"out_o1": 0.75136507, "E_total": -0.298371109}))
    >>> print(text.splitlines()[4])
    1 of 2 claims are wrong; the first wrong step is **E\\_total**.
    """
    from .numbers import fixed

    lines = [f"# Check of {escape_markdown(report.source or 'the claims')}", ""]
    if report.spec.title:
        lines += [f"Network: {escape_markdown(report.spec.title)}", ""]
    if report.after_steps:
        lines += [f"Claims about the network after {report.after_steps} training steps.", ""]
    lines += [_summary(report), ""]
    lines += ["| # | quantity | claimed | computed | verdict | explanation |",
              "| ---: | --- | ---: | ---: | --- | --- |"]
    first = report.first_wrong
    for number, result in enumerate(report.results, start=1):
        claim = result.claim
        if result.ok:
            verdict = "ok" if result.match == "rounded" else f"ok ({result.match})"
        else:
            verdict = "**wrong**" + (" (first wrong step)" if result is first else "")
        why = ""
        if not result.ok:
            why = escape_markdown(result.explanation.text) if result.explanation else "no explanation found"
        cells = [str(number), escape_markdown(claim.name), escape_markdown(claim.text),
                 fixed(result.computed, claim.decimals), verdict, why]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _summary(report) -> str:
    wrong = [r for r in report.results if not r.ok]
    total = len(report.results)
    if not wrong:
        return f"All {total} claims are right."
    first = wrong[0].claim
    where = f" (line {first.line})" if first.line else ""
    return (f"{len(wrong)} of {total} claims are wrong; the first wrong step is "
            f"**{escape_markdown(first.name)}**{where}.")


def render_check_html(report, *, template_dir=None) -> str:
    """The report as one HTML page: each claim's verdict, linked to the correct step worked out below.

    The worked solution is the spec's own (with its conventions) when the claims are about the
    network before training; claims about a later step get the verdicts alone.

    >>> from derive.classroom.check import check_claims
    >>> page = render_check_html(check_claims("2-2-2", {"out_o1": 0.75136507, "E_total": -0.298371109}))
    >>> 'href="#eq-7"' in page, 'href="#eq-11"' in page, "the sign is wrong" in page
    (True, True, True)
    """
    from ..engine.problem import Problem
    from .html import render_page, render_solution_body
    from .numbers import fixed
    from .solution import solve

    steps, worked = {}, None
    if not report.after_steps:
        solution = solve(Problem(report.spec), carry_rounding=report.spec.conventions.carry_rounding)
        steps = dict(_step_numbers(solution.derivation))
        worked = render_solution_body(solution.derivation, number_format=solution.number_format)
    first = report.first_wrong
    rows = [{"number": number, "name": r.claim.name, "claimed": r.claim.text, "line": r.claim.line,
             "computed": fixed(r.computed, r.claim.decimals), "ok": r.ok, "match": r.match, "first": r is first,
             "why": r.explanation.text if r.explanation else None,
             "alternatives": [a.text for a in r.alternatives[:3]], "step": steps.get(r.claim.key)}
            for number, r in enumerate(report.results, start=1)]
    view = {"source": report.source or "", "title": report.spec.title, "after_steps": report.after_steps,
            "rows": rows, "wrong": sum(not r.ok for r in report.results), "worked": worked}
    return render_page("html/check.html.j2", {"view": view, "reveal": False}, template_dir)


def _step_numbers(derivation):
    """(quantity key, equation number) of every step; a key's last step is the one with its value."""
    from ..steps import Group, Step

    def walk(items):
        for item in items:
            if isinstance(item, Step):
                yield item.key, item.number
            elif isinstance(item, Group):
                yield from walk(item.items)

    for section in derivation.sections:
        yield from walk(section.items)
