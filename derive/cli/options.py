"""Option values the commands share, checked by argparse before any work: ASCII whole numbers in a range.

``int()`` takes ``'١٢'`` (Arabic-Indic digits) and ``' 12 '``; an option is written in ASCII
digits, so anything else is refused in one line instead of being read as a number.
"""

from __future__ import annotations

import argparse
import re


def whole(flag: str, low: int | None = None, high: int | None = None):
    """An argparse ``type`` for a whole number of ASCII digits from ``low`` to ``high``.

    >>> whole("-n", 1, 1000)("12")
    12
    >>> whole("-n", 1, 1000)("\\u0661\\u0662")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: -n must be a whole number from 1 to 1000 in the digits 0-9; got '١٢'
    """
    if low is not None and high is not None:
        allowed = f"from {low} to {high}"
    else:
        allowed = f"of at least {low}" if low is not None else "(digits 0-9)"

    def parse(text: str) -> int:
        ok = re.fullmatch(r"-?[0-9]{1,30}", text) is not None
        value = int(text) if ok else None
        if not ok or (low is not None and value < low) or (high is not None and value > high):
            digits = " in the digits 0-9" if high is not None else ""
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number {allowed}{digits}; got {text[:40]!r}")
        return value
    return parse


def seconds(flag: str, high: int):
    """An argparse ``type`` for a number of seconds from 1 to ``high`` (ASCII digits, a decimal point allowed).

    >>> seconds("--tex-timeout", 86400)("2.5")
    2.5
    """
    def parse(text: str) -> float:
        ok = re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,6})?", text) is not None
        if not ok or not 1 <= float(text) <= high:
            raise argparse.ArgumentTypeError(f"{flag} must be a number of seconds from 1 to {high}; got {text[:40]!r}")
        return float(text)
    return parse


def check_output(args, *inputs) -> None:
    """``-o``: ``-`` is standard output; a file is checked now (before any work), and may not be an input.

    >>> import argparse
    >>> args = argparse.Namespace(output="-", force=False)
    >>> check_output(args, "2-2-2"); args.output is None
    True
    """
    if args.output == "-":
        args.output = None
    if args.output:
        from ..io.output import check_not_input, check_output_path

        check_not_input(args.output, *inputs)
        check_output_path(args.output, force=args.force)


def integer(text: str) -> int:
    """An argparse ``type`` for a whole number in ASCII digits (the range is the command's to check).

    >>> integer("-3")
    -3
    """
    if re.fullmatch(r"-?[0-9]{1,30}", text) is None:
        raise argparse.ArgumentTypeError(f"must be a whole number in the digits 0-9; got {text[:40]!r}")
    return int(text)


def add_lang(parser) -> None:
    """``--lang``: the language of the documents' sentences and numbers (checked by the API, which names the shipped ones)."""
    parser.add_argument("--lang", metavar="LANG", default=None,
                        help="language of the documents: en, de or es (default: en)")
