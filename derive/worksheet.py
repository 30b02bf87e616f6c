"""Worksheets and answer keys: one pair of PDFs per variant, plus combined files for printing.

A variant (:mod:`derive.variants`) is data; this module only presents it. Each sheet is a
small context of names and decimal texts rendered by the ``templates/worksheet*.tex.j2`` and
``templates/key*.tex.j2`` templates into the body of a PyLaTeX document. The worksheet's
context holds no answer at all, so no template slip can print one. All PDFs of a run are
compiled in parallel by :func:`derive.texrun.compile_many` into a staging folder and moved
into place only when every one of them succeeded.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import OutputError, RenderError, SpecError
from .variants import DEFAULT_DECIMALS, Question, Variant, VariantSet, generate_variants

KEY_STYLES = ("short", "full")
FORMATS = ("pdf", "moodle")
PACKAGES = ("amsmath", "amssymb", "booktabs", "fancyhdr", "longtable", "tikz")
# Larger layers make an unreadable picture; the formulas and the table still say everything.
MAX_DIAGRAM_UNITS = 8
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?")


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
                    workers: int | None = None, progress: bool | None = None) -> WorksheetRun:
    """Draw ``n`` variants and write their worksheets, keys, combined PDFs and ``variants.json``.

    With ``fmt="moodle"``, write ``quiz.xml`` and ``variants.json`` instead. Every output
    path is checked before any work; nothing is written unless every document was built.

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> run = make_worksheets("2-2-2-exercise", n=2, seed=1, out_dir=folder, fmt="moodle")
    >>> [p.name for p in run.written]
    ['variants.json', 'quiz.xml']
    >>> shutil.rmtree(folder)
    """
    _check_choice(key, KEY_STYLES, "--key")
    _check_choice(fmt, FORMATS, "--format")
    if tolerance is not None:
        from .moodle import parse_tolerance

        parse_tolerance(tolerance)
    paths = check_outputs(out_dir, n, fmt, force=force)
    variants = generate_variants(spec, n, seed, ask=ask, decimals=decimals)
    _make_folder(Path(out_dir))
    if fmt == "moodle":
        from .moodle import quiz_xml

        texts = {paths[0]: variants.to_json(), paths[1]: quiz_xml(variants, tolerance=tolerance,
                                                                  feedback=_moodle_feedback(variants))}
        return WorksheetRun(variants, tuple(_write_texts(texts, force)))
    return WorksheetRun(variants, tuple(_build_pdfs(variants, paths, key=key, force=force,
                                                    workers=workers, progress=progress)))


def check_outputs(out_dir, n: int, fmt: str, *, force: bool) -> list[Path]:
    """Refuse an output folder that is a file, or output files that exist (without ``force``)."""
    from .output import check_output_path

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
    from .output import write_atomic

    return [write_atomic(path, text, force=force) for path, text in texts.items()]


def _build_pdfs(variants: VariantSet, paths: list[Path], *, key, force, workers, progress) -> list[Path]:
    from .output import move_atomic
    from .texrun import compile_many

    sheets, keys = [], []
    for variant in variants.variants:
        sheets.append(worksheet_body(variant, variants.questions, variants.decimals))
        keys.append(key_body(variant, variants.questions, variants.decimals, full=key == "full"))
    full = key == "full"
    texts = {}
    for i, (sheet, answer) in enumerate(zip(sheets, keys)):
        texts[paths[4 * i]] = latex_document([sheet], variants.spec.title)
        texts[paths[4 * i + 2]] = latex_document([answer], variants.spec.title, solution=full)
    pdf_jobs = [(texts[paths[4 * i]], paths[4 * i + 1]) for i in range(len(sheets))]
    pdf_jobs += [(texts[paths[4 * i + 2]], paths[4 * i + 3]) for i in range(len(sheets))]
    pdf_jobs.append((latex_document(sheets, variants.spec.title), paths[-2]))
    pdf_jobs.append((latex_document(keys, variants.spec.title, solution=full), paths[-1]))
    texts[paths[-3]] = variants.to_json()
    out_dir = paths[0].parent
    # PDFs are built into a hidden staging folder and only moved into place once all succeeded.
    staging = Path(tempfile.mkdtemp(prefix=".derive-worksheet-", dir=out_dir))
    try:
        staged = compile_many([(tex, staging / dest.name) for tex, dest in pdf_jobs],
                              workers=workers, progress=progress)
        _write_texts(texts, force)
        for built, (_, dest) in zip(staged, pdf_jobs):
            move_atomic(built, dest, force=force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return paths


def _moodle_feedback(variants: VariantSet):
    """The worked solution as HTML feedback, when the renderer offers one; else None (a table of answers)."""
    return None


# ---------------------------------------------------------------- documents

def latex_document(bodies: list[str], title: str | None, *, solution: bool = False) -> str:
    """A standalone LaTeX document of one or more sheet bodies, each starting on a new page.

    >>> doc = latex_document([worksheet_body(_example_variant(), _example_questions(), 6)], "T")
    >>> doc.startswith("\\\\documentclass") and "\\\\answerbox" in doc and doc.rstrip().endswith("\\\\end{document}")
    True
    """
    from pylatex import Document, NoEscape, Package

    doc = Document(documentclass="article", document_options=["a4paper", "11pt"],
                   geometry_options={"margin": "2cm", "bottom": "2.5cm"}, lmodern=True, textcomp=True,
                   page_numbers=False, fontenc="T1", inputenc="utf8")
    for name in PACKAGES:
        doc.packages.append(Package(name))
    doc.preamble.append(NoEscape(_render("worksheet-preamble.tex.j2")))
    doc.append(NoEscape("\n\\clearpage\n".join(bodies)))
    return doc.dumps() + "\n"


def worksheet_body(variant: Variant, questions, decimals: int) -> str:
    """The worksheet of one variant (a LaTeX body): the problem and one empty box per question."""
    return _render("worksheet.tex.j2", sheet=sheet_context(variant, questions, "Worksheet", decimals))


def key_body(variant: Variant, questions, decimals: int, *, full: bool = False) -> str:
    """The answer key of one variant (a LaTeX body); ``full`` adds the whole worked solution."""
    from .render.numbers import NumberFormat

    sheet = sheet_context(variant, questions, "Answer key", decimals)
    number = NumberFormat(decimals=decimals)
    sheet["answers"] = {q.key: number.text(variant.answers[q.key]) for q in questions}
    sheet["solution"] = worked_solution(variant) if full else None
    return _render("key.tex.j2", sheet=sheet)


def worked_solution(variant: Variant):
    """The worked solution of the variant's spec as a LaTeX fragment, from ``derive.solve``."""
    import derive

    solve = getattr(derive, "solve", None)
    if solve is None:
        raise RenderError("--key full needs the worked-solution renderer (derive.solve), "
                          "which this installation lacks; use --key short")
    from .render.escape import Trusted

    return Trusted(solve(variant.spec).latex(fragment=True))


