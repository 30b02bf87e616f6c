"""A class's answers for ``derive grade``: a roster CSV and/or a folder of claims files.

**Roster.** A CSV file (UTF-8, a header row) with a ``student`` column (the id), a ``variant``
column (the variant's number in ``variants.json``) and one column per asked quantity, headed by
any name a claims file accepts (``E_total``, ``dE/dw5``, ``w5_new``, ...). An empty cell is a
question not answered.

**Claims folder.** One claims file per student (``.yaml``, ``.yml`` or ``.json``; the file's name
is the student id) with a ``variant: N`` entry beside the claimed numbers. A student in both
gets the roster's cells and the file's claims together (the file wins for a quantity in both).

Nothing here stops at a bad row: each problem is a :class:`Problem` naming the row (or file)
and the column, and the other students are read as usual.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpecError
from ..spec.claims import resolve_name
from ..spec.source import Num, read_document

ID_COLUMN, VARIANT_COLUMN = "student", "variant"
CLAIMS_SUFFIXES = (".yaml", ".yml", ".json")
MAX_ROSTER_BYTES = 10_000_000


@dataclass(frozen=True)
class Problem:
    """Something in the class's answers that could not be read: where, and what."""

    where: str  # "roster.csv row 4" or "claims/ann.yaml"
    column: str | None
    message: str

    def __str__(self) -> str:
        column = f", column {self.column}" if self.column else ""
        return f"{self.where}{column}: {self.message}"


@dataclass
class Submission:
    """One student's answers: the variant and the claimed numbers by name (text, as written)."""

    student: str
    variant: int
    claims: dict = field(default_factory=dict)
    source: str = ""
    problems: list = field(default_factory=list)


