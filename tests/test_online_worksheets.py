"""Worksheets, keys, exams and LMS exports of online and mini-batch specs (``update: online`` /
``update: {batch_size: k}``): every update asked in order, each from the weights the update before it left.

The built-in example ``2-2-1-xor-negnevitsky`` is Negnevitsky, *Artificial Intelligence: A Guide to
Intelligent Systems*, 2nd ed. (2005), §6.4 (XOR trained online; its first update is checked against the
book in tests/test_online.py). Here the sheets' answers are checked against ``derive.load(spec)``'s own
updates (:func:`derive.engine.updates.update_problems`), not against numbers typed in.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import jsonschema
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree

import derive
from derive.classroom.check import check_claims
from derive.classroom.exam import draw_papers
from derive.classroom.moodle import carried_answers, quiz_xml
from derive.classroom.variants import generate_variant, generate_variants
from derive.cli import main
from derive.engine.updates import update_problems
from derive.errors import DeriveError, SpecError
from derive.render.numbers import fixed
from moodle_cloze import extract_blanks
from strategies import networks
from test_languages import _english_left, _visible_text_of
from test_lms import SCHEMAS, _Inputs, _number, _server

XOR = "2-2-1-xor-negnevitsky"
ALL = "forward,deltas,E_total,E_total_after,grad:*,updated:*"
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")

# A randomized online network: three examples, each update from the last one's weights.
RANDOM_ONLINE = """\
title: A randomized online exercise
update: online
learning_rate: 0.5
batch:
  - {inputs: [0.3, 0.7], targets: [0.9]}
  - {inputs: [0.6, 0.2], targets: [0.1]}
  - {inputs: [0.5, 0.5], targets: [0.6]}
layers:
  - {units: 2, activation: sigmoid, weights: [[0.1, 0.2], [0.3, 0.4]], bias: [0.1, 0.2]}
  - {units: 1, activation: sigmoid, weights: [[0.5, 0.6]], bias: [0.3]}
randomize:
  weights: {range: [-0.9, 0.9]}
  biases: {range: [-0.5, 0.5]}
  inputs: {range: [0.1, 0.9], decimals: 1}
