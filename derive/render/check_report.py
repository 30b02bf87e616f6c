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
    1 of 2 claims are wrong; the first wrong step is **E\\_total**. Score: 1 of 2 points.
    """
    from .language import gettext, localize_number
    from .numbers import fixed

    lines = ["# " + gettext("Check of %(source)s", source=escape_markdown(report.source or gettext("the claims"))), ""]
    if report.spec.title:
        lines += [gettext("Network: %(title)s", title=escape_markdown(report.spec.title)), ""]
    if report.after_steps:
        lines += [gettext("Claims about the network after %(steps)s training steps.", steps=report.after_steps), ""]
    lines += [_summary(report), ""]
    heads = (gettext("quantity"), gettext("claimed"), gettext("computed"), gettext("verdict"), gettext("explanation"))
    lines += ["| # | " + " | ".join(heads) + " |",
              "| ---: | --- | ---: | ---: | --- | --- |"]
    first = report.first_wrong
    for number, result in enumerate(report.results, start=1):
        claim = result.claim
        verdict = escape_markdown(verdict_text(result))
        if result.status == "wrong":
            verdict = "**" + gettext("wrong") + "**" + (" " + gettext("(first wrong step)") if result is first else "")
        why = escape_markdown(reason_text(result))
        cells = [str(number), escape_markdown(claim.name), escape_markdown(claim.written),
                 localize_number(fixed(claim.shown(result.computed), claim.decimals)), verdict, why]
        lines.append("| " + " | ".join(cells) + " |")
    roots = report.root_errors()
    if roots:
        lines += ["", gettext("Root errors and what follows from them:"), ""]
        lines += [f"- {escape_markdown(line)}" for line in root_lines(report)]
    return "\n".join(lines) + "\n"


def verdict_text(result) -> str:
    """A claim's verdict in a few words.

    >>> from derive.classroom.check import check_claims
    >>> [verdict_text(r) for r in check_claims("2-2-2", {"net_o2": "1.3", "out_o2": "0.7858", "out_o1": "0.7513"}).results]
    ['wrong', 'ok (truncated)', 'follows through from net_o2']
    """
    from .language import gettext

    if result.status == "follow_through":
        return gettext("follows through from %(quantities)s", quantities=", ".join(result.roots))
    if result.status == "wrong":
        return gettext("wrong")
    known = {"rounded": gettext("ok"), "carried": gettext("ok (rounding difference)"),
             "truncated": gettext("ok (truncated)")}
    return known.get(result.match) or gettext("ok (%(how)s)", how=result.match)


def reason_text(result) -> str:
    """Why a claim is wrong (empty for a claim that is not)."""
    from .language import gettext, localize_number

    if result.status == "follow_through":
        from .numbers import fixed

        return gettext("right from your earlier values (%(value)s)",
                       value=localize_number(fixed(result.claim.shown(result.follow_value), result.claim.decimals)))
    if result.status != "wrong":
        return ""
    return result.explanation.text if result.explanation else gettext("no explanation found")


def root_lines(report) -> list[str]:
    """One line per root error: the claim and the claims that follow through from it."""
    from .language import gettext

    lines = []
    for root, follows in report.root_errors():
        where = " " + gettext("(line %(line)s)", line=root.claim.line) if root.claim.line else ""
        tail = "; " + gettext("follow through: %(quantities)s", quantities=", ".join(f.claim.name for f in follows)) \
            if follows else ""
        lines.append(f"{root.claim.name}{where}{tail}")
    return lines


def score_text(report) -> str:
    """The score under the marking scheme: ``score: 7 of 10 points``."""
    from .language import gettext, localize_number

    earned, possible = report.score
    return gettext("score: %(earned)s of %(possible)s points", earned=localize_number(_points(earned)),
                   possible=localize_number(_points(possible)))


def _points(value) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.2f}".rstrip("0")


def _summary(report) -> str:
    from .language import gettext

    wrong = [r for r in report.results if not r.ok]
    total = len(report.results)
    score = escape_markdown(score_text(report)).capitalize() + "."
    if not wrong:
        return gettext("All %(total)s claims are right.", total=total) + f" {score}"
    first = wrong[0].claim
    where = " " + gettext("(line %(line)s)", line=first.line) if first.line else ""
    follow = sum(r.status == "follow_through" for r in wrong)
    also = " " + gettext("(%(count)s of them follow through from earlier errors)", count=follow) if follow else ""
    return gettext("%(wrong)s of %(total)s claims are wrong%(also)s; the first wrong step is %(first)s.",
                   wrong=len(wrong), total=total, also=also,
                   first=f"**{escape_markdown(first.name)}**{where}") + f" {score}"


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
    from .language import localize_number
    from .numbers import fixed
    from .solution import solve

    steps, worked = {}, None
    if not report.after_steps:
        solution = solve(Problem(report.spec), carry_rounding=report.spec.conventions.carry_rounding)
        steps = dict(_step_numbers(solution.derivation))
        worked = render_solution_body(solution.derivation, number_format=solution.number_format)
    first = report.first_wrong
    rows = [{"number": number, "name": r.claim.name, "claimed": r.claim.written, "line": r.claim.line,
             "computed": localize_number(fixed(r.claim.shown(r.computed), r.claim.decimals)), "ok": r.ok, "match": r.match, "first": r is first,
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
