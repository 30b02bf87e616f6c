"""Worksheets and answer keys: one pair of PDFs per variant, plus combined files for printing.

A variant (:mod:`derive.classroom.variants`) is data; this module only presents it. The
documents are assembled with PyLaTeX's document model (class, packages, page style, macros,
one unnumbered section per sheet); each sheet's body is a small context of names and decimal
texts rendered by the ``templates/worksheet.tex.j2`` and ``templates/key.tex.j2`` templates
(kept as templates because they share the problem statement with the worked solution's
templates and a school can override them with ``--template-dir``) and put in as ``NoEscape``.
The worksheet's context holds no answer at all, so no template slip can print one. All PDFs of a run are
compiled in parallel by :func:`derive.io.texrun.compile_many` into a staging folder and moved
into place only when every one of them succeeded.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from pylatex import Command, Foot, PageStyle, Section, UnsafeCommand
from pylatex.utils import NoEscape

from ..errors import OutputError, SpecError
from ..render.escape import escape_latex
from .ask import Question
from .variants import DEFAULT_DECIMALS, Variant, VariantSet, generate_variants

KEY_STYLES = ("short", "full")
FORMATS = ("pdf", "moodle")
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


def make_worksheets(spec, *, n: int = 1, seed: int, out_dir, ask=None, key: str = "short", fmt: str = "pdf",
                    decimals: int = DEFAULT_DECIMALS, tolerance=None, force: bool = False,
                    workers: int | None = None, progress: bool | None = None, template_dir=None) -> WorksheetRun:
    """Draw ``n`` variants and write their worksheets, keys, combined PDFs and ``variants.json``.

    With ``fmt="moodle"``, write ``quiz.xml`` and ``variants.json`` instead. Every output
    path is checked before any work; nothing is written unless every document was built.
    ``template_dir`` is a folder of templates that override the shipped ones (as for ``derive solve``).

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> run = make_worksheets("2-2-2-exercise", n=2, seed=1, out_dir=folder, fmt="moodle")
    >>> [p.name for p in run.written]
    ['variants.json', 'quiz.xml']
    >>> shutil.rmtree(folder)
    """
    _check_choice(key, KEY_STYLES, "--key")
    _check_choice(fmt, FORMATS, "--format")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise SpecError(f"must be a whole number of at least 1; got {workers!r}", field="--workers")
    if tolerance is not None:
        from .moodle import parse_tolerance

        parse_tolerance(tolerance)
    paths = check_outputs(out_dir, n, fmt, force=force)
    spec = _check_size(spec)
    _environment(template_dir)  # a missing --template-dir folder fails before any work
    variants = generate_variants(spec, n, seed, ask=ask, decimals=decimals)
    _make_folder(Path(out_dir))
    if fmt == "moodle":
        from .moodle import quiz_xml

        texts = {paths[0]: variants.to_json(), paths[1]: quiz_xml(variants, tolerance=tolerance)}
        return WorksheetRun(variants, tuple(_write_texts(texts, force)))
    return WorksheetRun(variants, tuple(_build_pdfs(variants, paths, key=key, force=force, workers=workers,
                                                    progress=progress, template_dir=template_dir)))


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
    from ..io.output import check_output_path

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: is not a folder")
    paths = output_paths(out_dir, n, fmt)
    if out_dir.is_dir():
        for path in paths:
            check_output_path(path, force=force)
    return paths


def _make_folder(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create the folder: {exc.strerror or exc}") from exc


def _check_choice(value, allowed, field):
    if value not in allowed:
        raise SpecError(f"must be one of {', '.join(allowed)}; got {value!r}", field=field)


def _write_texts(texts: dict, force: bool) -> list[Path]:
    from ..io.output import write_atomic

    return [write_atomic(path, text, force=force) for path, text in texts.items()]


def _build_pdfs(variants: VariantSet, paths: list[Path], *, key, force, workers, progress,
                template_dir=None) -> list[Path]:
    from ..io.output import move_atomic
    from ..io.texrun import SHEET_MARK, find_qpdf

    sheets, keys = [], []
    for variant in variants.variants:
        # one worked solution serves both sheets
        solution = _solution(variant, variants.decimals, template_dir)
        sheets.append(worksheet_body(variant, variants.questions, variants.decimals, solution=solution,
                                     template_dir=template_dir))
        keys.append(key_body(variant, variants.questions, variants.decimals, full=key == "full", solution=solution,
                             template_dir=template_dir))
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
    out_dir = paths[0].parent
    # PDFs are built into a hidden staging folder and only moved into place once all succeeded.
    staging = Path(tempfile.mkdtemp(prefix=".derive-worksheet-", dir=out_dir))
    try:
        staged_jobs = [(tex, staging / dest.name) for tex, dest in pdf_jobs]
        build = _split_combined if find_qpdf() else _compile_each
        staged = build(staged_jobs, len(sheets), workers=workers, progress=progress)
        _write_texts(texts, force)
        for built, (_, dest) in zip(staged, pdf_jobs):
            move_atomic(built, dest, force=force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return paths


def _compile_each(jobs: list, n: int, *, workers, progress) -> list[Path]:
    """Every PDF its own TeX run (without qpdf)."""
    from ..io.texrun import compile_many

    return compile_many(jobs, workers=workers, progress=progress)


def _split_combined(jobs: list, n: int, *, workers, progress) -> list[Path]:
    """The two combined documents typeset (in parallel), each variant's PDFs cut from them with qpdf.

    A TeX run costs its start-up (format, TikZ, fonts: most of a small sheet's time) once per
    document, so 2 runs instead of 2n + 2; the sheets are the same pages either way.
    """
    import concurrent.futures

    from ..io.texrun import compile_marked, split_pdf

    with concurrent.futures.ThreadPoolExecutor(max_workers=min(2, workers or 2)) as pool:
        combined = list(pool.map(lambda job: compile_marked(*job), jobs[:2]))
    (sheets_pdf, sheet_pages), (keys_pdf, key_pages) = combined
    if len(sheet_pages) != n or len(key_pages) != n:
        raise AssertionError(f"expected {n} sheets in each combined document; found {len(sheet_pages)}, {len(key_pages)}")
    cuts = [(sheets_pdf, pages) for pages in sheet_pages] + [(keys_pdf, pages) for pages in key_pages]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers or None) as pool:
        parts = list(pool.map(lambda cut, job: split_pdf(cut[0], cut[1], job[1]), cuts, jobs[2:]))
    return [sheets_pdf, keys_pdf, *parts]


# ---------------------------------------------------------------- documents

def latex_document(bodies: list[str], template_dir=None) -> str:
    r"""A standalone LaTeX document of one or more sheets, each starting on a new page.

    The document is PyLaTeX's model: the class, packages, page style and macros are PyLaTeX
    objects; each sheet (:func:`worksheet_body`, :func:`key_body`) goes in as ``NoEscape``.

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
    for item in _preamble():
        doc.preamble.append(item)
    for i, body in enumerate(bodies):
        if i:
            doc.append(Command("clearpage"))
        doc.append(NoEscape(body))
    return doc.dumps() + "\n"


def _preamble() -> list:
    """The page style (variant and seed in the foot of every page) and the sheets' macros."""
    style = PageStyle("worksheet")
    with style.create(Foot("L")) as foot:
        foot.append(NoEscape(r"\footnotesize\variantinfo"))
    with style.create(Foot("R")) as foot:
        foot.append(NoEscape(r"\footnotesize Page \thepage"))
    return [
        UnsafeCommand("newcommand", r"\variantinfo", extra_arguments=""),
        style,
        UnsafeCommand("newcommand", r"\answerbox",
                      extra_arguments=NoEscape(r"\fbox{\rule[-0.7em]{0pt}{2em}\hspace{4.2cm}}")),
        Command("setcounter", arguments=["MaxMatrixCols", "64"]),
        Command("allowdisplaybreaks"),
        Command("setlength", arguments=[NoEscape(r"\parindent"), "0pt"]),
        Command("setlength", arguments=[NoEscape(r"\parskip"), NoEscape("0.8ex plus 0.2ex")]),
    ]


def _sheet(sheet: dict, body: str) -> str:
    """One sheet: who it is for in the foot of its pages, its title, and the template's ``body``."""
    who = NoEscape(rf"{sheet['kind']}, variant {sheet['index']}, seed {sheet['seed']}")
    section = Section(escape_latex(sheet["title"]), numbering=False, label=False)
    section.append(NoEscape(rf"{sheet['kind']} \hfill Variant {sheet['index']} \quad Seed {sheet['seed']}"))
    if sheet["kind"] == "Worksheet":
        section.append(NoEscape("\n\n\\medskip\nName: \\rule{7cm}{0.4pt}"))
    section.append(NoEscape("\n" + body))
    parts = [UnsafeCommand("renewcommand", r"\variantinfo", extra_arguments=who), Command("pagestyle", "worksheet"),
             Command("setcounter", arguments=["page", "1"]), section]
    return "\n".join(part.dumps() for part in parts)


def worksheet_body(variant: Variant, questions, decimals: int, *, solution=None, template_dir=None) -> str:
    """The worksheet of one variant (a LaTeX body): the problem and one empty box per question.

    ``solution`` is the variant's worked solution (:func:`_solution`) when the caller has it already.
    """
    solution = solution if solution is not None else _solution(variant, decimals, template_dir)
    sheet = sheet_context(variant, questions, "Worksheet", decimals, solution)
    view = {"problem": problem_view(solution)}
    return _sheet(sheet, _render("worksheet.tex.j2", template_dir, sheet=sheet, view=view))


def key_body(variant: Variant, questions, decimals: int, *, full: bool = False, solution=None,
             template_dir=None) -> str:
    """The answer key of one variant (a LaTeX body); ``full`` adds the whole worked solution."""
    from ..render.numbers import NumberFormat
    from ..render.view import make_printer

    solution = solution if solution is not None else _solution(variant, decimals, template_dir)
    sheet = sheet_context(variant, questions, "Answer key", decimals, solution)
    printer = make_printer(solution.derivation, NumberFormat(decimals=decimals))
    sheet["answers"] = {q.key: NoEscape(printer.number(variant.answers[q.key])) for q in questions}
    sheet["solution"] = NoEscape(solution.latex(fragment=True)) if full else None
    view = {"problem": problem_view(solution)}
    return _sheet(sheet, _render("key.tex.j2", template_dir, sheet=sheet, view=view))


def _solution(variant: Variant, decimals: int, template_dir=None):
    """The worked solution of the variant (``derive.solve``), numbers to the sheet's decimals."""
    from ..render.solution import solve

    return solve(variant.spec, decimals=decimals, template_dir=template_dir)


def problem_view(solution) -> dict:
    """The renderer's view of the problem alone (diagram, data, layers): givens only, no answer.

    Givens are printed exactly (up to the renderer's 30 places), whatever the answers' decimals.
    """
    from ..render.numbers import MAX_PLACES, NumberFormat
    from ..render.view import build_problem_view

    return build_problem_view(solution.derivation, number_format=NumberFormat(decimals=MAX_PLACES))


def sheet_context(variant: Variant, questions, kind: str, decimals: int, solution) -> dict:
    """The sheet's own part of a template's context: who it is for and what it asks; never an answer."""
    from ..render.latex import Names

    names = Names(solution.problem.model, deltas="delta")
    asked = [{"key": q.key, "kind": q.kind,
              "label": NoEscape(names.tex(q.key)) if q.key in solution.problem.model.by_key else None}
             for q in questions]
    return {
        "kind": kind,
        "title": variant.spec.title or "Backpropagation exercise",
        "index": variant.index,
        "seed": variant.seed,
        "decimals": decimals,
        "questions": asked,
        "asks_after": any(q.kind == "E_total_after" for q in questions),
    }


# ---------------------------------------------------------------- templates

def _render(name: str, template_dir=None, **context) -> str:
    return NoEscape(_environment(template_dir).get_template(name).render(**context))


@lru_cache(maxsize=4)
def _environment(template_dir=None):
    """The renderer's LaTeX environment (TeX-safe delimiters, escaping finalize, ``|trusted``)."""
    from ..render.environment import make_environment

    return make_environment("tex", template_dir)


def _example_variant() -> Variant:
    from .variants import generate_variant

    return generate_variant("2-2-2", 0, 1)


def _example_questions() -> tuple:
    return (Question("E_total", "E_total"), Question("grad_w5", "grad", "w5"))
