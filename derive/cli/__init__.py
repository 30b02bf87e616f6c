"""The ``derive`` command: a thin shell over the Python API.

The last stage of the flow. Each command lives in a module of this package with
``add_parser(subparsers)`` and ``run(args) -> int``; it parses options, calls the public API
and turns a :class:`~derive.errors.DeriveError` into one line on stderr and a non-zero exit.
May import every stage (but not ``derive/__init__``); holds no logic of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys

from ..errors import DeriveError, SpecError

COMMANDS = ("solve", "examples", "train", "worksheet", "exam", "check", "grade")

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
    from importlib import import_module  # a command's module is loaded when asked for, for start-up time

    return import_module(f"{__name__}.{name}")


def _check_sources(args) -> None:
    """A missing spec or claims file is refused before a command starts (and loads SymPy)."""
    # deferred, for start-up time: the spec readers are not needed for --help and --version
    from ..spec.paths import claims_path, spec_path

    if isinstance(getattr(args, "spec", None), str):
        spec_path(args.spec)
    if args.command == "check" and isinstance(getattr(args, "claims", None), str):
        claims_path(args.claims)


def _fail(message: str) -> int:
    print(f"derive: error: {message}", file=sys.stderr)
    return EXIT_ERROR


class Stopped(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP, raised where the program is, so every cleanup for Ctrl-C runs for them all."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum, frame):
    # One stop is enough: a second signal must not cut the cleanup the first one started.
    for name in _STOP_SIGNALS:
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    raise Stopped(signum)


_STOP_SIGNALS = tuple(name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def _stop_signals():
    """SIGINT, SIGTERM and SIGHUP stop a command alike (the old handlers come back after).

    A signal ignored when derive started (``nohup``, a background job) stays ignored.
    """
    threading = sys.modules.get("threading")  # not imported: no thread but the main one (and ~1 ms of start-up saved)
    if threading is not None and threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {name: signal.getsignal(getattr(signal, name)) for name in _STOP_SIGNALS}
    for name, handler in old.items():
        if handler is not signal.SIG_IGN:
            signal.signal(getattr(signal, name), _stop)
    try:
        yield
    finally:
        for name, handler in old.items():
            signal.signal(getattr(signal, name), handler)


def _run_in_language(args) -> int:
    """The command, its documents printed in ``--lang`` (English when the command has no such option)."""
    lang = getattr(args, "lang", None)
    if lang is None:
        return _command(args.command).run(args)
    from ..render.language import language

    with language(lang):
        return _command(args.command).run(args)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 a check found a wrong step, 2 an error).

    >>> main(["examples"]) == 0  # doctest: +ELLIPSIS
    2-2-2 ...
    True
    """
    try:
        with _stop_signals():
            args = build_parser().parse_args(argv)
            _check_sources(args)
            from ..io import progress

            progress.enable(not getattr(args, "quiet", False))
            try:
                code = _run_in_language(args)
                line = progress.summary(args.command)
            finally:
                progress.enable(False)  # the API stays silent after a command ran in-process
            if line:
                print(line, file=sys.stderr)
            return code
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    except DeriveError as err:
        message = err.cli_message(API_FLAGS)  # the API's keywords (force=True) shown as this command's flags
        return _fail(message.splitlines()[0] if isinstance(err, SpecError) else message)
    except KeyboardInterrupt as stop:
        # the shell's convention: 128 + the signal's number (SIGINT 130, SIGTERM 143, SIGHUP 129)
        signum = stop.signum if isinstance(stop, Stopped) else signal.SIGINT
        print(f"derive: stopped by {signal.Signals(signum).name}", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        return EXIT_OK
    except OSError as err:  # the system's refusal (a full disk, a lost folder): not a bug, one line
        where = f"{err.filename}: " if err.filename else ""
        return _fail(f"{where}{err.strerror or err}")
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
