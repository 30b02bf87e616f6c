"""``derive grade SPEC VARIANTS_JSON``: grade a class's answers to their worksheet variants."""

from __future__ import annotations

import argparse
import sys

GRADE_HELP = """\
The class's answers come as a roster CSV and/or a folder of claims files:

  student,variant,E_total,dE/dw5,w5_new      # a header: the id, the variant, the asked quantities
  ann,1,0.298371,0.082167,0.358916           # an empty cell is a question not answered
  bob,2,0.31,,0.36

  claims/cy.yaml:   variant: 3               # one claims file per student (the id is the file name),
                    E_total: 0.3291          # any quantity derive check reads, worked steps too
                    net_h1: 0.3775

Each student's numbers are checked against their own variant (drawn again from SPEC and the
seed in VARIANTS_JSON) with follow-through: a number right from the student's own earlier
wrong value earns follow-through credit (see --scheme). Written to OUT: grades.csv (a row per
student: score, a verdict per asked quantity, root errors) and feedback/<student>.md and .pdf
(their numbers, the verdicts, the worked step of each root error).

An online or mini-batch sheet's answers carry their update, as its answer keys do (u2_out_n5,
u2_dE/dw35). Each update is marked against its own quantities; from update 2 on, an answer right
from the student's own weights follows through from them: the new weights they wrote in the update
before, else the ones that update makes from their own weights. after_steps is for derive check
(grade reports it and ignores it).

A bad row (missing id, unknown variant, a cell that is not a number) or claims file is reported
on stderr by row and column and never stops the other students' grading.

Exit status: 0 when every row was graded, 1 when some row or cell had a problem, 2 on an error.
"""


def add_parser(sub) -> None:
    from ..classroom.limits import max_workers
    from .options import whole

    p = sub.add_parser("grade", help="grade a class's answers to their worksheet variants, with feedback",
                       description="Grade every student's answers (ROSTER CSV and/or CLAIMS folder) to their "
                                   "variant of a 'derive worksheet' run (VARIANTS_JSON, drawn from SPEC).",
                       epilog=GRADE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SPEC", help="the spec the worksheets were made from (file or example name)")
    p.add_argument("variants_json", metavar="VARIANTS_JSON", help="variants.json of the worksheet run")
    p.add_argument("--roster", metavar="CSV", help="the answers: student, variant and one column per quantity")
    p.add_argument("--claims", metavar="DIR", help="a folder of claims files, one per student, each with variant: N")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="folder to write into (created if missing)")
    p.add_argument("--scheme", metavar="FILE", help="marking scheme: points, follow-through credit, tolerances")
    p.add_argument("--tolerance", metavar="TOL",
                   help="when a number is right: shown (default), absolute=A, relative=R, sigfigs=N, decimals=N")
    p.add_argument("--no-pdf", action="store_true", help="write the feedback as Markdown only")
    p.add_argument("--workers", type=whole("--workers", 1, max_workers()), metavar="W",
                   help=f"TeX runs at once (default and most: one per core, {max_workers()} here)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    from .options import add_lang

    add_lang(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr (problems are still listed)")


def run(args) -> int:
    from ..classroom.grade import grade_class, write_grades
    from .check import _plain

    grades = grade_class(args.spec, args.variants_json, roster=args.roster, claims=args.claims,
                         scheme=args.scheme, tolerance=args.tolerance)
    written = write_grades(grades, args.out, force=args.force, pdf=not args.no_pdf, workers=args.workers,
                           progress=not args.quiet)
    for problem in grades.problems:
        print(f"derive: {_plain(str(problem))}", file=sys.stderr)
    if not args.quiet:
        print(f"graded {len(grades.students)} students; {len(grades.problems)} problems; "
              f"wrote {len(written)} files to {args.out}", file=sys.stderr)
    return 1 if grades.problems else 0
