"""Tests for ``derive exam``: exam files, rosters, pools and points; real PDFs read back with pdftotext."""

from __future__ import annotations

import json
import pathlib
import shutil
from fractions import Fraction

import pytest

from derive.classroom.exam import draw_papers
from derive.classroom.variants import generate_variant
from derive.cli import main
from derive.render.numbers import NumberFormat
from derive.spec.exam import load_exam
from derive.spec.roster import read_roster
from test_worksheet import contains_number, pdf_pages, pdf_text

EXAMPLES = pathlib.Path(__file__).parents[1] / "derive" / "spec" / "examples"
SEED = 11

EXAM = """\
title: "Neural networks: midterm"
course: "CS 101 & 50% more"
date: 2026-12-01
instructions: |
  Show your work.

  Calculators are allowed.
decimals: 4
questions:
  - spec: 2-2-2-exercise
    ask: forward
    points: 10
  - from: [net-a.yaml, net-b.yaml, net-c.yaml]
    pick: 2
    ask: "grad:w5, E_total"
    points: 2.5
"""

ROSTER = "id,name,section\ns01,Ada Lovelace,A\nx-7,Émile Borel,B\n"


def write_course(folder: pathlib.Path, exam: str = EXAM, roster: str = ROSTER) -> tuple:
    """An exam file, its three pool specs (the randomized 2-2-2 under other titles) and a roster."""
    folder.mkdir(parents=True, exist_ok=True)
    base = (EXAMPLES / "2-2-2-exercise.yaml").read_text()
    for name in "abc":
        (folder / f"net-{name}.yaml").write_text(base.replace("title: \"", f"title: \"Net {name.upper()}, ", 1))
    (folder / "exam.yaml").write_text(exam)
    (folder / "students.csv").write_text(roster)
    return folder / "exam.yaml", folder / "students.csv"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return write_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def built(course):
    exam, roster = course
    out = exam.parent / "out"
    assert main(["exam", str(exam), "--roster", str(roster), "--seed", str(SEED), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def record(built):
    return json.loads((built / "exam.json").read_text())


def test_writes_every_file(built):
    names = sorted(p.name for p in built.iterdir())
    assert names == sorted(["exam.json", "exams.pdf", "keys.pdf"]
                           + [f"{sid}-{kind}.{ext}" for sid in ("s01", "x-7") for kind in ("exam", "key")
                              for ext in ("tex", "pdf")])


def test_exam_json_records_each_students_questions(record, course):
    assert [s["id"] for s in record["students"]] == ["s01", "x-7"]
    assert record["total_points"] == "15" and [q["points"] for q in record["questions"]] == ["10", "2.5", "2.5"]
    for student in record["students"]:
        first, *pool = student["questions"]
        assert first["spec"] == "2-2-2-exercise"
        assert len({q["spec"] for q in pool}) == 2 and {q["spec"] for q in pool} <= {"net-a.yaml", "net-b.yaml", "net-c.yaml"}
        for q in student["questions"]:
            # the recorded seed and index redraw the same variant, answers included
            spec = q["spec"] if q["number"] == 1 else course[0].parent / q["spec"]
            variant = generate_variant(spec, q["seed"], q["index"], ask=None, decimals=4)
            assert variant.parameters == q["parameters"]
            for key, answer in q["answers"].items():
                assert answer["printed"] == variant.answer_text(key, 4)
    assert record["students"][0]["extra"] == {"section": "A"}


def test_name_and_id_on_every_page(built):
    for sid, name in (("s01", "Ada Lovelace"), ("x-7", "Émile Borel")):
        for kind in ("exam", "key"):
            path = built / f"{sid}-{kind}.pdf"
            pages = pdf_pages(path)
            assert pages == 4  # the title page and one page per question
            assert all(f"{name} ({sid})" in pdf_text(path, page) for page in range(1, pages + 1))
    combined = built / "exams.pdf"
    assert pdf_pages(combined) == 8
    assert [("Émile Borel (x-7)" in pdf_text(combined, p)) for p in range(1, 9)] == [False] * 4 + [True] * 4


def test_title_page_and_points(built):
    text = pdf_text(built / "s01-exam.pdf", 1)
    for expected in ("CS 101 & 50% more", "Neural networks: midterm", "2026-12-01", "Show your work.",
                     "Calculators are allowed.", "Give each answer to 4 decimal places", "Total", "15"):
        assert expected in text, expected
    assert "Answer key" in pdf_text(built / "s01-key.pdf", 1) and "Answer key" not in text
    second = pdf_text(built / "s01-exam.pdf", 3)
    assert "Question 2" in second and "2.5 points" in second


def test_exam_asks_and_key_answers(built, record, course):
    for student in record["students"]:
        exam = pdf_text(built / f"{student['id']}-exam.pdf")
        key = pdf_text(built / f"{student['id']}-key.pdf")
        for q in student["questions"]:
            w5 = NumberFormat().text(Fraction(q["parameters"]["w5"]))
            assert f"w5 = {w5}" in exam  # the drawn givens are on the paper
            spec = q["spec"] if q["number"] == 1 else course[0].parent / q["spec"]
            variant = generate_variant(spec, q["seed"], q["index"], decimals=4)
            for asked in q["asked"]:
                printed = variant.answer_text(asked, 4).lstrip("-")  # as the key prints it, trailing zeros kept
                assert contains_number(key, printed), (asked, printed)
                if asked.startswith("grad"):  # the gradients are not givens, so never on the paper
                    assert not contains_number(exam, printed), (asked, printed)


def test_pools_draw_every_spec_and_never_twice(course):
    papers = draw_papers(load_exam(course[0]), SEED, 30)
    drawn = [tuple(q.spec_name for q in paper.questions[1:]) for paper in papers]
    assert all(len(set(pair)) == 2 for pair in drawn)
    assert {name for pair in drawn for name in pair} == {"net-a.yaml", "net-b.yaml", "net-c.yaml"}
    # a paper depends on (exam, seed, position) only: the first 5 of 30 are the 5 of a class of 5
    assert draw_papers(load_exam(course[0]), SEED, 5) == papers[:5]
    assert draw_papers(load_exam(course[0]), SEED + 1, 5) != papers[:5]


def test_same_seed_gives_byte_identical_files(course, built, tmp_path):
    exam, roster = course
    again = tmp_path / "again"
    assert main(["exam", str(exam), "--roster", str(roster), "--seed", str(SEED), "--out", str(again), "-q"]) == 0
    for path in built.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_anonymous_papers_without_a_roster(course, tmp_path):
    exam, _ = course
    out = tmp_path / "anon"
    assert main(["exam", str(exam), "-n", "2", "--seed", "1", "--out", str(out), "--key", "full", "-q"]) == 0
    assert (out / "variant-02-exam.pdf").is_file()
    assert "Name:" in pdf_text(out / "variant-01-exam.pdf", 1)
    record = json.loads((out / "exam.json").read_text())
    assert [s["id"] for s in record["students"]] == [None, None]
    assert pdf_pages(out / "variant-01-key.pdf") > 4  # the whole worked solutions


BAD_EXAMS = [
    (EXAM.replace("    points: 10\n", ""), "exam.yaml:10: questions[0] is missing the required key 'points'"),
    (EXAM.replace("points: 10", "points: -1"), "exam.yaml:12: questions[0].points must be > 0; got -1"),
    (EXAM.replace("pick: 2", "pick: 4"), "exam.yaml:14: questions[1].pick must be a whole number from 1 to 3; got 4"),
    (EXAM.replace("net-c.yaml", "net-z.yaml"), "exam.yaml:13: questions[1].from[2] must be a built-in example"),
    (EXAM.replace("net-c.yaml", "net-a.yaml"), "exam.yaml:13: questions[1].from[2] names 'net-a.yaml' twice"),
    (EXAM.replace("ask: forward", "ask: grad:w99"), "exam.yaml:11: questions[0].ask grad:w99 names no parameter"),
    (EXAM.replace("decimals: 4", "decimals: 4\nsubtitle: x"), "exam.yaml:9: subtitle is not a known key"),
    (EXAM.replace("    ask: forward\n", "    from: [2-2-1]\n"), "exam.yaml:10: questions[0] needs exactly one of 'spec'"),
]

BAD_ROSTERS = [
    ("id,name\ns01,Ada\ns 2,Bob\n", "students.csv:3: row 2, column id must be 1 to 40 letters"),
    ("id,name\ns01,Ada\ns01,Bob\n", "students.csv:3: row 2, column id repeats 's01' (first in row 1)"),
    ("id,name\ns01,\n", "students.csv:2: row 1, column name must be 1 to 120 printable characters"),
    ("id,name\ns01,Ada,extra\n", "students.csv:2: row 1, column name has 3 cells; the header has 2 columns"),
    ("ident,name\ns01,Ada\n", "students.csv:1: the header row must name the columns id and name"),
    ("id,name\n", "the roster names no student"),
]


@pytest.mark.parametrize("exam, message", BAD_EXAMS, ids=[m.split(" ", 1)[1][:40] for _, m in BAD_EXAMS])
def test_bad_exam_files_fail_with_file_line_and_field(tmp_path, capsys, exam, message):
    exam_path, roster = write_course(tmp_path / "c", exam)
    out = tmp_path / "out"
    assert main(["exam", str(exam_path), "--roster", str(roster), "--seed", "1", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not out.exists()


@pytest.mark.parametrize("roster, message", BAD_ROSTERS, ids=[m[:40] for _, m in BAD_ROSTERS])
def test_bad_roster_rows_are_reported_by_row_and_column(tmp_path, capsys, roster, message):
    exam, roster_path = write_course(tmp_path / "c", roster=roster)
    out = tmp_path / "out"
    assert main(["exam", str(exam), "--roster", str(roster_path), "--seed", "1", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not out.exists()


def test_roster_keeps_extra_columns_and_skips_blank_lines():
    students = read_roster("id,name,email\n\na1,Ana,ana@example.org\n , \nb2,Bo,\n")
    assert [(s.id, s.name, s.extra["email"]) for s in students] == [("a1", "Ana", "ana@example.org"), ("b2", "Bo", "")]


def test_existing_files_need_force(built, course, capsys, tmp_path):
    exam, roster = course
    out = tmp_path / "copy"
    shutil.copytree(built, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["exam", str(exam), "--roster", str(roster), "--seed", "2", "--out", str(out), "-q"]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_progress_is_a_bar_on_a_terminal_and_one_summary_line_otherwise(course, tmp_path, capsys):
    import os
    import pty
    import subprocess
    import sys

    exam, roster = course
    argv = ["exam", str(exam), "--roster", str(roster), "--seed", "1"]
    assert main([*argv, "--out", str(tmp_path / "plain")]) == 0
    err = capsys.readouterr().err  # the command's line, then (after a long run) progress's summary line
    assert err.startswith(f"2 exams of 3 questions (15 points); wrote 11 files to {tmp_path / 'plain'}\n")
    assert "[" not in err  # no bar where stderr is not a terminal
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).parents[1])}
    process = subprocess.run([sys.executable, "-m", "derive", *argv, "--out", str(tmp_path / "tty")],
                             stderr=follower, stdout=subprocess.DEVNULL, env=env, timeout=300)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    shown = b"".join(chunks).decode()
    assert process.returncode == 0
    assert f"papers [{'#' * 30}] 2/2" in shown
    assert f"TeX [{'#' * 30}] 6/6" in shown and "2 exams of 3 questions" in shown


def test_hostile_texts_are_typeset_literally(tmp_path):
    exam = EXAM.replace('"CS 101 & 50% more"', '"\\\\input{/etc/passwd} $x^2$ ~ #1"')
    exam = exam.replace("Show your work.", "Use \\textbf{bold} and ((( x ))) {{ y }} at will.")
    exam_path, roster = write_course(tmp_path / "c", exam, "id,name\nh1,\\def\\x{1} 100% & $_^\n")
    out = tmp_path / "out"
    assert main(["exam", str(exam_path), "--roster", str(roster), "--seed", "1", "--out", str(out), "-q"]) == 0
    first = pdf_text(out / "h1-exam.pdf", 1)
    assert "\\input{/etc/passwd} $x^2$ ~ #1" in first
    assert "Use \\textbf{bold} and ((( x ))) {{ y }} at will." in first
    assert all("\\def\\x{1} 100% & $_^ (h1)" in pdf_text(out / "h1-exam.pdf", p) for p in range(1, 5))


@pytest.mark.parametrize("option, value", [("--seed", "\u0663"), ("--variants", "5000"), ("--workers", "999")])
def test_exam_options_are_checked_as_worksheet_options_are(tmp_path, capsys, option, value):
    """Non-ASCII digits, too many papers and more TeX runs than cores are refused before any work."""
    exam = str(pathlib.Path(__file__).parent / "data" / "exam-midterm.yaml")
    argv = ["exam", exam, "--seed", "1", "--out", str(tmp_path / "out"), option, value]
    if option == "--seed":
        argv = argv[:2] + ["--seed", value, "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{option} must be a whole number" in err
    assert not (tmp_path / "out").exists()
