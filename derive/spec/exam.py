"""An exam file: a title page and a list of questions, each a spec (or a pool of specs) with points.

An exam file is YAML or JSON, read by the project's safe reader and checked here, once, with the
file and line of every bad value::

    title: "Neural networks: midterm"
    course: "CS 101"
    date: "1 December 2026"
    instructions: |
      Show your work. Give every answer to 4 decimal places.
    decimals: 4
    questions:
      - spec: 2-2-2-exercise          # a built-in example or a spec file (relative to this file)
        ask: forward
        points: 10
      - from: [net-a.yaml, net-b.yaml, net-c.yaml]   # a pool: each student gets `pick` of these
        pick: 1
        ask: "grad:*"
        points: 20
      - spec: 2-2-1-xor-negnevitsky   # update: online: each update's questions in order
        ask: "out:n5"
        updates: 2                    # the first 2 updates only (default: all; online specs only)
        points: 5

An entry with ``pick: k`` makes k questions of the exam (each worth ``points``), drawn from its
pool without repeats. ``ask`` uses the ``--ask`` grammar of ``derive worksheet`` (checked against
each spec's network in :mod:`derive.classroom.exam`, where the network is known).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import SpecError
from .examples import is_example
from .model import Spec
from .source import Doc, parse_text, read_document
from .checker import Checker
from .validate import load_spec

TOP_KEYS = ("title", "course", "date", "instructions", "decimals", "questions")
QUESTION_KEYS = ("spec", "from", "pick", "ask", "points", "updates")
MAX_QUESTIONS = 50
MAX_POOL = 50
MAX_INSTRUCTIONS = 2000


@dataclass(frozen=True)
class ExamEntry:
    """One entry of ``questions:``: a pool of specs (one spec when not a pool), how many to pick, what to ask.

    ``names`` are the specs as the file wrote them; ``specs`` the loaded specs, in the same order.
    ``line`` is the line of the entry's ``ask`` in the exam file (for messages about it); ``updates``
    how many updates of an online or mini-batch spec are asked (None: all), ``updates_line`` its line.
    """

    names: tuple
    specs: tuple
    pick: int
    ask: str | None
    points: Fraction
    line: int | None
    updates: int | None = None
    updates_line: int | None = None


@dataclass(frozen=True)
class Exam:
    """A checked exam file: the title page's texts, the answers' decimals and the question entries."""

    title: str
    course: str
    date: str
    instructions: tuple
    decimals: int
    entries: tuple
    source: str | None

    @property
    def n_questions(self) -> int:
        """How many questions each student gets (an entry with ``pick: k`` counts k)."""
        return sum(entry.pick for entry in self.entries)

    @property
    def total_points(self) -> Fraction:
        return sum((entry.points * entry.pick for entry in self.entries), Fraction(0))


def load_exam(source) -> Exam:
    """Read and check an exam file (a path, or YAML/JSON text whose spec paths are relative to the cwd).

    >>> exam = load_exam("title: Quiz\\nquestions:\\n  - spec: 2-2-2-exercise\\n    points: 5\\n"
    ...                  "  - from: [2-2-2, 2-2-1]\\n    ask: E_total\\n    points: 2.5\\n")
    >>> exam.n_questions, exam.total_points, exam.entries[1].names
    (2, Fraction(15, 2), ('2-2-2', '2-2-1'))
    >>> load_exam("title: Quiz\\nquestions:\\n  - spec: 2-2-2\\n    points: 0\\n")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: <spec>:4: questions[0].points must be > 0; got 0
    """
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        path = Path(source)
        if not path.is_file():
            raise SpecError(f"no such exam file: {source}")
        return _exam(read_document(path, what="exam"), path.parent)
    if isinstance(source, str):
        return _exam(parse_text(source, what="exam"), Path.cwd())
    raise SpecError(f"an exam must be a path or YAML/JSON text; got {type(source).__name__}")


def _exam(doc: Doc, folder: Path) -> Exam:
    check = Checker(doc)
    top = check.mapping(doc.data, (), TOP_KEYS, required=("title", "questions"))
    entries = check.sequence(top["questions"], ("questions",), max_len=MAX_QUESTIONS, what="a list of questions")
    return Exam(
        title=check.text(top["title"], ("title",)),
        course=check.text(top["course"], ("course",)) if "course" in top else "",
        date=_date(check, top.get("date")),
        instructions=_instructions(check, top.get("instructions")),
        decimals=check.integer(top["decimals"], ("decimals",), low=0, high=15) if "decimals" in top else 6,
        entries=tuple(_entry(check, item, ("questions", i), folder) for i, item in enumerate(entries)),
        source=doc.source,
    )


def _date(check: Checker, value) -> str:
    # an unquoted 2026-12-01 reads as text, 20261201 as a number: both are what the user typed
    if value is None:
        return ""
    return value.text if hasattr(value, "text") else check.text(value, ("date",))


def _instructions(check: Checker, value) -> tuple:
    """The instructions as paragraphs (a blank line separates them)."""
    if value is None:
        return ()
    if not isinstance(value, str) or len(value) > MAX_INSTRUCTIONS:
        check.text(value, ("instructions",), limit=MAX_INSTRUCTIONS)
    paragraphs = []
    for block in value.split("\n\n"):
        lines = [check.text(line.strip(), ("instructions",), limit=MAX_INSTRUCTIONS) for line in block.splitlines()]
        if any(lines):
            paragraphs.append(" ".join(line for line in lines if line))
    return tuple(paragraphs)


def _entry(check: Checker, item, path: tuple, folder: Path) -> ExamEntry:
    entry = check.mapping(item, path, QUESTION_KEYS, required=("points",))
    if ("spec" in entry) == ("from" in entry):
        check.fail(path, "needs exactly one of 'spec' (one spec) or 'from' (a pool of specs)")
    if "spec" in entry:
        names = (check.text(entry["spec"], path + ("spec",), limit=400),)
        if "pick" in entry:
            check.fail(path + ("pick",), "only applies to a pool ('from: [...]')")
    else:
        pool = check.sequence(entry["from"], path + ("from",), max_len=MAX_POOL, what="a list of specs")
        names = tuple(check.text(name, path + ("from", i), limit=400) for i, name in enumerate(pool))
        for i, name in enumerate(names):
            if name in names[:i]:
                check.fail(path + ("from", i), f"names {name!r} twice; a pool's specs must differ")
    pick = check.integer(entry["pick"], path + ("pick",), low=1, high=len(names)) if "pick" in entry else 1
    where = path + ("spec",) if "spec" in entry else path + ("from",)
    specs = tuple(_spec(check, name, where + ((i,) if "from" in entry else ()), folder) for i, name in enumerate(names))
    ask = check.text(entry["ask"], path + ("ask",), limit=400) if "ask" in entry else None
    points = check.number(entry["points"], path + ("points",), low=Fraction(0), low_open=True)
    updates = None
    if "updates" in entry:
        most = min(len(spec.update_groups) for spec in specs)
        if any(spec.update == "batch" for spec in specs):
            check.fail(path + ("updates",), "only applies to specs with update: online or {batch_size: k}")
        updates = check.integer(entry["updates"], path + ("updates",), low=1, high=most)
    lines = check.doc.lines
    return ExamEntry(names, specs, pick, ask, points, lines.get(path + ("ask",), lines.get(path)), updates,
                     lines.get(path + ("updates",), lines.get(path)))


def _spec(check: Checker, name: str, path: tuple, folder: Path) -> Spec:
    """A built-in example by name, else a spec file relative to the exam file's folder."""
    if is_example(name):
        return load_spec(name)
    file = folder / name
    if not file.is_file():
        check.fail(path, f"must be a built-in example (see 'derive examples') or a spec file; "
                         f"no such file: {file}")
    return load_spec(file)
