"""``derive solve --format md|tex`` through the real entry point: files, options and their errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from derive.cli import main


def test_markdown_to_stdout(capsys):
    assert main(["solve", "2-2-2", "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Two inputs, two hidden, two outputs")
    assert "&= 0.000438568" in out


def test_format_from_the_output_suffix(tmp_path):
    tex = tmp_path / "solution.tex"
    assert main(["solve", "2-2-2", "-o", str(tex)]) == 0
    assert tex.read_text().startswith("\\documentclass")
    md = tmp_path / "solution.md"
    assert main(["solve", "2-2-2", "-o", str(md), "--style", "delta"]) == 0
    assert r"\delta_{o1}" in md.read_text()


def test_existing_file_needs_force(tmp_path, capsys):
    out = tmp_path / "s.md"
    out.write_text("keep me")
    assert main(["solve", "2-2-2", "-f", "md", "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert main(["solve", "2-2-2", "-f", "md", "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("# ")


def test_fragment_is_the_body_alone(capsys):
    assert main(["solve", "2-2-1", "-f", "tex", "--fragment"]) == 0
    out = capsys.readouterr().out
    assert "\\documentclass" not in out and "\\begin{document}" not in out
    assert "\\begin{equation*}" in out


def test_only_derives_the_chosen_parameters(capsys):
    assert main(["solve", "2-2-2", "-f", "md", "--only", "w5,w1"]) == 0
    out = capsys.readouterr().out
    assert "### Weight $w_{5}$" in out and "### Weight $w_{1}$" in out
    assert "### Weight $w_{6}$" not in out
    assert "| $w_{6}$ | $0.45$ | $0.082667628$ | $0.408666186$ | — |" in out  # listed in the summary


def test_unknown_parameter_lists_the_valid_ones(capsys, tmp_path):
    out = tmp_path / "s.md"
    assert main(["solve", "2-2-2", "-f", "md", "--only", "w5,w99", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "w99" in err and "w1, w2, w3, w4, b1, w5, w6, w7, w8, b2" in err
    assert not out.exists()


@pytest.mark.parametrize("argv, message", [
    (["--decimals", "3", "--digits", "3"], "not allowed with argument --decimals"),
    (["--digits", "0"], "--digits must be a whole number from 1 to 30; got 0"),
    (["--decimals", "31"], "--decimals must be a whole number from 0 to 30; got 31"),
    (["--carry-rounding", "-1"], "--carry-rounding must be a whole number from 0 to 30; got -1"),
    (["--style", "vector"], "invalid choice: 'vector'"),
    (["--names", "greek"], "invalid choice: 'greek'"),
    (["--fragment"], "--fragment applies to --format tex"),
    (["--template-dir", "/no/such/folder"], "--template-dir must be a folder"),
])
def test_bad_options_are_one_line_errors(argv, message, capsys):
    assert main(["solve", "2-2-2", "-f", "md", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_solution_options_are_refused_for_json(capsys):
    assert main(["solve", "2-2-2", "--style", "matrix"]) == 2
    assert "--style shapes a worked solution" in capsys.readouterr().err


def test_decimals_digits_and_indexed_names(capsys):
    assert main(["solve", "2-2-2", "-f", "md", "--digits", "3", "--names", "indexed"]) == 0
    out = capsys.readouterr().out
    assert "&= 0.000439" in out and "&= 0.593" in out
    assert r"{w^{(2)}_{11}}^{+} &=" in out  # braces: never a double superscript
    assert r"\frac{\partial E_{\mathit{total}}}{\partial w^{(1)}_{11}}" in out
    assert main(["solve", "2-2-2", "-f", "md", "--decimals", "4"]) == 0
    assert "&= 0.0004\n" in capsys.readouterr().out


def test_template_dir_overrides_one_template(tmp_path, capsys):
    (tmp_path / "solution.md.j2").write_text("Custom: ((( view.summary.error_after )))\n", encoding="utf-8")
    assert main(["solve", "2-2-2", "-f", "md", "--template-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "Custom: 0.291027774\n"


def test_a_template_error_is_one_line(tmp_path, capsys):
    (tmp_path / "solution.md.j2").write_text("((( view.no_such_thing )))\n", encoding="utf-8")
    assert main(["solve", "2-2-2", "-f", "md", "--template-dir", str(tmp_path)]) == 2
    assert "no_such_thing" in capsys.readouterr().err


def test_console_script_runs_as_a_subprocess(tmp_path):
    out = tmp_path / "s.tex"
    proc = subprocess.run([sys.executable, "-c", "from derive.cli import console_main; console_main()",
                           "solve", "3-3-3-3", "--style", "matrix", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "\\begin{bmatrix}" in out.read_text()


def test_diagram_values_label_the_arrows(capsys):
    assert main(["solve", "2-2-2", "-f", "md", "--diagram-values"]) == 0
    assert '-->|"w1 = 0.15"|' in capsys.readouterr().out
    assert main(["solve", "2-2-2", "-f", "tex", "--diagram-values"]) == 0
    assert "{$w_{5} = 0.4$}" in capsys.readouterr().out


def test_only_in_the_matrix_style_goes_as_deep_as_needed(capsys):
    assert main(["solve", "3-3-3-3", "-f", "md", "--style", "matrix", "--only", "w10"]) == 0
    out = capsys.readouterr().out
    assert r"\frac{\partial E_{\mathit{total}}}{\partial W^{(2)}} &=" in out
    assert r"\frac{\partial E_{\mathit{total}}}{\partial W^{(3)}} &=" not in out
    assert "## 6. Summary" in out and "hidden layer 1" not in out
