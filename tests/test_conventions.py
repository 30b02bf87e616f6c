"""Textbook conventions: the error-term sign (δ = −∂E/∂net) and carried rounding by kind of quantity.

The published example reproduced here is Han, Kamber & Pei, *Data Mining: Concepts and
Techniques*, 3rd ed. (Morgan Kaufmann 2012), §9.2.3, Example 9.1 "Sample calculations for
learning by the backpropagation algorithm" (Figure 9.5, Tables 9.1–9.3), as reprinted in
course notes ("Appendix B: An Example of Back-propagation Algorithm"): x = (1, 0, 1), class
label 1, learning rate 0.9, Err_j = O_j(1 − O_j)(T_j − O_j), w_ij ← w_ij + l·Err_j·O_i,
θ_j ← θ_j + l·Err_j. It is the built-in example ``3-2-1-han-kamber``.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from derive.classroom.check import check_claims
from derive.cli import main
from derive.engine.train import train, with_conventions
from derive.errors import SpecError
from derive.spec import load_spec
from derive.engine.compiled import CompiledGradient
from derive.spec.model import CarryRounding

from strategies import networks

HAN = "3-2-1-han-kamber"

# Every number the book prints (Tables 9.2 and 9.3), by the example's quantity names.
HAN_PRINTED = {
    "net_u4": "-0.7", "net_u5": "0.1", "net_u6": "-0.105",
    "out_u4": "0.332", "out_u5": "0.525", "out_u6": "0.474",
    "delta_u6": "0.1311", "delta_u5": "-0.0065", "delta_u4": "-0.0087",
    "w46_new": "-0.261", "w56_new": "-0.138", "w14_new": "0.192", "w15_new": "-0.306",
    "w24_new": "0.4", "w25_new": "0.1", "w34_new": "-0.508", "w35_new": "0.194",
    "theta6_new": "0.218", "theta5_new": "0.194", "theta4_new": "-0.408",
}


def test_han_kamber_every_printed_number_is_reproduced_exactly():
    values = derive.load(HAN).values()
    computed = {key: Fraction(int(values[key].p), int(values[key].q)) for key in HAN_PRINTED}
    assert computed == {key: Fraction(text) for key, text in HAN_PRINTED.items()}


def test_han_kamber_needs_the_books_rounding_for_its_fourth_digit():
    """Without carried rounding δ_6 is 0.13117 (0.1312 to 4 places): the book's 0.1311 comes from O_6 = 0.474."""
    exact = derive.load(with_conventions(HAN, carry_rounding=None))
    assert round(exact.value("delta_u6"), 4) == 0.1312
    assert round(exact.value("w46_new"), 3) == -0.261  # the printed weights survive either way


def test_negative_error_term_flips_delta_only():
    positive = derive.load(with_conventions(HAN, error_term="positive", carry_rounding=None))
    negative = derive.load(with_conventions(HAN, carry_rounding=None))
    for q in positive.model.quantities:
        a, b = positive.values()[q.key], negative.values()[q.key]
        assert a == (-b if q.kind == "delta" else b), q.key


def test_books_err_values_are_recognised_as_the_sign_convention(tmp_path):
    """A spec without the convention: the book's Err values are the other sign convention, not sign slips."""
    spec = with_conventions(HAN, error_term="positive")
    claims = tmp_path / "han.yaml"
    claims.write_text("delta_u6: 0.1311\ndelta_u4: -0.0087\nout_u6: 0.474\n")
    report = check_claims(spec, str(claims))
    results = {r.claim.key: r for r in report.results}
    assert results["out_u6"].status == "ok"
    why = results["delta_u6"].explanation
    assert results["delta_u6"].status == "wrong" and why.convention == "error_term=negative", why
    # δ4 is computed from the student's own δ6: marked as following from that root error
    assert results["delta_u4"].status == "follow_through", results["delta_u4"]
    assert all(r.status == "ok" for r in check_claims(HAN, str(claims)).results)


