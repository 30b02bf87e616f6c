"""derive grade of an online or mini-batch sheet: ``u<k>_`` answers marked against their own update, with
follow-through from a student's own new weights into the next update, through the real command line.

The follow-through numbers are computed here with plain floats from the key's printed starting weights
(a 2-2-1 sigmoid network: net = Σ w·x + b, E = ½(t − out)², w⁺ = w − η ∂E/∂w), checked first against the key.
"""

from __future__ import annotations

import csv
import json
import math
from fractions import Fraction

import pytest

from derive.classroom.grade import grade_class
from derive.classroom.variants import generate_variants
from derive.cli import main
from derive.errors import SpecError

from test_online_worksheets import RANDOM_ONLINE

ASK = "out:o1,updated:w5"


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    """A spec file, the variants.json of three variants of it, and that file's data."""
    folder = tmp_path_factory.mktemp("online")
    spec = folder / "online.yaml"
    spec.write_text(RANDOM_ONLINE)
    (folder / "variants.json").write_text(generate_variants(str(spec), 3, seed=5, ask=ASK).to_json())
    return folder, spec, json.loads((folder / "variants.json").read_text())


def rows(path) -> dict:
    with path.open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def printed(data, index: int, key: str) -> str:
    return data["variants"][index - 1]["answers"][key]["printed"]


def grade(folder, spec, roster_text: str, *extra) -> tuple[int, str]:
    (folder / "roster.csv").write_text(roster_text)
    out = folder / "out"
    code = main(["grade", str(spec), str(folder / "variants.json"), "--roster", str(folder / "roster.csv"),
                 "-o", str(out), "-q", "--no-pdf", "--force", *extra])
    return code, out


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def update_by_hand(p: dict, x: tuple, t: float, eta: float) -> tuple[float, float]:
    """(out_o1, w5_new) of one online update of the 2-2-1 network from the parameters ``p``."""
    h1 = sigmoid(p["w1"] * x[0] + p["w2"] * x[1] + p["b_h1"])
    h2 = sigmoid(p["w3"] * x[0] + p["w4"] * x[1] + p["b_h2"])
    out = sigmoid(p["w5"] * h1 + p["w6"] * h2 + p["b_o1"])
    return out, p["w5"] - eta * (out - t) * out * (1 - out) * h1


def new_weights_by_hand(p: dict, x: tuple, t: float, eta: float) -> dict:
    """Every parameter after one online update of the 2-2-1 network from ``p`` (backprop written out)."""
    h1 = sigmoid(p["w1"] * x[0] + p["w2"] * x[1] + p["b_h1"])
    h2 = sigmoid(p["w3"] * x[0] + p["w4"] * x[1] + p["b_h2"])
    out = sigmoid(p["w5"] * h1 + p["w6"] * h2 + p["b_o1"])
    d_o = (out - t) * out * (1 - out)
    d_h1, d_h2 = d_o * p["w5"] * h1 * (1 - h1), d_o * p["w6"] * h2 * (1 - h2)
    grads = {"w5": d_o * h1, "w6": d_o * h2, "b_o1": d_o, "w1": d_h1 * x[0], "w2": d_h1 * x[1], "b_h1": d_h1,
             "w3": d_h2 * x[0], "w4": d_h2 * x[1], "b_h2": d_h2}
    return {name: p[name] - eta * grad for name, grad in grads.items()}


def starting(data, index: int, number: int) -> dict:
    """The parameters update ``number`` of variant ``index`` starts from, as the key prints them."""
    update = data["variants"][index - 1]["updates"][number - 1]
    return {name: float(Fraction(text)) for name, text in update["parameters"].items()}


def example(data, index: int, n: int) -> tuple[tuple, float]:
    parameters = data["variants"][index - 1]["parameters"]
    return (float(parameters[f"x1__{n}"]), float(parameters[f"x2__{n}"])), float(parameters[f"t_o1__{n}"])


def full_marks_roster(data) -> str:
    lines = ["student,variant," + ",".join(data["asked"])]
    for variant in data["variants"]:
        index = variant["index"]
        lines.append(f"s{index},{index}," + ",".join(printed(data, index, k) for k in data["asked"]))
    return "\n".join(lines) + "\n"


