"""``derive solve SPEC``: one backpropagation step, as JSON or as a worked solution."""

from __future__ import annotations

import sys

FORMATS = ("json",)


def add_parser(sub) -> None:
    p = sub.add_parser("solve", help="one forward pass, backward pass and update",
                       description="Work out one backpropagation step for SPEC (a YAML/JSON file or a "
                                   "built-in example's name, see 'derive examples').")
    p.add_argument("spec", metavar="SPEC", help="spec file, or the name of a built-in example")
    p.add_argument("--format", "-f", choices=FORMATS, default="json", help="output format (default: json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")


def run(args) -> int:
    from ..api import load
    from ..report import to_json

    if args.output:
        from ..output import check_output_path

        check_output_path(args.output, force=args.force)
    text = to_json(load(args.spec))
    return emit(text, args.output, force=args.force)


def emit(text: str, output: str | None, *, force: bool) -> int:
    """Write ``text`` atomically to ``output``, or to standard output."""
    if output:
        from ..output import write_atomic

        write_atomic(output, text, force=force)
    else:
        sys.stdout.write(text)
    return 0