def sheet_context(variant: Variant, questions, kind: str, decimals: int) -> dict:
    """What a sheet template may print: names, decimal texts and structure; never an answer."""
    from .network import build_network

    network = build_network(variant.spec)
    spec = variant.spec
    return {
        "kind": kind,
        "title": spec.title or "Backpropagation exercise",
        "index": variant.index,
        "seed": variant.seed,
        "decimals": decimals,
        "questions": list(questions),
        "layers": [_layer_context(layer) for layer in network.layers],
        "givens": _givens_groups(variant, network),
        "fixed": [p.name for p in network.parameters if not p.trainable],
        "loss": spec.loss,
        "reduction": spec.reduction,
        "n_outputs": network.output_layer.units,
        "n_examples": len(spec.examples),
        "has_sigmoid": any(layer.activation == "sigmoid" for layer in network.layers),
        "diagram": diagram_tikz(network),
    }


def _layer_context(layer) -> dict:
    from .variants import format_exact

    neurons = []
    for j, name in enumerate(layer.neurons):
        sources = [s if layer.index == 1 else f"out_{s}" for s in layer.inputs]
        neurons.append({"name": name, "terms": list(zip(layer.weight_names[j], sources)),
                        "bias": layer.bias_names[j] if layer.bias_names else None})
    return {"activation": layer.activation, "slope": format_exact(layer.negative_slope), "neurons": neurons}


def _givens_groups(variant: Variant, network) -> list[dict]:
    given = variant.parameters
    n_examples = len(network.examples)
    suffix = (lambda name, n: f"{name}__{n + 1}") if n_examples > 1 else (lambda name, n: name)
    groups = []
    for n in range(n_examples):
        label = f", example {n + 1}" if n_examples > 1 else ""
        groups.append({"heading": "Inputs" + label,
                       "entries": [(suffix(x, n), given[suffix(x, n)]) for x in network.input_names]})
        groups.append({"heading": "Targets" + label,
                       "entries": [(suffix(t, n), given[suffix(t, n)]) for t in network.target_names]})
    for layer in network.layers:
        role = "output layer" if layer.is_output else f"hidden layer {layer.index}"
        names = [w for row in layer.weight_names for w in row]
        groups.append({"heading": f"Weights, {role}", "entries": [(w, given[w]) for w in names]})
        if layer.bias_names:
            biases = list(dict.fromkeys(layer.bias_names))
            groups.append({"heading": f"Bias{'es' * (len(biases) > 1)}, {role}",
                           "entries": [(b, given[b]) for b in biases]})
    groups.append({"heading": "Learning rate", "entries": [("eta", given["eta"])]})
    return groups