def test_a_class_answering_every_update_from_the_key_gets_full_marks(sheet):
    folder, spec, data = sheet
    assert data["asked"] == [f"u{k}_{q}" for k in (1, 2, 3) for q in ("out_o1", "w5_new")]
    code, out = grade(folder, spec, full_marks_roster(data))
    assert code == 0
    found = rows(out / "grades.csv")
    assert sorted(found) == ["s1", "s2", "s3"]
    for row in found.values():
        assert row["score"] == row["out_of"] == "6" and row["percent"] == "100.0"
        assert [row[k] for k in data["asked"]] == ["right"] * 6 and row["root_errors"] == ""


def test_a_wrong_new_weight_carries_into_the_next_update_as_follow_through(sheet):
    folder, spec, data = sheet
    eta = float(data["variants"][0]["parameters"]["eta"])
    x2, t2 = example(data, 1, 2)
    key = starting(data, 1, 2)
    out, w5 = update_by_hand(key, x2, t2, eta)  # the hand computation agrees with the key first
    assert f"{out:.6f}" == printed(data, 1, "u2_out_o1") and f"{w5:.6f}" == printed(data, 1, "u2_w5_new")
    assert new_weights_by_hand(key, x2, t2, eta)["w5"] == w5
    assert {k: f"{v:.9f}" for k, v in new_weights_by_hand(key, x2, t2, eta).items()} == \
        {k: f"{v:.9f}" for k, v in starting(data, 1, 3).items()}
    slip = float(f"{key['w5'] + 0.1:.6f}")  # bob's update-1 w5 is 0.1 too big; his update 2 is right from it
    own_out, own_w5 = update_by_hand({**key, "w5": slip}, x2, t2, eta)
    x3, t3 = example(data, 1, 3)
    # update 3 from his own update-2 w5 and, where he wrote no new weight, the ones his own update 2 makes
    later = {**new_weights_by_hand({**key, "w5": slip}, x2, t2, eta), "w5": float(f"{own_w5:.6f}")}
    out3, w53 = update_by_hand(later, x3, t3, eta)
    u1 = f"{printed(data, 1, 'u1_out_o1')},{slip:.6f}"
    text = ("student,variant," + ",".join(data["asked"]) + "\n"
            f"bob,1,{u1},{own_out:.6f},{own_w5:.6f},{out3:.6f},{w53:.6f}\n"
            f"cy,1,{u1},{own_out + 0.05:.6f},,,\n"  # not from his own weights either: wrong
            f"dee,1,{u1},{printed(data, 1, 'u2_out_o1')},,,\n")  # update 2 from the key's weights: right
    code, out_dir = grade(folder, spec, text)
    assert code == 0
    found = rows(out_dir / "grades.csv")
    bob = found["bob"]
    assert [bob[k] for k in data["asked"]] == ["right", "wrong"] + ["follow-through"] * 4
    assert bob["root_errors"] == "u1_w5_new" and bob["score"] == "5"
    assert found["cy"]["u2_out_o1"] == "wrong" and found["cy"]["root_errors"] == "u1_w5_new; u2_out_o1"
    assert found["dee"]["u2_out_o1"] == "right"
    feedback = (out_dir / "feedback" / "bob.md").read_text()
    assert "follows through from u1\\_w5\\_new" in feedback and "### u1\\_w5\\_new" in feedback
    assert "w_{5}^{+}" in feedback  # the worked step of update 1's w5


def test_follow_through_credit_is_the_schemes_share(sheet, tmp_path):
    folder, spec, data = sheet
    eta = float(data["variants"][0]["parameters"]["eta"])
    x2, t2 = example(data, 1, 2)
    key = starting(data, 1, 2)
    slip = key["w5"] - 0.2
    own_out, _ = update_by_hand({**key, "w5": slip}, x2, t2, eta)
    (tmp_path / "scheme.yaml").write_text("follow_through: 0.5\npoints: {u2_out_o1: 4}\n")
    grades = grade_class(str(spec), folder / "variants.json", roster=_write(tmp_path, (
        "student,variant,u1_w5_new,u2_out_o1\n" f"bob,1,{slip:.6f},{own_out:.6f}\n")),
        scheme=tmp_path / "scheme.yaml")
    bob = grades.students[0]
    assert bob.verdicts["u2_out_o1"] == "follow_through"
    assert (bob.earned, bob.possible) == (Fraction(2), Fraction(1 + 4 + 1 + 1 + 1 + 1))