"""


def _values_of_update(spec, number):
    """Update ``number``'s values as ``derive solve`` computes them (exact, or the spec's carry_rounding)."""
    return update_problems(derive.load(spec))[number - 1].problem.values()


# ---------------------------------------------------------------- the answers

def test_update_2_answers_are_derive_solves_update_2():
    variants = generate_variants(XOR, 1, seed=3, ask=ALL)
    variant = variants.variants[0]
    values = _values_of_update(XOR, 2)
    asked = [q for q in variants.questions if q.update == 2]
    assert asked and {q.name for q in asked} >= {"out_n5", "delta_n3", "w35_new", "grad_theta5", "E_total"}
    for q in asked:
        if q.kind != "E_total_after":
            assert variant.answers[q.key] == values[q.name], q.key
    # the book's own first update (tests/test_online.py) and the second starting from it
    assert variant.answer_text("u1_out_n5", 4) == "0.5097"
    assert variant.answer_text("u2_out_n5", 4) == fixed(values["out_n5"], 4)
    # update 2 starts from update 1's new weights, not the spec's
    assert variant.updates[1].parameters["w35"] == update_problems(derive.load(XOR))[1].problem.network.parameters[6].value
    assert variant.updates[1].parameters["w35"] != variant.updates[0].parameters["w35"]


def test_variants_json_gives_each_update_under_checks_names():
    variants = generate_variants(XOR, 1, seed=3, ask="out:n5,updated:w35")
    data = json.loads(variants.to_json())
    assert data["asked"] == [f"u{k}_{name}" for k in (1, 2, 3, 4) for name in ("out_n5", "w35_new")]
    updates = data["variants"][0]["updates"]
    assert [(u["update"], u["examples"], u["after_steps"]) for u in updates] == [(1, [1], 0), (2, [2], 1), (3, [3], 2),
                                                                                   (4, [4], 3)]
    second = updates[1]
    assert second["answers"]["out_n5"] == data["variants"][0]["answers"]["u2_out_n5"]
    assert second["answers"]["out_n5"]["printed"] == variants.variants[0].answer_text("u2_out_n5", 6)
    # derive check reads these names with after_steps: the key's update 2 is a right hand solution
    report = check_claims(XOR, {"out_n5": second["answers"]["out_n5"]["printed"],
                                       "w35_new": second["answers"]["w35_new"]["printed"]}, after_steps=1)
    assert report.ok, report
    assert float(second["parameters"]["w35"]) == pytest.approx(float(variants.variants[0].answers["u1_w35_new"]))


def test_carry_rounding_carries_the_rounded_weights_as_derive_solve_does():
    text = RANDOM_ONLINE.split("randomize:")[0] + "conventions: {carry_rounding: 3}\n"
    variant = generate_variant(text, 1, 1, ask="out:o1,updated:w5")
    for number in (1, 2, 3):
        values = _values_of_update(text, number)
        assert variant.answers[f"u{number}_out_o1"] == values["out_o1"]
        assert variant.answers[f"u{number}_w5_new"] == values["w5_new"]
    assert variant.answers["u3_w5_new"] * 1000 == int(variant.answers["u3_w5_new"] * 1000)  # rounded to 3 places
    solution = derive.solve(text)  # the worked solution's update 3 starts from the same rounded weights
    assert solution.updates[2].problem.spec.layers[1].weights[0][0] == variant.updates[2].parameters["w5"]


def test_mini_batch_updates_name_their_examples():
    text = RANDOM_ONLINE.replace("update: online", "update: {batch_size: 2}").split("randomize:")[0]
    variants = generate_variants(text, 1, seed=0, ask="out:o1,grad:w5")
    keys = [q.key for q in variants.questions]
    assert keys == ["u1_out_o1__1", "u1_out_o1__2", "u1_grad_w5", "u2_out_o1", "u2_grad_w5"]
    assert [q.example for q in variants.questions] == [1, 2, None, None, None]  # u2's one example is example 3
    variant = variants.variants[0]
    assert variant.answers["u1_out_o1__2"] == _values_of_update(text, 1)["out_o1__2"]
    assert variant.answers["u2_grad_w5"] == _values_of_update(text, 2)["grad_w5"]
    assert [u.examples for u in variant.updates] == [(1, 2), (3,)]
    from derive.classroom.worksheet import key_body

    key = key_body(variant, variants.questions, 4)
    assert "Update 1 (examples 1, 2)" in key and "Update 2 (example 3)" in key
    assert r"\mathit{out}^{[2]}_{o1}" in key  # example 2 of update 1, by its number in the spec


def test_mini_batch_examples_keep_their_numbers_in_the_spec_as_check_reads_them():
    """Update 2 of ``batch_size: 2`` over four examples asks examples 3 and 4 (``__3``, ``__4``), the
    names ``derive solve`` and ``derive check`` give them, and a key's answers check as right."""
    from pathlib import Path

    import derive.spec

    text = (Path(derive.spec.__file__).parent / "examples" / f"{XOR}.yaml").read_text(encoding="utf-8")
    assert "\nupdate: online\n" in text
    text = text.replace("\nupdate: online\n", "\nupdate: {batch_size: 2}\n")
    variants = generate_variants(text, 1, seed=0, ask="out:n5")
    assert [q.key for q in variants.questions] == ["u1_out_n5__1", "u1_out_n5__2", "u2_out_n5__3", "u2_out_n5__4"]
    assert [q.example for q in variants.questions] == [1, 2, 3, 4]
    update = variants.variants[0].updates[1]
    assert update.examples == (3, 4)
    second = json.loads(variants.to_json())["variants"][0]["updates"][1]
    claims = {name: entry["printed"] for name, entry in second["answers"].items() if name.startswith("out_n5")}
    assert sorted(claims) == ["out_n5__3", "out_n5__4"]
    report = check_claims(text, {"after_steps": 1, **claims})
    assert [r.status for r in report.results] == ["ok", "ok"]


# ---------------------------------------------------------------- how many updates

def test_updates_limits_the_asked_updates_and_is_checked():
    variants = generate_variants(XOR, 1, seed=0, ask="out:n5", updates=2)
    assert [q.key for q in variants.questions] == ["u1_out_n5", "u2_out_n5"]
    assert len(variants.variants[0].updates) == 2
    for bad in (0, 5, "2", True):
        with pytest.raises(SpecError, match=r"^updates must be a whole number from 1 to 4 \(the spec's updates\); got"):
            generate_variants(XOR, 1, seed=0, updates=bad)
    with pytest.raises(SpecError, match="^updates applies to a spec with update: online"):
        generate_variants("2-2-2", 1, seed=0, updates=1)


