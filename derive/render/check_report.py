"""A check report (:class:`derive.classroom.check.CheckReport`) as Markdown.

Claim names and numbers come from the user's claims file, so every cell goes through
:func:`~derive.render.escape.escape_markdown`.
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