def _write(folder, text: str):
    path = folder / "r.csv"
    path.write_text(text)
    return path


def test_an_update_the_sheet_does_not_ask_is_named_with_row_or_line(sheet, capsys):
    folder, spec, data = sheet
    text = f"student,variant,u1_out_o1,u9_out_o1,out_o1\nann,1,{printed(data, 1, 'u1_out_o1')},0.5,0.5\n"
    code, out = grade(folder, spec, text)
    err = capsys.readouterr().err
    assert code == 1
    assert "roster.csv row 1, column u9_out_o1: names update 9; this sheet asks updates 1 to 3; column ignored" in err
    assert "roster.csv row 1, column out_o1: names no update; on this sheet an answer is named u1_ to u3_" in err
    assert rows(out / "grades.csv")["ann"]["u1_out_o1"] == "right"
    claims = folder / "claims"
    claims.mkdir(exist_ok=True)
    (claims / "bo.yaml").write_text(f"variant: 2\nu1_out_o1: {printed(data, 2, 'u1_out_o1')}\nu9_dE/dw5: 0.1\n")
    code = main(["grade", str(spec), str(folder / "variants.json"), "--claims", str(claims), "-o",
                 str(folder / "c"), "-q", "--no-pdf", "--force"])
    err = capsys.readouterr().err
    assert code == 1 and "bo.yaml:3, column u9_dE/dw5: names update 9; this sheet asks updates 1 to 3" in err
    assert rows(folder / "c" / "grades.csv")["bo"]["u1_out_o1"] == "right"


def test_a_claims_file_names_quantities_as_check_reads_them(sheet, tmp_path):
    folder, spec, data = sheet
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "ed.yaml").write_text(f"variant: 3\nu2_out_o1: {printed(data, 3, 'u2_out_o1')}\n"
                                    f"u2_w5+: {printed(data, 3, 'u2_w5_new')}\n"
                                    f"u3_dE/dw5: {printed(data, 3, 'u3_grad_w5')}\n")
    grades = grade_class(str(spec), folder / "variants.json", claims=claims)
    ed = grades.students[0]
    assert grades.problems == [] and ed.verdicts == {**dict.fromkeys(data["asked"]), "u2_out_o1": "ok",
                                                     "u2_w5_new": "ok"}
    assert {r.claim.name: r.status for r in ed.report.results}["u3_dE/dw5"] == "ok"


def _near_roster(tmp_path, data):
    """A roster whose ann writes every update's out_o1 0.005 above the key's."""
    near = [f"{float(printed(data, 1, f'u{k}_out_o1')) + 0.005:.6f}" for k in (1, 2, 3)]
    return _write(tmp_path, f"student,variant,u1_out_o1,u2_out_o1,u3_out_o1\nann,1,{','.join(near)}\n")


def test_a_marking_tolerance_applies_to_every_update_and_a_u_k_entry_to_its_own(sheet, tmp_path):
    folder, _, data = sheet
    spec = tmp_path / "marked.yaml"
    spec.write_text(RANDOM_ONLINE + "marking:\n  tolerances:\n    out_o1: absolute=0.01\n"
                                    "    u2_out_o1: absolute=0.0001\n")
    roster = _near_roster(tmp_path, data)
    grades = grade_class(str(spec), folder / "variants.json", roster=roster)
    verdicts = grades.students[0].verdicts
    assert [verdicts[f"u{k}_out_o1"] for k in (1, 2, 3)] == ["ok", "wrong", "ok"]
    spec.write_text(RANDOM_ONLINE + "marking:\n  tolerances:\n    u2_out_o9: absolute=0.01\n")
    with pytest.raises(SpecError, match=r"marked.yaml:\d+: marking.tolerances.u2_out_o9 is not a quantity"):
        grade_class(str(spec), folder / "variants.json", roster=roster)


