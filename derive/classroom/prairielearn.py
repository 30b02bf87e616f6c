"""An exam's questions as PrairieLearn question folders, each drawing its own variants with derive.

One folder per spec of every entry of the exam (a pool's specs each get one, to put in one
PrairieLearn zone): ``info.json``, ``question.html`` (a ``pl-number-input`` per asked quantity,
graded within the absolute tolerance), ``spec.yaml`` (the spec as written) and ``server.py``,
whose ``generate(data)`` calls :func:`generate_question` with PrairieLearn's variant seed, so
PrairieLearn itself makes a new variant per student (derive must be installed in the course's
Python image). The same seed always gives the same numbers.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from ..render.language import current_language, gettext, language
from .moodle import _givens_html, _network_html, _text, label_html, update_title, updates_html
from .scheme import tolerance_of
from .tolerance import Tolerance, parse_tolerance
from .variants import DEFAULT_ASK, _Generator, format_exact

FILES = ("info.json", "question.html", "server.py", "spec.yaml")
# uuid5 names: the same exam gives the same question ids, so a re-export updates rather than duplicates.
UUID_NAMESPACE = uuid.UUID("6f1c1a52-3b7e-4d55-9a43-2d6a1f0c8e11")
SEED_LIMIT = 2**63


def question_files(exam, *, tolerance=None) -> dict:
    """``{relative path: text}`` of every question folder of an exam (see the module's docstring).

    >>> from derive.spec.exam import load_exam
    >>> exam = load_exam("title: Quiz\\nquestions:\\n  - from: [2-2-2-exercise, 2-2-1]\\n    ask: E_total\\n    points: 1\\n")
    >>> sorted(question_files(exam))[:4]
    ['q1-2-2-1/info.json', 'q1-2-2-1/question.html', 'q1-2-2-1/server.py', 'q1-2-2-1/spec.yaml']
    """
    files = {}
    for e, entry in enumerate(exam.entries, start=1):
        for name, spec in zip(entry.names, entry.specs):
            folder = f"q{e}-{_slug(name)}"
            ask = entry.ask or DEFAULT_ASK
            questions = _Generator(spec, ask, exam.decimals, entry.updates).questions
            info = {"uuid": str(uuid.uuid5(UUID_NAMESPACE, f"{exam.title}\n{e}\n{name}")),
                    "title": f"{exam.title}: question {e} ({name})", "topic": "Backpropagation",
                    "tags": ["derive"], "type": "v3"}
            files[f"{folder}/info.json"] = json.dumps(info, indent=2, ensure_ascii=False) + "\n"
            files[f"{folder}/question.html"] = question_html(questions, exam.decimals, tolerance, spec)
            files[f"{folder}/server.py"] = server_py(ask, exam.decimals, entry.updates)
            files[f"{folder}/spec.yaml"] = Path(spec.source).read_text(encoding="utf-8")
    return files


def _slug(name: str) -> str:
    stem = Path(name).stem if name.endswith((".yaml", ".yml", ".json")) else name
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40] or "spec"


def question_html(questions, decimals: int, tolerance=None, spec=None) -> str:
    """The question page: the problem (drawn per variant by ``server.py``) and one number input per quantity.

    Each input is graded by its quantity's tolerance (``tolerance``, else ``spec``'s ``marking`` block).
    """
    def grading(key):
        tol = tolerance_of(spec, key, tolerance) if spec is not None else tolerance
        return " ".join(f'{name}="{value}"' for name, value in grading_attributes(tol, decimals).items())

    inputs, last = [], None
    for q in questions:
        if q.update is not None and q.update != last and spec is not None:  # an online spec's update: its title, then its inputs
            group = spec.update_groups[q.update - 1]
            inputs.append(f"<p><strong>{_text(update_title(q.update, [n + 1 for n in group]))}</strong></p>")
        last = q.update
        inputs.append(f'<pl-number-input answers-name="{q.key}" label="{_text(label_html(q))} =" {grading(q.key)}>'
                      "</pl-number-input>")
    return ("<pl-question-panel>\n{{{params.problem_html}}}\n"
            "<p>" + gettext("Give each answer to %(decimals)s decimal places.", decimals=decimals) + "</p>\n"
            "</pl-question-panel>\n\n" + "\n".join(inputs) + "\n")


def grading_attributes(tolerance, decimals: int) -> dict:
    """How ``pl-number-input`` grades a tolerance of :mod:`.tolerance` (``shown``: half a unit in the last place).

    >>> grading_attributes(None, 4), grading_attributes("sigfigs=3", 4)
    ({'comparison': 'relabs', 'rtol': '0', 'atol': '0.00005'}, {'comparison': 'sigfig', 'digits': '3'})
    """
    tol = parse_tolerance(tolerance if tolerance is not None else "shown")
    if tol.mode == "shown":  # PrairieLearn cannot take the carried-rounding range: the rounded answer's half unit
        tol = Tolerance("absolute", Tolerance("decimals", decimals).radius(0))
    if tol.mode in ("sigfigs", "decimals"):
        return {"comparison": "sigfig" if tol.mode == "sigfigs" else "decdig", "digits": str(tol.amount)}
    rtol, atol = (tol.amount, 0) if tol.mode == "relative" else (0, tol.amount)
    return {"comparison": "relabs", "rtol": format_exact(rtol), "atol": format_exact(atol)}


def server_py(ask: str, decimals: int, updates: int | None = None) -> str:
    """``server.py``: PrairieLearn's ``generate(data)`` drawing the variant of ``data["variant_seed"]``
    (in the export's language: a German or Spanish export passes ``lang`` on; ``updates``: how many
    updates of an online spec are asked, passed on when given)."""
    lang = current_language()
    keyword = "" if lang == "en" else f", lang={lang!r}"
    keyword += "" if updates is None else f", updates={updates}"
    return (f'"""A derive question: every variant is drawn by derive from PrairieLearn\'s variant seed."""\n\n'
            "import pathlib\n\n"
            "from derive.classroom.prairielearn import generate_question\n\n"
            'SPEC = pathlib.Path(__file__).with_name("spec.yaml")\n'
            f"ASK = {ask!r}\n"
            f"DECIMALS = {decimals}\n\n\n"
            "def generate(data):\n"
            '    params, answers = generate_question(SPEC.read_text(encoding="utf-8"), ASK, DECIMALS, data["variant_seed"]'
            f"{keyword})\n"
            '    data["params"].update(params)\n'
            '    data["correct_answers"].update(answers)\n')


def generate_question(spec_text: str, ask: str, decimals: int, seed: int, lang: str | None = None,
                      updates: int | None = None) -> tuple:
    """``(params, correct_answers)`` of the variant of ``seed``: the problem as HTML and each answer.

    >>> params, answers = generate_question(Path(__import__("derive.spec.examples", fromlist=["x"])
    ...     .example_path("2-2-2-exercise")).read_text(), "E_total", 6, 12345)
    >>> sorted(answers), params["seed"], "<p>Given:" in params["problem_html"]
    (['E_total'], 12345, True)
    """
    from ..spec import load_spec

    generator = _Generator(load_spec(spec_text), ask, decimals, updates)
    variant = generator.variant(int(seed) % SEED_LIMIT, 1)
    with language(lang):
        problem = "\n".join([f"<p><strong>{_text(variant.spec.title or gettext('Backpropagation exercise'))}</strong></p>",
                             _network_html(variant), _givens_html(variant), updates_html(variant)])
    params = {"problem_html": problem, "seed": variant.seed, "givens": dict(variant.parameters)}
    answers = {q.key: float(variant.answers[q.key]) for q in generator.questions}
    return params, answers
