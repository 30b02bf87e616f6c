"""Issue 12, items 3-4: ∂E/∂net claims under δ = −∂E/∂net, scaled activations (σ(λ·net), a·tanh(b·net),
a linear unit with a factor) against exact values, PyTorch and finite differences."""

from __future__ import annotations

import json

import pytest

import derive
from derive.classroom.check import check_claims
from derive.cli import main
from derive.engine.train import with_conventions

HAN = "3-2-1-han-kamber"


def test_derivative_claim_is_minus_delta_under_negative_error_term(tmp_path):
    """Han & Kamber's Err_6 = 0.1311 is −∂E/∂net_6: a student writing ∂E/∂net_6 = −0.1311 is right."""
    claims = tmp_path / "c.yaml"
    claims.write_text("dE/dnet_u6: -0.1311\nδ_u5: -0.0065\n∂E/∂net_u4: 0.0087\n")
    report = check_claims(HAN, str(claims))
    assert sorted((r.claim.key, r.status) for r in report.results) == [
        ("delta_u4", "ok"), ("delta_u5", "ok"), ("delta_u6", "ok")]
    shown = {r["name"]: (r["claimed"], r["computed_rounded"]) for r in report.to_dict()["claims"]}
    assert shown == {"dE/dnet_u6": ("-0.1311", "-0.1311"), "δ_u5": ("-0.0065", "-0.0065"),
                     "∂E/∂net_u4": ("0.0087", "0.0087")}


def test_derivative_claim_with_deltas_sign_is_wrong_under_negative_error_term(tmp_path):
    claims = tmp_path / "c.yaml"
    claims.write_text("dE/dnet_u6: 0.1311\n")
    assert check_claims(HAN, str(claims)).results[0].status == "wrong"
    positive = with_conventions(HAN, error_term="positive")
    claims.write_text("dE/dnet_u6: -0.1311\n")
    assert check_claims(positive, str(claims)).results[0].status == "ok"


# ---------------------------------------------------------------- bias folded into the weight matrix (x0 = 1)

# Abu-Mostafa, Magdon-Ismail & Lin, *Learning From Data* (AMLBook 2012), e-Chapter 7, Example 7.1:
# one input x = 2, y = 1, tanh units, e = (h − y)², W(l) with the bias row (x0 = 1) first and one column
# per neuron (s = Wᵀx): the spec writes them input-major with the bias column first.
LFD = """\
inputs: [2]
targets: [1]
loss: sse
weights_layout: input_major
conventions: {bias_as: weight_column_first}
layers:
  - {units: 2, activation: tanh, weights: [[0.1, 0.2], [0.3, 0.4]]}
  - {units: 1, activation: tanh, weights: [[0.2], [1], [-3]]}
  - {units: 1, activation: tanh, weights: [[1], [2]]}
"""
# every number the example prints, by derive's names (x(l) = [1; out]); ∂e/∂W(l) = x(l−1) (δ(l))ᵀ,
# its bias row is ∂e/∂b
LFD_PRINTED = {
    "net_h1_1": "0.7", "net_h1_2": "1",                        # s(1) = [0.7; 1]
    "out_h1_1": "0.60", "out_h1_2": "0.76",                    # x(1) = [1; 0.60; 0.76]
    "net_h2_1": "-1.48", "out_h2_1": "-0.90",                  # s(2), x(2) = [1; −0.90]
    "net_o1": "-0.8",                                          # s(3); x(3) below
    "delta_o1": "-1.85", "delta_h2_1": "-0.69",                # δ(3), δ(2)
    "delta_h1_1": "-0.44", "delta_h1_2": "0.88",               # δ(1)
    "grad_b_h1_1": "-0.44", "grad_b_h1_2": "0.88", "grad_w1": "-0.88", "grad_w2": "1.75",   # ∂e/∂W(1)
    "grad_b_h2_1": "-0.69", "grad_w3": "-0.42", "grad_w4": "-0.53",                           # ∂e/∂W(2)
    "grad_b_o1": "-1.85", "grad_w5": "1.67",                                                  # ∂e/∂W(3)
}


def test_learning_from_data_example_7_1_every_printed_number():
    """Each printed number is derive's exact value rounded to the places printed, but one (below)."""
    values = derive.load(LFD).values()
    for key, text in LFD_PRINTED.items():
        places = len(text.split(".")[1]) if "." in text else 0
        assert round(float(values[key]), places) == pytest.approx(float(text), abs=1e-12), key


