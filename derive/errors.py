"""The exceptions ``derive`` raises: one base class and a few kinds.

A message that names an option writes it with :func:`keyword`: the Python API's error then
speaks of the keyword (``force=True``), and the command line, which shows
:meth:`DeriveError.cli_message`, of its flag (``--force``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# An option inside a message: name, its value as the API would write it, and as the command line would.
_OPEN, _SEP, _CLOSE = "\ue000", "\ue001", "\ue002"  # Unicode private-use characters: never in a message's text
# compiled on first use (re caches it), not at import: every command's start-up would pay for it
_OPTION = f"{_OPEN}([A-Za-z_]+){_SEP}([^{_CLOSE}]*){_SEP}([^{_CLOSE}]*){_CLOSE}"


def keyword(name: str, value=None, *, api_text: str | None = None) -> str:
    """An option named in a message: ``force=True`` in the API's words, ``--force`` on the command line.

    ``value``: None for the option alone (``only``, ``--only``), True for a switch, a string or a
    list of strings for a value (``style='matrix'``, ``--style matrix``; ``only=['w1']``, ``--only w1``).
    ``api_text`` is the API's words where they are not a keyword (``--format json``: ``Problem.to_dict()``).

    >>> err = DeriveError(f"out.md: exists; pass {keyword('force', True)} to overwrite")
    >>> str(err), err.cli_message()
    ('out.md: exists; pass force=True to overwrite', 'out.md: exists; pass --force to overwrite')
    >>> SpecError("must be at least 1; got 0", field=keyword("n")).cli_message({"n": "--variants"})
    '--variants must be at least 1; got 0'
    """
    if value is None:
        api, cli = name, ""
    elif value is True:
        api, cli = f"{name}=True", ""
    elif isinstance(value, (list, tuple)):
        api, cli = f"{name}={list(value)!r}", " " + ",".join(map(str, value))
    else:
        api, cli = f"{name}={value!r}", f" {value}"
    return f"{_OPEN}{name}{_SEP}{api if api_text is None else api_text}{_SEP}{cli}{_CLOSE}"


def _flag(name: str, flags: Mapping[str, str]) -> str:
    return flags.get(name, "--" + name.replace("_", "-"))


class DeriveError(Exception):
    """Base class of every error ``derive`` reports to a user.

    >>> str(DeriveError("something went wrong"))
    'something went wrong'
    """

    def __init__(self, message: str = "", *args):
        self._marked = message if isinstance(message, str) else str(message)
        super().__init__(re.sub(_OPTION, lambda m: m.group(2), self._marked), *args)

    def cli_message(self, flags: Mapping[str, str] | None = None) -> str:
        """The message with the command line's flags for the API's keywords (``flags`` maps the
        keywords whose flag is not ``--`` plus the keyword with dashes: ``{"fmt": "--format"}``)."""
        flags = flags or {}
        return re.sub(_OPTION, lambda m: _flag(m.group(1), flags) + m.group(3), self._marked)


class SpecError(DeriveError):
    """A network spec (or a claims file, or an option) is not valid.

    ``field`` is the path of the offending value (``layers[1].weights``), ``source``
    the file it came from and ``line`` its 1-based line there, when known.

    >>> err = SpecError("must be a number; got 'abc'", field="inputs[0]", source="net.yaml", line=3)
    >>> str(err)
    "net.yaml:3: inputs[0] must be a number; got 'abc'"
    """

    def __init__(self, message: str, *, field: str | None = None,
                 source: str | None = None, line: int | None = None,
                 column: int | None = None):
        self.message = re.sub(_OPTION, lambda m: m.group(2), message)
        self.field = re.sub(_OPTION, lambda m: m.group(2), field) if field else field
        self.source = source
        self.line = line
        self.column = column
        self._raw_message, self._raw_field = message, field
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.source is not None or self.line is not None:
            where = self.source or "<spec>"
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        subject = f"{self._raw_field} " if self._raw_field else ""
        return f"{where}{subject}{self._raw_message}"


class RenderError(DeriveError):
    """A document could not be rendered (a template failed, an option is out of range)."""


class LatexError(RenderError):
    """TeX failed to build a PDF. Carries the tail of the log and where the full log was kept.

    >>> err = LatexError("pdflatex failed", log_tail="! Undefined control sequence.", log_path="/tmp/x.log")
    >>> "Undefined control sequence" in str(err) and "/tmp/x.log" in str(err)
    True
    """

    def __init__(self, message: str, *, log_tail: str = "", log_path: str | None = None):
        self.log_tail = log_tail
        self.log_path = log_path
        text = message
        if log_path:
            text += f" (full log: {log_path})"
        if log_tail:
            text += "\n" + log_tail
        super().__init__(text)


class OutputError(DeriveError):
    """An output path cannot be written (a directory, unwritable, or exists without ``force=True``)."""