def test_grading_twice_writes_the_same_bytes(sheet):
    folder, spec, data = sheet
    text = full_marks_roster(data).replace(printed(data, 2, "u1_w5_new"), "0.123456")
    outputs = []
    for name in ("a", "b"):
        (folder / "roster.csv").write_text(text)
        assert main(["grade", str(spec), str(folder / "variants.json"), "--roster", str(folder / "roster.csv"),
                     "-o", str(folder / name), "-q", "--no-pdf"]) == 0
        outputs.append({p.relative_to(folder / name): p.read_bytes() for p in sorted((folder / name).rglob("*"))
                        if p.is_file()})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 4  # grades.csv and three feedback files
    assert rows(folder / "a" / "grades.csv")["s2"]["root_errors"] == "u1_w5_new"


def test_a_mini_batch_sheet_is_graded_by_its_updates_own_names(tmp_path):
    spec = tmp_path / "mini.yaml"
    spec.write_text(RANDOM_ONLINE.replace("update: online", "update: {batch_size: 2}"))
    (tmp_path / "variants.json").write_text(generate_variants(str(spec), 1, seed=2, ask="out:o1,grad:w5").to_json())
    data = json.loads((tmp_path / "variants.json").read_text())
    assert data["asked"] == ["u1_out_o1__1", "u1_out_o1__2", "u1_grad_w5", "u2_out_o1", "u2_grad_w5"]
    grades = grade_class(str(spec), tmp_path / "variants.json", roster=_write(tmp_path, full_marks_roster(data)))
    assert grades.problems == [] and set(grades.students[0].verdicts.values()) == {"ok"}
    assert grades.students[0].earned == 5


def test_check_reads_a_u_k_tolerance_for_its_update_only(tmp_path):
    from derive.classroom.check import check_claims
    from derive.engine.updates import update_problems
    import derive

    spec = tmp_path / "marked.yaml"
    spec.write_text(RANDOM_ONLINE.replace("randomize:", "unused:").split("unused:")[0]
                    + "marking:\n  tolerances:\n    out_o1: absolute=0.01\n    u2_out_o1: absolute=0.0001\n")
    updates = update_problems(derive.load(str(spec)))
    statuses = []
    for number in (1, 2, 3):
        near = f"{float(updates[number - 1].problem.values()['out_o1']) + 0.005:.6f}"
        report = check_claims(str(spec), {"out_o1": near, "after_steps": number - 1})
        statuses.append(report.results[0].status)
    assert statuses == ["ok", "wrong", "ok"]


def test_quiz_exports_take_a_u_k_tolerance_for_its_update(tmp_path):
    import xml.etree.ElementTree as ET

    from derive.classroom.moodle import quiz_xml
    from derive.classroom.scheme import tolerance_of
    from derive.spec import load_spec
    from moodle_cloze import extract_blanks

    spec = tmp_path / "marked.yaml"
    spec.write_text(RANDOM_ONLINE + "marking:\n  tolerances:\n    out_o1: absolute=0.01\n"
                                    "    u2_out_o1: absolute=0.002\n")
    loaded = load_spec(str(spec))
    assert [str(tolerance_of(loaded, f"u{k}_out_o1")) for k in (1, 2, 3)] == \
        ["absolute=0.01", "absolute=0.002", "absolute=0.01"]
    assert str(tolerance_of(loaded, "u2_w5_new")) == "shown"
    root = ET.fromstring(quiz_xml(generate_variants(str(spec), 1, seed=5, ask="out:o1")).encode("utf-8"))
    radii = [Fraction(blank.answers[0].tolerance) for q in root.findall("question")[1:]
             for blank in extract_blanks(q.findtext("questiontext/text"))]
    assert radii == [Fraction(1, 100), Fraction(2, 1000), Fraction(1, 100)]


