"""Tests for derive.classroom.moodle: the Moodle XML quiz, read back with xml.etree."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from fractions import Fraction

import pytest

from derive.errors import SpecError
from derive.classroom.moodle import carried_answers, quiz_xml
from derive.classroom.variants import generate_variants
from derive.render.numbers import to_fraction

from moodle_cloze import extract_blanks

NASTY = r"<script>alert(1)</script> & ]]> {1:SHORTANSWER:=x} 50% \input{/etc/passwd} A/B"


def _spec(title: str) -> dict:
    return {"title": title, "inputs": [0.05, 0.1], "targets": [0.01, 0.99],
            "layers": [{"units": 2, "activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3]], "bias": 0.35},
                       {"units": 2, "activation": "sigmoid", "weights": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6}],
            "randomize": {"weights": {"range": [0.1, 0.9]}, "inputs": {"range": [0.01, 0.5]}, "decimals": 2}}


@pytest.fixture(scope="module")
def variants():
    return generate_variants("2-2-2-exercise", 3, seed=5, ask="forward,E_total,grad:w5,grad:w1,updated:w5")


def test_structure_category_first_then_one_cloze_per_variant(variants):
    root = ET.fromstring(quiz_xml(variants).encode("utf-8"))
    assert root.tag == "quiz"
    questions = root.findall("question")
    assert questions[0].get("type") == "category"
    assert questions[0].findtext("category/text") == f"$course$/derive/{variants.spec.title}"
    cloze = questions[1:]
    assert [q.get("type") for q in cloze] == ["cloze"] * 3
    names = [q.findtext("name/text") for q in cloze]
    assert len(set(names)) == 3 and all("seed 5" in name for name in names)
    for q in cloze:
        assert q.find("questiontext").get("format") == "html"
        assert q.find("generalfeedback").get("format") == "html"
        assert q.findtext("penalty") == "0.3333333" and q.findtext("hidden") == "0"
        assert q.findtext("defaultgrade") == str(len(variants.questions))


def _truncated(value, decimals: int) -> float:
    scaled = to_fraction(value) * 10**decimals
    return float(Fraction(int(scaled), 10**decimals))  # int() drops the digits towards zero


def _graded(text: str, variants) -> list[tuple]:
    """Per question: (variant, its blanks as Moodle reads them)."""
    root = ET.fromstring(text.encode("utf-8"))
    return [(variant, extract_blanks(q.findtext("questiontext/text")))
            for q, variant in zip(root.findall("question")[1:], variants.variants)]


@pytest.mark.parametrize("decimals", [2, 4, 6, 13, 14, 15])
def test_moodle_grades_the_key_the_carried_and_the_truncated_answers_right(decimals):
    variants = generate_variants("2-2-2-exercise", 3, seed=5, ask="forward,E_total,grad:w5,grad:w1,updated:w5",
                                 decimals=decimals)
    carried = carried_answers(variants)
    unit = 10.0 ** -decimals
    for variant, blanks in _graded(quiz_xml(variants), variants):
        assert len(blanks) == len(variants.questions) == 12 and all(b.numerical for b in blanks)
        for blank, asked in zip(blanks, variants.questions):
            exact = variant.answers[asked.key]
            assert blank.answers[0].fraction == 1.0
            assert blank.grade(float(exact)) == 1.0  # the full-precision answer
            assert blank.grade(float(variant.answer_text(asked.key, decimals))) == 1.0  # the key's own answer
            assert blank.grade(float(carried[variant.index][asked.key])) == 1.0  # intermediates rounded
            assert blank.grade(_truncated(exact, decimals)) == 1.0
            if decimals <= 12:  # beyond, Moodle's own slack (1e-14 · max(1, |answer|)) exceeds two units
                for wrong in (float(exact) + 2 * unit + abs(float(carried[variant.index][asked.key]) - float(exact)),
                              float(exact) - 2 * unit - abs(float(carried[variant.index][asked.key]) - float(exact))):
                    assert blank.grade(wrong) == 0.0


def test_a_strict_tolerance_gives_the_carried_answer_partial_credit():
    variants = generate_variants("2-2-2-exercise", 4, seed=2, ask="forward,E_total,grad:w5,grad:w1", decimals=3)
    carried = carried_answers(variants)
    partial = 0
    for variant, blanks in _graded(quiz_xml(variants, tolerance="absolute=0.0001", partial=40), variants):
        for blank, asked in zip(blanks, variants.questions):
            exact, rounded = variant.answers[asked.key], carried[variant.index][asked.key]
            assert blank.grade(float(exact)) == 1.0 and blank.grade(float(exact) + 0.00009) == 1.0
            if abs(float(rounded) - float(exact)) > 0.0001 + 1e-12:
                assert blank.grade(float(rounded)) == pytest.approx(0.4)
                partial += 1
            else:
                assert len(blank.answers) == 1
    assert partial  # some carried answer falls outside 0.0001 at 3 decimals
    with pytest.raises(SpecError, match="--tolerance must be one of"):
        quiz_xml(variants, tolerance="1/2")


def test_the_cloze_reader_matches_moodles_reading_of_its_own_examples():
    # the syntax Moodle's documentation shows: alternatives, percentages, feedback, escaped characters
    blanks = extract_blanks("a {2:NUMERICAL:=23.8:0.1#Feedback~%50%23.8:2#Half} b {1:SHORTANSWER:=x\\}y~%25%z} c"
                            " {:NM:=1.5e-3:1e-4~=-2}")
    assert [b.numerical for b in blanks] == [True, False, True]
    assert [(a.answer, a.tolerance, a.fraction) for a in blanks[0].answers] == [("23.8", "0.1", 1.0),
                                                                                ("23.8", "2", 0.5)]
    assert blanks[0].grade(23.85) == 1.0 and blanks[0].grade(25.0) == 0.5 and blanks[0].grade(26.0) == 0.0
    assert [a.answer for a in blanks[1].answers] == ["x\\}y", "z"]
    assert [(a.answer, a.tolerance) for a in blanks[2].answers] == [("1.5e-3", "1e-4"), ("-2", "0")]


def test_feedback_has_the_answers_and_the_solution_but_no_word_of_a_missing_diagram(variants):
    root = ET.fromstring(quiz_xml(variants))
    for question, variant in zip(root.findall("question")[1:], variants.variants):
        text = question.findtext("questiontext/text")
        assert f"w<sub>5</sub> = {variant.parameters['w5']}" in text  # the variant's own numbers
        feedback = question.findtext("generalfeedback/text")
        assert variant.answer_text("grad_w5", 6) in feedback
        assert "<h4>2. Forward pass</h4>" in feedback and "\\tag{1}" in feedback
        assert f"\\(w_{{5}} = {float(variant.parameters['w5']):g}\\)" in feedback
        assert "mermaid" not in feedback and "arrow" not in feedback and "The network" not in feedback


@pytest.mark.parametrize("title", ["/root title", "ends with/", "a//b", "/"])
def test_category_path_splits_as_moodle_splits_it(title):
    spec = _spec(title)
    path = ET.fromstring(quiz_xml(generate_variants(spec, 1, seed=1, ask="E_total"))).find("question") \
        .findtext("category/text")
    # moodle/moodle question/format.php split_category_path: split at single slashes, trim, '//' -> '/'
    names = [part.strip().replace("//", "/") for part in re.split(r"(?<!/)/(?!/)", path)]
    assert names == ["$course$", "derive", title.strip()]


def test_characters_xml_forbids_are_replaced():
    # U+FFFE and U+FFFF pass the spec's validator (they are not control characters) but not XML
    title = "bad \ufffe\uffff chars ok \U0001F600"
    variants = generate_variants(_spec(title), 1, seed=1, ask="E_total")
    root = ET.fromstring(quiz_xml(variants).encode("utf-8"))  # well formed
    assert root.findall("question")[1].findtext("name/text").startswith("bad \ufffd\ufffd chars ok \U0001F600")
    # text from the API (a feedback function) with control characters is made well formed too
    text = quiz_xml(variants, feedback=lambda v: "<p>\x00\x08\x0b\x1f\ud800 \t\n\r</p>")
    feedback = ET.fromstring(text.encode("utf-8")).findall("question")[1].findtext("generalfeedback/text")
    assert feedback == "<p>" + "\ufffd" * 5 + " \t\n\n</p>"  # XML reads \r\n... as \n


def test_user_text_survives_as_text_and_cannot_add_blanks():
    variants = generate_variants(_spec(NASTY), 2, seed=1, ask="E_total")
    text = quiz_xml(variants)
    root = ET.fromstring(text)  # well-formed despite ]]> and & in the title
    category = root.find("question").findtext("category/text")
    assert category == "$course$/derive/" + NASTY.replace("/", "//")
    question = root.findall("question")[1]
    assert question.findtext("name/text").startswith(NASTY)
    html = question.findtext("questiontext/text")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt;" in html
    # the title's brace cannot open a Cloze sub-question: only the one real blank remains
    assert html.count("{") == 1 and len(extract_blanks(html)) == 1
    assert "&#123;1:SHORTANSWER:=x&#125;" in html
    feedback = question.findtext("generalfeedback/text")
    assert "<script>" not in feedback and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt;" in feedback


def test_cdata_is_split_around_its_terminator(variants):
    text = quiz_xml(variants, feedback=lambda v: f"<p>variant {v.index} ]]> done</p>")
    root = ET.fromstring(text)
    feedback = [q.findtext("generalfeedback/text") for q in root.findall("question")[1:]]
    assert feedback == ["<p>variant 1 ]]> done</p>", "<p>variant 2 ]]> done</p>", "<p>variant 3 ]]> done</p>"]


def test_same_variants_same_bytes(variants):
    again = generate_variants("2-2-2-exercise", 3, seed=5, ask="forward,E_total,grad:w5,grad:w1,updated:w5")
    assert quiz_xml(variants) == quiz_xml(again)


def test_a_scaled_activation_shows_its_gain_and_scale_as_written(tmp_path):
    spec = tmp_path / "scaled.yaml"
    spec.write_text("inputs: [0.5, 0.25]\ntargets: [0.3]\nlayers:\n"
                    "  - {units: 1, weights: [[0.1, 0.2]], bias: 0.1,\n"
                    "     activation: {name: tanh, scale: 1.71590, gain: 4/6}}\n")
    variants = generate_variants(str(spec), 1, seed=1, ask="forward")
    text = quiz_xml(variants)
    assert "1.71590&middot;tanh(4/6&middot;net<sub>" in text  # not 1.7159 and 2/3 (QTI and PrairieLearn print the same HTML)
