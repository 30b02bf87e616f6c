"""Issue 12, items 3-4, rendered in the book's notation: a bias folded into the weight matrix (x0 = 1, Learning
From Data e-Chapter 7) and scaled activations whose constants print as the spec wrote them (1.7159, 2/3);
rationals print as fractions unless the user wrote them as decimals."""

from __future__ import annotations

import re
import shutil

import pytest
import sympy as sp

import derive
from derive.classroom.check import check_claims
from derive.io.texrun import compile_many, overfull_boxes
from derive.render.latex import DerivePrinter, Names

from test_conventions_more import LFD, LFD_PRINTED, SCALED

# the same network with the bias column last and the matrices neuron-major (z = W̃ ã, ã = [a; 1])
LFD_LAST = """\
inputs: [2]
targets: [1]
loss: sse
conventions: {bias_as: weight_column_last}
layers:
  - {units: 2, activation: tanh, weights: [[0.3, 0.1], [0.4, 0.2]]}
  - {units: 1, activation: tanh, weights: [[1, -3, 0.2]]}
  - {units: 1, activation: tanh, weights: [[2, 1]]}
"""


def _md(spec, style, **kw):
    return derive.solve(spec, style=style, **kw).markdown()


# ---------------------------------------------------------------- bias folded into the matrix

def test_matrix_style_writes_lfd_s_equals_w_transposed_x_with_x0():
    """LFD's s(l) = (W(l))ᵀ x(l−1), x(l−1) = [1; …]: the spec's input-major matrix, bias row first."""
    text = _md(LFD, "matrix")
    assert (r"\mathbf{z}^{(1)} &= \left(\tilde{W}^{(1)}\right)^{\mathsf{T}} \tilde{\mathbf{x}} \\" "\n"
            r"&= \begin{bmatrix}0.1 & 0.2 \\ 0.3 & 0.4\end{bmatrix}^{\mathsf{T}} \begin{bmatrix}1 \\ 2\end{bmatrix} \\"
            "\n" r"&= \begin{bmatrix}0.7 \\ 1\end{bmatrix}") in text
    assert (r"\mathbf{z}^{(2)} &= \left(\tilde{W}^{(2)}\right)^{\mathsf{T}} \tilde{\mathbf{a}}^{(1)} \\" "\n"
            r"&= \begin{bmatrix}0.2 \\ 1 \\ -3\end{bmatrix}^{\mathsf{T}} "
            r"\begin{bmatrix}1 \\ 0.604367777 \\ 0.761594156\end{bmatrix}") in text
    # ∂e/∂W(1) = x(0) (δ(1))ᵀ, its bias row first: LFD prints [−0.44 0.88; −0.88 1.75]
    assert (r"\frac{\partial E_{\mathit{total}}}{\partial \tilde{W}^{(1)}} &= \tilde{\mathbf{x}} "
            r"\left(\boldsymbol{\delta}^{(1)}\right)^{\mathsf{T}} \\") in text
    assert (r"&= \begin{bmatrix}-0.440838376 & 0.875039825 \\ -0.881676752 & 1.75007965\end{bmatrix}") in text
    assert r"\tilde{W}^{(1)+} &= \tilde{W}^{(1)} - \eta \frac{\partial E_{\mathit{total}}}{\partial \tilde{W}^{(1)}}" in text
    assert "the bias row included, is the inputs of the layer with $x_0 = 1$ times the transposed $\\delta$" in text
    # δ(1) = θ′(s(1)) ⊗ [W(2) δ(2)] without the bias row: W(2) as the spec wrote it, rows = inputs
    assert (r"\frac{\partial E_{\mathit{total}}}{\partial \mathbf{a}^{(1)}} &= W^{(2)} \boldsymbol{\delta}^{(2)} \\" "\n"
            r"&= \begin{bmatrix}1 \\ -3\end{bmatrix} \begin{bmatrix}-0.694518481\end{bmatrix}") in text
    assert "back through its weights, the bias row left out: no error flows to $x_0 = 1$" in text
    # no separate bias vector anywhere: it is the matrix's row
    assert r"\mathbf{b}" not in text and "b_{" not in text