def test_cli_updates_out_of_range_writes_nothing(tmp_path, capsys):
    out = tmp_path / "sheets"
    assert main(["worksheet", XOR, "--seed", "1", "--out", str(out), "--updates", "5"]) == 2
    err = capsys.readouterr().err
    assert "--updates must be a whole number from 1 to 4 (the spec's updates); got 5" in err
    assert "Traceback" not in err and not out.exists()
    assert main(["worksheet", XOR, "--seed", "1", "--out", str(out), "--updates", "0"]) == 2
    assert "--updates must be a whole number" in capsys.readouterr().err


# ---------------------------------------------------------------- poor exercises

def test_a_rule_firing_on_update_2_only():
    # example 2's input is 0: the gradient of w1 in update 2 is exactly 0, in update 1 it is not
    text = ("update: online\nlearning_rate: 0.5\nbatch:\n  - {inputs: [1], targets: [0.9]}\n"
            "  - {inputs: [0], targets: [0.1]}\nlayers:\n"
            "  - {units: 1, activation: sigmoid, weights: [[0.5]], bias: [0.1]}\n"
            "randomize: {weights: {range: [-0.9, 0.9]}, max_draws: 20}\n")
    one = generate_variants(text, 2, seed=4, ask="grad:w1", updates=1)
    assert one.report().endswith("none rejected")
    with pytest.raises(DeriveError, match=r"the rule that kept failing: an asked gradient is 0 .*\(20 of 20 draws\)"):
        generate_variants(text, 1, seed=4, ask="grad:w1")


def test_every_asked_update_passes_the_rules_and_the_draws_are_counted():
    variants = generate_variants(RANDOM_ONLINE, 4, seed=11, ask="forward,grad:*")
    for variant in variants.variants:
        for number in (1, 2, 3):
            for key, value in variant.answers.items():
                if key.startswith(f"u{number}_net_"):
                    assert abs(value) <= 4  # no saturated sigmoid in any update
                if key.startswith(f"u{number}_grad_"):
                    assert fixed(value, 6).strip("-0.") != ""  # no asked gradient rounding to 0
        weights = [w for layer in variant.spec.layers for row in layer.weights for w in row]
        assert len(set(weights)) == len(weights)
    assert variants.draws == sum(v.draws for v in variants.variants)


# ---------------------------------------------------------------- the documents

def _pdflatex_clean(tex_path):
    for _ in range(2):  # longtables settle on the second pass
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                              tex_path.name], cwd=tex_path.parent, capture_output=True, timeout=300)
        assert run.returncode == 0, run.stdout[-2000:]
    log = tex_path.with_suffix(".log").read_text(encoding="latin-1")
    assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line][:5]


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@needs_tex
def test_the_xor_example_as_a_worksheet_and_key(tmp_path):
    out = tmp_path / "xor"
    run = derive.make_worksheets(XOR, seed=1, out_dir=out, ask="out:n5,delta:n5,updated:w35", decimals=4)
    sheet, key = out / "variant-01-worksheet.pdf", out / "variant-01-key.pdf"
    assert sheet.exists() and key.exists() and (out / "worksheets.pdf").exists()
    sheet_text, key_text = _pdf_text(sheet), _pdf_text(key)
    for k in (1, 2, 3, 4):
        assert f"Update {k} (example {k})" in sheet_text and f"Update {k} (example {k})" in key_text
    # the sheet gives the starting weights only; the key the weights each later update starts from
    assert "each later update from the weights your previous update left" in " ".join(sheet_text.split())
    assert "The weights this update starts from" not in sheet_text and "The weights this update starts from" in key_text
    variant = run.variants.variants[0]
    for k in (1, 2, 3, 4):
        printed = variant.answer_text(f"u{k}_out_n5", 4)
        assert printed not in sheet_text.split() and printed in key_text
    assert variant.answer_text("u1_w35_new", 4).lstrip("-") in key_text  # update 2's starting w35, printed with it too
    for name in ("variant-01-worksheet.tex", "variant-01-key.tex"):
        _pdflatex_clean(out / name)


@needs_tex
def test_full_key_and_german_sheets_typeset_without_overfull_boxes(tmp_path):
    derive.make_worksheets(RANDOM_ONLINE, seed=2, out_dir=tmp_path / "de", key="full", lang="de", decimals=4)
    for name in ("variant-01-worksheet.tex", "variant-01-key.tex"):
        _pdflatex_clean(tmp_path / "de" / name)
    assert "Aktualisierung 2 (Beispiel 2)" in _pdf_text(tmp_path / "de" / "variant-01-key.pdf")