@pytest.mark.parametrize("style", ["scalar", "delta", "matrix"])
def test_every_style_states_and_uses_the_negative_error_term(style):
    text = derive.solve(HAN, style=style).markdown()
    assert r"\delta = -\partial E / \partial net" in text
    assert "error terms $\\delta$ to 4" in text and "outputs to 3" in text
    if style == "delta":  # the book's update: w + η δ o, with its numbers
        assert r"w_{46} + \eta \delta_{u6} \mathit{out}_{u4}" in text
        assert r"\left(-0.3\right) + 0.9 \cdot 0.1311 \cdot 0.332" in text
    if style == "matrix":
        assert r"\boldsymbol{\delta}^{(2)} &= -\frac{\partial E_{\mathit{total}}}{\partial \mathbf{a}^{(2)}}" in text
        assert r"&= -\boldsymbol{\delta}^{(1)} \mathbf{x}^{\mathsf{T}}" in text


def test_json_states_the_convention_and_the_deltas(capsys):
    assert main(["solve", HAN, "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["conventions"]["error_term"] == "negative"
    assert data["conventions"]["carry_rounding"] == {"net": 3, "out": 3, "delta": 4, "update": 3}
    assert data["layers"][1]["delta"] == [[0.1311]] and data["layers"][0]["delta"] == [[-0.0087, -0.0065]]


def test_carry_rounding_map_default_and_compiled_path_agree():
    spec = with_conventions("2-2-2", carry_rounding=CarryRounding((("out", 3),), default=5))
    problem = derive.load(spec)
    values = problem.values()
    assert values["out_h1"] == Fraction("0.593") and values["net_h1"] == Fraction("0.3775")
    assert (values["delta_o1"] * 10**5).is_Integer and not (values["delta_o1"] * 10**4).is_Integer
    fast = CompiledGradient(problem.model, carry_rounding=spec.conventions.carry_rounding)()
    for name in problem.parameter_names:
        assert fast.gradients[name] == pytest.approx(float(values[f"grad_{name}"]), abs=1e-12)
        assert fast.updated[name] == pytest.approx(float(values[f"{name}_new"]), abs=1e-12)


@pytest.mark.parametrize("text, message", [
    ("conventions: {error_term: minus}", "conventions.error_term must be one of positive, negative; got text 'minus'"),
    ("conventions: {carry_rounding: {outs: 3}}", "conventions.carry_rounding.outs is not a known key; did you mean 'out'?"),
    ("conventions: {carry_rounding: {out: 31}}", "conventions.carry_rounding.out must be"),
    ("conventions: {carry_rounding: {}}", "conventions.carry_rounding must name at least one of net, out"),
])
def test_convention_errors_name_the_field_and_line(tmp_path, capsys, text, message):
    path = tmp_path / "spec.yaml"
    path.write_text(_spec_with(text))
    with pytest.raises(SpecError) as error:
        load_spec(str(path))
    assert message in str(error.value) and f"{path}:" in str(error.value)
    assert main(["solve", str(path)]) == 2 and message in capsys.readouterr().err


def _spec_with(text: str) -> str:
    return ("inputs: [1, 2]\ntargets: [1]\nlayers:\n  - units: 1\n    activation: sigmoid\n"
            "    weights: [[0.1, 0.2]]\n" + text + "\n")


# ---------------------------------------------------------------- random networks

torch = pytest.importorskip("torch")


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(networks(activations=("sigmoid", "tanh", "relu", "linear", "softmax")))
def test_negative_error_term_is_minus_dE_dnet_from_pytorch(spec):
    """δ under ``error_term: negative`` is −∂E/∂net by autograd, and the gradients do not change."""
    from torch_net import TorchNet

    spec = {**spec, "conventions": {"error_term": "negative"}}
    problem = derive.load(spec)
    net = TorchNet(problem)
    layers = net.forward()
    for _, z, _ in layers:
        z.retain_grad()
    out = layers[-1][2]
    net.outputs = lambda: out  # the loss of this very forward pass, so the nets' gradients are kept
    loss = net.loss()
    loss.backward()
    values = problem.values()
    for layer, z, _ in layers:
        for n in range(len(problem.spec.examples)):
            for j, neuron in enumerate(layer.neurons):
                key = problem.model.ex(f"delta_{neuron}", n)
                assert float(values[key]) == pytest.approx(-z.grad[n, j].item(), rel=1e-9, abs=1e-12)
    positive = derive.load({**spec, "conventions": {"error_term": "positive"}}).values()
    for name in problem.parameter_names:
        assert values[f"grad_{name}"] == positive[f"grad_{name}"]


# ---------------------------------------------------------------- frozen weights

FROZEN = {"inputs": [0.05, 0.10], "targets": [0.01, 0.99], "frozen": ["w1", "w6", "b_h1"],
          "layers": [{"units": 2, "activation": "sigmoid", "weights": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35, 0.4]},
                     {"units": 2, "activation": "sigmoid", "weights": [[0.40, 0.45], [0.50, 0.55]], "bias": 0.60}]}


def test_frozen_biases_reproduce_the_step_by_step_tutorial():
    """A published example of frozen parameters: Mazur's step-by-step 2-2-2 tutorial (reference files 000
    and 001) trains the weights and keeps both biases (0.35, 0.60) fixed. Written as ``frozen: [b1, b2]``
    instead of ``train_biases: false``, derive gives every updated weight the tutorial prints (9 places,
    trailing zeros dropped; w4 printed 0.29950229) and leaves the biases where they were."""
    import pathlib

    import yaml

    import derive.spec

    text = (pathlib.Path(derive.spec.__file__).parent / "examples" / "2-2-2.yaml").read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    assert spec.pop("train_biases") is False
    spec["frozen"] = ["b1", "b2"]
    problem = derive.load(spec)
    assert [p.name for p in problem.network.parameters if not p.trainable] == ["b1", "b2"]
    values = problem.values()
    printed = ["0.149780716", "0.19956143", "0.24975114", "0.29950229",
               "0.35891648", "0.408666186", "0.51130127", "0.561370121"]
    for n, text in enumerate(printed, start=1):
        places = len(text.split(".")[1])
        assert f"{float(values[f'w{n}_new']):.{places}f}".rstrip("0") == text, (n, text)
    assert (values["b1_new"], values["b2_new"]) == (values["b1"], values["b2"])
    assert (float(values["b1"]), float(values["b2"])) == (0.35, 0.6)
    assert derive.load("2-2-2").values()["w5_new"] == values["w5_new"]


def test_frozen_parameters_keep_their_values_and_still_report_gradients():
    problem = derive.load(FROZEN)
    values = problem.values()
    for p in problem.network.parameters:
        assert p.trainable == (p.name not in FROZEN["frozen"])
        expected = values[p.name] if not p.trainable else values[p.name] - values["eta"] * values[f"grad_{p.name}"]
        assert float(values[f"{p.name}_new"]) == pytest.approx(float(expected), rel=1e-30)
        assert values[f"grad_{p.name}"] != 0


@pytest.mark.parametrize("style", ["scalar", "delta", "matrix"])
def test_frozen_parameters_in_every_style(style):
    text = derive.solve(FROZEN, style=style).markdown()
    assert "**Held fixed (not trained):** $w_{1}$, $w_{6}$, $b_{h1}$." in text
    assert text.count("| not trained |") == 3  # the summary
    if style == "matrix":  # the masked update, with its numbers
        assert r"\begin{bmatrix}1 & 0 \\ 1 & 1\end{bmatrix} \odot" in text
        assert r"&= \begin{bmatrix}0.15 & 0.199560297 \\ 0.249753086 & 0.299506171\end{bmatrix}" in text


@pytest.mark.parametrize("value, message", [
    (["w9"], "frozen[0] must name a weight or bias of the network; got 'w9'"),
    (["b_h3"], "frozen[0] must name a weight or bias of the network (did you mean 'b_h2'?); got 'b_h3'"),
    (["w1", "w1"], "frozen[1] must name each parameter once; got 'w1' twice"),
    ("w1", "frozen must be a list of weight and bias names"),
])
def test_frozen_errors(value, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec({**FROZEN, "frozen": value})


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(networks(activations=("sigmoid", "tanh", "linear", "softmax"), losses=("half_sse", "mse", "cross_entropy")),
       st.data())
def test_training_with_frozen_parameters_matches_pytorch(spec, data):
    """``derive train`` against torch.optim.SGD whose frozen entries get a zero gradient (a mask hook)."""
    from torch_net import TorchNet

    names = [p.name for p in derive.load(spec).network.parameters]
    frozen = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    spec = {**spec, "frozen": frozen}
    problem = derive.load(spec)
    run = train(problem, 5)
    net = TorchNet(problem)
    for layer, weights, bias in net.layers:
        mask = torch.tensor([[float(w not in frozen) for w in row] for row in layer.weight_names], dtype=torch.float64)
        weights.register_hook(lambda g, mask=mask: g * mask)
        if bias is not None and layer.train_bias:
            names_b = list(dict.fromkeys(layer.bias_names))
            bmask = torch.tensor([float(b not in frozen) for b in names_b], dtype=torch.float64)
            bias.register_hook(lambda g, m=bmask if bias.dim() else bmask[0]: g * m)
    history = net.train(torch.optim.SGD(net.trained, lr=float(problem.spec.learning_rate)), 5)
    assert run.loss_history == pytest.approx(history, rel=1e-9, abs=1e-12)
    assert run.parameters == pytest.approx(net.parameters(), rel=1e-9, abs=1e-12)
    for name in frozen:
        assert run.parameters[name] == float(problem.network.parameter(name).value)


# ---------------------------------------------------------------- thresholds on an input fixed at −1

THRESHOLD = {"inputs": [1, 1], "targets": [0], "learning_rate": 0.1,
             "conventions": {"error_term": "negative", "bias_as": "threshold"},
             "layers": [{"units": 2, "activation": "sigmoid", "weights": [[0.5, 0.4], [0.9, 1.0]], "bias": [0.8, -0.1],
                         "bias_names": ["theta3", "theta4"]},
                        {"units": 1, "activation": "sigmoid", "weights": [[-1.2, 1.1]], "bias": [0.3],
                         "bias_names": ["theta5"]}]}


def _as_bias(spec: dict) -> dict:
    """The same network with each threshold θ written as the bias b = −θ."""
    layers = [{**layer, "bias": [-Fraction(str(b)) for b in layer["bias"]]} for layer in spec["layers"]]
    return {**spec, "layers": layers, "conventions": {"error_term": "negative"}}


def test_a_threshold_is_a_bias_of_the_opposite_sign():
    threshold, bias = derive.load(THRESHOLD), derive.load(_as_bias(THRESHOLD))
    a, b = threshold.values(), bias.values()
    for q in threshold.model.quantities:
        if (q.param or "").startswith("theta") and q.kind in ("param", "updated", "grad", "dnet_dparam"):
            assert a[q.key] == -b[q.key], q.key
        else:
            assert a[q.key] == b[q.key], q.key
    assert threshold.expression("net_h1") == sp_parse("-theta3 + w1*x1 + w2*x2")


def sp_parse(text: str):
    import sympy as sp

    return sp.sympify(text, locals={name: sp.Symbol(name, real=True) for name in ("theta3", "w1", "w2", "x1", "x2")})


@pytest.mark.parametrize("style", ["scalar", "delta", "matrix"])
def test_thresholds_in_every_style(style):
    text = derive.solve(THRESHOLD, style=style).markdown()
    assert "| Layer | Neurons | Activation | Weights | Threshold |" in text
    assert "$\\theta_{3} = 0.8$" in text
    assert "minus the threshold (a weight $\\theta$ on an input fixed at $-1$)" in text
    if style != "matrix":
        assert r"\mathit{net}_{h1} &= w_{1} x_{1} + w_{2} x_{2} - \theta_{3}" in text
    else:
        assert r"\mathbf{z}^{(1)} &= W^{(1)} \mathbf{x} - \boldsymbol{\theta}^{(1)}" in text
    if style == "delta":  # Δθ = η δ (−1)
        assert r"\theta_{5}^{+} &= \theta_{5} - \eta \cdot \frac{\partial E_{\mathit{total}}}{\partial \theta_{5}} \\" in text
        assert r"&= \theta_{5} + \eta \delta_{o1} \cdot \left(-1\right)" in text


def test_threshold_convention_in_json_and_errors(capsys, tmp_path):
    assert derive.load(THRESHOLD).to_dict()["conventions"]["bias_as"] == "threshold"
    path = tmp_path / "spec.yaml"
    path.write_text(_spec_with("conventions: {bias_as: theta}"))
    assert main(["solve", str(path)]) == 2
    assert "conventions.bias_as must be one of bias, threshold, weight_column_first, weight_column_last; got text 'theta'" in capsys.readouterr().err