def test_matrix_style_bias_column_last_neuron_major():
    text = _md(LFD_LAST, "matrix")
    assert (r"\mathbf{z}^{(2)} &= \tilde{W}^{(2)} \tilde{\mathbf{a}}^{(1)} \\" "\n"
            r"&= \begin{bmatrix}1 & -3 & 0.2\end{bmatrix} "
            r"\begin{bmatrix}0.604367777 \\ 0.761594156 \\ 1\end{bmatrix}") in text
    assert (r"\frac{\partial E_{\mathit{total}}}{\partial \tilde{W}^{(3)}} &= \boldsymbol{\delta}^{(3)} "
            r"\left(\tilde{\mathbf{a}}^{(2)}\right)^{\mathsf{T}} \\") in text
    assert r"&= \begin{bmatrix}1.672244914 & -1.854864374\end{bmatrix}" in text  # [∂e/∂w5, ∂e/∂b]
    assert "the bias column included, is $\\delta$ times the transposed inputs of the layer with $x_0 = 1$" in text
    assert (r"\frac{\partial E_{\mathit{total}}}{\partial \mathbf{a}^{(1)}} &= \left(W^{(2)}\right)^{\mathsf{T}} "
            r"\boldsymbol{\delta}^{(2)} \\" "\n" r"&= \begin{bmatrix}1 & -3\end{bmatrix}^{\mathsf{T}}") in text
    assert "back through the transposed weights, the bias column left out" in text
    assert r"\mathbf{b}" not in text


def test_matrix_entries_are_the_books_numbers():
    """Every entry of ∂E/∂W̃ in the matrix style is a quantity of the model: LFD's numbers, the bias row included."""
    solution = derive.solve(LFD, style="matrix")
    values = derive.load(LFD).values()
    steps = [s for s in solution.derivation.steps() if s.key.startswith("gradW@")]
    shown = {entry.key for step in steps for entry in step.value}
    assert {"grad_b_h1_1", "grad_b_h1_2", "grad_w1", "grad_w2", "grad_b_h2_1", "grad_b_o1", "grad_w5"} <= shown
    for key, text in LFD_PRINTED.items():
        if key.startswith("grad_"):
            assert round(float(values[key]), 2) == pytest.approx(float(text), abs=1e-12), key


@pytest.mark.parametrize("style", ["scalar", "delta"])
def test_folded_bias_is_the_weight_on_x0_in_every_style_and_format(style):
    """Default names too: the bias of neuron j of layer l is w^{(l)}_{j0}, never b."""
    solution = derive.solve(LFD, style=style)
    md, tex = solution.markdown(), solution.latex()
    for text in (md, tex):
        assert r"\mathit{net}_{h1,1} &= w_{1} x_{1} + w^{(1)}_{10}" in text
        assert r"\frac{\partial E_{\mathit{total}}}{\partial w^{(1)}_{20}}" in text
        assert r"{w^{(3)}_{10}}^{+} &= w^{(3)}_{10} - \eta" in text
        assert not re.search(r"b_\{(h|o)", text), re.findall(r".{20}b_\{(?:h|o).{20}", text)[:3]
    html = solution.html()
    assert "<mi>b</mi>" not in html  # the MathML holds no b either
    assert "<mn>10</mn>" in html and "<mn>20</mn>" in html


def test_json_and_check_keep_the_bias_names(capsys, tmp_path):
    """JSON keys and claim names stay b_…; check reads both b and the indexed weight on x0."""
    from derive.cli import main

    spec = tmp_path / "lfd.yaml"
    spec.write_text(LFD)
    assert main(["solve", str(spec), "-f", "json"]) == 0
    out = capsys.readouterr().out
    assert '"b_h1_1"' in out and "w^{(1)}" not in out
    problem = derive.load(LFD)
    for claims in ({"dE/db_h1_2": "0.88", "b_o1_new": "1.93"}, {"dE/dw^(1)_20": "0.88"}):
        report = check_claims(problem.spec, claims)
        assert all(r.status == "ok" for r in report.results), [(r.claim.key, r.status) for r in report.results]
        assert {r.claim.key for r in report.results} <= {"grad_b_h1_2", "b_o1_new"}


# ---------------------------------------------------------------- scaled activations: constants as written

