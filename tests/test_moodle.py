"""Tests for derive.classroom.moodle: the Moodle XML quiz, read back with xml.etree."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from derive.errors import SpecError
from derive.classroom.moodle import quiz_xml
from derive.classroom.variants import generate_variants

BLANK = re.compile(r"\{1:NUMERICAL:=(-?[0-9]+\.[0-9]+):([0-9]+\.[0-9]+)\}")
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


def test_blanks_hold_the_engine_answers_with_the_default_tolerance(variants):
    root = ET.fromstring(quiz_xml(variants))
    for question, variant in zip(root.findall("question")[1:], variants.variants):
        text = question.findtext("questiontext/text")
        blanks = BLANK.findall(text)
        assert len(blanks) == len(variants.questions) == 12
        for (value, tolerance), asked in zip(blanks, variants.questions):
            assert float(value) == pytest.approx(float(variant.answers[asked.key]), abs=1e-12)
            assert tolerance == "0.0000005"  # half a unit of the 6 printed decimals
        # the variant's own numbers are given in the text, the answers in the feedback
        assert f"w<sub>5</sub> = {variant.parameters['w5']}" in text
        feedback = question.findtext("generalfeedback/text")
        assert variant.answer_text("grad_w5", 6) in feedback
        # then the worked solution, its math left to Moodle's MathJax filter
        assert "<h4>2. Forward pass</h4>" in feedback and "\\tag{1}" in feedback
        assert f"\\(w_{{5}} = {float(variant.parameters['w5']):g}\\)" in feedback


def test_tolerance_option(variants):
    text = quiz_xml(variants, tolerance="0.001")
    tolerances = {tol for _, tol in BLANK.findall(text)}
    assert tolerances == {"0.0010000"}
    with pytest.raises(SpecError, match="^tolerance must be a decimal number >= 0") as info:
        quiz_xml(variants, tolerance="1/2")
    assert info.value.cli_message().startswith("--tolerance must be")  # the command line's flag


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
    assert html.count("{") == 1 and len(BLANK.findall(html)) == 1
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
