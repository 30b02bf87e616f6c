"""Grade a class: every student's answers to their own worksheet variant, with follow-through.

:func:`grade_class` takes the spec and the ``variants.json`` of a ``derive worksheet`` run (each
variant is drawn again from the spec and its seed, and must match the file's numbers) and the
class's answers (:mod:`derive.classroom.roster`), and checks each student's answers with
:func:`~derive.classroom.check.check_claims` under a marking scheme. :func:`write_grades` writes
``grades.csv`` and one feedback file per student (Markdown and PDF) in ``feedback/``.

A bad row or file is a :class:`~derive.classroom.roster.Problem` in the result: it never stops
the other students' grading.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..errors import DeriveError, OutputError, SpecError, keyword
from ..spec.claims import AFTER_STEPS_KEY, update_number
from ..spec.source import Num, read_document
from ..render.language import with_language
from .ask import Question
from .grade_updates import UpdateGrader, sheet_keys, unknown_update
from .roster import Problem, Submission, merge, read_claims_folder, read_roster
from .scheme import spec_scheme, update_keys

STATUS_WORDS = {"ok": "right", "follow_through": "follow-through", "wrong": "wrong", None: "not answered"}


@dataclass
class StudentGrade:
    """One student's result: the check report (None when nothing could be checked) and the score."""

    student: str
    variant: int
    report: object
    earned: Fraction
    possible: Fraction
    verdicts: dict  # asked key -> status ("ok", "follow_through", "wrong") or None (not answered)
    problems: list = field(default_factory=list)