def test_new_weights_rounded_as_written_and_carried_on_are_right(sheet, tmp_path):
    folder, spec, data = sheet
    eta = float(data["variants"][0]["parameters"]["eta"])
    x2, t2 = example(data, 1, 2)
    key = starting(data, 1, 2)
    rounded = f"{key['w5']:.2f}"  # right as written (to its 2 places); update 2 worked from it
    own_out, _ = update_by_hand({**key, "w5": float(rounded)}, x2, t2, eta)
    assert f"{own_out:.6f}" != printed(data, 1, "u2_out_o1")  # the key alone would call it wrong
    roster = _write(tmp_path, f"student,variant,u1_w5_new,u2_out_o1\nfay,1,{rounded},{own_out:.6f}\n")
    fay = grade_class(str(spec), folder / "variants.json", roster=roster).students[0]
    assert fay.verdicts == {**dict.fromkeys(data["asked"]), "u1_w5_new": "ok", "u2_out_o1": "ok"}
    assert [r.match for r in fay.report.results][1] == "carried" and fay.earned == 2


def test_after_steps_in_a_claims_file_says_to_name_answers_by_update(sheet, tmp_path):
    folder, spec, data = sheet
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "gus.yaml").write_text(f"variant: 1\nafter_steps: 1\nu2_out_o1: {printed(data, 1, 'u2_out_o1')}\n")
    grades = grade_class(str(spec), folder / "variants.json", claims=claims)
    assert [str(p) for p in grades.problems] == [
        f"{claims / 'gus.yaml'}:2, column after_steps: is for derive check; derive grade marks each answer by its "
        "update, so name the answers u1_ to u3_ and the quantity (u3_out_n5 is out_n5 of update 3) and leave "
        "after_steps out; not graded"]
    assert grades.students[0].verdicts["u2_out_o1"] == "ok"


def test_a_schemes_plain_entry_beats_the_specs_u_k_entry_and_within_a_layer_u_k_wins(sheet, tmp_path):
    folder, _, data = sheet
    spec = tmp_path / "marked.yaml"
    spec.write_text(RANDOM_ONLINE + "marking:\n  tolerances:\n    u2_out_o1: absolute=0.0001\n"
                                    "  points:\n    u2_out_o1: 5\n")
    roster = _near_roster(tmp_path, data)
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text("tolerances: {out_o1: absolute=0.01}\npoints: {out_o1: 2}\n")
    ann = grade_class(str(spec), folder / "variants.json", roster=roster, scheme=scheme).students[0]
    assert [ann.verdicts[f"u{k}_out_o1"] for k in (1, 2, 3)] == ["ok", "ok", "ok"]  # the command's layer wins
    assert ann.earned == 6
    scheme.write_text("tolerances: {out_o1: absolute=0.01, u3_out_o1: absolute=0.0001}\n")
    ann = grade_class(str(spec), folder / "variants.json", roster=roster, scheme=scheme).students[0]
    assert [ann.verdicts[f"u{k}_out_o1"] for k in (1, 2, 3)] == ["ok", "ok", "wrong"]  # u3_ beats plain within
    assert ann.earned == 1 + 5  # the spec's u2_ points stand: the command names no points
    spec.write_text(RANDOM_ONLINE + "marking:\n  tolerances:\n    out_o1: absolute=0.01\n")
    scheme.write_text("tolerances: {u2_out_o1: absolute=0.0001}\n")
    ann = grade_class(str(spec), folder / "variants.json", roster=roster, scheme=scheme).students[0]
    assert [ann.verdicts[f"u{k}_out_o1"] for k in (1, 2, 3)] == ["ok", "wrong", "ok"]


def _value(spec, key: str):
    """``key`` of update 1 of ``spec`` (a batch spec: its one update), as derive solve computes it."""
    from derive.engine.problem import Problem
    from derive.engine.updates import update_problems

    return update_problems(Problem(spec))[0].problem.values()[key]


