"""Every command that takes -o picks the format from its suffix the same way, and refuses a suffix it does not know."""

from __future__ import annotations

import json
import subprocess

import pytest

import derive
from derive.cli import main
from derive.errors import OutputError

CLAIMS = "out_o1: 0.75136507\nE_total: 0.298371109\n"

COMMANDS = {
    "solve": ["solve", "2-2-2"],
    "train": ["train", "2-2-2", "--steps", "3"],
    "check": ["check", "2-2-2", "{claims}"],
}


def command(name: str, tmp_path) -> list[str]:
    claims = tmp_path / "claims.yaml"
    claims.write_text(CLAIMS)
    return [str(claims) if a == "{claims}" else a for a in COMMANDS[name]]


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def looks_like(fmt: str, data: bytes) -> bool:
    text = data.decode("latin-1")
    return {
        "json": lambda: isinstance(json.loads(data), dict),
        "md": lambda: text.startswith("# "),
        "tex": lambda: text.startswith("\\documentclass"),
        "pdf": lambda: data.startswith(b"%PDF-"),
        "table": lambda: "error after the step" in text,
        "text": lambda: text.startswith("claims of ") and "all 2 claims right" in text,
    }[fmt]()


CASES = [
    ("solve", "out.json", "json"), ("solve", "out.md", "md"), ("solve", "OUT.Markdown", "md"),
    ("solve", "out.tex", "tex"), ("solve", "out.pdf", "pdf"),
    ("train", "run.txt", "table"), ("train", "run.json", "json"), ("train", "run.md", "md"),
    ("train", "run.tex", "tex"), ("train", "run.pdf", "pdf"),
    ("check", "report.txt", "text"), ("check", "report.json", "json"), ("check", "report.md", "md"),
]


@pytest.mark.parametrize("name,file,fmt", CASES)
def test_the_suffix_picks_the_format(tmp_path, name, file, fmt):
    out = tmp_path / file
    code = main([*command(name, tmp_path), "-o", str(out)])
    assert code == 0
    assert looks_like(fmt, out.read_bytes()), out.read_bytes()[:200]


def test_train_to_a_pdf_writes_the_report_as_a_pdf(tmp_path):
    out = tmp_path / "train.pdf"
    assert main(["train", "2-2-2", "--steps", "2", "-o", str(out)]) == 0
    text = pdf_text(out)
    assert "0.298371109" in text  # E_total before the first step, from the engine
    assert out.read_bytes().startswith(b"%PDF-")  # not the text table under a .pdf name


UNKNOWN = [("solve", "out.docx", "'.docx'"), ("solve", "out.txt", "'.txt'"), ("solve", "out", "no suffix"),
           ("train", "train.docx", "'.docx'"), ("train", "train", "no suffix"),
           ("check", "report.pdf", "'.pdf'"), ("check", "report.docx", "'.docx'")]


@pytest.mark.parametrize("name,file,got", UNKNOWN)
def test_an_unknown_suffix_is_refused_in_one_line_and_nothing_is_written(tmp_path, capsys, name, file, got):
    argv = command(name, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main([*argv, "-o", str(tmp_path / file)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"derive: error: {tmp_path / file}: ")
    assert "the format is picked from the suffix" in captured.err and "--format" in captured.err
    assert captured.err.rstrip().endswith(f"got {got}")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("name,fmt", [("solve", "json"), ("train", "json"), ("check", "text")])
def test_format_given_overrides_the_suffix(tmp_path, name, fmt):
    out = tmp_path / "result.docx"
    assert main([*command(name, tmp_path), "--format", fmt, "-o", str(out)]) == 0
    assert looks_like(fmt, out.read_bytes())


def test_the_allowed_suffixes_are_each_commands_own(tmp_path, capsys):
    main(["solve", "2-2-2", "-o", str(tmp_path / "x.docx")])
    solve_error = capsys.readouterr().err
    main([*command("check", tmp_path), "-o", str(tmp_path / "x.docx")])
    check_error = capsys.readouterr().err
    assert ".pdf (pdf)" in solve_error and ".txt" not in solve_error
    assert ".txt (text)" in check_error and ".pdf" not in check_error


def test_solution_write_uses_the_same_suffixes(tmp_path):
    solution = derive.solve("2-2-1")
    assert solution.write(tmp_path / "s.markdown").read_text().startswith("# ")
    with pytest.raises(OutputError, match=r"s\.docx: the format is picked from the suffix.*or pass format=; got '.docx'"):
        solution.write(tmp_path / "s.docx")
    assert not (tmp_path / "s.docx").exists()