UGLY = ("17159}{15000", "20000}{51477", "17159}{10000", "51477")


@pytest.mark.parametrize("style", ["scalar", "delta", "matrix"])
def test_scaled_tanh_derivative_in_the_specs_constants(style):
    solution = derive.solve(SCALED, style=style)
    for text in (solution.markdown(), solution.latex()):
        assert r"\frac{2/3}{1.7159} \cdot \left(1.7159^{2} - \mathit{out}_{h1,1}^{2}\right)" in text
        assert not any(ugly in text for ugly in UGLY), [u for u in UGLY if u in text]
    html = solution.html()  # MathML: (2/3)/1.7159, no derived fraction
    assert ("<mfrac><mrow><mn>2</mn><mo>&#x0002F;</mo><mn>3</mn></mrow><mrow><mn>1.7159</mn></mrow></mfrac>"
            in html) and "51477" not in html and "17159" not in html
    text = solution.markdown()
    if style == "matrix":  # the vector of derivatives, each entry in the same form
        assert (r"\tanh'\left(\mathbf{z}^{(1)}\right) &= \begin{bmatrix}\frac{2/3}{1.7159} \cdot "
                r"\left(1.7159^{2} - \mathit{out}_{h1,1}^{2}\right)") in text
    else:
        assert (r"&= 1.7159 \cdot \frac{2}{3} \left(1 - \tanh{\left(\frac{2}{3} \mathit{net}_{h1,1} \right)}^{2}\right)"
                in text)
        assert r"&= \frac{2/3}{1.7159} \cdot \left(1.7159^{2} - 0.499863312^{2}\right)" in text


def test_linear_gain_prints_as_written():
    text = _md(SCALED, "delta")
    assert r"\mathit{out} = 0.5 \mathit{net}" in text  # the problem's table: 0.5 as written, not 1/2
    assert r"\left[0.5 \mathit{net}_{h2,1}\right] \\" "\n" r"&= 0.5" in text


def test_scaled_numbers_are_unchanged():
    """The display changed, not the arithmetic: the derivative shown equals the engine's exact value."""
    v = derive.load(SCALED).values()
    a, b = sp.Rational("1.7159"), sp.Rational(2, 3)
    assert abs(sp.N(v["dout_dnet_h1_1"] - b / a * (a**2 - v["out_h1_1"] ** 2), 40)) < sp.Float("1e-30")
    assert "0.499863312" in _md(SCALED, "delta")


@pytest.mark.parametrize("lang, words", [
    ("en", "the derivative cancels down to the gain times output minus target, $\\lambda (out - t)$"),
    ("de", "kürzt sich die Ableitung zur Steilheit mal Ausgabe minus Zielwert, $\\lambda (out - t)$"),
    ("es", "la derivada se reduce a la ganancia por salida menos valor objetivo, $\\lambda (out - t)$"),
])
def test_sigmoid_gain_with_binary_cross_entropy_says_gain_times_error(lang, words):
    """With σ(λ·net) and binary cross-entropy δ = λ(out − t), not out − t; the prose says so in each language."""
    text = derive.solve(SCALED, style="delta", lang=lang).markdown()
    assert words in text
    assert r"&= 2 \cdot \left(\mathit{out}_{o1} - t_{o1}\right) \\" in text
    assert "output minus target (" not in text and "cancels down to output minus target" not in text


def test_sigmoid_gain_with_negative_error_term_is_gain_times_target_minus_output():
    spec = SCALED.replace("loss: binary_cross_entropy\n", "loss: binary_cross_entropy\nconventions: {error_term: negative}\n")
    text = _md(spec, "delta")
    assert "cancels down to the gain times target minus output, $\\lambda (t - out)$" in text
    assert r"\delta_{o1} &= - \frac{\partial E_{\mathit{total}}}{\partial \mathit{out}_{o1}}" in text
    assert r"&= 2 \cdot \left(t_{o1} - \mathit{out}_{o1}\right) \\" in text
    plain = spec.replace("{name: sigmoid, gain: 2}", "sigmoid")
    assert "the error term $\\delta = -\\partial E / \\partial net$ cancels down to target minus output" in _md(plain, "delta")


