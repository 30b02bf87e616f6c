"""``derive worksheet SPEC``: worksheets, answer keys and a Moodle quiz, one variant per student."""

from __future__ import annotations

# The stages below are imported inside the functions, for start-up time: building the parser
# (derive --help, --version) and refusing a missing file load no SymPy (tests/test_startup.py).

import sys


def add_parser(sub) -> None:
    from ..classroom.limits import DEFAULT_ASK, DEFAULT_DECIMALS, KEY_STYLES, MAX_VARIANTS, max_workers
    from ..classroom.limits import WORKSHEET_FORMATS as FORMATS
    from ..io.limits import MAX_TIMEOUT
    from .options import seconds, whole

    p = sub.add_parser(
        "worksheet", help="worksheets and answer keys with random numbers per variant",
        description="Draw VARIANTS versions of SPEC's exercise (its 'randomize:' block says what varies) "
                    "and write, per variant, a worksheet and an answer key (PDF and .tex), variants.json, "
                    "and combined worksheets.pdf and keys.pdf for printing; or, with --format moodle, "
                    "quiz.xml for Moodle's question bank.")
    p.add_argument("spec", metavar="SPEC", help="spec file, or the name of a built-in example (try 2-2-2-exercise)")
    p.add_argument("--variants", "-n", type=whole("--variants", 1, MAX_VARIANTS), default=1, metavar="N", help=f"how many variants (default: 1, at most {MAX_VARIANTS})")
    p.add_argument("--seed", "-s", type=whole("--seed", 0), required=True, metavar="S",
                   help="seed of the random numbers; the same seed gives the same variants")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="folder to write into (created if missing)")
    p.add_argument("--ask", default=DEFAULT_ASK, metavar="ITEMS",
                   help="what the sheet asks, comma-separated: forward, outputs, deltas, E_total, E_total_after, "
                        "net:NEURON, out:NEURON, delta:NEURON, grad:PARAM, grad:*, updated:PARAM, updated:* "
                        f"(default: {DEFAULT_ASK})")
    p.add_argument("--updates", type=whole("--updates", 1), metavar="N",
                   help="of a spec with update: online or {batch_size: k}: ask the first N updates, in order "
                        "(default: every update)")
    p.add_argument("--key", choices=KEY_STYLES, default="short",
                   help="answer key with the answers only (short, default) or the whole worked solution (full)")
    p.add_argument("--format", "-f", choices=FORMATS, default="pdf", help="pdf (default) or moodle (quiz.xml)")
    p.add_argument("--decimals", type=whole("--decimals", 0, 15), default=DEFAULT_DECIMALS, metavar="D",
                   help=f"decimal places of the answers (default: {DEFAULT_DECIMALS})")
    p.add_argument("--tolerance", metavar="T",
                   help="when a Moodle answer is right: shown (default: from the exact to the carried-rounding "
                        "answer, plus half a unit), absolute=A (or a bare number), relative=R, sigfigs=N, decimals=N")
    p.add_argument("--workers", type=whole("--workers", 1, max_workers()), metavar="W",
                   help=f"TeX runs at once (default and most: one per core, {max_workers()} here)")
    p.add_argument("--tex-timeout", type=seconds("--tex-timeout", MAX_TIMEOUT), metavar="SECONDS",
                   help="time TeX may take per PDF (default: 120 s plus 1 s per 4 KB of LaTeX)")
    p.add_argument("--template-dir", metavar="DIR", help="a folder of templates that override the shipped ones")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    from .options import add_lang

    add_lang(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")


def run(args) -> int:
    from ..classroom.worksheet import make_worksheets

    if args.tolerance is not None and args.format != "moodle":
        from ..errors import SpecError

        raise SpecError(f"only applies to --format moodle; got --format {args.format}", field="--tolerance")
    if args.tolerance is not None:
        from ..classroom.moodle import moodle_tolerance

        moodle_tolerance(args.tolerance)  # a bad value fails before any work
    result = make_worksheets(args.spec, n=args.variants, seed=args.seed, out_dir=args.out, ask=args.ask,
                             key=args.key, fmt=args.format, decimals=args.decimals, tolerance=args.tolerance,
                             force=args.force, workers=args.workers, progress=not args.quiet,
                             template_dir=args.template_dir, tex_timeout=args.tex_timeout, updates=args.updates)
    if not args.quiet:
        from ..io import progress

        progress.enable(False)  # this line is the run's summary
        print(f"{result.variants.report()}; wrote {len(result.written)} files to {args.out}", file=sys.stderr)
    return 0
