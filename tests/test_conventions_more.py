"""Issue 12, items 3-4: ∂E/∂net claims under δ = −∂E/∂net, scaled activations (σ(λ·net), a·tanh(b·net),
a linear unit with a factor) against exact values, PyTorch and finite differences."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

import derive
from derive.classroom.check import check_claims
from derive.cli import main
from derive.engine.train import with_conventions

from torch_net import TorchNet, needs_torch

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


# ---------------------------------------------------------------- scaled activations

import sympy as sp  # noqa: E402


SCALED = """\
inputs: [0.5, -1]
targets: [0.2]
loss: binary_cross_entropy
layers:
  - {units: 2, activation: {name: tanh, scale: 1.7159, gain: 2/3}, weights: [[0.3, -0.2], [0.1, 0.4]], bias: 0.1}
  - {units: 1, activation: {name: linear, gain: 0.5}, weights: [[0.6, -0.3]]}
  - {units: 1, activation: {name: sigmoid, gain: 2}, weights: [[0.4]], bias: -0.1}
"""


def _same(x, y) -> bool:
    """Equal to 30 digits (transcendental values are high-precision floats)."""
    return abs(sp.N(x - y, 40)) < sp.Float("1e-30")


def test_scaled_activation_values_and_derivatives_in_out():
    """LeCun's 1.7159·tanh(2/3·net): (b/a)(a² − out²); σ(λ·net): λ·out(1 − out) (Zurada); k·net: k."""
    problem = derive.load(SCALED)
    v = problem.values()
    a, b = sp.Rational("1.7159"), sp.Rational(2, 3)
    net, n = v["net_h1_1"], sp.Symbol("n")
    assert _same(v["out_h1_1"], a * sp.tanh(b * net))
    assert _same(v["dout_dnet_h1_1"], b / a * (a**2 - v["out_h1_1"] ** 2))
    assert _same(v["dout_dnet_h1_1"], sp.diff(a * sp.tanh(b * n), n).subs(n, net))
    assert v["out_h2_1"] == v["net_h2_1"] / 2 and v["dout_dnet_h2_1"] == sp.Rational(1, 2)
    out = v["out_o1"]
    assert _same(out, 1 / (1 + sp.exp(-2 * v["net_o1"]))) and _same(v["dout_dnet_o1"], 2 * out * (1 - out))
    # sigmoid with binary cross-entropy: δ = λ(out − t), the simplified form, agrees with the chain rule
    assert _same(v["delta_o1"], 2 * (out - sp.Rational("0.2")))
    assert _same(v["delta_o1"], v["dE_dout_o1"] * v["dout_dnet_o1"])


def test_fausett_bipolar_sigmoid_is_tanh_with_gain_one_half():
    """Fausett's bipolar sigmoid f(x) = 2/(1 + e^(−x)) − 1 = tanh(x/2), f′ = ½(1 + f)(1 − f)."""
    spec = {"inputs": [0.8], "targets": [0.5], "layers": [
        {"units": 1, "activation": {"name": "tanh", "gain": "1/2"}, "weights": [[0.7]], "bias": -0.3}]}
    v = derive.load(spec).values()
    f = v["out_o1"]
    assert _same(f, 2 / (1 + sp.exp(-v["net_o1"])) - 1)
    assert _same(v["dout_dnet_o1"], sp.Rational(1, 2) * (1 + f) * (1 - f))


def test_scaled_compiled_gradients_equal_exact():
    problem = derive.load(SCALED)
    values = problem.values()
    for backend in ("scalar", "vector"):
        fast = problem.compile_gradient(backend=backend)()
        for name in problem.parameter_names:
            assert fast.gradients[name] == pytest.approx(float(values[f"grad_{name}"]), abs=1e-12), (backend, name)


@needs_torch
def test_scaled_gradients_match_pytorch():
    net = TorchNet(derive.load(SCALED))
    grads = net.gradients()
    values = derive.load(SCALED).values()
    for name, g in grads.items():
        assert g == pytest.approx(float(values[f"grad_{name}"]), abs=1e-10), name