def test_learning_from_data_output_is_truncated_and_check_names_it(tmp_path):
    """The book prints x(3) = −0.66: tanh(−0.8031) = −0.6658 truncated to 2 places (rounded it is −0.67;
    tanh of the printed s(3) = −0.8 is −0.664). Its δ(3) = −1.85 comes from the unrounded −0.6658
    (from −0.66 it would be −1.87). ``derive check`` accepts it as carried rounding (from s(3) = −0.8)."""
    value = float(derive.load(LFD).values()["out_o1"])
    assert round(value, 2) == -0.67 and int(value * 100) / 100 == -0.66
    claims = tmp_path / "c.yaml"
    claims.write_text("out_o1: -0.66\ndelta_o1: -1.85\n")
    results = check_claims(derive.load(LFD).spec, str(claims)).results
    assert [(r.claim.key, r.status, r.match) for r in results] == [
        ("out_o1", "ok", "carried"), ("delta_o1", "ok", "rounded")]


def test_bias_column_is_the_bias_of_the_plain_spec():
    """Column first or last, neuron- or input-major: the same network as the spec with `bias:`."""
    plain = derive.load({"inputs": [2], "targets": [1], "loss": "sse", "layers": [
        {"units": 2, "activation": "tanh", "weights": [[0.3], [0.4]], "bias": [0.1, 0.2]},
        {"units": 1, "activation": "tanh", "weights": [[1, -3]], "bias": [0.2]},
        {"units": 1, "activation": "tanh", "weights": [[2]], "bias": [1]}]})
    last = LFD.replace("weight_column_first", "weight_column_last").replace(
        "[[0.1, 0.2], [0.3, 0.4]]", "[[0.3, 0.4], [0.1, 0.2]]").replace("[[0.2], [1], [-3]]", "[[1], [-3], [0.2]]") \
        .replace("[[1], [2]]", "[[2], [1]]")
    for text in (LFD, last):
        folded = derive.load(text)
        assert folded.parameter_names == plain.parameter_names
        for name in plain.parameter_names:
            assert folded.values()[f"grad_{name}"] == plain.values()[f"grad_{name}"]
            assert folded.values()[f"{name}_new"] == plain.values()[f"{name}_new"]


def test_json_states_the_bias_column(capsys, tmp_path):
    spec = tmp_path / "lfd.yaml"
    spec.write_text(LFD)
    assert main(["solve", str(spec), "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["conventions"]["bias_as"] == "weight_column_first"
    assert data["layers"][0]["weights_with_bias_column"] == [[0.1, 0.3], [0.2, 0.4]]
    assert data["layers"][1]["bias"] == [0.2] and data["layers"][2]["weights_with_bias_column"] == [[1.0, 2.0]]


@pytest.mark.parametrize("old, new, line, message", [
    ("[[0.2], [1], [-3]]", "[[1], [-3]]", 8,
     "layers[1].weights must have shape 3x1 (one row per input, one column per neuron (input_major), "
     "plus the bias column first for x0 = 1); got 2x1"),
    ("{units: 1, activation: tanh, weights: [[1], [2]]}", "{units: 1, activation: tanh, weights: [[1], [2]], bias: 0.5}",
     9, "layers[2].bias must not be given under conventions.bias_as weight_column_first"),
    ("weight_column_first", "weight_column", 5, "conventions.bias_as must be one of bias, threshold, "
                                                "weight_column_first, weight_column_last; got text 'weight_column'"),
])
def test_bias_column_errors_name_the_shape_and_line(tmp_path, capsys, old, new, line, message):
    spec = tmp_path / "lfd.yaml"
    spec.write_text(LFD.replace(old, new))
    assert main(["solve", str(spec)]) != 0
    err = capsys.readouterr().err
    assert message in err and f"lfd.yaml:{line}:" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("style", ["scalar", "delta", "matrix"])
def test_bias_column_every_style(style):
    text = derive.solve(LFD, style=style).markdown()
    assert "-1.85" in text or "-1.855" in text


def test_bias_column_check_marks_the_books_numbers(tmp_path):
    claims = tmp_path / "c.yaml"
    claims.write_text("out_h1_1: 0.60\nout_o1: -0.66\ndelta_o1: -1.85\ndE/dw5: 1.67\ndE/db_h1_2: 0.88\n")
    assert all(r.status == "ok" for r in check_claims(derive.load(LFD).spec, str(claims)).results)


def test_bias_column_compiled_gradient_equals_exact():
    problem = derive.load(LFD)
    values = problem.values()
    for backend in ("scalar", "vector"):
        fast = problem.compile_gradient(backend=backend)()
        for name in problem.parameter_names:
            assert fast.gradients[name] == pytest.approx(float(values[f"grad_{name}"]), abs=1e-12)
