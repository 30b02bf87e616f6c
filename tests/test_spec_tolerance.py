"""A tolerance set in the spec (its ``marking`` block): validated with file:line, used by check, grade and
every quiz export; per command beats per spec beats the default, and per quantity beats a blanket setting
of the same level."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest

from derive.classroom.check import check_claims
from derive.classroom.grade import grade_class
from derive.classroom.moodle import quiz_xml
from derive.classroom.prairielearn import question_files
from derive.classroom.variants import generate_variants
from derive.cli import main
from derive.errors import SpecError
from derive.spec import load_spec
from derive.spec.exam import load_exam
from derive.spec.examples import example_path

from moodle_cloze import extract_blanks

EXERCISE = Path(example_path("2-2-2-exercise")).read_text(encoding="utf-8")
BASE = Path(example_path("2-2-2")).read_text(encoding="utf-8")


def spec_file(tmp_path, marking: str, base: str = BASE) -> Path:
    path = tmp_path / "net.yaml"
    path.write_text(base + marking, encoding="utf-8")
    return path


@pytest.mark.parametrize("marking, message", [
    ("marking:\n  tolerance: loose\n", "marking.tolerance must be one of shown, absolute=0.0005"),
    ("marking:\n  tolerances: {E_total: relative=5}\n", None),  # fine: a relative amount of 5 is allowed
    ("marking:\n  tolerances: {E_total: sigfigs=0}\n", "marking.tolerances.E_total must be one of"),
    ("marking:\n  tolerance: absolute=1e5000\n", "exponent of at most 100"),
    ("marking:\n  bonus: 1\n", "marking.bonus is not a scheme setting"),
    ("marking:\n  follow_through: 2\n", "marking.follow_through must be a number from 0 to 1"),
])
def test_a_bad_marking_block_names_field_and_line(tmp_path, marking, message):
    path = spec_file(tmp_path, marking)
    line = BASE.count("\n") + 2
    if message is None:
        assert load_spec(str(path)).marking.tolerances[0][1] == ("relative", Fraction(5))
        return
    with pytest.raises(SpecError) as err:
        load_spec(str(path))
    assert str(err.value).startswith(f"{path}:{line}: ") and message in str(err.value)


def test_an_unknown_quantity_is_named_with_its_line(tmp_path, capsys):
    path = spec_file(tmp_path, "marking:\n  tolerances:\n    E_total: sigfigs=3\n    grad_w99: sigfigs=3\n")
    claims = tmp_path / "c.yaml"
    claims.write_text("E_total: 0.2984\n")
    assert main(["check", str(path), str(claims)]) == 2
    line = BASE.count("\n") + 4
    assert capsys.readouterr().err == f"derive: error: {path}:{line}: marking.tolerances.grad_w99 is not a quantity " \
                                      "of this network\n"


# E_total is 0.298371...: 0.28 is wrong by the default (and is no truncation), right within 0.02
@pytest.mark.parametrize("marking, option, right", [
    ("", None, False),                                                        # default
    ("marking:\n  tolerance: absolute=0.02\n", None, True),                   # per spec
    ("marking:\n  tolerance: absolute=0.02\n  tolerances: {E: decimals=2}\n", None, False),  # per quantity wins
    ("marking:\n  tolerances: {dE/dw1: decimals=2}\n  tolerance: absolute=0.02\n", None, True),  # other quantity
    ("marking:\n  tolerance: absolute=0.02\n", "decimals=2", False),          # per command beats per spec
    ("marking:\n  tolerances: {E_total: decimals=2}\n", "absolute=0.02", True),  # even the spec's per quantity
])
def test_check_takes_the_tolerance_of_the_spec_and_the_command(tmp_path, marking, option, right):
    spec = str(spec_file(tmp_path, marking))
    report = check_claims(spec, {"E_total": "0.28"}, tolerance=option)
    assert report.results[0].status == ("ok" if right else "wrong")


def test_a_command_scheme_sits_between_the_spec_and_the_option(tmp_path):
    spec = str(spec_file(tmp_path, "marking:\n  tolerance: decimals=2\n  points: {E_total: 5}\n"))
    assert check_claims(spec, {"E_total": "0.28"}).score == (0, 5)
    scheme = {"tolerances": {"E_total": "absolute=0.02"}}
    assert check_claims(spec, {"E_total": "0.28"}, scheme=scheme).score == (5, 5)
    # the scheme's per-quantity tolerance beats --tolerance (the same level), which beats the spec
    assert check_claims(spec, {"E_total": "0.28"}, scheme=scheme, tolerance="decimals=3").score == (5, 5)
    assert check_claims(spec, {"E_total": "0.28"}, scheme={"points": {"E": 2}}, tolerance="absolute=0.02").score \
        == (2, 2)


def _radii(text: str) -> list:
    root = ET.fromstring(text.encode("utf-8"))
    return [[Fraction(a.tolerance) for a in blank.answers][0]
            for q in root.findall("question")[1:] for blank in extract_blanks(q.findtext("questiontext/text"))]


def test_moodle_blanks_take_the_spec_tolerance_per_quantity(tmp_path):
    spec = str(spec_file(tmp_path, "marking:\n  tolerance: absolute=0.001\n  tolerances: {E_total: absolute=0.003}\n",
                         EXERCISE))
    variants = generate_variants(spec, 2, seed=3, ask="E_total,grad:w5")
    assert _radii(quiz_xml(variants)) == [Fraction(3, 1000), Fraction(1, 1000)] * 2
    assert _radii(quiz_xml(variants, tolerance="absolute=0.002")) == [Fraction(2, 1000)] * 4
    plain = generate_variants("2-2-2-exercise", 2, seed=3, ask="E_total,grad:w5")
    assert _radii(quiz_xml(plain, tolerance="absolute=0.002")) == [Fraction(2, 1000)] * 4


def _exam(tmp_path, marking: str) -> Path:
    spec = spec_file(tmp_path, marking, EXERCISE)
    exam = tmp_path / "exam.yaml"
    exam.write_text(f"title: Quiz\ndecimals: 4\nquestions:\n  - spec: {spec}\n    ask: E_total, grad:w5\n"
                    "    points: 2\n")
    return exam


def test_prairielearn_inputs_take_the_spec_tolerance_per_quantity(tmp_path):
    exam = load_exam(str(_exam(tmp_path, "marking:\n  tolerance: relative=1%\n  tolerances: {E_total: sigfigs=3}\n")))
    html = next(text for name, text in question_files(exam).items() if name.endswith("question.html"))
    inputs = re.findall(r'<pl-number-input answers-name="(\w+)"[^>]*?comparison="(\w+)"', html)
    assert inputs == [("E_total", "sigfig"), ("grad_w5", "relabs")] and 'rtol="0.01"' in html
    html = next(t for n, t in question_files(exam, tolerance="decimals=5").items() if n.endswith("question.html"))
    assert html.count('comparison="decdig" digits="5"') == 2


def test_qti_items_take_the_spec_tolerance_per_quantity(tmp_path):
    exam = _exam(tmp_path, "marking:\n  tolerance: absolute=0.001\n  tolerances: {E_total: absolute=0.003}\n")
    assert main(["exam", str(exam), "--seed", "1", "--out", str(tmp_path / "out"), "-f", "qti", "-n", "1", "-q"]) == 0
    doc = ET.fromstring(zipfile.ZipFile(tmp_path / "out" / "qti.zip").read("assessment.xml"))
    widths = []
    for item in doc.findall(".//{*}item"):
        low = Fraction(item.find(".//{*}vargte").text)
        high = Fraction(item.find(".//{*}varlte").text)
        widths.append(high - low)
    assert widths == [Fraction(6, 1000), Fraction(2, 1000)]


def test_grade_takes_the_spec_tolerance(tmp_path):
    spec = spec_file(tmp_path, "marking:\n  tolerances: {E_total: absolute=0.02}\n", EXERCISE)
    out = tmp_path / "ws"
    assert main(["worksheet", str(spec), "-n", "1", "-s", "2", "-f", "moodle", "-o", str(out), "--ask", "E_total",
                 "-q"]) == 0
    data = json.loads((out / "variants.json").read_text())
    exact = Fraction(data["variants"][0]["answers"]["E_total"]["printed"])
    off = exact + Fraction(15, 1000)  # outside the default, inside the spec's 0.02
    roster = tmp_path / "roster.csv"
    roster.write_text(f"student,variant,E_total\nann,1,{float(off):.4f}\n")
    grades = grade_class(str(spec), str(out / "variants.json"), roster=str(roster))
    assert [r.status for r in grades.students[0].report.results] == ["ok"]
    grades = grade_class(str(spec), str(out / "variants.json"), roster=str(roster), tolerance="decimals=3")
    assert [r.status for r in grades.students[0].report.results] == ["wrong"]


@pytest.mark.parametrize("marking, message", [
    ("marking: [1]\n", "marking must be a mapping of scheme settings (tolerance, tolerances, points, default_points, "
                       "follow_through, rounding); got a list"),
    ("marking: {points: [1]}\n", "marking.points must map quantity names to values; got a list"),
    ("marking: {tolerances: on}\n", "marking.tolerances must map quantity names to values; got a boolean (true)"),
])
def test_a_marking_block_of_the_wrong_shape_says_what_it_got(tmp_path, marking, message):
    path = spec_file(tmp_path, marking)
    with pytest.raises(SpecError) as err:
        load_spec(str(path))
    assert str(err.value) == f"{path}:{BASE.count(chr(10)) + 1}: {message}"


@pytest.mark.parametrize("content, message", [
    ("", "the scheme is empty"),
    ("# only a comment\n", "the scheme is empty"),
    (None, "cannot read the scheme"),
])
def test_a_scheme_or_claims_file_is_named_as_such_in_errors(tmp_path, capsys, content, message):
    """An empty or missing scheme (or claims) file was called "the spec"."""
    scheme, claims = tmp_path / "scheme.yaml", tmp_path / "claims.yaml"
    claims.write_text("E_total: 0.2984\n")
    if content is not None:
        scheme.write_text(content)
    assert main(["check", "2-2-2", str(claims), "--scheme", str(scheme)]) == 2
    assert capsys.readouterr().err.startswith(f"derive: error: {scheme}: {message}")
    claims.write_text(content or "")
    assert main(["check", "2-2-2", str(claims)]) == 2
    assert "the claims file is empty" in capsys.readouterr().err


def test_a_finished_scheme_keeps_its_per_quantity_tolerance_under_the_option(tmp_path):
    """As a scheme file's or dict's: a Scheme object's per-quantity tolerance beats --tolerance (it was dropped)."""
    from derive.classroom.scheme import read_scheme

    spec = str(spec_file(tmp_path, "marking:\n  tolerance: decimals=2\n  points: {E_total: 5}\n"))
    table = {"tolerances": {"E_total": "absolute=0.02"}}
    finished = read_scheme(table, {"E_total"})
    for scheme in (table, finished):
        assert check_claims(spec, {"E_total": "0.28"}, scheme=scheme, tolerance="decimals=3").results[0].ok