@pytest.mark.parametrize("style", ["scalar", "delta", "matrix"])
def test_scaled_activation_every_style_shows_scale_and_gain(style):
    text = derive.solve(SCALED, style=style).markdown()
    assert r"\mathit{out} = 1.7159 \tanh{\left(\frac{2}{3} \mathit{net} \right)}" in text  # problem table
    assert r"\sigma\left(2 \cdot" in text
    assert "The derivative of the sigmoid is" not in text  # σ(1 − σ) is not λ·σ(1 − σ)
    if style == "matrix":
        assert r"1.7159 \cdot \tanh\left(\frac{2}{3} \cdot \mathbf{z}^{(1)}\right)" in text
        assert r"0.5 \cdot \mathbf{z}^{(2)}" in text  # the gain as the spec wrote it (0.5, not 1/2)
    for fmt in ("latex", "html"):
        assert getattr(derive.solve(SCALED, style=style), fmt)()


def test_scaled_activation_json(capsys, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(SCALED)
    assert main(["solve", str(spec), "-f", "json"]) == 0
    layers = json.loads(capsys.readouterr().out)["layers"]
    assert [(l["activation"], l["activation_scale"], l["activation_gain"]) for l in layers] == [
        ("tanh", 1.7159, 2 / 3), ("linear", 1.0, 0.5), ("sigmoid", 1.0, 2.0)]


def test_scaled_activation_check_accepts_the_derivative(tmp_path):
    v = derive.load(SCALED).values()
    claims = tmp_path / "c.yaml"
    claims.write_text(f"dout_h1_1/dnet_h1_1: {float(v['dout_dnet_h1_1']):.6f}\nout_o1: {float(v['out_o1']):.6f}\n")
    assert all(r.status == "ok" for r in check_claims(derive.load(SCALED).spec, str(claims)).results)


@pytest.mark.parametrize("old, new, line, message", [
    ("{name: linear, gain: 0.5}", "{name: relu, gain: 0.5}", 6,
     "layers[1].activation.gain does not apply to relu (it takes no scale or gain); got gain: 0.5"),
    ("{name: sigmoid, gain: 2}", "{name: sigmoid, scale: 2}", 7,
     "layers[2].activation.scale does not apply to sigmoid (it takes gain); got scale: 2"),
    ("gain: 2/3", "gain: 2/0", 5, "layers[0].activation.gain must be a positive number or a fraction p/q (2/3); "
                                  "got text '2/0'"),
    ("gain: 2/3", "gain: 1+1", 5, "got text '1+1'"),
    ("gain: 2/3", "gain: 0", 5, "layers[0].activation.gain must be > 0; got 0"),
    ("{name: tanh, scale: 1.7159, gain: 2/3}", "{scale: 1.7159}", 5,
     "layers[0].activation is missing the required key 'name'"),
    ("{name: tanh, scale: 1.7159, gain: 2/3}", "{name: tanh, slope: 2}", 5,
     "layers[0].activation.slope is not a known key"),
])
def test_scaled_activation_errors_name_field_and_line(tmp_path, capsys, old, new, line, message):
    spec = tmp_path / "s.yaml"
    spec.write_text(SCALED.replace(old, new))
    assert main(["solve", str(spec)]) != 0
    err = capsys.readouterr().err
    assert message in err and f"s.yaml:{line}:" in err, err
    assert "Traceback" not in err


# ---------------------------------------------------------------- random networks: bias column, rounding map

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from derive.engine.compiled import CompiledGradient  # noqa: E402
from strategies import networks  # noqa: E402
from test_gradients import torch_loss_and_gradients  # noqa: E402


def _fold_bias(spec: dict, where: str) -> dict:
    """The spec with every layer's per-neuron bias moved into its weight matrix (first or last column)."""
    folded = {key: value for key, value in spec.items() if key != "conventions"}
    folded["conventions"] = {**{k: v for k, v in spec.get("conventions", {}).items() if k != "bias_as"},
                             "bias_as": f"weight_column_{where}"}
    layers = []
    for layer in spec["layers"]:
        layout = layer.get("weights_layout", spec.get("weights_layout", "neuron_major"))
        rows = [list(r) for r in layer["weights"]]
        bias = list(layer["bias"])
        if layout == "input_major":  # one row per input: the bias is one more row
            rows = [bias, *rows] if where == "first" else [*rows, bias]
        else:
            rows = [[b, *r] if where == "first" else [*r, b] for r, b in zip(rows, bias)]
        layers.append({**{k: v for k, v in layer.items() if k != "bias"}, "weights": rows})
    folded["layers"] = layers
    return folded


@needs_torch
@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(networks(bias_modes=("per_neuron",)), st.sampled_from(("first", "last")), st.data())
def test_bias_column_random_networks_match_pytorch_on_the_plain_spec(spec, where, data):
    """derive on the folded spec against PyTorch autograd on the spec with ``bias:`` (thresholds dropped)."""
    spec = {**spec, "conventions": {k: v for k, v in spec.get("conventions", {}).items() if k != "bias_as"}}
    plain = derive.load(spec)
    folded_spec = _fold_bias(spec, where)
    names = plain.parameter_names
    frozen = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=3))
    folded = derive.load({**folded_spec, "frozen": frozen})
    loss, grads = torch_loss_and_gradients(spec, plain.network)
    values = folded.values()
    assert float(values["E_total"]) == pytest.approx(loss, rel=1e-10, abs=1e-12)
    fast = folded.compile_gradient(backend="vector")()
    for name in names:
        parameter = folded.network.parameter(name)
        old, new = float(parameter.value), float(values[f"{name}_new"])
        if not parameter.trainable:  # train_bias: false or frozen: held, whatever its gradient
            assert new == old and (name in frozen or name.startswith("b")), name
            continue
        assert float(values[f"grad_{name}"]) == pytest.approx(grads[name], rel=1e-9, abs=1e-11), name
        assert fast.gradients[name] == pytest.approx(grads[name], rel=1e-9, abs=1e-11), name
        step = float(folded.spec.learning_rate) * grads[name]
        assert new == pytest.approx(old - step, rel=1e-9, abs=1e-11), name


