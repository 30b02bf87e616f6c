"""Exams for other LMSs: QTI 1.2 (validated against IMS's XML schema) and PrairieLearn question folders
(validated against PrairieLearn's JSON schemas, and their server.py run as PrairieLearn would)."""

from __future__ import annotations

import importlib.util
import io
import json
import pathlib
import re
import zipfile
from fractions import Fraction
from html.parser import HTMLParser

import jsonschema
import pytest
from lxml import etree

from derive.classroom.exam import draw_papers
from derive.classroom.variants import generate_variant
from derive.cli import main
from derive.spec.exam import load_exam
from test_exam import SEED, write_course

SCHEMAS = pathlib.Path(__file__).parent / "schemas"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


@pytest.fixture(scope="module")
def qti_schema():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "qti" / "ims_qtiasiv1p2.xsd")))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return write_course(tmp_path_factory.mktemp("lms"))


def run_qti(exam, out, capsys, *extra) -> tuple:
    assert main(["exam", str(exam), "--seed", str(SEED), "--out", str(out), "-f", "qti", *extra]) == 0
    err = capsys.readouterr().err
    archive = zipfile.ZipFile(out / "qti.zip")
    return archive, etree.fromstring(archive.read("assessment.xml")), err


def test_qti_is_valid_against_the_ims_schema(course, tmp_path, capsys, qti_schema):
    exam, roster = course
    archive, doc, _ = run_qti(exam, tmp_path / "q", capsys, "--roster", str(roster))
    assert sorted(archive.namelist()) == ["assessment.xml", "imsmanifest.xml"]
    assert qti_schema.validate(doc), qti_schema.error_log
    manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    assert [r.get("href") for r in manifest.iter("{*}resource")] == ["assessment.xml"]
    # the schema is a real check: an item without its ident is refused
    del doc.find(f".//{QTI}item").attrib["ident"]
    assert not qti_schema.validate(doc)


def test_qti_items_hold_every_answer_within_the_tolerance(course, tmp_path, capsys):
    exam, roster = course
    _, doc, err = run_qti(exam, tmp_path / "q", capsys, "--roster", str(roster))
    papers = draw_papers(load_exam(exam), SEED, 2)
    sections = doc.findall(f".//{QTI}section")
    # question 1 asks forward (8 quantities), questions 2 and 3 ask grad:w5 and E_total
    assert [s.get("title") for s in sections] == [f"Question 1.{j}" for j in range(1, 9)] + \
        ["Question 2.1", "Question 2.2", "Question 3.1", "Question 3.2"]
    tolerance = Fraction(1, 2 * 10**4)  # half a unit in the 4th place
    scaled = 0
    for section in sections:
        number, j = map(int, section.get("title").split()[1].split("."))
        items = section.findall(f"{QTI}item")
        assert len(items) == 2 and section.findtext(f".//{QTI}selection_number") == "1"
        for paper, item in zip(papers, items):
            question = paper.questions[number - 1]
            asked = question.questions[j - 1]
            text = item.findtext(f".//{QTI}mattext")
            unit = re.search(r"units of 10<sup>&minus;(\d+)</sup>", text)
            scale = int(unit.group(1)) if unit else 0
            scaled += scale > 0
            answer = Fraction(item.findtext(f".//{QTI}varequal"))
            low, high = Fraction(item.findtext(f".//{QTI}vargte")), Fraction(item.findtext(f".//{QTI}varlte"))
            exact = float(question.variant.answers[asked.key])
            assert abs(float(answer) / 10**scale - exact) < 1e-12
            assert high - answer == answer - low == tolerance * 10**scale
            # what Canvas keeps at 4 places: the tolerance, and the answer unless it is 0
            assert high - answer >= Fraction(1, 10**4) and (answer == 0 or abs(answer) >= Fraction(1, 10**4))
            assert f"w<sub>5</sub> = {question.variant.parameters['w5']}" in text
    assert scaled and f"{scaled} answers (or their tolerance) below 1e-4 are asked in scaled units" in err


def test_qti_small_gradients_are_asked_in_scaled_units(course, tmp_path, capsys):
    exam, _ = course
    text = exam.read_text().replace("decimals: 4", "decimals: 7").replace("ask: forward", "ask: grad:w1")
    exam.with_name("fine.yaml").write_text(text)
    _, doc, err = run_qti(exam.with_name("fine.yaml"), tmp_path / "q", capsys, "-n", "3")
    first = doc.find(f".//{QTI}section").findall(f"{QTI}item")
    scales = [int(re.search(r"units of 10<sup>&minus;(\d+)</sup>", i.findtext(f".//{QTI}mattext")).group(1))
              for i in first]
    assert all(scale >= 4 for scale in scales)  # ±0.00000005 needs × 10⁴ at least
    assert "warning: Canvas keeps numerical answers to 4 decimal places" in err
    # a coarse tolerance on a coarse answer needs no scaling and no warning
    coarse = text.replace("decimals: 7", "decimals: 2").replace("ask: grad:w1", "ask: out:o1")
    coarse = coarse.replace("  - from: [net-a.yaml, net-b.yaml, net-c.yaml]\n    pick: 2\n    ask: \"grad:w5, E_total\"\n"
                            "    points: 2.5\n", "")
    exam.with_name("coarse.yaml").write_text(coarse)
    _, doc, err = run_qti(exam.with_name("coarse.yaml"), tmp_path / "c", capsys, "-n", "2", "--tolerance", "0.005")
    assert "units of" not in etree.tostring(doc, encoding="unicode") and "warning" not in err


