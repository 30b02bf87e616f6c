"""``derive solve SPEC``: one backpropagation step, as JSON or as a worked solution.

Each output format is one entry of :data:`FORMATS`: a function from the parsed arguments to
the text (or bytes) to write. Adding a format is adding an entry.
"""

from __future__ import annotations

# The stages below are imported inside the functions, for start-up time: building the parser
# (derive --help, --version) and refusing a missing file load no SymPy (tests/test_startup.py).

import sys

from ..errors import RenderError
from .output import output_format


def _json(args):
    from ..engine.problem import load
    from ..engine.report import to_json

    return to_json(load(args.spec))


def _markdown(args):
    return solution_from_args(args).markdown()


def _latex(args):
    return solution_from_args(args).latex(fragment=args.fragment)


def _html(args):
    return solution_from_args(args).html(reveal=args.reveal)


def _pdf(args):
    if not args.output:
        raise RenderError("--format pdf writes a file; give it with -o FILE.pdf")
    from ..io.texrun import find_tex

    find_tex()  # a missing TeX Live is reported before any work, naming the packages
    return solution_from_args(args).pdf(timeout=args.tex_timeout)


FORMATS = {"json": _json, "md": _markdown, "tex": _latex, "html": _html, "pdf": _pdf}
# options that only shape a worked solution, with their defaults (to refuse them with --format json)
SOLUTION_OPTIONS = {"style": "scalar", "only": None, "names": "sequential", "decimals": None, "digits": None,
                    "carry_rounding": None, "template_dir": None, "diagram_values": False, "fragment": False,
                    "tex_timeout": None, "reveal": False, "lang": None}


def add_parser(sub) -> None:
    """Add ``solve`` and its options to the ``derive`` command's subparsers.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="derive")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["solve", "2-2-2", "--style", "delta", "--only", "w5"]).only
    'w5'
    """
    from ..io.limits import MAX_TIMEOUT
    from .options import integer, seconds

    p = sub.add_parser("solve", help="one forward pass, backward pass and update",
                       description="Work out one backpropagation step for SPEC (a YAML/JSON file or a "
                                   "built-in example's name, see 'derive examples'): as JSON, or as a "
                                   "worked solution in Markdown, LaTeX, HTML or PDF.")
    p.add_argument("spec", metavar="SPEC", help="spec file, or the name of a built-in example")
    p.add_argument("--format", "-f", choices=tuple(FORMATS), default=None,
                   help="output format (default: from the suffix of -o, else json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    from .options import add_lang

    add_lang(p)
    p.add_argument("--style", choices=("scalar", "delta", "matrix"), default="scalar",
                   help="scalar: each weight by the chain rule; delta: with δ per neuron; "
                        "matrix: vectorised (default: scalar)")
    p.add_argument("--only", metavar="PARAMS", help="derive only these parameters in full, e.g. w5,w1 "
                                                    "(the rest appear in the summary)")
    p.add_argument("--names", choices=("sequential", "indexed"), default="sequential",
                   help="weights as w1, w2, ... or as w^(l)_jk (default: sequential)")
    numbers = p.add_mutually_exclusive_group()
    numbers.add_argument("--decimals", type=integer, metavar="N", help="decimal places shown (default: 9)")
    numbers.add_argument("--digits", type=integer, metavar="N", help="significant digits shown instead")
    p.add_argument("--carry-rounding", type=integer, metavar="N",
                   help="round every intermediate to N decimals before using it again (as with a calculator)")
    p.add_argument("--fragment", action="store_true", help="LaTeX: the body only, without the preamble")
    p.add_argument("--template-dir", metavar="DIR", help="a folder of templates that override the shipped ones")
    p.add_argument("--diagram-values", action="store_true", help="label the diagram's arrows with weight values")
    p.add_argument("--tex-timeout", type=seconds("--tex-timeout", MAX_TIMEOUT), metavar="SECONDS",
                   help="pdf: time TeX may take (default: 120 s plus 1 s per 4 KB of LaTeX)")
    p.add_argument("--reveal", action="store_true",
                   help="HTML: hide each step's result behind a button, to try the step first")


def run(args) -> int:
    """Check the options, then write the chosen format (see :data:`FORMATS`).

    >>> from derive.cli import main
    >>> main(["solve", "2-2-1", "--format", "md", "--digits", "2"])  # doctest: +ELLIPSIS
    # Two inputs, two hidden, one output ...
    0
    """
    from .options import check_output

    check_output(args, args.spec)
    args.format = output_format(args, tuple(FORMATS), default="json")
    _check_options(args)
    return emit(FORMATS[args.format](args), args.output, force=args.force)


def _check_options(args) -> None:
    if args.format == "json":
        given = [name for name, default in SOLUTION_OPTIONS.items() if getattr(args, name) != default]
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            verb = "shapes" if len(given) == 1 else "shape"
            raise RenderError(f"{flags} {verb} a worked solution; use with --format md, tex, html or pdf")
    if args.tex_timeout is not None and args.format != "pdf":
        raise RenderError(f"--tex-timeout applies to --format pdf; the format is {args.format}")
    if args.fragment and args.format != "tex":
        raise RenderError(f"--fragment applies to --format tex; the format is {args.format}")
    if args.reveal and args.format != "html":
        raise RenderError(f"--reveal applies to --format html; the format is {args.format}")
    if args.carry_rounding is not None and not 0 <= args.carry_rounding <= 30:
        raise RenderError(f"--carry-rounding must be a whole number from 0 to 30; got {args.carry_rounding}")
    for flag in ("decimals", "digits"):
        value = getattr(args, flag)
        if value is not None and not (0 if flag == "decimals" else 1) <= value <= 30:
            low = 0 if flag == "decimals" else 1
            raise RenderError(f"--{flag} must be a whole number from {low} to 30; got {value}")


def solution_from_args(args):
    """The :class:`~derive.render.solution.Solution` the options describe (each format entry starts here).

    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_parser(parser.add_subparsers())
    >>> solution_from_args(parser.parse_args(["solve", "2-2-1", "--style", "matrix"])).derivation.style
    'matrix'
    """
    from ..render.solution import solve

    return solve(args.spec, style=args.style, only=args.only, names=args.names, decimals=args.decimals,
                 digits=args.digits, carry_rounding=args.carry_rounding, template_dir=args.template_dir,
                 diagram_values=args.diagram_values)


def emit(data: str | bytes, output: str | None, *, force: bool) -> int:
    """Write ``data`` atomically to ``output``, or to standard output; returns the exit code.

    >>> emit("hello\\n", None, force=False)
    hello
    0
    """
    if output:
        from ..io.output import write_atomic

        write_atomic(output, data, force=force)
    elif isinstance(data, bytes):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        sys.stdout.write(data)
    return 0