KINDS = ("net", "out", "error", "derivative", "delta", "gradient", "update", "default")


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(networks(max_layers=2, max_units=2), st.dictionaries(st.sampled_from(KINDS), st.integers(2, 6), min_size=1))
def test_carry_rounding_map_random_networks_compiled_equals_exact(spec, places):
    """Per-kind carried rounding (``{out: 3, delta: 4, ...}``): the compiled scalar path rounds as the exact one."""
    spec = {**spec, "conventions": {**spec.get("conventions", {}), "carry_rounding": places}}
    problem = derive.load(spec)
    values = problem.values()
    result = CompiledGradient(problem.model, carry_rounding=problem.spec.conventions.carry_rounding)()
    for name in problem.parameter_names:
        assert result.gradients[name] == pytest.approx(float(values[f"grad_{name}"]), rel=1e-9, abs=1e-9), name
    kinds = {q.key: q.kind for q in problem.model.quantities}
    rounding = problem.spec.conventions.carry_rounding
    for key, kind in kinds.items():  # every carried quantity has at most its kind's places
        digits = rounding.places(kind)
        if digits is not None and kind in ("net", "out", "delta") and values[key].is_Rational:
            assert (values[key] * 10**digits).is_Integer, (key, digits)


def test_moodle_quiz_writes_scaled_activations_and_thresholds(tmp_path):
    """The quiz's statement of the network: a·f(b·net) with the spec's numbers, and net = Σ w x − θ."""
    spec = tmp_path / "q.yaml"
    spec.write_text(SCALED.replace("loss: binary_cross_entropy\n", "conventions: {bias_as: threshold}\n")
                    + "randomize: {weights: {range: [-0.5, 0.5], decimals: 1}}\n")
    assert main(["worksheet", str(spec), "-n", "1", "--seed", "3", "--out", str(tmp_path / "out"),
                 "--format", "moodle", "--quiet"]) == 0
    quiz = (tmp_path / "out" / "quiz.xml").read_text()
    assert ("x<sub>2</sub> &minus; b<sub>1</sub>, out<sub>h1_1</sub> = 1.7159&middot;tanh(2/3&middot;net<sub>h1_1</sub>)"
            in quiz)
    assert "out<sub>h2_1</sub> = 0.5&middot;net<sub>h2_1</sub>" in quiz
    assert "out<sub>o1</sub> = sigmoid(2&middot;net<sub>o1</sub>)" in quiz