def read_roster(path, keys, variants, *, unknown=None) -> tuple[dict[str, Submission], list[Problem]]:
    """Submissions by student id from a roster CSV; ``keys`` are the model's, ``variants`` the known numbers.

    A submission's claims are keyed by the column titles as written (``dE/dnet_o1``, whose sign the
    ``error_term`` convention sets when it is checked); a second column of the same quantity is ignored.

    ``unknown`` (optional) says what is wrong with a column title that names no quantity (None: the usual words).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "r.csv").write_text("student,variant,E_total\\nann,1,0.29\\n,2,0.3\\nbob,7,0.3\\ncy,1,abc\\n")
    >>> subs, problems = read_roster(folder / "r.csv", {"E_total"}, {1, 2})
    >>> sorted(subs), subs["ann"].claims
    (['ann', 'cy'], {'E_total': '0.29'})
    >>> [str(p).split(": ", 1)[1] for p in problems]
    ['missing student id', 'no variant 7 in variants.json (there are 1 to 2)', "not a number: 'abc'"]
    """
    name = Path(path).name
    rows = _csv_rows(path)
    if not rows:
        raise SpecError("the roster is empty; it needs a header row with student, variant and the quantities",
                        source=str(path))
    header = [cell.strip() for cell in rows[0][1]]
    lowered = [cell.lower() for cell in header]
    for column in (ID_COLUMN, VARIANT_COLUMN):
        if column not in lowered:
            raise SpecError(f"needs a '{column}' column; the header is {', '.join(header) or 'empty'}",
                            source=str(path), line=1)
    problems: list[Problem] = []
    columns = {}
    for index, title in enumerate(header):
        if lowered[index] in (ID_COLUMN, VARIANT_COLUMN) or not title:
            continue
        key = resolve_name(title, keys)
        first = next((t for t, k in columns.values() if k == key), None)
        if key is None:
            why = (unknown(title) if unknown else None) or "is not a quantity of this network"
            problems.append(Problem(f"{name} row 1", title, f"{why}; column ignored"))
        elif first is not None:
            problems.append(Problem(f"{name} row 1", title, f"is {key} again (first as column {first}); column ignored"))
        else:
            columns[index] = (title, key)
    found: dict[str, Submission] = {}
    for line, cells in rows[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        where = f"{name} row {line}"
        submission = _roster_row(cells, lowered, columns, variants, where, problems)
        if submission is None:
            continue
        if submission.student in found:
            problems.append(Problem(where, ID_COLUMN, f"student {submission.student!r} appears a second time "
                                    f"(first in {found[submission.student].source}); row skipped"))
            continue
        found[submission.student] = submission
    return found, problems


def _csv_rows(path) -> list[tuple[int, list[str]]]:
    try:
        size = Path(path).stat().st_size
        if size > MAX_ROSTER_BYTES:
            raise SpecError(f"the roster is {size} bytes; the limit is {MAX_ROSTER_BYTES}", source=str(path))
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            return [(reader.line_num, row) for row in reader]
    except OSError as err:
        raise SpecError(f"cannot read the roster: {err.strerror or err}", source=str(path)) from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise SpecError(f"is not a CSV file of UTF-8 text: {err}", source=str(path)) from None


def _roster_row(cells, lowered, columns, variants, where, problems) -> Submission | None:
    def cell(index):
        return cells[index].strip() if index < len(cells) else ""

    student = cell(lowered.index(ID_COLUMN))
    if not student:
        problems.append(Problem(where, ID_COLUMN, "missing student id"))
        return None
    variant = _variant(cell(lowered.index(VARIANT_COLUMN)), variants)
    if isinstance(variant, str):
        problems.append(Problem(where, VARIANT_COLUMN, variant))
        return None
    submission = Submission(student, variant, source=where)
    for index, (title, key) in columns.items():
        text = cell(index)
        if not text:
            continue
        try:
            Num(text)
        except ValueError:
            problem = Problem(where, title, f"not a number: {text[:40]!r}")
            problems.append(problem)
            submission.problems.append(problem)
            continue
        submission.claims[title] = text  # by the name as written: dE/dnet_o1 keeps its sign under error_term: negative
    return submission


def _variant(text, variants) -> int | str:
    """The variant number, or what is wrong with it."""
    if not str(text).strip():
        return "missing variant number"
    if not str(text).strip().isdigit() or int(text) not in variants:
        return f"no variant {str(text)[:20]} in variants.json (there are {min(variants)} to {max(variants)})"
    return int(text)


def read_claims_folder(folder, variants) -> tuple[dict[str, Submission], list[Problem]]:
    """Submissions by student id from a folder of claims files, each with a ``variant:`` entry."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SpecError(f"no such folder of claims files: {folder}")
    found, problems = {}, []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in CLAIMS_SUFFIXES and p.is_file()):
        where = str(path)
        try:
            doc = read_document(path, what="claims file")
        except SpecError as err:
            problems.append(Problem(where, None, err.message if err.line is None else str(err)))
            continue
        data = dict(doc.data) if isinstance(doc.data, dict) else {}
        raw = data.pop(VARIANT_COLUMN, None)
        variant = _variant(raw.text if isinstance(raw, Num) else "" if raw is None else str(raw), variants)
        if isinstance(variant, str):
            problems.append(Problem(where, VARIANT_COLUMN, variant))
            continue
        found[path.stem] = Submission(path.stem, variant, source=where,
                                      claims=type(doc)(data, doc.lines, doc.source))
    return found, problems


def merge(roster: dict, files: dict, keys, problems: list) -> dict[str, Submission]:
    """One submission per student from both sources (a claims file's variant must match the roster's)."""
    merged = dict(roster)
    for student, submission in files.items():
        other = merged.get(student)
        if other is None:
            merged[student] = submission
        elif other.variant != submission.variant:
            problems.append(Problem(submission.source, VARIANT_COLUMN,
                                    f"variant {submission.variant} here, {other.variant} in {other.source}; "
                                    "the claims file is skipped"))
        else:
            data = submission.claims.data
            in_file = {resolve_name(str(name), keys) for name in data}
            combined = {k: v for k, v in other.claims.items() if resolve_name(k, keys) not in in_file}
            combined.update({name: value.text if isinstance(value, Num) else value for name, value in data.items()})
            other.claims, other.source = combined, f"{other.source} and {submission.source}"
    return merged
