"""A class roster: a CSV file with a header row naming at least the columns ``id`` and ``name``.

Each row is one student; other columns (``email``, ``section``, ...) are kept as they are. An id
names the student's files, so it is restricted to letters, digits, ``.``, ``_`` and ``-``. A bad
row is reported by its line and column: ``students.csv:4: row 3, column id must ...``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpecError

REQUIRED_COLUMNS = ("id", "name")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
MAX_STUDENTS = 1000
MAX_NAME = 120
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Student:
    """One row of a roster: the id (file names), the name (printed) and the other columns."""

    id: str
    name: str
    extra: dict = field(default_factory=dict)


def read_roster(source) -> tuple:
    """The students of a roster file (a path) or CSV text, in file order.

    >>> [(s.id, s.name, s.extra) for s in read_roster("id,name,section\\n17,Ada Lovelace,B\\n")]
    [('17', 'Ada Lovelace', {'section': 'B'})]
    >>> read_roster("id,name\\n17,Ada\\n17,Alan\\n")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: <roster>:3: row 2, column id repeats '17' (first in row 1); ids must be unique
    """
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        name = str(source)
        try:
            raw = Path(source).read_bytes()[:MAX_BYTES + 1]
        except OSError as exc:
            raise SpecError(f"cannot read the roster: {exc.strerror or exc}", source=name) from None
        if len(raw) > MAX_BYTES:
            raise SpecError(f"the roster is larger than {MAX_BYTES} bytes", source=name)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SpecError(f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded",
                            source=name, line=raw[:exc.start].count(b"\n") + 1) from None
        return _students(text, name)
    return _students(source, "<roster>")


def _students(text: str, source: str) -> tuple:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        raise SpecError("the roster is empty; it needs a header row with the columns id and name",
                        source=source) from None
    except csv.Error as exc:
        raise SpecError(f"is not valid CSV: {exc}", source=source, line=1) from None
    for column in REQUIRED_COLUMNS:
        if column not in header:
            raise SpecError(f"the header row must name the columns id and name; got {', '.join(header) or 'nothing'}",
                            source=source, line=1)
    students, first = [], {}
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # a blank line is not a student
            line, number = reader.line_num, len(students) + 1
            students.append(_student(row, header, source, line, number, first))
            if len(students) > MAX_STUDENTS:
                raise SpecError(f"holds more than {MAX_STUDENTS} students", source=source, line=line)
    except csv.Error as exc:
        raise SpecError(f"is not valid CSV: {exc}", source=source, line=reader.line_num) from None
    if not students:
        raise SpecError("the roster names no student (only a header row)", source=source)
    return tuple(students)


def _student(row, header, source, line, number, first) -> Student:
    def fail(column, message):
        raise SpecError(message, field=f"row {number}, column {column}", source=source, line=line)

    if len(row) != len(header):
        fail(header[min(len(row), len(header)) - 1] if row else header[0],
             f"has {len(row)} cells; the header has {len(header)} columns")
    cells = {column: cell.strip() for column, cell in zip(header, row)}
    student_id, name = cells["id"], cells["name"]
    if not ID_PATTERN.fullmatch(student_id):
        fail("id", "must be 1 to 40 letters, digits, '.', '_' or '-' starting with a letter or digit "
                   f"(it names the student's files); got {student_id!r}")
    if student_id in first:
        fail("id", f"repeats {student_id!r} (first in row {first[student_id]}); ids must be unique")
    first[student_id] = number
    if not name or len(name) > MAX_NAME or not name.isprintable():
        fail("name", f"must be 1 to {MAX_NAME} printable characters; got {name!r}")
    extra = {column: cell for column, cell in cells.items() if column not in REQUIRED_COLUMNS}
    return Student(student_id, name, extra)
