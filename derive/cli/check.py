"""``derive check SPEC CLAIMS``: check a worked solution's numbers and explain the wrong ones."""

from __future__ import annotations

# The stages below are imported inside the functions, for start-up time: building the parser
# (derive --help, --version) and refusing a missing file load no SymPy (tests/test_startup.py).

import argparse

FORMATS = ("text", "json", "md", "html")

CHECK_HELP = """\
CLAIMS is a YAML or JSON file mapping quantity names to the numbers a solution prints:

  after_steps: 0          # optional: the claims are about the network after N training steps
  out_o1: 0.75136507
  E_total: 0.298371109
  dE/dw1: 0.000438568     # also dE_total/dw1, grad_w1
  w5_updated: 0.35891648  # also w5_new, w5+

Names: every quantity key (net_h1, out_h1, E_o1, delta_o1, dE_o1_dout_h1, t_o1, w5, ...) and
the display forms dE/dout_o1, dout_o1/dnet_o1, dE_o1/dout_h1, dnet_o1/dw5, dE/dnet_o1 (= delta_o1),
E / loss (= E_total); ∂ is read as d. In a batch, example n's quantity ends in __n.

A claim printed with d decimals is right (by default) when it lies between the computed value
and the value with every intermediate rounded to d decimals, give or take half a unit of the
last place, or is such a value truncated (--tolerance or a --scheme file chooses another
tolerance: absolute=A, relative=R, sigfigs=N, decimals=N). A claim that is wrong but right from
the solution's own earlier values follows through from the earlier error (its root error);
only root errors are explained. Claims are listed in dependency order, so the first wrong one
is the first wrong step. For a root error the checker tries, simplest first: a slip of the value
from the solution's own earlier numbers, a
convention switch (see the flags), carried rounding to 1-6 decimals, a stale value (before the
update, or one step early), a transposed index, a sign slip, a misplaced decimal point, the
value of another quantity, one changed or two swapped digits, and a convention switch plus a
sign or decimal slip. It says so when nothing fits.

Exit status: 0 when every claim is right, 1 when one is wrong, 2 on an error.
"""


def add_parser(sub) -> None:
    from .train import add_convention_arguments

    p = sub.add_parser("check", help="check a worked solution's numbers and explain the wrong ones",
                       description="Check the numbers claimed in CLAIMS against SPEC (a YAML/JSON file or "
                                   "a built-in example's name) and name the first wrong step.",
                       epilog=CHECK_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SPEC", help="spec file, or the name of a built-in example")
    p.add_argument("claims", metavar="CLAIMS", help="YAML or JSON file of claimed numbers")
    p.add_argument("--format", "-f", choices=FORMATS, default=None,
                   help="report format (default: from the suffix of -o, .txt for text, else text)")
    p.add_argument("--after-steps", type=_steps, metavar="N",
                   help="the claims are about the network after N training steps (overrides the file)")
    p.add_argument("--tolerance", metavar="TOL",
                   help="when a number is right: shown (default), absolute=A, relative=R (or R%%), sigfigs=N, decimals=N")
    p.add_argument("--scheme", metavar="FILE", help="marking scheme (points, follow-through credit, tolerances)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    from .options import add_lang

    add_lang(p)
    add_convention_arguments(p)


def _steps(text: str) -> int:
    # the claims file's own bound: checking trains the network once per explanation tried, so
    # 10,000,000 steps (train's bound) took half an hour; 100,000 take well under a minute
    from ..spec import claims
    from .options import whole

    return whole("--after-steps", 0, claims.MAX_FILE_STEPS)(text)


def run(args) -> int:
    from ..classroom.check import check_claims
    from .solve import emit
    from .output import output_format
    from .train import spec_from_args

    from .options import check_output

    check_output(args, args.spec, args.claims)
    args.format = output_format(args, FORMATS, default="text", text="text")
    report = check_claims(spec_from_args(args), args.claims, after_steps=args.after_steps,
                          scheme=args.scheme, tolerance=_tolerance(args.tolerance))
    if args.format == "json":
        import json

        text = json.dumps(report.to_dict(), indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    elif args.format == "md":
        from ..render.check_report import render_check_markdown

        text = render_check_markdown(report)
    elif args.format == "html":
        from ..render.check_report import render_check_html

        text = render_check_html(report)
    else:
        text = format_text(report)
    emit(text, args.output, force=args.force)
    return 0 if report.ok else 1


def _tolerance(text):
    from ..classroom.tolerance import parse_tolerance

    return None if text is None else parse_tolerance(text, field="--tolerance")


def format_text(report) -> str:
    """The plain-text report: one row per claim, the explanation under each wrong one."""
    from ..render.check_report import reason_text, root_lines, score_text, verdict_text
    from ..render.language import gettext, localize_number, ngettext
    from ..render.numbers import fixed
    from ..engine.train import conventions_dict
    from .train import _show

    head = gettext("claims of %(source)s", source=_plain(report.source or gettext("the claims")))
    if report.after_steps:
        head += " " + ngettext("about the network after %(num)s step", "about the network after %(num)s steps",
                               report.after_steps)
    lines = [head, gettext("conventions:") + " "
             + ", ".join(f"{k}={_show(v)}" for k, v in conventions_dict(report.spec).items()), ""]
    rows = [(gettext("quantity"), gettext("claimed"), gettext("computed"), gettext("verdict"))]
    first = report.first_wrong
    for result in report.results:
        claim = result.claim
        verdict = verdict_text(result)
        if result.status == "wrong":
            verdict = gettext("WRONG") + (" <- " + gettext("first wrong step") if result is first else "")
        computed = localize_number(fixed(claim.shown(result.computed), claim.decimals))
        rows.append((_plain(claim.name), claim.written, computed, _plain(verdict)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3])
        result = report.results[index - 1] if index else None
        if result is not None and result.status == "wrong":
            lines.append(" " * (widths[0] + 2) + gettext("why: %(reason)s", reason=_plain(reason_text(result))))
            for other in result.alternatives[:3]:
                lines.append(" " * (widths[0] + 2) + gettext("or:  %(reason)s", reason=_plain(other.text)))
    wrong = sum(not r.ok for r in report.results)
    lines.append("")
    if wrong:
        where = " " + gettext("(line %(line)s)", line=first.claim.line) if first.claim.line else ""
        lines.append(gettext("%(wrong)s of %(total)s claims wrong; first wrong step: %(first)s",
                             wrong=wrong, total=len(report.results), first=_plain(first.claim.name) + where))
        lines += [gettext("root errors:")] + [f"  {_plain(line)}" for line in root_lines(report)]
    else:
        lines.append(gettext("all %(total)s claims right", total=len(report.results)))
    lines.append(score_text(report))
    return "\n".join(lines) + "\n"


def _plain(text: str) -> str:
    """User text for a terminal: control characters shown escaped, never sent raw."""
    return text if text.isprintable() else repr(text)