@dataclass
class ClassGrades:
    """Every student's grade, the problems found on the way, and what the variants asked."""

    title: str
    seed: int
    decimals: int
    asked: tuple
    students: list
    problems: list
    variants: dict  # index -> the variant drawn again

    def csv_text(self) -> str:
        """``grades.csv``: a row per student with the score and a verdict per asked quantity."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["student", "variant", "score", "out_of", "percent", *self.asked, "root_errors",
                         "problems"])
        for g in self.students:
            percent = f"{float(100 * g.earned / g.possible):.1f}" if g.possible else ""
            roots = [r.claim.name for r, _ in g.report.root_errors()] if g.report is not None else []
            writer.writerow([_cell(g.student), g.variant, _number(g.earned), _number(g.possible), percent,
                             *(STATUS_WORDS[g.verdicts.get(k)] for k in self.asked), _cell("; ".join(roots)),
                             _cell("; ".join(str(p) for p in g.problems))])
        return out.getvalue()


def grade_class(spec, variants_json, *, roster=None, claims=None, scheme=None, tolerance=None) -> ClassGrades:
    """Grade the students of ``roster`` (a CSV path) and/or ``claims`` (a folder of claims files).

    ``scheme`` is a marking scheme (:mod:`derive.classroom.scheme`); ``tolerance`` replaces its default
    tolerance.

    >>> import tempfile, pathlib
    >>> from derive.classroom.variants import generate_variants
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> variants = generate_variants("2-2-2-exercise", 2, seed=4, ask="E_total,grad:w5")
    >>> _ = (folder / "variants.json").write_text(variants.to_json())
    >>> right = variants.variants[1].answer_text("E_total", 6)
    >>> _ = (folder / "r.csv").write_text(f"student,variant,E_total,dE/dw5\\nann,2,{right},\\nbob,9,1,2\\n")
    >>> grades = grade_class("2-2-2-exercise", folder / "variants.json", roster=folder / "r.csv")
    >>> [(g.student, g.earned, g.possible, g.verdicts) for g in grades.students]
    [('ann', Fraction(1, 1), Fraction(2, 1), {'E_total': 'ok', 'grad_w5': None})]
    >>> [str(p) for p in grades.problems]
    ['r.csv row 3, column variant: no variant 9 in variants.json (there are 1 to 2)']
    """
    from ..engine.problem import Problem as EngineProblem

    if roster is None and claims is None:
        raise SpecError(f"needs the class's answers: a roster CSV ({keyword('roster')}) and/or a claims folder "
                        f"({keyword('claims')})")
    info = read_variants_json(variants_json)
    variants = _draw_again(spec, info)
    first = next(iter(variants.values())).spec
    count = _updates_asked(info["asked"]) if first.update != "batch" else 0
    if count:  # an online sheet: u<k>_ keys, each update marked against its own problem
        plain = update_keys(first, count)
        keys = sheet_keys(plain)
        unknown = lambda name: unknown_update(name, count)  # noqa: E731
        within = set().union(*plain.values())  # a scheme may name any update of the spec, asked or not
        named = within | {f"u{n}_{k}" for n in range(1, len(first.update_groups) + 1) for k in within}
        scheme = spec_scheme(first, named, scheme, tolerance)
    else:
        keys, plain, unknown = EngineProblem(first).model.by_key, None, None
        scheme = spec_scheme(first, keys, scheme, tolerance)
    asked = tuple(k for k in info["asked"] if k in keys)
    problems: list[Problem] = []
    found: dict[str, Submission] = {}
    if roster is not None:
        found, problems = read_roster(roster, keys, set(variants), unknown=unknown)
    if claims is not None:
        files, more = read_claims_folder(claims, set(variants))
        problems += more
        found = merge(found, files, keys, problems)
    graded = _Grader(variants, scheme, asked, plain)
    students = []
    for student in sorted(found):
        result = graded.grade(found[student])
        problems += [p for p in result.problems if p not in problems]
        students.append(result)
    return ClassGrades(info["title"] or "", info["seed"], info["decimals"], asked, students, problems, variants)


class _Grader:
    """Checks submissions, reusing each variant's evaluations across its students."""

    def __init__(self, variants: dict, scheme, asked: tuple, plain: dict | None = None):
        self.variants, self.scheme, self.asked = variants, scheme, asked
        self._evaluations: dict = {}
        self.updates = UpdateGrader(variants, scheme, asked, plain) if plain else None

    def grade(self, submission: Submission) -> StudentGrade:
        from .check import check_claims

        problems = list(submission.problems)
        variant = self.variants[submission.variant]
        report = None
        if self.updates is not None:
            report, problems = self.updates.grade(submission) if submission.claims else (None, problems)
        elif submission.claims:
            claims = _without_after_steps(submission, problems)
            try:
                report = check_claims(variant.spec, claims, scheme=self.scheme, after_steps=0,
                                      evaluations=self._evaluations_of(submission.variant, variant)) if claims else None
            except DeriveError as err:
                problems.append(Problem(submission.source, None, f"not graded: {err}"))
        return self._score(submission, report, problems)

    def _evaluations_of(self, index, variant):
        from .alternatives import Evaluations

        if index not in self._evaluations:
            self._evaluations[index] = Evaluations(variant.spec)
        return self._evaluations[index]

    def _score(self, submission, report, problems) -> StudentGrade:
        results = {r.claim.key: r for r in report.results} if report is not None else {}
        if self.updates is not None:
            scored = set(self.asked) | {k for k in results if self.updates.has_points(k)}
            points_for = self.updates.points_for
        else:
            scored, points_for = set(self.asked) | set(self.scheme.points), self.scheme.points_for
        earned = sum((r.points for k, r in results.items() if k in scored), Fraction(0))
        possible = sum((points_for(k) for k in scored if k in self.asked or k in results), Fraction(0))
        verdicts = {k: results[k].status if k in results else None for k in self.asked}
        return StudentGrade(submission.student, submission.variant, report, earned, possible, verdicts, problems)


def _without_after_steps(submission: Submission, problems: list):
    """A batch sheet's claims without an ``after_steps`` entry (its answers are of the network before training:
    marked after a step they would all be wrong), which is reported; None when nothing else is claimed."""
    claims = submission.claims
    data = claims.data if hasattr(claims, "data") else claims
    if AFTER_STEPS_KEY not in data:
        return claims
    line = (getattr(claims, "lines", None) or {}).get((AFTER_STEPS_KEY,))
    where = f"{submission.source}:{line}" if line else submission.source
    problems.append(Problem(where, AFTER_STEPS_KEY, "is for derive check; this sheet's answers are of the network "
                            f"before any training step, so leave {AFTER_STEPS_KEY} out; ignored"))
    rest = {k: v for k, v in data.items() if k != AFTER_STEPS_KEY}
    if not rest:
        return None
    return type(claims)(rest, claims.lines, claims.source) if hasattr(claims, "data") else rest


