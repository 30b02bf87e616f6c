"""Exams: several questions from pools, with points and a title page, one paper per student.

An exam file (:mod:`derive.spec.exam`) lists entries; each student's paper draws ``pick``
specs from every entry's pool and a variant of each (:mod:`.variants`). Question ``k`` of the
exam has its own variant seed, derived from the exam's seed and ``k``, and the student's
position is the variant's index: so a paper depends only on (exam, seed, position), and
``exam.json`` records every seed, index, given and answer for marking. The documents are
PyLaTeX documents (:func:`.worksheet.latex_document`); the title page and question headings
come from ``templates/exam.tex.j2``, each question's body from the worksheet's and key's own
templates, and every PDF is compiled in parallel like a worksheet run's.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

from pylatex import Command, Foot, Head, PageStyle, UnsafeCommand
from pylatex.utils import NoEscape

from ..errors import SpecError, keyword
from ..render.escape import escape_latex
from ..spec.exam import Exam, load_exam
from ..spec.roster import Student, read_roster
from .variants import MAX_VARIANTS, Variant, _Generator, _variant_dict, format_exact
from ..render.language import gettext, with_language
from .worksheet import (_environment, _make_folder, _solution, _write_texts, check_outputs_at, compile_into,
                        latex_document, sheet_text, variant_stem)
from .limits import EXAM_FORMATS


@dataclass(frozen=True)
class ExamQuestion:
    """Question ``number`` of one paper: which spec of its entry's pool, the variant, what it asks."""

    number: int
    points: object
    spec_name: str
    variant: Variant
    questions: tuple


@dataclass(frozen=True)
class Paper:
    """One student's exam: who (``student.id`` empty without a roster), the file stem, the questions."""

    student: Student
    stem: str
    position: int
    questions: tuple


@dataclass(frozen=True)
class ExamRun:
    """What ``derive exam`` made: the exam, its seed, every paper and the files written."""

    exam: Exam
    seed: int
    decimals: int
    papers: tuple
    written: tuple
    warnings: tuple = ()

    def report(self) -> str:
        """One line for the end of a run."""
        n = len(self.papers)
        if not n:
            return f"PrairieLearn question folders for the {len(self.exam.entries)} entries of the exam"
        return (f"{n} exam{'s' * (n != 1)} of {self.exam.n_questions} question"
                f"{'s' * (self.exam.n_questions != 1)} ({format_exact(self.exam.total_points)} points)")

    def to_json(self) -> str:
        """``exam.json``: the exam, and per student every question's spec, seed, index, givens and answers."""
        data = {
            "title": self.exam.title, "course": self.exam.course, "date": self.exam.date, "seed": self.seed,
            "decimals": self.decimals, "total_points": format_exact(self.exam.total_points),
            "questions": [{"number": q.number, "points": format_exact(q.points)} for q in self.papers[0].questions],
            "students": [_paper_dict(paper, self.decimals) for paper in self.papers],
        }
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ---------------------------------------------------------------- drawing the papers

def draw_papers(exam, seed: int, students) -> tuple:
    """Every student's paper: the pool draws and each question's variant.

    ``students`` is a roster (a tuple of :class:`~derive.spec.roster.Student`) or a count of
    anonymous papers.

    >>> exam = load_exam("title: Quiz\\nquestions:\\n  - from: [2-2-2, 2-2-1]\\n    ask: E_total\\n    points: 2\\n")
    >>> papers = draw_papers(exam, 5, 3)
    >>> [(p.stem, p.questions[0].spec_name in ("2-2-2", "2-2-1")) for p in papers]
    [('variant-01', True), ('variant-02', True), ('variant-03', True)]
    >>> draw_papers(exam, 5, 3) == papers
    True
    """
    exam = load_exam(exam) if not isinstance(exam, Exam) else exam
    roster = _roster(students)
    generators = {}
    papers = []
    for position, student in enumerate(roster, start=1):
        stem = student.id or variant_stem(position, len(roster))
        papers.append(Paper(student, stem, position, tuple(_questions(exam, seed, position, generators))))
    return tuple(papers)


def _roster(students) -> tuple:
    if isinstance(students, tuple):
        return students
    if isinstance(students, bool) or not isinstance(students, int) or not 1 <= students <= MAX_VARIANTS:
        raise SpecError(f"must be a whole number from 1 to {MAX_VARIANTS}; got {students!r}", field=keyword("n"))
    return tuple(Student("", "") for _ in range(students))


def _questions(exam: Exam, seed: int, position: int, generators: dict):
    number = 0
    for e, entry in enumerate(exam.entries):
        rng = random.Random(_stream(seed, f"pool:{e + 1}:{position}"))
        chosen = sorted(rng.sample(range(len(entry.specs)), entry.pick))
        for s in chosen:
            number += 1
            generator = _generator(exam, e, s, generators)
            variant = generator.variant(_question_seed(seed, number), position)
            yield ExamQuestion(number, entry.points, entry.names[s], variant, generator.questions)


