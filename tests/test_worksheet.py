"""Tests for ``derive worksheet``: real PDFs from the real TeX toolchain, read back with pdftotext."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import uuid
from fractions import Fraction
import xml.etree.ElementTree as ET

import pytest

from derive.cli import main
from derive.render.numbers import NumberFormat
from derive.classroom.variants import format_fixed, generate_variants
from derive.classroom.worksheet import key_body, latex_document, worksheet_body

SEED = 7
N = 2


def pdf_text(path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", *pages, str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def answer_texts(value, decimals: int = 6) -> set[str]:
    """Every way a sheet could print an answer (sign dropped: TeX prints a minus as U+2212)."""
    return {NumberFormat(decimals=decimals).text(value).lstrip("-"), format_fixed(value, decimals).lstrip("-")}


def contains_number(text: str, number: str) -> bool:
    return re.search(rf"(?<![0-9.]){re.escape(number)}(?![0-9])", text) is not None


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One real run of the command: 2 variants, every default."""
    out = tmp_path_factory.mktemp("sheets") / "out"
    assert main(["worksheet", "2-2-2-exercise", "--variants", str(N), "--seed", str(SEED), "--out", str(out),
                 "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def variants():
    return generate_variants("2-2-2-exercise", N, SEED)


def test_writes_every_file(built):
    names = sorted(p.name for p in built.iterdir())
    assert names == sorted(["keys.pdf", "variants.json", "worksheets.pdf"]
                           + [f"variant-0{i}-{kind}.{ext}" for i in (1, 2) for kind in ("worksheet", "key")
                              for ext in ("pdf", "tex")])


def test_worksheet_asks_every_question_and_holds_no_answer(built, variants):
    for variant in variants.variants:
        stem = f"variant-0{variant.index}-worksheet"
        text = pdf_text(built / f"{stem}.pdf")
        source = (built / f"{stem}.tex").read_text()
        assert "Give each answer to 6 decimal places" in text
        w1 = NumberFormat().text(Fraction(variant.parameters["w1"]))
        assert f"w1 = {w1}" in text  # the problem's numbers are there
        assert "Name:" in text and re.search(r"net ?h1 =", text) and "Etotal =" in text
        assert all(f"∂w{i}" in text and f"w{i}+ =" in text for i in range(1, 9))
        for q in variants.questions:
            for number in answer_texts(variant.answers[q.key]):
                assert not contains_number(text, number), (q.key, number)
                assert not contains_number(source, number), (q.key, number)


def test_key_holds_every_answer(built, variants):
    for variant in variants.variants:
        text = pdf_text(built / f"variant-0{variant.index}-key.pdf")
        for q in variants.questions:
            printed = variant.answer_text(q.key, 6).lstrip("-")  # to the stated places, trailing zeros kept
            assert contains_number(text, printed), (q.key, printed)


def test_seed_and_variant_on_every_page(built, variants):
    for name, kind in (("worksheets.pdf", "Worksheet"), ("keys.pdf", "Answer key")):
        pages = pdf_pages(built / name)
        assert pages >= N
        seen = set()
        for page in range(1, pages + 1):
            match = re.search(rf"{kind}, variant (\d+), seed {SEED}", pdf_text(built / name, page))
            assert match, (name, page)
            seen.add(int(match.group(1)))
        assert seen == {1, 2}
    single = built / "variant-02-key.pdf"
    assert all(f"Answer key, variant 2, seed {SEED}" in pdf_text(single, p) for p in range(1, pdf_pages(single) + 1))


def test_titles_are_not_hyphenated(built):
    """The title is long enough to wrap on an A4 page: it breaks between words ("(sig-moid)" did not)."""
    for name in ("variant-01-worksheet.pdf", "variant-01-key.pdf"):
        lines = [line.strip() for line in pdf_text(built / name, 1).splitlines() if line.strip()]
        title = " ".join(lines[:2])
        assert title.startswith("Backpropagation exercise:") and "(sigmoid)" in title, lines[:2]
        assert not lines[0].endswith("-")


def test_combined_files_hold_every_variant(built, variants):
    sheets = pdf_text(built / "worksheets.pdf")
    keys = pdf_text(built / "keys.pdf")
    for variant in variants.variants:
        assert f"Variant {variant.index}" in sheets
        printed = NumberFormat(decimals=6).text(variant.answers["grad_w1"]).lstrip("-")
        assert contains_number(keys, printed) and not contains_number(sheets, printed)
    assert pdf_pages(built / "worksheets.pdf") == sum(pdf_pages(built / f"variant-0{i}-worksheet.pdf")
                                                      for i in (1, 2))


def test_variants_json_matches_the_api(built, variants):
    assert (built / "variants.json").read_text() == variants.to_json()
    data = json.loads((built / "variants.json").read_text())
    assert [v["index"] for v in data["variants"]] == [1, 2]


def test_same_seed_gives_byte_identical_files(built, tmp_path):
    again = tmp_path / "again"
    assert main(["worksheet", "2-2-2-exercise", "-n", str(N), "--seed", str(SEED), "--out", str(again),
                 "--quiet"]) == 0
    for path in sorted(built.iterdir()):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_pdfs_cut_from_the_combined_documents_equal_one_tex_run_per_file(built, tmp_path, monkeypatch):
    # with qpdf (the built fixture) each variant's PDFs are pages of worksheets.pdf / keys.pdf;
    # without it every PDF is its own TeX run: the same pages, page by page
    from derive.io import texrun

    assert texrun.find_qpdf() is not None, "qpdf is needed (apt-get install qpdf)"
    monkeypatch.setattr(texrun, "find_qpdf", lambda: None)
    each = tmp_path / "each"
    assert main(["worksheet", "2-2-2-exercise", "-n", str(N), "--seed", str(SEED), "--out", str(each),
                 "--quiet"]) == 0
    for i in range(1, N + 1):
        for kind in ("worksheet", "key"):
            name = f"variant-0{i}-{kind}.pdf"
            pages = pdf_pages(built / name)
            assert pages == pdf_pages(each / name) and pages >= 1
            for page in range(1, pages + 1):
                assert pdf_text(built / name, page) == pdf_text(each / name, page), (name, page)
    assert (each / "worksheets.pdf").read_bytes() == (built / "worksheets.pdf").read_bytes()


def test_another_seed_gives_other_numbers(built, tmp_path):
    assert main(["worksheet", "2-2-2-exercise", "-n", str(N), "--seed", str(SEED + 1), "--out", str(tmp_path),
                 "--format", "moodle", "--quiet"]) == 0
    ours = json.loads((built / "variants.json").read_text())["variants"]
    theirs = json.loads((tmp_path / "variants.json").read_text())["variants"]
    for a, b in zip(ours, theirs):
        assert a["parameters"] != b["parameters"]
        assert a["answers"]["E_total"] != b["answers"]["E_total"]


def test_hostile_title_is_typeset_literally(tmp_path):
    from derive.io.texrun import build_pdf_bytes

    marker = pathlib.Path(f"/tmp/derive-pwned-{uuid.uuid4().hex[:12]}")
    title = (r"\input{/etc/passwd} \write18{touch " + str(marker) + r"} ^^5cinput{/etc/passwd} "
             r"$ & % # _ ~ ^ { } \\")
    spec = {"title": title, "inputs": [0.05, 0.1], "targets": [0.01, 0.99],
            "layers": [{"units": 2, "activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3]], "bias": 0.35},
                       {"units": 2, "activation": "sigmoid", "weights": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6}]}
    variants = generate_variants(spec, 1, seed=3, ask="E_total,grad:w5")
    v = variants.variants[0]
    tex = latex_document([worksheet_body(v, variants.questions, 6), key_body(v, variants.questions, 6, full=True)])
    pdf = tmp_path / "hostile.pdf"
    pdf.write_bytes(build_pdf_bytes(tex))
    text = pdf_text(pdf)
    flat = " ".join(text.split())
    assert "root:x:" not in text and not marker.exists()
    assert r"\input{/etc/passwd} \write18{touch" in flat
    assert r"^^5cinput{/etc/passwd} $ & % # _ ~ ^ { } \\" in flat


def test_full_key_of_the_reference_network(tmp_path):
    """A spec without randomize gives one variant, itself; --key full adds the worked solution."""
    assert main(["worksheet", "2-2-2", "--seed", "0", "--out", str(tmp_path), "--key", "full",
                 "--decimals", "9", "--ask", "E_total,grad:w5,grad:w1,updated:w1", "--quiet"]) == 0
    key = pdf_text(tmp_path / "variant-01-key.pdf")
    sheet = pdf_text(tmp_path / "variant-01-worksheet.pdf")
    # the numbers the published tutorial prints (shared/reference/README.md)
    for number in ("0.298371109", "0.082167041", "0.000438568", "0.149780716", "0.593269992", "0.75136507",
                   "0.186815602", "0.036350306"):
        assert number in key, number
    for number in ("0.298371109", "0.082167041", "0.000438568", "0.149780716"):
        assert number not in sheet, number
    assert "Forward pass" in key and "Forward pass" not in sheet
    pages = pdf_pages(tmp_path / "variant-01-key.pdf")
    assert pages > 3 and all("Answer key, variant 1, seed 0" in pdf_text(tmp_path / "variant-01-key.pdf", p)
                             for p in range(1, pages + 1))


def test_existing_files_need_force(built, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in built.iterdir()}
    code = main(["worksheet", "2-2-2-exercise", "-n", str(N), "--seed", str(SEED), "--out", str(built), "--quiet"])
    assert code == 2
    assert "exists; pass --force to overwrite" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in built.iterdir()} == before


@pytest.mark.parametrize("argv, message", [
    (["2-2-2", "-n", "3"], "needs a 'randomize:' block"),
    (["2-2-2-exercise", "--ask", "grad:w9"], "--ask grad:w9 names no parameter; the parameters are w1"),
    (["2-2-2-exercise", "--tolerance", "0.01"], "--tolerance only applies to --format moodle"),
    (["2-2-2-exercise", "--format", "moodle", "--tolerance", "lots"], "--tolerance must be one of shown, absolute="),
    (["2-2-2-exercise", "--seed", "-1"], "--seed must be a whole number of at least 0"),
    (["2-2-2-exercise", "--workers", "0"], "--workers must be a whole number from 1 to"),
    (["2-2-2-exercise", "--variants", "0"], "--variants must be a whole number from 1 to 1000"),
    (["2-2-2-exercise", "--decimals", "40"], "--decimals must be a whole number from 0 to 15"),
])
def test_bad_options_fail_cleanly_and_write_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    args = ["worksheet", *argv, "--out", str(out)]
    if "--seed" not in argv:
        args += ["--seed", "1"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("derive: error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_moodle_format_writes_the_quiz(tmp_path):
    assert main(["worksheet", "2-2-2-exercise", "-n", "3", "--seed", "2", "--out", str(tmp_path), "--format",
                 "moodle", "--ask", "E_total,grad:w5", "--tolerance", "0.0001", "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quiz.xml", "variants.json"]
    root = ET.parse(tmp_path / "quiz.xml").getroot()
    questions = root.findall("question")
    assert [q.get("type") for q in questions] == ["category", "cloze", "cloze", "cloze"]
    answers = json.loads((tmp_path / "variants.json").read_text())["variants"]
    for question, variant in zip(questions[1:], answers):
        blanks = re.findall(r"\{1:NUMERICAL:=(-?[0-9.]+):([0-9.]+)\}", question.findtext("questiontext/text"))
        assert [float(v) for v, _ in blanks] == pytest.approx(
            [variant["answers"]["E_total"]["value"], variant["answers"]["grad_w5"]["value"]], abs=1e-12)
        assert {float(tol) for _, tol in blanks} == {0.0001}
    # again: refused without --force, rewritten (to the same bytes) with it
    before = (tmp_path / "quiz.xml").read_bytes()
    argv = ["worksheet", "2-2-2-exercise", "-n", "3", "--seed", "2", "--out", str(tmp_path), "--format", "moodle",
            "--ask", "E_total,grad:w5", "--tolerance", "0.0001", "--quiet"]
    assert main(argv) == 2
    assert main([*argv, "--force"]) == 0 and (tmp_path / "quiz.xml").read_bytes() == before


def test_a_title_with_greek_letters_is_typeset(tmp_path):
    """σ cannot be set by pdflatex as text: the escaping sets it in math mode (a failed run is tested in test_threats)."""
    spec = tmp_path / "greek.yaml"
    spec.write_text('title: "σ-Netz"\ninputs: [0.5]\ntargets: [0.2]\nlayers:\n'
                    '  - {units: 1, activation: sigmoid, weights: [[0.3]]}\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["worksheet", str(spec), "--seed", "1", "--out", str(out), "--quiet"]) == 0
    assert "σ-Netz" in pdf_text(out / "variant-01-worksheet.pdf")
