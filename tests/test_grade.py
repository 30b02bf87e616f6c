"""derive grade through the real command line: a class's roster and claims files, real files, real TeX."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import pytest

from derive.cli import main

ASK = "forward,E_total,grad:w5,grad:w1"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A worksheet run of three variants (Moodle format: no TeX needed) and its variants.json."""
    folder = tmp_path_factory.mktemp("class")
    assert main(["worksheet", "2-2-2-exercise", "-n", "3", "-s", "11", "-f", "moodle", "-o", str(folder / "ws"),
                 "--ask", ASK, "-q"]) == 0
    data = json.loads((folder / "ws" / "variants.json").read_text())
    return folder, data


def grades(path) -> dict:
    with path.open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def printed(data, index: int, key: str) -> str:
    return data["variants"][index - 1]["answers"][key]["printed"]


def given(data, index: int, name: str) -> str:
    return str(float(data["variants"][index - 1]["parameters"][name]))  # as the solution prints it


def sigmoid_text(net: str, places: int = 6) -> str:
    """σ(net) printed, computed independently of derive (floats are ample at 6 places here)."""
    return f"{1 / (1 + math.exp(-float(net))):.{places}f}"


def roster_text(data) -> str:
    header = "student,variant,net_h1,out_h1,net_o1,E_total,dE/dw5,not_a_quantity"
    good = ",".join(["ann", "1"] + [printed(data, 1, k) for k in ("net_h1", "out_h1", "net_o1", "E_total",
                                                                   "grad_w5")] + [""])
    slip = f"{float(printed(data, 2, 'net_h1')) + 0.1234:.6f}"  # bob's net_h1 is wrong; his out_h1 is σ of it
    carried = ",".join(["bob", "2", slip, sigmoid_text(slip), "", printed(data, 2, "E_total"), "", ""])
    return "\n".join([header, good, carried, ",2,1,1,1,1,1,", "dee,7,1,1,1,1,1,", "eve,3,0.5,x1,,,,",
                      "ann,3,1,,,,,"]) + "\n"


def test_a_class_is_graded_and_bad_rows_are_reported_by_row_and_column(run, capsys):
    folder, data = run
    (folder / "roster.csv").write_text(roster_text(data))
    out = folder / "out"
    code = main(["grade", "2-2-2-exercise", str(folder / "ws" / "variants.json"), "--roster",
                 str(folder / "roster.csv"), "-o", str(out), "-q", "--no-pdf"])
    err = capsys.readouterr().err
    assert code == 1  # graded, with problems
    assert "roster.csv row 1, column not_a_quantity: is not a quantity of this network" in err
    assert "roster.csv row 4, column student: missing student id" in err
    assert "roster.csv row 5, column variant: no variant 7 in variants.json (there are 1 to 3)" in err
    assert "roster.csv row 6, column out_h1: not a number: 'x1'" in err
    assert "roster.csv row 7, column student: student 'ann' appears a second time" in err
    rows = grades(out / "grades.csv")
    assert sorted(rows) == ["ann", "bob", "eve"]
    asked = len(data["asked"])
    assert rows["ann"]["score"] == "5" and rows["ann"]["out_of"] == str(asked)
    assert [rows["ann"][k] for k in ("net_h1", "out_h1", "net_o1", "E_total", "grad_w5", "grad_w1")] == \
        ["right"] * 5 + ["not answered"]
    assert rows["bob"]["net_h1"] == "wrong" and rows["bob"]["out_h1"] == "follow-through"
    assert rows["bob"]["root_errors"] == "net_h1" and rows["bob"]["score"] == "2"  # out_h1 and E_total
    assert rows["eve"]["out_h1"] == "not answered" and "column out_h1: not a number" in rows["eve"]["problems"]
    feedback = (out / "feedback" / "bob.md").read_text()
    assert "follows through from net\\_h1" in feedback and "**Score: 2 of" in feedback
    assert f"= {given(data, 2, 'w1')} \\cdot {given(data, 2, 'x1')}" in feedback  # bob's own variant's step
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ann.md", "bob.md", "eve.md"]


def test_claims_folder_with_worked_steps_and_pdf_feedback(run, capsys):
    folder, data = run
    claims = folder / "claims"
    claims.mkdir()
    net = f"{float(printed(data, 3, 'net_o1')) - 0.25:.4f}"  # a wrong net_o1, then out_o1 from it
    (claims / "fay.yaml").write_text(f"variant: 3\nnet_h1: {printed(data, 3, 'net_h1')}\nnet_o1: {net}\n"
                                     f"out_o1: {sigmoid_text(net)}\n")
    (claims / "gus.yaml").write_text("variant: 3\nnet_h1: [0.5\n")
    (claims / "hal.json").write_text('{"net_h1": 0.5}')
    out = folder / "out2"
    code = main(["grade", "2-2-2-exercise", str(folder / "ws" / "variants.json"), "--claims", str(claims),
                 "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 1 and "gus.yaml:3" in err and "invalid YAML" in err
    assert "hal.json, column variant: missing variant number" in err
    rows = grades(out / "grades.csv")
    assert list(rows) == ["fay"] and rows["fay"]["net_o1"] == "wrong" and rows["fay"]["out_o1"] == "follow-through"
    text = subprocess.run(["pdftotext", str(out / "feedback" / "fay.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Feedback for fay" in text and "follows through from net_o1" in text and "Where it went wrong" in text


def test_a_scheme_sets_points_and_turns_follow_through_credit_off(run, capsys):
    folder, data = run
    (folder / "roster2.csv").write_text(roster_text(data))
    (folder / "scheme.yaml").write_text("points: {E: 4}\nfollow_through: false\n")
    out = folder / "out3"
    main(["grade", "2-2-2-exercise", str(folder / "ws" / "variants.json"), "--roster", str(folder / "roster2.csv"),
          "--scheme", str(folder / "scheme.yaml"), "-o", str(out), "-q", "--no-pdf"])
    capsys.readouterr()
    rows = grades(out / "grades.csv")
    assert rows["bob"]["score"] == "4" and rows["bob"]["out_of"] == str(len(data["asked"]) + 3)
    assert rows["ann"]["score"] == "8"


def test_variants_from_another_spec_are_refused(run, tmp_path, capsys):
    folder, data = run
    (tmp_path / "r.csv").write_text("student,variant\nann,1\n")
    code = main(["grade", "2-2-2", str(folder / "ws" / "variants.json"), "--roster", str(tmp_path / "r.csv"),
                 "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "variants.json was not made from this spec" in err
    assert not (tmp_path / "out").exists()


def test_after_steps_in_a_claims_file_of_a_batch_sheet_is_reported_and_ignored(run, tmp_path, capsys):
    folder, data = run
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "ivy.yaml").write_text(f"variant: 2\nafter_steps: 1\nE_total: {printed(data, 2, 'E_total')}\n")
    (claims / "jon.yaml").write_text("variant: 2\nafter_steps: 1\n")
    out = tmp_path / "out"
    code = main(["grade", "2-2-2-exercise", str(folder / "ws" / "variants.json"), "--claims", str(claims),
                 "-o", str(out), "-q", "--no-pdf"])
    err = capsys.readouterr().err
    assert code == 1
    assert (f"{claims / 'ivy.yaml'}:2, column after_steps: is for derive check; this sheet's answers are of the "
            "network before any training step, so leave after_steps out; ignored") in err
    rows = grades(out / "grades.csv")
    assert rows["ivy"]["E_total"] == "right" and rows["ivy"]["score"] == "1"  # marked before training, not after
    assert rows["jon"]["score"] == "0" and "not graded" not in err
