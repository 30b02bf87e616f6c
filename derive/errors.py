"""The exceptions ``derive`` raises: one base class and a few kinds."""

from __future__ import annotations


class DeriveError(Exception):
    """Base class of every error ``derive`` reports to a user.

    >>> str(DeriveError("something went wrong"))
    'something went wrong'
    """


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
        self.message = message
        self.field = field
        self.source = source
        self.line = line
        self.column = column
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
        subject = f"{self.field} " if self.field else ""
        return f"{where}{subject}{self.message}"


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
    """An output path cannot be written (a directory, unwritable, or exists without --force)."""