# ---------------------------------------------------------------- variants.json

def read_variants_json(path) -> dict:
    """The parts of ``variants.json`` grading needs: title, seed, decimals, asked keys, each variant's numbers.

    >>> import tempfile, pathlib
    >>> from derive.classroom.variants import generate_variants
    >>> name = pathlib.Path(tempfile.mkdtemp()) / "variants.json"
    >>> _ = name.write_text(generate_variants("2-2-2-exercise", 2, seed=4, ask="E_total").to_json())
    >>> info = read_variants_json(name)
    >>> info["seed"], info["asked"], sorted(info["parameters"])
    (4, ['E_total'], [1, 2])
    """
    doc = read_document(path, what="variants file")
    data, where = doc.data, str(path)

    def number(value, name):
        if isinstance(value, Num) and value.is_integer_literal and int(value.text) >= 0:
            return int(value.text)
        raise SpecError(f"must be a whole number; got {value!r}", field=name, source=where)

    try:
        asked = [str(k) for k in data["asked"]]
        parameters = {number(v["index"], "variants[].index"): {str(k): str(x) for k, x in v["parameters"].items()}
                      for v in data["variants"]}
        return {"title": data.get("title"), "seed": number(data["seed"], "seed"),
                "decimals": number(data["decimals"], "decimals"), "asked": asked, "parameters": parameters}
    except (KeyError, TypeError, AttributeError) as err:
        raise SpecError(f"is not the variants.json of a derive worksheet run (missing or malformed {err})",
                        source=where) from None


def _updates_asked(asked) -> int:
    """How many updates an online sheet asks: the last ``u<k>_`` of its answer keys (0: none)."""
    return max((update_number(k) or 0 for k in asked), default=0)


def _draw_again(spec, info: dict) -> dict:
    """Each variant of the file drawn again from ``spec``; its numbers must be the file's."""
    from ..spec import load_spec
    from .variants import generate_variant

    spec = load_spec(spec)
    count = _updates_asked(info["asked"]) if spec.update != "batch" else 0
    if spec.update != "batch" and not count:
        raise DeriveError(f"variants.json was not made from this spec: its answer keys ({', '.join(info['asked'][:3])}"
                          f"...) carry no update, and the spec is updated {spec.update}")
    questions = tuple(_question(key, online=bool(count)) for key in info["asked"])
    found = {}
    for index, parameters in sorted(info["parameters"].items()):
        variant = generate_variant(spec, info["seed"], index, ask=questions, decimals=info["decimals"],
                                   updates=count or None)
        for name, text in parameters.items():
            if variant.parameters.get(name) != text:
                raise DeriveError(f"variants.json was not made from this spec: variant {index} has {name} = {text} "
                                  f"there and {variant.parameters.get(name)} when drawn again from the spec")
        found[index] = variant
    return found


def _question(key: str, online: bool = False) -> Question:
    """A question rebuilt from its answer key (what the draw's checks need: the gradients it asks, and of
    an online sheet the update each is of).

    >>> _question("u2_grad_w5", online=True)
    Question(key='u2_grad_w5', kind='grad', subject='w5', example=None, update=2, quantity='grad_w5')
    """
    number = update_number(key) if online else None
    if number is not None:
        within = key[len(f"u{number}_"):]
        inner = _question(within)
        return Question(key, inner.kind, inner.subject, None, number, within)
    base, _, example = key.partition("__")
    number = int(example) - 1 if example.isdigit() else None
    if base.startswith("grad_"):
        return Question(key, "grad", base[5:], number)
    if base.endswith("_new"):
        return Question(key, "updated", base[:-4], number)
    return Question(key, "other", base, number)