def test_german_and_spanish_sheets_hold_no_english():
    from derive.classroom.worksheet import key_body, latex_document, worksheet_body

    for lang in ("de", "es"):
        with derive.language(lang):
            variants = generate_variants(XOR, 1, seed=1, ask="out:n5,E_total_after,updated:w35", decimals=4)
            variant = variants.variants[0]
            text = latex_document([worksheet_body(variant, variants.questions, 4),
                                   key_body(variant, variants.questions, 4)])
            quiz = quiz_xml(variants, feedback=lambda v: "")
        visible = _visible_text_of(text, "tex", variant.spec.title)
        assert not _english_left(visible), (lang, _english_left(visible))
        assert ("Aktualisierung 2" if lang == "de" else "Actualización 2") in text
        assert "Update 2" not in text and "Update 2" not in quiz and "Work the updates" not in quiz


def test_same_seed_gives_byte_identical_files(tmp_path):
    for fmt in ("moodle", "pdf") if shutil.which("pdflatex") else ("moodle",):
        files = []
        for run in ("a", "b"):
            out = tmp_path / f"{fmt}-{run}"
            derive.make_worksheets(RANDOM_ONLINE, n=2, seed=7, out_dir=out, fmt=fmt, ask="out:o1,grad:w5", decimals=4)
            files.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
        assert files[0] == files[1] and len(files[0]) >= 2
    other = generate_variants(RANDOM_ONLINE, 2, seed=8, ask="out:o1").to_json()
    assert other != generate_variants(RANDOM_ONLINE, 2, seed=7, ask="out:o1").to_json()


# ---------------------------------------------------------------- LMS exports

def test_moodle_blanks_are_unique_per_update_and_moodle_reads_them():
    variants = generate_variants(RANDOM_ONLINE, 2, seed=5, ask="out:o1,delta:o1,grad:w5,updated:w5", decimals=4)
    keys = [q.key for q in variants.questions]
    assert len(keys) == len(set(keys)) == 12
    carried = carried_answers(variants)
    root = ET.fromstring(quiz_xml(variants).encode("utf-8"))
    for question, variant in zip(root.findall("question")[1:], variants.variants):
        text = question.findtext("questiontext/text")
        blanks = extract_blanks(text)
        assert len(blanks) == 12 and all(b.numerical for b in blanks)
        for blank, asked in zip(blanks, variants.questions):
            assert blank.grade(float(variant.answers[asked.key])) == 1.0
            assert blank.grade(float(variant.answer_text(asked.key, 4))) == 1.0
            if carried[variant.index].get(asked.key) is not None:  # the weights carried rounded, update to update
                assert blank.grade(float(carried[variant.index][asked.key])) == 1.0
        assert [text.index(f"Update {k} (example {k})") for k in (1, 2, 3)] == sorted(
            text.index(f"Update {k} (example {k})") for k in (1, 2, 3))


def _online_exam(tmp_path):
    exam = tmp_path / "exam.yaml"
    (tmp_path / "online.yaml").write_text(RANDOM_ONLINE)
    exam.write_text("title: Online quiz\ndecimals: 4\nquestions:\n"
                    "  - spec: online.yaml\n    ask: \"out:o1,grad:w5\"\n    updates: 2\n    points: 4\n"
                    f"  - spec: {XOR}\n    ask: \"delta:n5\"\n    points: 2\n")
    return exam


def test_qti_items_are_valid_and_name_their_update(tmp_path, capsys):
    exam = _online_exam(tmp_path)
    assert main(["exam", str(exam), "--seed", "3", "-n", "2", "--out", str(tmp_path / "q"), "-f", "qti", "-q"]) == 0
    doc = etree.fromstring(zipfile.ZipFile(tmp_path / "q" / "qti.zip").read("assessment.xml"))
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "qti" / "ims_qtiasiv1p2.xsd")))
    assert schema.validate(doc), schema.error_log
    items = list(doc.iter("{*}item"))
    idents = [item.get("ident") for item in items]
    assert len(idents) == len(set(idents)) == 2 * (4 + 4)  # 2 papers × (2 updates × 2 + 4 updates × 1)
    texts = [etree.tostring(item, encoding="unicode") for item in items]
    assert any("in update 2" in t for t in texts) and any("in update 4" in t for t in texts)