def test_bias_column_notation_weight_of_x0():
    """Indexed names write the folded bias as the weight w_{j0} of x0 = 1; the prose and table say so."""
    text = derive.solve(LFD, style="scalar", names="indexed").markdown()
    assert r"\mathit{net}_{h1,1} &= w^{(1)}_{11} x_{1} + w^{(1)}_{10}" in text
    assert "the bias being the weight on an input fixed at $x_0 = 1$" in text
    assert "| Bias (weight of x0 = 1) |" in text
    assert "<th scope=\"col\">Bias (weight of x0 = 1)</th>" in derive.solve(LFD, style="matrix").html()


# Zurada, *Introduction to Artificial Neural Systems* (West, 1992), Example 2.5: the delta learning rule
# for one neuron with the bipolar continuous activation f(net) = 2/(1 + e^(−λ·net)) − 1, λ = 1 (that is
# tanh(net/2): tanh with gain 1/2), f′(net) = ½(1 − o²), c = 0.1, the augmented input x4 = −1 (its weight
# w4 a threshold), presented X1, X2, X3 in turn, each step from the weights the last one left.
# (Quoted from the book as remembered: the search corpus does not hold its text; every number agrees with
# the arithmetic, three only as truncations, below.)
ZURADA_X = [([1, -2, 0], -1), ([0, "1.5", "-0.5"], -1), ([-1, 1, "0.5"], 1)]
ZURADA_PRINTED = [  # per step: net, o, f′(net) and the weights after the step (w1, w2, w3, w4)
    ("2.5", "0.848", "0.140", ("0.974", "-0.948", "0", "0.526")),
    ("-1.948", "-0.75", "0.218", ("0.974", "-0.956", "0.002", "0.531")),
    ("-2.46", "-0.842", "0.145", ("0.947", "-0.929", "0.016", "0.505")),
]


def test_zurada_example_2_5_bipolar_sigmoid_delta_rule(tmp_path):
    """Every number the example prints; derive check names the three the book truncates instead of rounding."""
    weights = ["1", "-1", "0", "0.5"]
    matches = []
    for (x, d), (net, out, slope, after) in zip(ZURADA_X, ZURADA_PRINTED):
        D = lambda values: [Decimal(str(v)) for v in values]  # noqa: E731
        spec = {"inputs": D(x), "targets": [d], "learning_rate": Decimal("0.1"),
                "conventions": {"bias_as": "threshold"},
                "layers": [{"units": 1, "activation": {"name": "tanh", "gain": "1/2"},
                            "weights": [D(weights[:3])], "bias": Decimal(weights[3])}]}
        problem = derive.load(spec)
        claims = {"net_o1": net, "out_o1": out, "dout_o1/dnet_o1": slope,
                  **{f"{name}_new": text for name, text in zip(problem.parameter_names, after)}}
        report = check_claims(problem.spec, claims)
        assert all(r.ok for r in report.results), [(r.claim.name, r.claim.text, float(r.computed)) for r in report.results]
        matches += [(r.claim.key, r.match) for r in report.results if r.match != "rounded"]
        values = problem.values()
        weights = [str(sp.N(values[f"{name}_new"], 30)) for name in problem.parameter_names]
    # the book cuts three numbers to 3 places: w3 = 0.0027 after step 2, o = −0.8426 and w2 = −0.9296 in step 3
    assert matches == [("w3_new", "truncated"), ("out_o1", "truncated"), ("w2_new", "truncated")], matches


def test_training_scaled_and_bias_column_match_pytorch():
    """``derive train`` (the compiled gradient, step after step) against torch.optim.SGD."""
    import torch

    from derive.engine.train import train

    for text in (SCALED, LFD):
        problem = derive.load(text)
        run = train(problem, 4)
        net = TorchNet(problem)
        history = net.train(torch.optim.SGD(net.trained, lr=float(problem.spec.learning_rate)), 4)
        assert run.loss_history == pytest.approx(history, rel=1e-9, abs=1e-12)
        assert run.parameters == pytest.approx(net.parameters(), rel=1e-9, abs=1e-12)


