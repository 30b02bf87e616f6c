"""The ``derive`` command: a thin shell over the Python API.

The last stage of the flow. Each command lives in a module of this package with
``add_parser(subparsers)`` and ``run(args) -> int``; it parses options, calls the public API
and turns a :class:`~derive.errors.DeriveError` into one line on stderr and a non-zero exit.
May import every stage (but not ``derive/__init__``); holds no logic of its own.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

from ..errors import DeriveError, SpecError

COMMANDS = ("solve", "examples", "train", "worksheet", "check")

EXIT_OK, EXIT_FAILED_CHECK, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3
# The API keywords whose flag is not "--" and the keyword with dashes (carry_rounding: --carry-rounding).
API_FLAGS = {"n": "--variants", "fmt": "--format", "format": "--format"}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, like every other error."""

    def error(self, message):
        raise SystemExit(_fail(f"{self.prog}: {message} (see '{self.prog} --help')"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="derive", description="Backpropagation worked out by the chain rule, step by step.")
    from ..version import __version__

    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        _command(name).add_parser(sub)
    return parser


def _command(name: str):
    from importlib import import_module

    return import_module(f"{__name__}.{name}")


def _fail(message: str) -> int:
    print(f"derive: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 a check found a wrong step, 2 an error).

    >>> main(["examples"]) == 0  # doctest: +ELLIPSIS
    2-2-2 ...
    True
    """
    try:
        args = build_parser().parse_args(argv)
        return _command(args.command).run(args)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    except DeriveError as err:
        message = err.cli_message(API_FLAGS)  # the API's keywords (force=True) shown as this command's flags
        return _fail(message.splitlines()[0] if isinstance(err, SpecError) else message)
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:  # a bug: still one line, the traceback on request
        if os.environ.get("DERIVE_DEBUG"):
            raise
        print(f"derive: internal error: {type(err).__name__}: {err} (set DERIVE_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


def console_main() -> None:
    code = main()
    # Everything is freed at exit anyway: spare the interpreter a last full garbage collection
    # over SymPy's objects (about 0.1 s of a 0.6 s ``derive solve``).
    gc.freeze()
    sys.exit(code)