# ---------------------------------------------------------------- rationals: fractions unless written as decimals

def test_derived_rationals_print_as_fractions_written_decimals_as_decimals():
    """A gain written 0.5 prints 0.5; the loss's derived ½ beside it stays a fraction (not a misleading 0.5)."""
    spec = {"inputs": [1], "targets": [0.5], "loss": "half_sse", "layers": [
        {"units": 1, "activation": {"name": "linear", "gain": 0.5}, "weights": [[0.3]]}]}
    text = _md(spec, "delta")
    assert r"E_{o1} &= \frac{1}{2} \left(t_{o1} - \mathit{out}_{o1}\right)^{2}" in text
    assert r"\mathit{out}_{o1} &= 0.5 \mathit{net}_{o1}" in text
    printer = DerivePrinter(Names(derive.load(spec).model))
    assert printer.doprint(sp.Rational(1, 2)) == r"\frac{1}{2}"
    assert printer.doprint(sp.Rational(1, 10)) == r"\frac{1}{10}"
    assert printer.doprint(sp.Rational(17159, 10000)) == r"\frac{17159}{10000}"


def test_mean_over_ten_outputs_is_one_tenth_not_a_decimal():
    spec = {"inputs": [1], "targets": [0.1] * 10, "loss": "mse",
            "layers": [{"units": 10, "activation": "linear", "weights": [[0.1]] * 10}]}
    assert r"\frac{1}{10}" in _md(spec, "delta")
    assert r"0.1 \left(t_{o1}" not in _md(spec, "delta")


def test_leaky_relu_slope_prints_as_written():
    spec = {"inputs": [1, -2], "targets": [0.5], "layers": [
        {"units": 1, "activation": "leaky_relu", "negative_slope": 0.05, "weights": [[0.3, 0.4]], "bias": 0.1}]}
    text = _md(spec, "scalar")
    assert r"\\0.05 \mathit{net}_{o1} & \text{otherwise}" in text
    assert r"\frac{1}{20}" not in text


# ---------------------------------------------------------------- real PDFs

@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_folded_bias_and_scaled_tanh_pdfs_fit_the_text_width(tmp_path):
    jobs = []
    for name, spec in (("lfd", LFD), ("lfd-last", LFD_LAST), ("scaled", SCALED)):
        for style in ("delta", "matrix"):
            jobs.append((derive.solve(spec, style=style).latex(), tmp_path / f"{name}-{style}.pdf"))
    paths = compile_many(jobs, progress=False, keep_log=True)
    assert all(path.read_bytes().startswith(b"%PDF-") for path in paths)
    overfull = {path.name: boxes for path in paths
                if (boxes := overfull_boxes(path.with_suffix(".log").read_text(errors="replace"), wider_than=1))}
    assert overfull == {}


def test_minus_a_sum_keeps_its_parentheses():
    """−(a + b) is not −a + b: δ = −Σ ∂E/∂out · ∂out/∂net under ``error_term: negative`` (softmax)."""
    printer = DerivePrinter(Names(derive.load("2-2-2").model))
    a, b = sp.Symbol("w1"), sp.Symbol("w2")
    assert printer.doprint(sp.Mul(-1, sp.Add(a, b, evaluate=False), evaluate=False)) == r"- \left(w_{1} + w_{2}\right)"
    spec = {"inputs": [0.5, -1], "targets": [1, 0], "loss": "cross_entropy", "conventions": {"error_term": "negative"},
            "layers": [{"units": 2, "activation": "softmax", "weights": [[0.3, -0.2], [0.1, 0.4]], "bias": 0.1}]}
    text = _md(spec, "delta")
    assert (r"\delta_{o1} &= - \left(\frac{\partial E_{\mathit{total}}}{\partial \mathit{out}_{o1}} \cdot "
            r"\frac{\partial \mathit{out}_{o1}}{\partial \mathit{net}_{o1}} + ") in text
    assert r"&= t_{o1} - \mathit{out}_{o1} \\" in text
    assert "leaving the error term $\\delta = -\\partial E / \\partial net$ as the target minus the output" in text
    assert "kürzen sich die Quotienten, und der Fehlerterm" in derive.solve(spec, style="delta", lang="de").markdown()