def _generator(exam: Exam, e: int, s: int, generators: dict):
    """The variant generator of spec ``s`` of entry ``e`` (its model built once per run)."""
    if (e, s) not in generators:
        entry = exam.entries[e]
        try:
            generators[e, s] = _Generator(entry.specs[s], entry.ask, exam.decimals, entry.updates)
        except SpecError as err:
            if err.field not in ("--ask", "ask"):
                raise
            raise SpecError(f"{err.message} (spec {entry.names[s]})", field=f"questions[{e}].ask",
                            source=exam.source or "<spec>", line=entry.line) from None
    return generators[e, s]


def _stream(seed: int, label: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{label}".encode()).digest()[:16], "big")


def _question_seed(seed: int, number: int) -> int:
    """Question ``number``'s variant seed: a hash of (exam seed, number), printed in ``exam.json``.

    >>> _question_seed(42, 1) == _question_seed(42, 1) != _question_seed(42, 2)
    True
    """
    return _stream(seed, f"question:{number}") % 10**9


def _paper_dict(paper: Paper, decimals: int) -> dict:
    return {
        "id": paper.student.id or None, "name": paper.student.name or None, "extra": dict(paper.student.extra),
        "stem": paper.stem, "position": paper.position,
        "questions": [{"number": q.number, "spec": q.spec_name, "asked": [a.key for a in q.questions],
                       **_variant_dict(q.variant, decimals)} for q in paper.questions],
    }


# ---------------------------------------------------------------- the whole run

def output_names(stems) -> list[str]:
    """Every file an exam run writes, in order: per paper the exam and key (.tex, .pdf), then the rest.

    >>> output_names(["s17"])
    ['s17-exam.tex', 's17-exam.pdf', 's17-key.tex', 's17-key.pdf', 'exam.json', 'exams.pdf', 'keys.pdf']
    """
    names = [f"{stem}-{kind}.{ext}" for stem in stems for kind in ("exam", "key") for ext in ("tex", "pdf")]
    return names + ["exam.json", "exams.pdf", "keys.pdf"]


FORMATS = EXAM_FORMATS
TEX_TIMEOUT = 120
SECONDS_PER_PAPER = 3


@with_language
def make_exam(exam, *, seed: int, out_dir, students=1, roster=None, key: str = "short", fmt: str = "pdf",
              tolerance=None, force: bool = False, workers: int | None = None, progress: bool | None = None,
              template_dir=None) -> ExamRun:
    """Write every student's exam and key (PDF and .tex), combined ``exams.pdf`` and ``keys.pdf``, and ``exam.json``.

    ``exam`` is an exam file (:func:`~derive.spec.exam.load_exam`); ``roster`` a roster file (one
    paper per student, files named by id), else ``students`` anonymous papers. With ``fmt="qti"``
    write ``qti.zip`` (:mod:`.qti`; every paper's variants, for the LMS to draw from), with
    ``fmt="prairielearn"`` one question folder per spec (:mod:`.prairielearn`). Every input and
    output path is checked before any work; nothing is written unless every PDF was built.

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "quiz.yaml").write_text("title: Quiz\\nquestions:\\n  - spec: 2-2-2-exercise\\n    points: 4\\n")
    >>> run = make_exam(folder / "quiz.yaml", seed=1, students=3, out_dir=folder / "out", fmt="qti")
    >>> [p.name for p in run.written], len(run.papers), run.warnings[0].startswith("Canvas keeps")
    (['qti.zip'], 3, True)
    >>> shutil.rmtree(folder)
    """
    from .worksheet import KEY_STYLES, _check_choice

    _check_choice(key, KEY_STYLES, keyword("key"))
    _check_choice(fmt, FORMATS, keyword("fmt"))
    if tolerance is not None:
        from .tolerance import parse_tolerance

        parse_tolerance(tolerance)  # a bad value fails before any work
    exam = load_exam(exam) if not isinstance(exam, Exam) else exam
    people = read_roster(roster) if roster is not None else students
    _check_sizes(exam)
    _environment(template_dir)
    if fmt == "prairielearn":
        return _write_prairielearn(exam, seed, out_dir, tolerance=tolerance, force=force)
    papers = draw_papers(exam, seed, people)
    if fmt == "qti":
        from .qti import qti_package

        paths = check_outputs_at(out_dir, ["qti.zip"], force=force)
        run = ExamRun(exam, seed, exam.decimals, papers, tuple(paths))
        data, warnings = qti_package(run, tolerance=tolerance)
        _make_folder(Path(out_dir))
        _write_texts({paths[0]: data}, force)
        return ExamRun(exam, seed, exam.decimals, papers, tuple(paths), tuple(warnings))
    paths = check_outputs_at(out_dir, output_names(p.stem for p in papers), force=force)
    run = ExamRun(exam, seed, exam.decimals, papers, tuple(paths))
    _make_folder(Path(out_dir))
    exams, keys = [], []
    from ..io.progress import task

    with task("papers", len(papers) if progress is not False else 0) as bar:
        for paper in papers:
            exams.append(paper_body(run, paper, template_dir=template_dir))
            keys.append(paper_body(run, paper, key=True, full=key == "full", template_dir=template_dir))
            bar.advance()
    texts = {}
    jobs = [(exam_document(exams, template_dir), paths[-2]), (exam_document(keys, template_dir), paths[-1])]
    for i, (paper_tex, key_tex) in enumerate(zip(exams, keys)):
        texts[paths[4 * i]] = exam_document([paper_tex], template_dir)
        texts[paths[4 * i + 2]] = exam_document([key_tex], template_dir)
        jobs += [(texts[paths[4 * i]], paths[4 * i + 1]), (texts[paths[4 * i + 2]], paths[4 * i + 3])]
    texts[paths[-3]] = run.to_json()
    # The combined files grow with the class (4 pages a student, 1,200 for 300): so does their TeX run's limit.
    compile_into(jobs, texts, force=force, workers=workers, progress=progress,
                 timeout=max(TEX_TIMEOUT, SECONDS_PER_PAPER * len(papers)))
    return run


def _write_prairielearn(exam: Exam, seed: int, out_dir, *, tolerance, force) -> ExamRun:
    """One PrairieLearn question folder per spec; subfolders that exist are checked like the top one."""
    from .prairielearn import question_files

    files = question_files(exam, tolerance=tolerance)
    out = Path(out_dir)
    check_outputs_at(out_dir, [], force=force)
    for name in files:
        if (out / name).parent.is_dir():
            check_outputs_at((out / name).parent, [Path(name).name], force=force)
    for name in files:
        _make_folder((out / name).parent)
    written = _write_texts({out / name: text for name, text in files.items()}, force)
    return ExamRun(exam, seed, exam.decimals, (), tuple(written))


def _check_sizes(exam: Exam) -> None:
    from ..engine.network import build_network
    from ..steps import check_document_size

    for entry in exam.entries:
        for spec in entry.specs:
            check_document_size(len(build_network(spec).parameters), way_out="an exam question needs a smaller network")


# ---------------------------------------------------------------- documents

def paper_body(run: ExamRun, paper: Paper, *, key: bool = False, full: bool = False, template_dir=None) -> str:
    """One student's exam (or answer key) as a LaTeX body: the title page, then one question per page."""
    questions = []
    for q in paper.questions:
        solution = _solution(q.variant, run.decimals, template_dir)
        _, body = sheet_text(q.variant, q.questions, run.decimals, solution, key=key, full=full,
                             template_dir=template_dir)
        questions.append({"number": q.number, "points": format_exact(q.points), "body": NoEscape(body)})
    exam = run.exam
    context = {"title": exam.title, "course": exam.course, "date": exam.date, "instructions": exam.instructions,
               "name": paper.student.name, "id": paper.student.id, "key": key, "decimals": run.decimals,
               "questions": questions, "total": format_exact(exam.total_points)}
    text = _environment(template_dir).get_template("exam.tex.j2").render(paper=context)
    who = escape_latex(f"{paper.student.name} ({paper.student.id})" if paper.student.id else "")
    info = escape_latex(gettext("%(kind)s %(paper)s, seed %(seed)s", kind=gettext("Answer key") if key else gettext("Exam"),
                                paper=paper.stem, seed=run.seed))
    head = escape_latex(" \N{EM DASH} ".join(t for t in (exam.course, exam.title) if t))
    parts = [UnsafeCommand("renewcommand", r"\examwho", extra_arguments=who),
             UnsafeCommand("renewcommand", r"\examhead", extra_arguments=head),
             UnsafeCommand("renewcommand", r"\examinfo", extra_arguments=info),
             Command("pagestyle", "exam"), Command("setcounter", arguments=["page", "1"])]
    return "\n".join(part.dumps() for part in parts) + "\n" + text


def exam_document(bodies: list[str], template_dir=None) -> str:
    r"""A standalone LaTeX document of one or more papers; the name, id and page on every page.

    >>> exam = load_exam("title: Quiz\nquestions:\n  - spec: 2-2-2\n    ask: E_total\n    points: 1\n")
    >>> papers = draw_papers(exam, 1, (Student("s1", "Ada"),))
    >>> doc = exam_document([paper_body(ExamRun(exam, 1, 6, papers, ()), papers[0])])
    >>> "Ada (s1)" in doc and "Question 1" in doc and doc.rstrip().endswith(r"\end{document}")
    True
    """
    return latex_document(bodies, template_dir, page_style=_page_style())


def _page_style() -> list:
    style = PageStyle("exam")
    for position, macro in (("L", r"\examhead"), ("R", r"\examwho")):
        with style.create(Head(position)) as head:
            head.append(NoEscape(rf"\footnotesize{macro}"))
    with style.create(Foot("L")) as foot:
        foot.append(NoEscape(r"\footnotesize\examinfo"))
    with style.create(Foot("R")) as foot:
        foot.append(NoEscape(r"\footnotesize " + escape_latex(gettext("Page")) + r" \thepage"))
    macros = [UnsafeCommand("newcommand", name, extra_arguments="") for name in (r"\examwho", r"\examhead", r"\examinfo")]
    return [*macros, style]