def test_exam_json_and_prairielearn_keep_every_update_apart(tmp_path, capsys):
    exam = _online_exam(tmp_path)
    papers = draw_papers(derive.load_exam(exam), 3, 1)
    first = papers[0].questions[0]
    assert [q.key for q in first.questions] == ["u1_out_o1", "u1_grad_w5", "u2_out_o1", "u2_grad_w5"]
    assert main(["exam", str(exam), "--seed", "3", "--out", str(tmp_path / "pl"), "-f", "prairielearn", "-q"]) == 0
    element_schema = json.loads((SCHEMAS / "prairielearn-pl-number-input.json").read_text())
    formats = jsonschema.FormatChecker()
    formats.checks("number")(_number)
    for folder in sorted((tmp_path / "pl").iterdir()):
        parser = _Inputs()
        parser.feed((folder / "question.html").read_text())
        names = [i["answers-name"] for i in parser.inputs]
        assert len(names) == len(set(names)) and all(n.startswith("u") for n in names)
        for attributes in parser.inputs:
            jsonschema.Draft4Validator(element_schema, format_checker=formats).validate(attributes)
        data = {"params": {}, "correct_answers": {}, "variant_seed": 9}
        _server(folder).generate(data)
        assert sorted(data["correct_answers"]) == sorted(names)
        json.dumps(data)
    online = tmp_path / "pl" / "q1-online"
    data = {"params": {}, "correct_answers": {}, "variant_seed": 9}
    _server(online).generate(data)
    variant = generate_variant(online / "spec.yaml", 9, 1, ask="out:o1,grad:w5", decimals=4, updates=2)
    assert data["correct_answers"]["u2_grad_w5"] == float(variant.answers["u2_grad_w5"])
    assert "Update 2 (example 2)" in (online / "question.html").read_text()


def test_exam_updates_field_is_checked_with_its_line(tmp_path):
    exam = _online_exam(tmp_path)
    exam.write_text(exam.read_text().replace("updates: 2", "updates: 7"))
    with pytest.raises(SpecError, match=r"exam.yaml:6: questions\[0\].updates must be a whole number from 1 to 3; got 7"):
        derive.load_exam(exam)
    exam.write_text(exam.read_text().replace("spec: online.yaml", "spec: 2-2-2"))
    with pytest.raises(SpecError, match=r"questions\[0\].updates only applies to specs with update: online"):
        derive.load_exam(exam)


@needs_tex
def test_exam_pdfs_of_an_online_question(tmp_path):
    exam = _online_exam(tmp_path)
    run = derive.make_exam(exam, seed=3, students=1, out_dir=tmp_path / "e")
    data = json.loads((tmp_path / "e" / "exam.json").read_text())
    question = data["students"][0]["questions"][0]
    assert question["asked"] == ["u1_out_o1", "u1_grad_w5", "u2_out_o1", "u2_grad_w5"]
    assert [u["update"] for u in question["updates"]] == [1, 2]
    key = _pdf_text(tmp_path / "e" / "variant-01-key.pdf")
    variant = run.papers[0].questions[0].variant
    assert "Update 2 (example 2)" in key and variant.answer_text("u2_grad_w5", 4) in key
    for name in ("variant-01-exam.tex", "variant-01-key.tex"):
        _pdflatex_clean(tmp_path / "e" / name)


@settings(max_examples=15, deadline=None)
@given(spec=networks(max_layers=2, max_units=2, max_examples=3, batch=True, losses=("half_sse", "sse", "mse"),
                     activations=("sigmoid", "tanh", "linear")),
       size=st.integers(1, 2))
def test_a_sheets_weights_after_each_update_match_a_pytorch_sgd_loop(spec, size):
    import torch

    from torch_net import TorchNet

    assume(len(spec["batch"]) >= 2)
    spec["update"] = {"batch_size": min(size, len(spec["batch"]) - 1)}
    problem = derive.load(spec)
    variant = generate_variant(spec, 0, 1, ask="updated:*")
    net = TorchNet(problem)
    inputs, targets = net.inputs, net.targets
    optimizer = torch.optim.SGD(net.trained, lr=float(problem.spec.learning_rate))
    for number, group in enumerate(problem.spec.update_groups, start=1):
        net.inputs, net.targets = inputs[list(group)], targets[list(group)]
        optimizer.zero_grad()
        net.loss().backward()
        optimizer.step()
        after = net.parameters()
        for p in problem.network.parameters:
            if p.trainable:
                assert float(variant.answers[f"u{number}_{p.name}_new"]) == pytest.approx(after[p.name], rel=1e-9,
                                                                                        abs=1e-9)
