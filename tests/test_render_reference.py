"""The worked solutions of the built-in examples show the reference tutorials' numbers where they have them.

Expected numbers are the ones printed in ../shared/reference/README.md; every number in the
documents is computed by derive.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
import sympy as sp

import derive
from derive.steps import model as S
from derive.cli import main
from render_helpers import equations, last_line, printed

# quantity -> the number the 2-2-2 tutorial prints at that step (README, 9 decimals)
MAZUR = {
    "net_h1": "0.3775", "out_h1": "0.593269992", "out_h2": "0.596884378", "net_o1": "1.105905967",
    "out_o1": "0.75136507", "out_o2": "0.772928465", "E_o1": "0.274811083", "E_o2": "0.023560026",
    "E_total": "0.298371109", "dE_dout_o1": "0.74136507", "dout_dnet_o1": "0.186815602", "grad_w5": "0.082167041",
    "dE_o1_dout_h1": "0.055399425",
    # printed as -0.019049119 in the tutorial: a slip; 0.138498562 * 0.5 = -0.019049118 (see README)
    "dE_o2_dout_h1": "-0.019049118",
    "dE_dout_h1": "0.036350306", "dout_dnet_h1": "0.241300709", "grad_w1": "0.000438568",
    "w1_new": "0.149780716", "w2_new": "0.19956143", "w3_new": "0.24975114", "w4_new": "0.29950229",
    "w5_new": "0.35891648", "w6_new": "0.408666186", "w7_new": "0.511301270", "w8_new": "0.561370121",
}


@pytest.fixture(scope="module")
def mazur():
    solution = derive.solve("2-2-2")
    return solution, {"md": solution.markdown(), "tex": solution.latex()}


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_2_2_2_shows_every_published_number_at_its_step(mazur, fmt):
    solution, texts = mazur
    blocks = equations(texts[fmt])
    for key, expected in MAZUR.items():
        step = solution.derivation.step(key)
        shown = last_line(blocks[step.number]).removeprefix("&= ")
        assert len(shown.split(".")[1]) <= 9, key  # 9 decimals, trailing zeros dropped
        # the tutorial prints some numbers to 8 places (0.19956143): compare at its precision
        places = len(expected.split(".")[1])
        assert printed(f"{Decimal(shown).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)}") == printed(expected), key


def test_2_2_2_steps_mirror_the_tutorial(mazur):
    """Forward, error, the chain split of w5 into three factors, then w1 through the sum over paths."""
    solution, texts = mazur
    d = solution.derivation
    assert [s.kind for s in d.sections] == [S.FORWARD, S.ERROR, S.OUTPUT_LAYER, S.HIDDEN_LAYER]
    split = next(s for s in d.steps() if s.key == "grad_w5" and s.rule == S.CHAIN_RULE)
    assert [f.name for f in split.forms[0].args] == ["dE_dout_o1", "dout_dnet_o1", "dnet_o1_dw5"]
    paths = next(s for s in d.steps() if s.key == "dE_dout_h1" and s.value is None)
    assert paths.rule == S.SUM_OVER_PATHS
    assert [t.name for t in paths.forms[0].args] == ["dE_o1_dout_h1", "dE_o2_dout_h1"]
    # the differentiation steps are shown: the power rule before out - t, σ(1 - σ) before out(1 - out)
    blocks = equations(texts["md"])
    loss = blocks[d.step("dE_dout_o1").number]
    assert r"2 \cdot \frac{1}{2} \left(t_{o1} - \mathit{out}_{o1}\right)^{2 - 1} \cdot \left(-1\right) + 0" in loss
    sigmoid = blocks[d.step("dout_dnet_o1").number]
    assert r"\sigma\left(\mathit{net}_{o1}\right) \left(1 - \sigma\left(\mathit{net}_{o1}\right)\right)" in sigmoid


def test_2_2_2_reuses_quantities_with_back_references(mazur):
    solution, texts = mazur
    d = solution.derivation
    derived = [s.key for s in d.steps() if s.value is not None]
    for key in ("dE_dout_o1", "dout_dnet_o1", "dE_dout_h1", "dout_dnet_h1", "delta_o1"):
        assert derived.count(key) == 1, f"{key} derived more than once"
    first = d.step("dE_dout_o1").number
    w6 = d.step("grad_w6")
    assert first in w6.uses and d.step("dout_dnet_o1").number in w6.uses
    w2 = d.step("grad_w2")
    assert d.step("dE_dout_h1").number in w2.uses
    cited = f"({first}), ({d.step('dout_dnet_o1').number}) and ({d.step('dnet_o1_dw6').number})):"
    assert cited in texts["md"]  # the lead of the w6 product names where its factors were found
    for step in d.steps():
        assert all(n < (step.number or 10**9) for n in step.uses), step.key


def test_2_2_2_summary_and_error_after_the_update(mazur):
    solution, texts = mazur
    summary = solution.derivation.summary
    problem = solution.problem
    # independently: a new spec with the updated weights, loaded and evaluated from scratch
    values = problem.values()
    spec = {"inputs": [Decimal("0.05"), Decimal("0.10")], "targets": [Decimal("0.01"), Decimal("0.99")],
            "loss": "half_sse", "learning_rate": Decimal("0.5"),
            "layers": [{"units": layer.units, "activation": layer.activation,
                        "weights": [[_decimal(values[f"{w}_new"]) for w in row] for row in layer.weight_names],
                        "bias": _decimal(values[f"{layer.bias_names[0]}_new"])} for layer in problem.network.layers]}
    after = derive.load(spec).values()["E_total"]
    assert abs(summary.error_after.value - after) < sp.Float("1e-30")
    assert round(float(summary.error_after.value), 9) == 0.291027774  # README: the textbook algorithm gives this
    assert r"E_{\mathit{total}}^{+} = 0.291027774" in texts["md"]
    rows = {r.param: r for r in summary.rows}
    assert rows["b1"].trainable is False and rows["w5"].number == solution.derivation.step("w5_new").number


def _decimal(value) -> str:
    """A number as an exact decimal for a spec (50 places: far below what the comparison can see)."""
    return Decimal(format(sp.Float(value, 60), ".50f"))


# ---------------------------------------------------------------- 2-2-1 (file 002)

def test_2_2_1_carry_rounding_reproduces_the_tutorial(tmp_path):
    out = tmp_path / "sol.md"
    assert main(["solve", "2-2-1", "--style", "matrix", "--carry-rounding", "3", "-o", str(out)]) == 0
    text = out.read_text()
    blocks = equations(text)
    solution = derive.solve("2-2-1", style="matrix", carry_rounding=3)
    d = solution.derivation
    assert last_line(blocks[d.step("z@1").number]) == r"&= \begin{bmatrix}0.85 \\ 0.48\end{bmatrix}"
    assert last_line(blocks[d.step("z@2").number]) == r"&= \begin{bmatrix}0.191\end{bmatrix}"
    assert r"0.191 - 1 \\" in blocks[d.step("dE_dout_o1").number]
    assert last_line(blocks[d.step("dE_dout_o1").number]) == "&= -0.809"
    # the matrix updates: W(2)+ = W(2) - eta delta a^T with the printed numbers
    update = blocks[d.step("Wnew@2").number]
    assert r"- 0.05 \begin{bmatrix}-0.688 & -0.388\end{bmatrix}" in update
    assert last_line(update) == r"&= \begin{bmatrix}0.174 & 0.169\end{bmatrix}"


def test_2_2_1_two_decimals_give_the_tutorials_matrices():
    """Rounding to 3 places while computing and showing 2, as the tutorial prints: .17 .17 and .12 .13 .23 .10."""
    text = derive.solve("2-2-1", style="matrix", carry_rounding=3, decimals=2).markdown()
    assert r"&= \begin{bmatrix}0.17 & 0.17\end{bmatrix}" in text
    assert r"&= \begin{bmatrix}0.12 & 0.23 \\ 0.13 & 0.1\end{bmatrix}" in text  # rows: neurons h1, h2


def test_2_2_1_without_carry_rounding_is_exact():
    solution = derive.solve("2-2-1", style="matrix")
    text = solution.markdown()
    # by hand, exactly: h = (0.85, 0.48), prediction 0.191, Δ = -0.809, w⁺ = w - 0.05 Δ h
    h, delta, eta = (Fraction("0.85"), Fraction("0.48")), Fraction("0.191") - 1, Fraction("0.05")
    w5, w6 = (Fraction("0.14") - eta * delta * h[0], Fraction("0.15") - eta * delta * h[1])
    assert w5 == Fraction("0.1743825")
    assert rf"\begin{{bmatrix}}{float(w5)} & {float(w6)}\end{{bmatrix}}" in text
    assert solution.problem.values()["w5_new"] == sp.Rational(w5)
    assert "0.191" in text and "0.174 &" not in text


# ---------------------------------------------------------------- 3-3-3-3 (file 004)

def test_3_3_3_3_matrix_numbers_are_the_engines():
    solution = derive.solve("3-3-3-3", style="matrix")
    values = solution.problem.values()
    text = solution.markdown()
    blocks = equations(text)
    matrices = 0
    for step in solution.derivation.steps():
        if isinstance(step.value, sp.MatrixBase):
            matrices += 1
            for entry in step.value:
                assert entry.value == values[entry.key], (step.key, entry.key)
            assert last_line(blocks[step.number]).startswith(r"&= \begin{bmatrix}")
    assert matrices >= 15
    assert {s.key for s in solution.derivation.steps()} >= {"J@3", "delta@3", "gradW@1", "Wnew@1"}
    # δ = out − t is derived for softmax + cross-entropy, then used as a vector
    simplification = solution.derivation.step("delta_o1", rule=S.SOFTMAX_CE)
    assert simplification.condition is not None
    assert [e.value for e in solution.derivation.step("delta@3", rule=S.SOFTMAX_CE).value] == \
        [values[f"out_{o}"] - values[f"t_{o}"] for o in ("o1", "o2", "o3")]
    assert r"\mathit{out}_{o1} - t_{o1}" in blocks[simplification.number]
    assert r"\left(J^{(3)}\right)^{\mathsf{T}}" in text


def test_3_3_3_3_matrix_gradients_printed_to_nine_places():
    solution = derive.solve("3-3-3-3", style="matrix")
    values = solution.problem.values()
    text = solution.markdown()
    for name in ("grad_w1", "grad_w19", "w27_new", "delta_h2_1"):
        assert f"{float(values[name]):.9f}".rstrip("0") in text, name
