"""Worksheets and answer keys: one pair of PDFs per variant, plus combined files for printing.

A variant (:mod:`derive.classroom.variants`) is data; this module only presents it. The
documents are assembled with PyLaTeX's document model (class, packages, page style, macros,
one unnumbered section per sheet); each sheet's body is a small context of names and decimal
texts rendered by the ``templates/worksheet.tex.j2`` and ``templates/key.tex.j2`` templates
(kept as templates because they share the problem statement with the worked solution's
templates and a school can override them with ``--template-dir``) and put in as ``NoEscape``.
The worksheet's context holds no answer at all, so no template slip can print one. All PDFs of a run are
compiled in parallel by :func:`derive.io.texrun.compile_many` into a staging folder that replaces
the output folder as a whole only when every one of them succeeded (:mod:`derive.io.folder`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pylatex import Command, Foot, PageStyle, Section, UnsafeCommand
from pylatex.utils import NoEscape

from ..errors import OutputError, SpecError, keyword
from ..io.folder import staged_folder
from ..io.progress import task
from ..render.escape import escape_latex
from ..render.language import babel_preamble, gettext, with_language
from .ask import Question
from .variants import DEFAULT_DECIMALS, Variant, VariantSet, check_seed, generate_variants
from .limits import KEY_STYLES, WORKSHEET_FORMATS, max_workers  # noqa: F401  (re-exported)

FORMATS = WORKSHEET_FORMATS
PACKAGES = ("amsmath", "amssymb", "booktabs", "fancyhdr", "longtable", "tikz")


@dataclass(frozen=True)
class WorksheetRun:
    """What ``derive worksheet`` made: the variants and the files written, in a fixed order."""

    variants: VariantSet
    written: tuple


# ---------------------------------------------------------------- the whole run

def output_paths(out_dir, n: int, fmt: str = "pdf") -> list[Path]:
    """Every file a run writes into ``out_dir``, in order.

    >>> [p.name for p in output_paths("out", 2, "pdf")][:4]
    ['variant-01-worksheet.tex', 'variant-01-worksheet.pdf', 'variant-01-key.tex', 'variant-01-key.pdf']
    >>> [p.name for p in output_paths("out", 3, "moodle")]
    ['variants.json', 'quiz.xml']
    """
    out_dir = Path(out_dir)
    if fmt == "moodle":
        return [out_dir / "variants.json", out_dir / "quiz.xml"]
    paths = []
    for index in range(1, n + 1):
        stem = variant_stem(index, n)
        paths += [out_dir / f"{stem}-{kind}.{ext}" for kind in ("worksheet", "key") for ext in ("tex", "pdf")]
    return paths + [out_dir / "variants.json", out_dir / "worksheets.pdf", out_dir / "keys.pdf"]


def variant_stem(index: int, n: int) -> str:
    """``variant-07`` (two digits at least, more when there are 100 variants or more).

    >>> variant_stem(7, 30), variant_stem(7, 150)
    ('variant-07', 'variant-007')
    """
    return f"variant-{index:0{max(2, len(str(n)))}d}"


@with_language
def make_worksheets(spec, *, n: int = 1, seed: int, out_dir, ask=None, key: str = "short", fmt: str = "pdf",
                    decimals: int = DEFAULT_DECIMALS, tolerance=None, force: bool = False,
                    workers: int | None = None, progress: bool | None = None, template_dir=None,
                    tex_timeout: float | None = None, updates: int | None = None) -> WorksheetRun:
    """Draw ``n`` variants and write their worksheets, keys, combined PDFs and ``variants.json``.

    With ``fmt="moodle"``, write ``quiz.xml`` and ``variants.json`` instead. Every output
    path is checked before any work; nothing is written unless every document was built.
    Of an online or mini-batch spec every update is asked in order, or the first ``updates`` of them.
    ``template_dir`` is a folder of templates that override the shipped ones (as for ``derive solve``);
    ``tex_timeout`` the seconds TeX may take per PDF (default: :func:`derive.io.texrun.time_budget`).

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> run = make_worksheets("2-2-2-exercise", n=2, seed=1, out_dir=folder, fmt="moodle")
    >>> [p.name for p in run.written]
    ['variants.json', 'quiz.xml']
    >>> shutil.rmtree(folder)
    """
    _check_options(n=n, seed=seed, ask=ask, key=key, fmt=fmt, workers=workers, tolerance=tolerance,
                   tex_timeout=tex_timeout)
    paths = check_outputs(out_dir, n, fmt, force=force)
    _check_not_input(out_dir, spec)
    spec = _check_size(spec)
    _environment(template_dir)  # a missing template_dir folder fails before any work
    variants = generate_variants(spec, n, seed, ask=ask, decimals=decimals, updates=updates)
    # Everything is built in a staging folder that then replaces out_dir as a whole: the new set
    # appears at once or not at all, and no file of an earlier run is left beside it.
    with staged_folder(out_dir, owned=is_run_output, prefix=".derive-worksheet-") as staging:
        if fmt == "moodle":
            from .moodle import quiz_xml

            _write_texts({staging / paths[0].name: variants.to_json(),
                          staging / paths[1].name: quiz_xml(variants, tolerance=tolerance)})
        else:
            _build_pdfs(variants, paths, staging, key=key, workers=workers, progress=progress,
                        template_dir=template_dir, tex_timeout=tex_timeout)
    return WorksheetRun(variants, tuple(paths))


_RUN_OUTPUT = re.compile(r"variant-[0-9]+-(worksheet|key)\.(tex|pdf)|variants\.json|worksheets\.pdf|keys\.pdf"
                         r"|quiz\.xml|\.derive-worksheet-.*")


def is_run_output(name: str) -> bool:
    """Whether a file of this name in an output folder belongs to a run (and is replaced by the next).

    >>> is_run_output("variant-07-key.pdf"), is_run_output("notes.txt")
    (True, False)
    """
    return _RUN_OUTPUT.fullmatch(name) is not None


def _check_options(*, n, seed, ask, key, fmt, workers, tolerance, tex_timeout) -> None:
    """Every option of a run, refused in one line before any work (the spec is read after)."""
    from ..io.texrun import check_timeout
    from .variants import MAX_VARIANTS

    _check_choice(key, KEY_STYLES, keyword("key"))
    _check_choice(fmt, FORMATS, keyword("fmt"))
    _check_whole(n, keyword("n"), 1, MAX_VARIANTS)
    check_seed(seed)
    if workers is not None:
        _check_whole(workers, keyword("workers"), 1, max_workers())
    if ask is not None and (not isinstance(ask, str) or not ask.strip(" ,")):
        from .ask import ASK_GRAMMAR

        raise SpecError(f"must name at least one quantity: {ASK_GRAMMAR}; got {ask!r}", field=keyword("ask"))
    if tolerance is not None:
        from .moodle import moodle_tolerance

        moodle_tolerance(tolerance)
    check_timeout(tex_timeout)


def _check_not_input(out_dir, spec) -> None:
    """A spec kept in the output folder under a name a run replaces would be lost with the old run."""
    from ..io.output import check_not_input

    if isinstance(spec, (str, Path)) and Path(out_dir).is_dir():
        for name in os.listdir(out_dir):
            if is_run_output(name):
                check_not_input(Path(out_dir) / name, spec)


def _check_whole(value, field: str, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise SpecError(f"must be a whole number {allowed}; got {value!r}", field=field)


def _check_size(spec):
    """The loaded spec, refused up front when its worked solution (every sheet's) would be too large."""
    from ..engine.network import build_network
    from ..spec.validate import load_spec
    from ..steps import check_document_size

    spec = load_spec(spec)
    check_document_size(len(build_network(spec).parameters), way_out="a worksheet needs a smaller network")
    return spec


def check_outputs(out_dir, n: int, fmt: str, *, force: bool) -> list[Path]:
    """Refuse an output folder that is a file, or output files that exist (without ``force``)."""
    return check_outputs_at(out_dir, [p.name for p in output_paths(out_dir, n, fmt)], force=force)


def check_outputs_at(out_dir, names, *, force: bool) -> list[Path]:
    """The paths of ``names`` in ``out_dir``, refused if the folder is a file or a file exists (without ``force``)."""
    from ..io.output import check_output_path, refuse_system_path

    out_dir = Path(out_dir)
    refuse_system_path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: is not a folder")
    _check_parent(out_dir)
    if out_dir.is_dir() and os.path.ismount(out_dir):
        # the run replaces its folder as a whole, and a mount point cannot be replaced
        raise OutputError(f"{out_dir}: is a mount point; give a folder inside it")
    paths = [out_dir / name for name in names]
    if out_dir.is_dir():
        for path in paths:
            check_output_path(path, force=force)
        if not force:
            # the new run replaces every file of the old one, also those it would not write itself
            old = sorted(name for name in os.listdir(out_dir) if is_run_output(name) and not name.startswith("."))
            if old:
                raise OutputError(f"{out_dir / old[0]}: exists (from an earlier run); pass {keyword('force', True)} to replace "
                                  "the earlier run's files")
    return paths


def _check_parent(out_dir: Path) -> None:
    """The run builds its files beside ``out_dir`` and swaps them in: the folder holding it must be writable."""
    parent = Path(os.path.realpath(out_dir)).parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # created with the run's folder
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{out_dir}: cannot create the folder's files: {parent} is not writable")


def _check_choice(value, allowed, field):
    if value not in allowed:
        raise SpecError(f"must be one of {', '.join(allowed)}; got {value!r}", field=field)


def _write_texts(texts: dict, force: bool = False) -> list[Path]:
    from ..io.output import write_atomic

    return [write_atomic(path, text, force=force) for path, text in texts.items()]


def _make_folder(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create the folder: {exc.strerror or exc}") from exc


def _build_pdfs(variants: VariantSet, paths: list[Path], staging: Path, *, key, workers, progress,
                template_dir=None, tex_timeout=None) -> None:
    """Write every file of ``paths`` (by name) into ``staging``: the .tex, variants.json and the PDFs."""
    from ..io.texrun import SHEET_MARK, find_qpdf

    sheets, keys = [], []
    with task("sheets (variants)", len(variants.variants) if progress is not False else 0) as bar:
        for variant in variants.variants:
            # one worked solution serves both sheets
            solution = _solution(variant, variants.decimals, template_dir)
            sheets.append(worksheet_body(variant, variants.questions, variants.decimals, solution=solution,
                                         template_dir=template_dir))
            keys.append(key_body(variant, variants.questions, variants.decimals, full=key == "full",
                                 solution=solution, template_dir=template_dir))
            bar.advance()
    texts = {}
    for i, (sheet, answer) in enumerate(zip(sheets, keys)):
        texts[paths[4 * i]] = latex_document([sheet], template_dir)
        texts[paths[4 * i + 2]] = latex_document([answer], template_dir)
    # The combined PDFs take longest: queued first, so no TeX run is left alone at the end.
    pdf_jobs = [(latex_document([SHEET_MARK + "\n" + b for b in sheets], template_dir), paths[-2]),
                (latex_document([SHEET_MARK + "\n" + b for b in keys], template_dir), paths[-1])]
    pdf_jobs += [(texts[paths[4 * i]], paths[4 * i + 1]) for i in range(len(sheets))]
    pdf_jobs += [(texts[paths[4 * i + 2]], paths[4 * i + 3]) for i in range(len(sheets))]
    texts[paths[-3]] = variants.to_json()
    staged_jobs = [(tex, staging / dest.name) for tex, dest in pdf_jobs]
    build = _split_combined if find_qpdf() else _compile_each
    build(staged_jobs, len(sheets), workers=workers, progress=progress, timeout=tex_timeout)
    _write_texts({staging / path.name: text for path, text in texts.items()})


def compile_into(pdf_jobs: list, texts: dict, *, force, workers, progress, timeout: float = 120) -> None:
    """Compile ``(tex, dest)`` jobs in parallel, then write ``texts`` and move every PDF into place.

    PDFs are built into a hidden staging folder beside the first destination and only moved
    into place once all succeeded, so a failed run writes nothing. ``timeout`` is each TeX run's limit.
    """
    from ..io.output import move_atomic
    from ..io.texrun import compile_many

    out_dir = pdf_jobs[0][1].parent
    staging = Path(tempfile.mkdtemp(prefix=".derive-worksheet-", dir=out_dir))
    try:
        staged = compile_many([(tex, staging / dest.name) for tex, dest in pdf_jobs],
                              workers=workers, progress=progress, timeout=timeout)
        _write_texts(texts, force)
        for built, (_, dest) in zip(staged, pdf_jobs):
            move_atomic(built, dest, force=force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _compile_each(jobs: list, n: int, *, workers, progress, timeout=None) -> list[Path]:
    """Every PDF its own TeX run (without qpdf)."""
    from ..io.texrun import compile_many

    return compile_many(jobs, workers=workers, progress=progress, timeout=timeout)


def _split_combined(jobs: list, n: int, *, workers, progress, timeout=None) -> list[Path]:
    """The two combined documents typeset (in parallel), each variant's PDFs cut from them with qpdf.

    A TeX run costs its start-up (format, TikZ, fonts: most of a small sheet's time) once per
    document, so 2 runs instead of 2n + 2; the sheets are the same pages either way.
    """
    import concurrent.futures

    from ..io.texrun import compile_marked_many, split_pdf

    try:
        combined = compile_marked_many(jobs[:2], workers=min(2, workers or 2), timeout=timeout, progress=progress)
    except (OSError, AttributeError):  # no log, or no page count in it
        combined = None
    if combined is None or any(len(pages) != n for _, pages in combined):
        # a TeX that leaves no page marks in its log (an unusual pdflatex): one run per file instead
        for _, dest in jobs[:2]:
            dest.unlink(missing_ok=True)
        return _compile_each(jobs, n, workers=workers, progress=progress, timeout=timeout)
    (sheets_pdf, sheet_pages), (keys_pdf, key_pages) = combined
    cuts = [(sheets_pdf, pages) for pages in sheet_pages] + [(keys_pdf, pages) for pages in key_pages]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers or None) as pool:
        parts = list(pool.map(lambda cut, job: split_pdf(cut[0], cut[1], job[1]), cuts, jobs[2:]))
    return [sheets_pdf, keys_pdf, *parts]


# ---------------------------------------------------------------- documents

def latex_document(bodies: list[str], template_dir=None, *, page_style=None) -> str:
    r"""A standalone LaTeX document of one or more sheets, each starting on a new page.

    The document is PyLaTeX's model: the class, packages, page style and macros are PyLaTeX
    objects; each sheet (:func:`worksheet_body`, :func:`key_body`) goes in as ``NoEscape``.
    ``page_style`` (PyLaTeX objects: macros and a ``PageStyle``) replaces the worksheets' foot.

    >>> doc = latex_document([worksheet_body(_example_variant(), _example_questions(), 6)])
    >>> doc.startswith("\\documentclass") and "\\answerbox" in doc and doc.rstrip().endswith("\\end{document}")
    True
    """
    from pylatex import Document, Package

    from ..render.tex import PACKAGES as SOLUTION_PACKAGES

    doc = Document(documentclass="article", document_options=["a4paper", "11pt"],
                   geometry_options={"margin": "2cm", "bottom": "2.5cm"}, lmodern=True, textcomp=True,
                   page_numbers=False, fontenc="T1", inputenc="utf8")
    # PyLaTeX loads fontenc, lmodern and geometry itself; the rest are what a worked solution needs.
    for name in dict.fromkeys((*SOLUTION_PACKAGES, *PACKAGES)):
        if name not in ("fontenc", "lmodern", "geometry", "inputenc"):
            doc.packages.append(Package(name))
    for item in (*(page_style or _page_style()), *_macros()):
        doc.preamble.append(item)
    doc.preamble.append(_render("tex/_macros.tex.j2", template_dir))  # the same macros as a worked solution
    if babel_preamble():  # German, Spanish: babel's captions and hyphenation for the language
        doc.preamble.append(NoEscape(babel_preamble()))
    for i, body in enumerate(bodies):
        if i:
            doc.append(Command("clearpage"))
        doc.append(NoEscape(body))
    return doc.dumps() + "\n"


def _page_style() -> list:
    """The worksheets' page style: variant and seed in the foot of every page."""
    style = PageStyle("worksheet")
    with style.create(Foot("L")) as foot:
        foot.append(NoEscape(r"\footnotesize\variantinfo"))
    with style.create(Foot("R")) as foot:
        foot.append(NoEscape(r"\footnotesize " + escape_latex(gettext("Page")) + r" \thepage"))
    return [UnsafeCommand("newcommand", r"\variantinfo", extra_arguments=""), style]


def _macros() -> list:
    """The sheets' macros and spacing, shared by worksheets, keys and exams."""
    return [
        UnsafeCommand("newcommand", r"\answerbox",
                      extra_arguments=NoEscape(r"\fbox{\rule[-0.7em]{0pt}{2em}\hspace{4.2cm}}")),
        Command("setcounter", arguments=["MaxMatrixCols", "64"]),
        Command("allowdisplaybreaks"),
        Command("setlength", arguments=[NoEscape(r"\parindent"), "0pt"]),
        Command("setlength", arguments=[NoEscape(r"\parskip"), NoEscape("0.8ex plus 0.2ex")]),
    ]


def _sheet(sheet: dict, body: str) -> str:
    """One sheet: who it is for in the foot of its pages, its title, and the template's ``body``."""
    plain_kind = gettext("Worksheet") if sheet["kind"] == "Worksheet" else gettext("Answer key")
    kind = escape_latex(plain_kind)
    who = escape_latex(gettext("%(kind)s, variant %(index)s, seed %(seed)s", kind=plain_kind, index=sheet["index"],
                               seed=sheet["seed"]))
    section = Section(NoEscape(r"\raggedright\nohyphens " + escape_latex(sheet["title"])), numbering=False, label=False)
    section.append(NoEscape(rf"{kind} \hfill {escape_latex(gettext('Variant'))} {sheet['index']} \quad "
                            rf"{escape_latex(gettext('Seed'))} {sheet['seed']}"))
    if sheet["kind"] == "Worksheet":
        section.append(NoEscape("\n\n\\medskip\n" + escape_latex(gettext("Name:")) + " \\rule{7cm}{0.4pt}"))
    section.append(NoEscape("\n" + body))
    parts = [UnsafeCommand("renewcommand", r"\variantinfo", extra_arguments=who), Command("pagestyle", "worksheet"),
             Command("setcounter", arguments=["page", "1"]), section]
    return "\n".join(part.dumps() for part in parts)


def worksheet_body(variant: Variant, questions, decimals: int, *, solution=None, template_dir=None) -> str:
    """The worksheet of one variant (a LaTeX body): the problem and one empty box per question.

    ``solution`` is the variant's worked solution (:func:`_solution`) when the caller has it already.
    """
    solution = solution if solution is not None else _solution(variant, decimals, template_dir)
    sheet, body = sheet_text(variant, questions, decimals, solution, template_dir=template_dir)
    return _sheet(sheet, body)


def key_body(variant: Variant, questions, decimals: int, *, full: bool = False, solution=None,
             template_dir=None) -> str:
    """The answer key of one variant (a LaTeX body); ``full`` adds the whole worked solution."""
    solution = solution if solution is not None else _solution(variant, decimals, template_dir)
    sheet, body = sheet_text(variant, questions, decimals, solution, key=True, full=full, template_dir=template_dir)
    return _sheet(sheet, body)


def sheet_text(variant: Variant, questions, decimals: int, solution, *, key: bool = False, full: bool = False,
               template_dir=None) -> tuple:
    """``(context, body)``: a worksheet's (or with ``key``, an answer key's) template context and text.

    The body is the template's part alone (problem, questions, answers), without a sheet's title
    and foot, so an exam can put several of them under its own headings.

    >>> sheet, body = sheet_text(_example_variant(), _example_questions(), 6, _solution(_example_variant(), 6))
    >>> sheet["kind"], "answers" in sheet, "\\\\answerbox" in body
    ('Worksheet', False, True)
    """
    sheet = sheet_context(variant, questions, "Answer key" if key else "Worksheet", decimals, solution)
    view = {"problem": problem_view(solution)}
    if key:
        _starting_weights(sheet, variant, decimals, solution)
    if not key:
        return sheet, _render("worksheet.tex.j2", template_dir, sheet=sheet, view=view)
    # the answer as variants.json prints it, to the stated places, trailing zeros kept (digits, '-' and '.' only)
    sheet["answers"] = {q.key: NoEscape(variant.answer_text(q.key, decimals)) for q in questions}
    sheet["solution"] = NoEscape(solution.latex(fragment=True)) if full else None
    return sheet, _render("key.tex.j2", template_dir, sheet=sheet, view=view)


def _solution(variant: Variant, decimals: int, template_dir=None):
    """The worked solution of the variant (``derive.solve``), numbers to the sheet's decimals."""
    from ..render.solution import solve

    return solve(variant.spec, decimals=decimals, template_dir=template_dir)


def problem_view(solution) -> dict:
    """The renderer's view of the problem alone (diagram, data, layers): givens only, no answer.

    Givens are printed exactly (up to the renderer's 30 places), whatever the answers' decimals.
    Of online or mini-batch updates: the whole spec (every example, the starting weights), its
    error that of one update's examples.
    """
    from ..render.numbers import MAX_PLACES, NumberFormat
    from ..render.view import build_problem_view

    number_format = NumberFormat(decimals=MAX_PLACES)
    if not hasattr(solution, "updates"):
        return build_problem_view(solution.derivation, number_format=number_format)
    view = build_problem_view(_whole_batch(solution), number_format=number_format)
    return {**view, "batch": len(solution.updates[0].examples) > 1}


def _whole_batch(solution):
    """The derivation of an online solution's spec taken as one batch (every example at the starting
    weights); only its problem statement is used."""
    from ..engine.problem import Problem
    from ..steps import derive_steps

    return derive_steps(Problem(_spec_as_batch(solution.spec, solution.updates)))


def _spec_as_batch(spec, updates=None):
    """``spec`` updated once per batch (an online solution's ``spec`` is update 1's: its examples are put back)."""
    import dataclasses

    if updates is not None:
        examples = tuple(e for u in updates for e in u.problem.spec.examples)
        spec = dataclasses.replace(spec, examples=examples, batch=len(examples) > 1)
    return dataclasses.replace(spec, batch_size=None)


def sheet_context(variant: Variant, questions, kind: str, decimals: int, solution) -> dict:
    """The sheet's own part of a template's context: who it is for and what it asks; never an answer.

    ``groups`` holds the questions under their update (``heading`` None for a spec updated once per batch).
    """
    from ..render.latex import Names

    model = solution.problem.model
    names = Names(model, deltas="delta")
    if variant.updates:
        whole = _whole_model(variant) if any(q.example is not None for q in questions) else None  # mini-batch only
        own = {u.number: Names(d.problem.model, deltas="delta") for u, d in zip(solution.updates, solution.derivations)}
        labels = [_update_label(q, own[q.update], whole) for q in questions]
    else:
        labels = [NoEscape(names.tex(q.key)) if q.key in model.by_key else None for q in questions]
    asked = [{"key": q.key, "kind": q.kind, "label": label} for q, label in zip(questions, labels)]
    groups = [{"heading": None, "questions": asked, "weights": None}]
    if variant.updates:
        groups = [{"heading": {"number": u.number, "examples": list(u.examples)}, "weights": None,
                   "questions": [a for a, q in zip(asked, questions) if q.update == u.number]}
                  for u in variant.updates]
    mode = ("online" if all(len(u.examples) == 1 for u in variant.updates) else "mini-batch") if variant.updates else None
    return {
        "kind": kind,
        "title": variant.spec.title or gettext("Backpropagation exercise"),
        "index": variant.index,
        "seed": variant.seed,
        "decimals": decimals,
        "questions": asked,
        "groups": groups,
        "updates": {"mode": mode, "size": variant.spec.batch_size, "count": len(variant.updates)} if mode else None,
        "asks_after": any(q.kind == "E_total_after" for q in questions),
    }


def _whole_model(variant: Variant):
    """The model of every example of the variant at once: a mini-batch question's label names its example
    by its number in the whole spec (``net_h1__3``), as the problem's table of examples does."""
    from ..engine.problem import Problem
    from ..render.latex import Names

    return Names(Problem(_spec_as_batch(variant.spec)).model, deltas="delta")


def _update_label(q, own, whole) -> NoEscape | None:
    """A question of one update, named as in that update's problem, its example by its number in the spec."""
    if q.example is not None:
        key = q.name.rsplit("__", 1)[0] + f"__{q.example}"
        return NoEscape(whole.tex(key)) if key in whole.model.by_key else None
    return NoEscape(own.tex(q.name)) if q.name in own.model.by_key else None


def _starting_weights(sheet: dict, variant: Variant, decimals: int, solution) -> None:
    """The key's weights at the start of each update after the first (the student carries their own), printed
    as the key prints its answers (the places asked, a decimal point as in ``variants.json``)."""
    from ..render.latex import Names
    from ..render.numbers import fixed

    for group, update, derivation in zip(sheet["groups"], variant.updates, getattr(solution, "derivations", ())):
        if update.number > 1:
            names = Names(derivation.problem.model, deltas="delta")
            group["weights"] = [{"name": NoEscape(names.plain(name)),
                                 "value": NoEscape(fixed(value, decimals))}
                                for name, value in update.parameters.items()]


# ---------------------------------------------------------------- templates

def _render(name: str, template_dir=None, **context) -> str:
    from ..render.environment import render_template

    return NoEscape(render_template("tex", name, context, template_dir))


def _environment(template_dir=None):
    """The renderer's LaTeX environment (TeX-safe delimiters, escaping finalize, ``|trusted``), in the current language."""
    from ..render.language import current_language

    return _environment_in(template_dir, current_language())


@lru_cache(maxsize=8)
def _environment_in(template_dir, lang: str):
    from ..render.environment import make_environment

    return make_environment("tex", template_dir, lang)


def _example_variant() -> Variant:
    from .variants import generate_variant

    return generate_variant("2-2-2", 0, 1)


def _example_questions() -> tuple:
    return (Question("E_total", "E_total"), Question("grad_w5", "grad", "w5"))