# ---------------------------------------------------------------- writing

@with_language
def write_grades(grades: ClassGrades, out_dir, *, force: bool = False, pdf: bool = True, workers=None,
                 progress: bool = False) -> list[Path]:
    """Write ``grades.csv`` and ``feedback/<student>.md`` (and ``.pdf``) into ``out_dir``; return the paths."""
    from ..io.output import check_output_path, write_atomic
    from ..io.texrun import compile_many

    out = Path(out_dir)
    folder = out / "feedback"
    for place in (out, folder):
        if place.exists() and not place.is_dir():
            raise OutputError(f"{place}: is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the folder: {exc.strerror or exc}") from exc
    stems = file_stems([g.student for g in grades.students])
    texts = {out / "grades.csv": grades.csv_text()}
    jobs = []
    for g in grades.students:
        markdown, latex = _feedback(grades, g)
        texts[folder / f"{stems[g.student]}.md"] = markdown
        if pdf:
            jobs.append((latex, folder / f"{stems[g.student]}.pdf"))
    for path in list(texts) + [dest for _, dest in jobs]:
        check_output_path(path, force=force)
    written = [write_atomic(path, text, force=force) for path, text in texts.items()]
    return written + compile_many(jobs, force=force, workers=workers, progress=progress)


def _feedback(grades: ClassGrades, g: StudentGrade) -> tuple[str, str]:
    from ..engine.problem import Problem as EngineProblem
    from ..render.feedback import feedback_context, render_feedback
    from ..render.numbers import NumberFormat
    from ..render.view import steps_by_key
    from ..steps import derive_steps

    variant = grades.variants[g.variant]
    steps = {}
    if g.report is not None and g.report.root_errors() and variant.updates:
        steps = _update_steps(variant, g.report, NumberFormat(decimals=grades.decimals))
    elif g.report is not None and g.report.root_errors():
        derivation = derive_steps(EngineProblem(variant.spec))
        steps = steps_by_key(derivation, number_format=NumberFormat(decimals=grades.decimals))
    info = {"index": g.variant, "seed": grades.seed, "decimals": grades.decimals,
            "title": variant.spec.title or "Backpropagation exercise"}
    asked = [(k, k) for k in grades.asked]
    context = feedback_context(g.student, info, g.report, steps, asked=asked, problems=[str(p) for p in g.problems],
                               earned=(g.earned, g.possible))
    return render_feedback(context, "md"), render_feedback(context, "tex")


def _update_steps(variant, report, number_format) -> dict:
    """The worked steps of the updates with a root error, keyed ``u<k>_`` as the report's claims are."""
    from ..engine.problem import Problem as EngineProblem
    from ..engine.updates import update_problems
    from ..render.view import steps_by_key
    from ..steps import derive_steps

    numbers = {update_number(r.claim.key) for r, _ in report.root_errors()}
    updates = update_problems(EngineProblem(variant.spec), carry_rounding=variant.spec.conventions.carry_rounding)
    steps = {}
    for number in sorted(numbers):
        own = steps_by_key(derive_steps(updates[number - 1].problem), number_format=number_format)
        steps.update({f"u{number}_{key}": view for key, view in own.items()})
    return steps


def file_stems(students) -> dict[str, str]:
    """A safe, distinct file name stem per student id (no path, no leading dot).

    >>> file_stems(["ann", "../etc/passwd", "a b", "a_b", ".x"])
    {'ann': 'ann', '../etc/passwd': 'etc_passwd', 'a b': 'a_b', 'a_b': 'a_b-2', '.x': 'x'}
    """
    found, used = {}, set()
    for student in students:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._") or "student"
        stem = stem[:80]
        candidate, n = stem, 1
        while candidate.lower() in used:
            n += 1
            candidate = f"{stem}-{n}"
        used.add(candidate.lower())
        found[student] = candidate
    return found


def _number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.4g}"


def _cell(text: str) -> str:
    """Text for a spreadsheet cell: a leading = + - @ would start a formula, so it is quoted."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