@pytest.mark.parametrize("update", ["online", "batch"])
def test_a_roster_column_de_dnet_keeps_its_sign_under_error_term_negative(tmp_path, update):
    spec = tmp_path / "negative.yaml"
    text = RANDOM_ONLINE + "conventions: {error_term: negative}\n"
    spec.write_text(text if update == "online" else text.replace("update: online\n", ""))
    (tmp_path / "variants.json").write_text(generate_variants(str(spec), 1, seed=5, ask="out:o1").to_json())
    name = "u1_dE/dnet_o1" if update == "online" else "dE/dnet_o1__1"  # δ = −∂E/∂net: the column is −δ
    grades = grade_class(str(spec), tmp_path / "variants.json", roster=_write(tmp_path, "student,variant\nx,1\n"))
    delta = _value(grades.variants[1].spec, "delta_o1" if update == "online" else "delta_o1__1")
    assert delta != 0
    roster = _write(tmp_path, f"student,variant,{name}\nann,1,{-delta:.6f}\nbob,1,{delta:.6f}\n")
    grades = grade_class(str(spec), tmp_path / "variants.json", roster=roster)
    status = {g.student: {r.claim.name: r.status for r in g.report.results} for g in grades.students}
    assert grades.problems == []
    assert status == {"ann": {name: "ok"}, "bob": {name: "wrong"}}


def test_a_second_roster_column_of_one_quantity_is_ignored_and_named(sheet, tmp_path):
    folder, spec, data = sheet
    right = printed(data, 1, "u1_out_o1")
    roster = _write(tmp_path, f"student,variant,u1_out_o1,u1 out_o1\nann,1,{right},0.1\n")
    grades = grade_class(str(spec), folder / "variants.json", roster=roster)
    assert [str(p) for p in grades.problems] == [
        "r.csv row 1, column u1 out_o1: is u1_out_o1 again (first as column u1_out_o1); column ignored"]
    assert grades.students[0].verdicts["u1_out_o1"] == "ok"


def test_follow_through_runs_the_students_own_weights_through_an_update_they_left_unwritten(sheet, tmp_path):
    folder, spec, data = sheet
    eta = float(data["variants"][0]["parameters"]["eta"])
    (x2, t2), (x3, t3) = example(data, 1, 2), example(data, 1, 3)
    key = starting(data, 1, 2)
    slip = float(f"{key['w5'] - 0.15:.6f}")  # wrong update-1 w5, no update-2 new weights, update 3 answered
    own2 = new_weights_by_hand({**key, "w5": slip}, x2, t2, eta)
    own_out3, own_w53 = update_by_hand(own2, x3, t3, eta)
    assert f"{own_out3:.6f}" != printed(data, 1, "u3_out_o1")  # the key alone calls it wrong
    assert f"{update_by_hand({**starting(data, 1, 3), 'w5': own2['w5']}, x3, t3, eta)[0]:.6f}" != f"{own_out3:.6f}"
    roster = _write(tmp_path, "student,variant,u1_w5_new,u2_out_o1,u3_out_o1,u3_w5_new\n"
                              f"hal,1,{slip:.6f},,{own_out3:.6f},{own_w53:.6f}\n"
                              f"ida,1,{slip:.6f},,{own_out3 + 0.01:.6f},\n")
    grades = grade_class(str(spec), folder / "variants.json", roster=roster)
    hal, ida = grades.students
    assert hal.verdicts == {**dict.fromkeys(data["asked"]), "u1_w5_new": "wrong", "u3_out_o1": "follow_through",
                            "u3_w5_new": "follow_through"}
    assert [r.claim.name for r, _ in hal.report.root_errors()] == ["u1_w5_new"] and hal.earned == 2
    assert ida.verdicts["u3_out_o1"] == "wrong"


def test_a_roster_header_written_with_spaces_is_read_as_its_update_and_name(sheet, tmp_path):
    folder, spec, data = sheet
    roster = _write(tmp_path, f"student,variant,u1 out_o1,u2  w5_new\n"
                              f"jo,1,{printed(data, 1, 'u1_out_o1')},{printed(data, 1, 'u2_w5_new')}\n")
    grades = grade_class(str(spec), folder / "variants.json", roster=roster)
    assert grades.problems == []
    assert grades.students[0].verdicts == {**dict.fromkeys(data["asked"]), "u1_out_o1": "ok", "u2_w5_new": "ok"}