def diagram_tikz(network):
    """The network drawn with TikZ (a trusted LaTeX string), or None when a layer is too wide."""
    columns = [list(network.input_names)] + [list(layer.neurons) for layer in network.layers]
    if max(len(c) for c in columns) > MAX_DIAGRAM_UNITS:
        return None
    nodes, ids = [], {}
    for x, column in enumerate(columns):
        for j, name in enumerate(column):
            ids[name] = len(nodes)
            y = (len(column) - 1) / 2 - j
            nodes.append({"id": len(nodes), "name": name if x == 0 else f"{name}",
                          "x": str(x), "y": _coordinate(y), "style": "given" if x == 0 else "unit"})
    edges = [{"source": ids[src], "target": ids[neuron], "weight": layer.weight_names[j][k]}
             for layer in network.layers for j, neuron in enumerate(layer.neurons)
             for k, src in enumerate(layer.inputs)]
    return _render("worksheet-diagram.tex.j2", diagram={"nodes": nodes, "edges": edges})


def _coordinate(value: float) -> str:
    return f"{value:.1f}"


# ---------------------------------------------------------------- templates

def _render(name: str, **context) -> str:
    from .render.escape import Trusted

    return Trusted(_environment().get_template(name).render(**context))


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    from .render.escape import Trusted, finalize_latex, tex_name

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs()]),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        undefined=jinja2.StrictUndefined, finalize=finalize_latex, autoescape=False,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    # |trusted is only for text our templates built from escaped pieces (macro output, TikZ).
    env.filters.update(sym=tex_symbol, tt=tex_name, num=tex_number, trusted=Trusted)
    return env


def template_dirs() -> list[Path]:
    """Where the worksheet templates are: inside the installed package, else the source tree's ``templates/``."""
    here = Path(__file__).resolve().parent
    return [d for d in (here / "templates", here.parent / "templates") if d.is_dir()]


def tex_symbol(name: str):
    """A quantity's name as math: ``w5`` -> ``w_{5}``, ``out_h1`` -> ``\\mathrm{out}_{h1}``, ``x1__2`` -> ``x_{1}\\ex{2}``.

    >>> print(tex_symbol("w5"), tex_symbol("out_h1"), tex_symbol("x1__2"), tex_symbol("eta"))
    w_{5} \\mathrm{out}_{h1} x_{1}\\ex{2} \\eta
    """
    from .render.escape import Trusted, tex_name

    base, _, example = name.partition("__")
    if base == "eta":
        tex = r"\eta"
    else:
        head, underscore, tail = base.partition("_")
        if not underscore:
            match = re.fullmatch(r"([A-Za-z]+?)([0-9]+)", base)
            head, tail = match.groups() if match else (base, "")
        tex = tex_name(head) if len(head) == 1 else rf"\mathrm{{{tex_name(head)}}}"
        if tail:
            tex += f"_{{{_subscript(tail)}}}"
    if example:
        tex += rf"\ex{{{int(example)}}}"
    return Trusted(tex)


def _subscript(text: str) -> str:
    """The index part of a spec name (letters, digits, ``_``) for a subscript."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", text):
        raise RenderError(f"not a valid name for a formula: {text!r}")
    return text.replace("_", r"\_")


def tex_number(text) -> str:
    """Decimal text (``-0.25``, ``1e-12``) as math; anything else is refused.

    >>> print(tex_number("-0.25"), tex_number("1.5e-12"))
    -0.25 1.5\\times 10^{-12}
    """
    from .render.escape import Trusted

    text = str(text)
    if not _NUMBER.fullmatch(text):
        raise RenderError(f"not a decimal number: {text!r}")
    mantissa, _, exponent = text.partition("e")
    return Trusted(mantissa + (rf"\times 10^{{{exponent}}}" if exponent else ""))


def _example_variant() -> Variant:
    from .variants import generate_variant

    return generate_variant("2-2-2", 0, 1)


def _example_questions() -> tuple:
    return (Question("E_total", "E_total"), Question("grad_w5", "grad", "w5"))
