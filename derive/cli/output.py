"""The format a command writes: ``--format``, else ``-o FILE``'s suffix, the same way for every command."""

from __future__ import annotations


def output_format(args, formats, *, default: str, text: str | None = None) -> str:
    """The format of ``args``: ``--format`` if given, else from ``-o``'s suffix, else ``default``.

    ``-o``'s path is checked first, so nothing is written when it is refused. ``text`` is the
    command's plain-text format, which ``.txt`` picks. A suffix naming none of ``formats`` is refused.

    >>> from argparse import Namespace
    >>> output_format(Namespace(format=None, output=None, force=False), ("json", "md"), default="json")
    'json'
    >>> output_format(Namespace(format="md", output=None, force=False), ("json", "md"), default="json")
    'md'
    """
    from ..io.output import check_output_path, format_from_suffix  # deferred, for start-up time (--help)

    if args.output:
        check_output_path(args.output, force=args.force)
    if args.format is not None:
        return args.format
    if not args.output:
        return default
    return format_from_suffix(args.output, formats, text=text)
