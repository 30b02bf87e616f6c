"""Exact strings of the printer and the number formatter; escaping of user text; determinism; the API."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp
from pylatex.utils import NoEscape

import derive

from derive.errors import RenderError
from derive.engine.functions import sigmoid

from derive.render.escape import escape_latex, escape_markdown
from derive.render.latex import DerivePrinter, Names
from derive.render.numbers import NumberFormat
from derive.steps import Partial, Value
from derive.io.texrun import build_pdf_bytes

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def printer():
    return DerivePrinter(Names(derive.load("2-2-2").model))


def sym(name):
    return sp.Symbol(name, real=True)


def v(text, key=""):
    return Value(sp.Rational(text), key)


# ---------------------------------------------------------------- the printer

@pytest.mark.parametrize("name, tex", [
    ("net_h1", r"\mathit{net}_{h1}"), ("out_o2", r"\mathit{out}_{o2}"), ("E_o1", "E_{o1}"),
    ("E_total", r"E_{\mathit{total}}"), ("w5_new", "w_{5}^{+}"), ("t_o1", "t_{o1}"), ("eta", r"\eta"),
    ("delta_o1", r"\delta_{o1}"),
    ("dE_dout_o1", r"\frac{\partial E_{\mathit{total}}}{\partial \mathit{out}_{o1}}"),
    ("dout_dnet_h1", r"\frac{\partial \mathit{out}_{h1}}{\partial \mathit{net}_{h1}}"),
    ("dnet_o1_dw5", r"\frac{\partial \mathit{net}_{o1}}{\partial w_{5}}"),
    ("dE_o2_dout_h1", r"\frac{\partial E_{o2}}{\partial \mathit{out}_{h1}}"),
    ("grad_w1", r"\frac{\partial E_{\mathit{total}}}{\partial w_{1}}"),
])
def test_names(printer, name, tex):
    assert printer.doprint(sym(name)) == tex


def test_indexed_names_and_partial_deltas():
    model = derive.load("2-2-2").model
    p = DerivePrinter(Names(model, deltas="partial", indexed=True))
    assert p.doprint(sym("w7")) == "w^{(2)}_{21}"
    assert p.doprint(sym("b1")) == "b^{(1)}"
    assert p.doprint(sym("w7_new")) == "{w^{(2)}_{21}}^{+}"
    assert p.doprint(sym("delta_o1")) == r"\frac{\partial E_{\mathit{total}}}{\partial \mathit{net}_{o1}}"


def test_sigmoid_sums_products_and_substituted_numbers(printer):
    net = sym("net_h1")
    assert printer.doprint(sigmoid(net)) == r"\sigma\left(\mathit{net}_{h1}\right)"
    assert printer.doprint(sigmoid(net).rewrite(sp.exp)) == r"\frac{1}{1 + e^{- \mathit{net}_{h1}}}"
    form = sp.Add(sp.Mul(v("0.15"), v("0.05"), evaluate=False), v("0.35"), evaluate=False)
    assert printer.doprint(form) == r"0.15 \cdot 0.05 + 0.35"
    out = sym("out_o1")
    assert printer.doprint(out * (1 - out)) == r"\mathit{out}_{o1} \left(1 - \mathit{out}_{o1}\right)"
    assert printer.doprint(sp.Rational(1, 2) * (sym("t_o1") - out) ** 2) == \
        r"\frac{1}{2} \left(t_{o1} - \mathit{out}_{o1}\right)^{2}"


def test_negative_numbers_are_parenthesised_and_never_minus_minus(printer):
    minus = sp.Add(v("0.5"), sp.Mul(-1, v("0.5"), v("-0.02"), evaluate=False), evaluate=False)
    assert printer.doprint(minus) == r"0.5 - 0.5 \cdot \left(-0.02\right)"
    plus = sp.Add(v("0.055399425"), v("-0.019049118"), evaluate=False)
    assert printer.doprint(plus) == r"0.055399425 + \left(-0.019049118\right)"
    assert printer.doprint(v("-0.019049118")) == "-0.019049118"  # a value on its own
    for text in (printer.doprint(minus), printer.doprint(plus)):
        assert "- -" not in text and "+ -" not in text


def test_derivative_and_partial(printer):
    out = sym("out_h1")
    form = sp.Derivative(sp.Add(sp.Mul(sym("w5"), out, evaluate=False), sym("b2"), evaluate=False), out,
                         evaluate=False)
    assert printer.doprint(form) == \
        r"\frac{\partial}{\partial \mathit{out}_{h1}} \left[w_{5} \mathit{out}_{h1} + b_{2}\right]"
    assert printer.doprint(Partial("net_o1", "out_h1")) == \
        r"\frac{\partial \mathit{net}_{o1}}{\partial \mathit{out}_{h1}}"


@pytest.mark.parametrize("fmt, value, text", [
    (NumberFormat(), Fraction(7513650695, 10**10), "0.75136507"),
    (NumberFormat(), Fraction(-19049118258, 10**12), "-0.019049118"),
    (NumberFormat(), Fraction(3775, 10000), "0.3775"),
    (NumberFormat(), Fraction(-1, 10**12), "-1e-12"),
    (NumberFormat(decimals=0), Fraction(5, 2), "3"),
    (NumberFormat(decimals=2), Fraction(-1, 1000), "-1e-3"),  # would round to 0: a power of ten instead
    (NumberFormat(digits=3), Fraction(4385677, 10**10), "0.000439"),
    (NumberFormat(digits=3), Fraction(1234567), "1230000"),
    (NumberFormat(digits=2), sp.Float("0.0999999", 30), "0.1"),
])
def test_number_format(fmt, value, text):
    assert fmt.text(value) == text


def test_number_format_refuses_bad_settings():
    with pytest.raises(RenderError, match="decimals must be"):
        NumberFormat(decimals=-1)
    with pytest.raises(RenderError, match="digits must be"):
        NumberFormat(digits=0)


# ---------------------------------------------------------------- user text

NASTY = r"50% $x$ & #1 _a_ ~b^ {c} \input{/etc/passwd} {{7*7}} ((( 1 ))) ((* if 1 *)) <b>"


def test_escape_functions():
    assert escape_latex("a_b") == r"a\_b" and isinstance(escape_latex("x"), NoEscape)
    assert escape_markdown("*x*") == r"\*x\*"


def test_user_title_appears_literally_in_markdown_and_pdf():
    spec = {"title": NASTY, "inputs": [1, 2], "targets": [0.5],
            "layers": [{"units": 1, "activation": "sigmoid", "weights": [[0.1, 0.2]]}]}
    solution = derive.solve(spec)
    md = solution.markdown()
    heading = md.splitlines()[0]
    assert heading == ("# 50% \\$x\\$ &amp; \\#1 \\_a\\_ \\~b\\^ \\{c\\} \\\\input\\{/etc/passwd\\} "
                       "\\{\\{7\\*7\\}\\} ((( 1 ))) ((\\* if 1 \\*)) &lt;b&gt;")
    assert "49" not in heading
    tex = solution.latex()
    assert "\\input{/etc/passwd}" not in tex
    pdf = build_pdf_bytes(tex)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert NASTY.replace("<b>", "") in text.replace("\n", " ")


# ---------------------------------------------------------------- determinism and the API

def test_rendering_is_byte_identical_across_processes(tmp_path):
    code = ("import derive, sys; s = derive.solve('2-2-2', style=sys.argv[1]); "
            "sys.stdout.write(s.markdown() + s.latex())")
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-c", code, "delta"], capture_output=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0] == (derive.solve("2-2-2", style="delta").markdown()
                          + derive.solve("2-2-2", style="delta").latex()).encode()


def test_solution_object(tmp_path):
    solution = derive.solve("2-2-2", style="delta")
    assert solution._repr_markdown_() == solution.markdown()
    display = solution._repr_latex_()  # nbconvert's preamble has no TikZ: the same body, without the picture
    assert "tikzpicture" not in display and "tikzpicture" in solution.latex(fragment=True)
    assert display.split("\\section*{2.", 1)[1] == solution.latex(fragment=True).split("\\section*{2.", 1)[1]
    path = solution.write(tmp_path / "s.tex")
    assert path.read_text() == solution.latex()
    with pytest.raises(derive.OutputError):
        solution.write(tmp_path / "s.tex")
    with pytest.raises(derive.OutputError, match="the format is picked from the suffix"):
        solution.write(tmp_path / "s.txt")
    assert solution.write(tmp_path / "s.txt", format="md").read_text() == solution.markdown()


def test_solve_validates_its_arguments():
    with pytest.raises(derive.SpecError, match="style must be one of scalar, delta, matrix"):
        derive.solve("2-2-2", style="vector")
    with pytest.raises(RenderError, match="not both"):
        derive.solve("2-2-2", decimals=2, digits=2)
    with pytest.raises(derive.SpecError, match="carry_rounding"):
        derive.solve("2-2-2", carry_rounding=-2)


def test_a_large_network_renders_by_collapsing():
    # its speed is a benchmark: benchmarks/bench_render.py
    def layer(units, fan_in, activation):
        weights = [[Fraction((7 * j + 3 * k) % 19 - 9, 10) for k in range(fan_in)] for j in range(units)]
        return {"units": units, "activation": activation, "weights": [[str(w) for w in row] for row in weights],
                "bias": [0.1] * units}

    spec = {"inputs": [0.1 * i for i in range(1, 9)], "targets": [0.5] * 8,
            "layers": [layer(8, 8, "sigmoid"), layer(8, 8, "tanh"), layer(8, 8, "sigmoid")]}
    spec = {**spec, "layers": [{**lay, "weights": [[float(Fraction(w)) for w in row] for row in lay["weights"]]}
                               for lay in spec["layers"]]}
    solution = derive.solve(spec)
    text = solution.markdown()
    assert solution.derivation.collapsed
    assert "The others in the same way" in text
    assert text.count("\\tag{") < 60
    assert len(solution.derivation.summary.rows) == 3 * (64 + 8)


def test_templates_ship_in_the_wheel(tmp_path):
    import shutil

    source = tmp_path / "src"  # a copy, so the build leaves nothing in the working tree
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", "build", "dist", "outputs", "*.egg-info", ".venv",
                                                                "__pycache__", ".hypothesis", ".pytest_cache"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("derive_backprop-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for template in ("solution.md.j2", "solution.tex.j2", "_prose.j2", "md/_blocks.md.j2", "tex/_problem.tex.j2"):
        assert f"derive/templates/{template}" in names