def test_qti_is_byte_identical_for_the_same_seed(course, tmp_path, capsys):
    exam, roster = course
    run_qti(exam, tmp_path / "a", capsys, "--roster", str(roster))
    run_qti(exam, tmp_path / "b", capsys, "--roster", str(roster))
    assert (tmp_path / "a" / "qti.zip").read_bytes() == (tmp_path / "b" / "qti.zip").read_bytes()


# ---------------------------------------------------------------- PrairieLearn

class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs = []

    def handle_starttag(self, tag, attrs):
        if tag == "pl-number-input":
            self.inputs.append(dict(attrs))


@pytest.fixture(scope="module")
def prairielearn(course):
    exam, _ = course
    out = exam.parent / "pl"
    assert main(["exam", str(exam), "--seed", "1", "--out", str(out), "-f", "prairielearn", "-q"]) == 0
    return out


def _number(value) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def test_prairielearn_folders_match_the_schemas(prairielearn):
    folders = sorted(p.name for p in prairielearn.iterdir())
    assert folders == ["q1-2-2-2-exercise", "q2-net-a", "q2-net-b", "q2-net-c"]
    info_schema = json.loads((SCHEMAS / "prairielearn-infoQuestion.json").read_text())
    element_schema = json.loads((SCHEMAS / "prairielearn-pl-number-input.json").read_text())
    formats = jsonschema.FormatChecker()
    formats.checks("number")(_number)
    uuids = set()
    for folder in folders:
        info = json.loads((prairielearn / folder / "info.json").read_text())
        jsonschema.Draft7Validator(info_schema, format_checker=formats).validate(info)
        uuids.add(info["uuid"])
        parser = _Inputs()
        parser.feed((prairielearn / folder / "question.html").read_text())
        assert parser.inputs
        for attributes in parser.inputs:
            jsonschema.Draft4Validator(element_schema, format_checker=formats).validate(attributes)
    assert len(uuids) == len(folders)
    with pytest.raises(jsonschema.ValidationError):  # the schema is a real check
        jsonschema.Draft7Validator(info_schema).validate({"uuid": "x", "type": "v3", "title": "t", "topic": "t"})


def _server(folder: pathlib.Path):
    spec = importlib.util.spec_from_file_location(f"server_{folder.name.replace('-', '_')}", folder / "server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prairielearn_generate_draws_a_variant_per_seed(prairielearn):
    folder = prairielearn / "q2-net-b"
    server = _server(folder)
    answers_by_seed = {}
    for seed in (5, 6, 5):
        data = {"params": {}, "correct_answers": {}, "variant_seed": seed}
        server.generate(data)
        variant = generate_variant(folder / "spec.yaml", seed, 1, ask="grad:w5, E_total", decimals=4)
        assert data["correct_answers"] == {key: float(variant.answers[key]) for key in ("grad_w5", "E_total")}
        assert data["params"]["givens"] == variant.parameters
        assert f"w<sub>5</sub> = {variant.parameters['w5']}" in data["params"]["problem_html"]
        json.dumps(data)  # PrairieLearn keeps data as JSON
        answers_by_seed.setdefault(seed, data["correct_answers"])
        assert answers_by_seed[seed] == data["correct_answers"]
    assert answers_by_seed[5] != answers_by_seed[6]
    parser = _Inputs()
    parser.feed((folder / "question.html").read_text())
    assert [i["answers-name"] for i in parser.inputs] == ["grad_w5", "E_total"]
    assert {i["atol"] for i in parser.inputs} == {"0.00005"}


def test_qti_and_prairielearn_take_the_one_tolerance(course, tmp_path, capsys):
    exam, _ = course
    _, doc, _ = run_qti(exam, tmp_path / "q", capsys, "-n", "1", "--tolerance", "relative=1%")
    paper = draw_papers(load_exam(exam), SEED, 1)[0]
    for item in doc.iter(f"{QTI}item"):
        number, j = map(int, item.get("title").split()[1].rstrip(",").split("."))
        exact = paper.questions[number - 1].variant.answers[paper.questions[number - 1].questions[j - 1].key]
        unit = re.search(r"units of 10<sup>&minus;(\d+)</sup>", item.findtext(f".//{QTI}mattext"))
        scale = 10 ** (int(unit.group(1)) if unit else 0)
        answer, high = Fraction(item.findtext(f".//{QTI}varequal")), Fraction(item.findtext(f".//{QTI}varlte"))
        assert abs(float(high - answer) - abs(float(exact)) * scale / 100) < 1e-11
    out = tmp_path / "pl"
    assert main(["exam", str(exam), "--seed", "1", "--out", str(out), "-f", "prairielearn", "-q",
                 "--tolerance", "sigfigs=3"]) == 0
    parser = _Inputs()
    parser.feed((out / "q2-net-a" / "question.html").read_text())
    assert {(i["comparison"], i["digits"]) for i in parser.inputs} == {("sigfig", "3")}
    assert main(["exam", str(exam), "--seed", "1", "--out", str(tmp_path / "x"), "-f", "qti", "--tolerance", "loose"]) == 2
    assert "tolerance must be one of shown, absolute=0.0005" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