def test_check_reads_claims_in_the_books_indexed_notation(tmp_path):
    """LFD's ∂e/∂W(1) entries by index: the bias row's entry is w_{10}, the weight of x0 = 1."""
    claims = tmp_path / "c.yaml"
    claims.write_text("dE/dw^(1)_10: -0.44\ndE/dw^(1)_11: -0.88\n\"∂E/∂w_{20}^{(1)}\": 0.88\ndE/dw^(3)_11: 1.67\n")
    results = check_claims(derive.load(LFD).spec, str(claims)).results
    assert sorted((r.claim.key, r.status) for r in results) == [
        ("grad_b_h1_1", "ok"), ("grad_b_h1_2", "ok"), ("grad_w1", "ok"), ("grad_w5", "ok")]


def test_derivative_claim_under_negative_error_term_in_the_text_report_and_online(tmp_path, capsys):
    """The text report shows ∂E/∂net as written and computed in its own sign (it showed δ's); an online spec
    (Negnevitsky's, δ = −∂E/∂net) reads the claim as −δ too (it compared it with δ)."""
    claims = tmp_path / "c.yaml"
    claims.write_text("dE/dnet_u6: -0.1311\n")
    assert main(["check", HAN, str(claims)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("dE/dnet_u6"))
    assert row.split()[1:4] == ["-0.1311", "-0.1311", "ok"]
    claims.write_text("dE/dnet_n5: 0.1274\ndE/dnet_n3: -0.0381\n")
    report = check_claims("2-2-1-xor-negnevitsky", str(claims))
    assert [(r.claim.key, r.status) for r in report.results] == [("delta_n5", "ok"), ("delta_n3", "ok")]
    assert [r["claimed"] for r in report.to_dict()["claims"]] == ["0.1274", "-0.0381"]


def test_follow_through_value_of_a_derivative_claim_in_its_own_sign(tmp_path, capsys):
    spec = tmp_path / "net.yaml"
    spec.write_text("conventions: {error_term: negative}\ninputs: [1, 1]\ntargets: [0]\nlayers:\n"
                    "  - {units: 1, activation: sigmoid, neuron_names: [n5], weights: [[-1.2, 1.1]], bias: [0.3]}\n")
    claims = tmp_path / "c.yaml"
    claims.write_text("out_n5: 0.6\ndE/dnet_n5: 0.144\n")  # ∂E/∂net = (0.6 − 0)·0.6·0.4 from the wrong out
    main(["check", str(spec), str(claims), "-f", "md"])
    row = next(line for line in capsys.readouterr().out.splitlines() if "dE/dnet" in line and "0.144" in line)
    assert "(0.144)" in row


def test_explanations_of_a_derivative_claim_speak_in_its_own_sign(tmp_path):
    """dE/dnet_u6 = 0.1311 under δ = −∂E/∂net: the value is −0.1311, and 0.1311 is not grad_theta6 (−0.1311)."""
    claims = tmp_path / "c.yaml"
    claims.write_text("dE/dnet_u6: 0.1311\n")
    result = check_claims(HAN, str(claims), explain=True).results[0]
    texts = [e.text for e in (result.explanation, *result.alternatives)]
    assert texts[0] == "the sign is wrong: the value is -0.1311"  # the example carries 4 decimals
    assert not any("grad_theta6" in t or "error_term" in t or " 0.1311" in t for t in texts), texts
    data = check_claims(HAN, str(claims), explain=True).to_dict()["claims"][0]
    assert data["computed_rounded"] == "-0.1311"
    # the JSON's values are the sentences' values: in the sign of the name as written
    for entry in (data["explanation"], *data["alternatives"]):
        if entry["kind"] != "other_quantity" and entry["value"] is not None:
            assert entry["value"] < 0, entry
    assert data["explanation"]["kind"] == "sign" and round(data["explanation"]["value"], 4) == -0.1311


def test_a_derivative_claim_is_not_explained_by_the_error_term_switch():
    """∂E/∂net does not depend on how δ is defined: the switch is offered for δ, not for ∂E/∂net."""
    delta = float(derive.load("2-2-2").values()["delta_o1"])
    texts = {}
    for name in ("dE/dnet_o1", "delta_o1"):
        result = check_claims("2-2-2", {name: f"{-delta:.9f}"}, explain=True).results[0]
        texts[name] = [e.text for e in (result.explanation, *result.alternatives)]
    assert texts["dE/dnet_o1"][0] == f"the sign is wrong: the value is {delta:.11f}"
    assert not any("error_term" in t for t in texts["dE/dnet_o1"])
    assert any("error_term=negative" in t for t in texts["delta_o1"])
