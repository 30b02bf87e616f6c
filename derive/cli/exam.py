"""``derive exam EXAM``: a whole exam (several questions, points, a title page), one paper per student."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    from ..classroom.limits import EXAM_FORMATS as FORMATS, KEY_STYLES, MAX_VARIANTS, max_workers
    from .options import whole

    p = sub.add_parser(
        "exam", help="exams of several questions with points, one per student, and their answer keys",
        description="Read EXAM (a YAML file: title page texts and questions, each a spec or a pool of specs with "
                    "what to ask and its points) and write, per student, an exam and an answer key (PDF and "
                    ".tex), combined exams.pdf and keys.pdf for printing, and exam.json (which question and "
                    "variant each student got, and every answer).")
    p.add_argument("exam", metavar="EXAM", help="exam file (YAML or JSON)")
    p.add_argument("--seed", "-s", type=whole("--seed", 0), required=True, metavar="S",
                   help="seed of the random draws; the same seed gives the same papers")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="folder to write into (created if missing)")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--variants", "-n", type=whole("--variants", 1, MAX_VARIANTS), default=1, metavar="N",
                     help=f"how many anonymous papers, without a roster (default: 1, at most {MAX_VARIANTS})")
    who.add_argument("--roster", metavar="CSV",
                     help="students.csv with the columns id and name: one paper per student, files named by id")
    p.add_argument("--key", choices=KEY_STYLES, default="short",
                   help="answer keys with the answers only (short, default) or the whole worked solutions (full)")
    p.add_argument("--format", "-f", choices=FORMATS, default="pdf",
                   help="pdf (default); qti: qti.zip for Canvas, Blackboard and D2L (every paper's variants, the LMS "
                        "draws one per student); prairielearn: a question folder per spec whose server.py draws "
                        "variants with derive")
    p.add_argument("--tolerance", metavar="T",
                   help="absolute tolerance of a QTI or PrairieLearn answer (default: half a unit in the last "
                        "decimal place)")
    p.add_argument("--workers", type=whole("--workers", 1, max_workers()), metavar="W",
                   help=f"TeX runs at once (default and most: one per core, {max_workers()} here)")
    p.add_argument("--template-dir", metavar="DIR", help="a folder of templates that override the shipped ones")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    from .options import add_lang

    add_lang(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")


def run(args) -> int:
    from ..classroom.exam import make_exam

    result = make_exam(args.exam, seed=args.seed, out_dir=args.out, students=args.variants, roster=args.roster,
                       key=args.key, fmt=args.format, tolerance=args.tolerance, force=args.force, workers=args.workers, progress=not args.quiet,
                       template_dir=args.template_dir)
    for warning in result.warnings:
        print(f"derive: warning: {warning}", file=sys.stderr)
    if not args.quiet:
        print(f"{result.report()}; wrote {len(result.written)} files to {args.out}", file=sys.stderr)
    return 0
