"""The chain-rule gradients are right: checked on random small networks against independent computations.

(a) SymPy ``diff`` of the fully expanded error (tiny networks only), (b) central finite differences
of the exact evaluator at 60 digits, (c) PyTorch autograd in float64 from an independent forward
pass written here from the spec dict. Also the compiled float path, the softmax/sigmoid shortcut
deltas, large logits, and ReLU's derivative at exactly 0.
"""

from __future__ import annotations

import collections
import math
from decimal import Decimal

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from derive.engine.numeric import evaluate
from derive.engine.symbolic import Model, expand

from strategies import ACTIVATIONS, LOSSES, activation_of, examples_of, networks, neuron_major, threshold_sign
from torch_net import needs_torch, torch


TOL = 1e-12
FD_STEP = sp.Rational(1, 10**15)
FD_PRECISION = 60


def close(a: float, b: float, tol: float = TOL) -> bool:
    """|a − b| within ``tol``, relative to the larger magnitude once it exceeds 1."""
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def exact_gradients(problem) -> dict[str, sp.Expr]:
    values = problem.values()
    return {name: values[f"grad_{name}"] for name in problem.parameter_names}


# ---------------------------------------------------------------- an independent PyTorch computation

def torch_loss_and_gradients(spec: dict, network) -> tuple[float, dict[str, float]]:
    """E_total and ∂E_total/∂p by autograd, from the spec dict alone (derive supplies only the names)."""
    f64 = torch.float64
    weights, biases = [], []
    for index, layer in enumerate(spec["layers"]):
        rows = [[float(w) for w in row] for row in neuron_major(spec, index)]
        weights.append(torch.tensor(rows, dtype=f64, requires_grad=True))
        bias = layer.get("bias")
        if bias is None:
            biases.append(None)
        elif isinstance(bias, list):
            biases.append(torch.tensor([float(b) for b in bias], dtype=f64, requires_grad=True))
        else:
            biases.append(torch.tensor(float(bias), dtype=f64, requires_grad=True))  # shared: one leaf
    per_example = []
    for example in examples_of(spec):
        a = torch.tensor([float(x) for x in example["inputs"]], dtype=f64)
        for layer, W, b in zip(spec["layers"], weights, biases):
            z = W @ a + (threshold_sign(spec) * b if b is not None else 0)
            a = _torch_activation(layer, z)
        t = torch.tensor([float(x) for x in example["targets"]], dtype=f64)
        out_act, out_gain, _ = activation_of(spec["layers"][-1])
        if out_act == "softmax" and spec["loss"] == "cross_entropy":
            log_o = torch.log_softmax(z, 0)  # stable for large logits, where log(softmax) gives 0·(−inf)
        else:
            log_o = torch.log(a)
        if out_act == "sigmoid" and spec["loss"] == "binary_cross_entropy":
            scale = _log_scale(spec)  # from the logits (λ·net for σ(λ·net)): stable where ln(1 − σ) would be ln 0
            per_example.append(torch.nn.functional.binary_cross_entropy_with_logits(out_gain * z, t, reduction="sum")
                               * scale)
            continue
        per_example.append(_torch_loss(spec, a, log_o, t))
    total = torch.stack(per_example).sum()
    if spec.get("reduction") == "mean":
        total = total / len(per_example)
    total.backward()
    grads = {}
    for layer, W, b in zip(network.layers, weights, biases):
        for j, row in enumerate(layer.weight_names):
            for k, name in enumerate(row):
                grads[name] = W.grad[j, k].item()
        if b is not None and b.dim() == 0:
            grads[layer.bias_names[0]] = b.grad.item()
        elif b is not None:
            for j, name in enumerate(layer.bias_names):
                grads[name] = b.grad[j].item()
    return total.item(), grads


def _torch_activation(layer: dict, z):
    name, gain, scale = activation_of(layer)  # f(net) = scale · g(gain · net)
    if name == "leaky_relu":
        return torch.nn.functional.leaky_relu(z, float(layer.get("negative_slope", 0.01)))
    table = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda x: x,
             "softmax": lambda x: torch.softmax(x, 0)}
    return scale * table[name](gain * z)


def _log_scale(spec: dict) -> float:
    base = str(spec.get("log_base", "e"))
    return 1.0 if base == "e" else 1 / math.log(float(base))


def _torch_loss(spec: dict, o, log_o, t):
    loss = spec.get("loss", "half_sse")
    scale = _log_scale(spec)
    if loss == "half_sse":
        return 0.5 * ((t - o) ** 2).sum()
    if loss == "sse":
        return ((t - o) ** 2).sum()
    if loss == "mse":
        return ((t - o) ** 2).mean()
    if loss == "cross_entropy":
        return -(t * log_o).sum() * scale
    return -(t * log_o + (1 - t) * torch.log(1 - o)).sum() * scale


# ---------------------------------------------------------------- the strategy covers what it claims

def test_strategy_covers_every_feature():
    seen = collections.Counter()

    @settings(max_examples=150, deadline=None, derandomize=True, database=None)
    @given(networks())
    def draw(spec):
        seen.update(activation_of(layer)[0] for layer in spec["layers"])
        seen.update(f"scaled:{activation_of(layer)[0]}" for layer in spec["layers"]
                    if not isinstance(layer["activation"], str))
        seen[spec["loss"]] += 1
        seen.update("bias:" + ("none" if layer.get("bias") is None else
                               "per_neuron" if isinstance(layer["bias"], list) else "shared")
                    for layer in spec["layers"])
        seen.update(f"train_bias:{layer['train_bias']}" for layer in spec["layers"] if "train_bias" in layer)
        seen["batch" if "batch" in spec else "single"] += 1
        seen[f"reduction:{spec.get('reduction')}"] += 1
        seen.update(f"layout:{layer.get('weights_layout', spec.get('weights_layout'))}" for layer in spec["layers"])
        seen.update("slope" for layer in spec["layers"] if "negative_slope" in layer)
        seen[f"log_base:{spec.get('log_base')}"] += 1

    draw()
    wanted = [*ACTIVATIONS, *LOSSES, "bias:none", "bias:shared", "bias:per_neuron", "train_bias:True",
              "train_bias:False", "batch", "single", "reduction:sum", "reduction:mean", "layout:input_major",
              "layout:neuron_major", "slope", "log_base:2", "scaled:sigmoid", "scaled:tanh", "scaled:linear"]
    assert [key for key in wanted if not seen[key]] == []


# ---------------------------------------------------------------- (c) PyTorch autograd

@needs_torch
@pytest.mark.parametrize("loss", LOSSES)
def test_gradients_match_pytorch(loss):
    @settings(max_examples=12, deadline=None, derandomize=True, database=None)
    @given(networks(losses=(loss,)))
    def check(spec):
        problem = derive.load(spec)
        expected_loss, expected = torch_loss_and_gradients(spec, problem.network)
        values = problem.values()
        assert close(values.float("E_total"), expected_loss)
        got = exact_gradients(problem)
        assert set(got) == set(expected)
        for name, value in got.items():
            assert close(float(value), expected[name]), name

    check()


# ---------------------------------------------------------------- (b) central finite differences

def forward_model(model: Model) -> Model:
    """The model cut after E_total: what a finite difference needs to evaluate."""
    end = next(i for i, q in enumerate(model.quantities) if q.key == "E_total")
    return Model(model.network, quantities=model.quantities[:end + 1])


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(networks(max_units=2, max_examples=2))
def test_gradients_match_central_differences(spec):
    problem = derive.load(spec)
    forward = forward_model(problem.model)
    for name, grad in exact_gradients(problem).items():
        p = sp.Rational(problem.network.parameter(name).value)
        up = evaluate(forward, precision=FD_PRECISION, overrides={name: p + FD_STEP})["E_total"]
        down = evaluate(forward, precision=FD_PRECISION, overrides={name: p - FD_STEP})["E_total"]
        difference = (up - down) / (2 * FD_STEP)
        # truncation error ~h² = 1e-30, rounding ~1e-60/h = 1e-45
        assert abs(difference - grad) < sp.Float("1e-20") * max(1, abs(grad)), name


# ---------------------------------------------------------------- (a) SymPy diff of the expanded error

@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(networks(max_layers=2, max_units=2, max_inputs=2, max_examples=2))
def test_gradients_match_diff_of_expanded_error(spec):
    problem = derive.load(spec)
    error = expand(problem.model, "E_total")
    assert not error.free_symbols & {q.symbol for q in problem.model.quantities if q.formula is not None}
    at = _given_floats(problem)
    for name, grad in exact_gradients(problem).items():
        derivative = sp.diff(error, problem.model.symbol(name)).xreplace(at).evalf(FD_PRECISION)
        assert abs(derivative - grad) < sp.Float("1e-30") * max(1, abs(grad)), name


def _given_floats(problem) -> dict:
    """Every given (input, target, parameter, η) as a 60-digit Float, so nested σ(...) evaluate."""
    model = problem.model
    values = problem.values()
    return {q.symbol: sp.Float(values[q.key], FD_PRECISION) for q in model.quantities if q.formula is None}


# ---------------------------------------------------------------- the compiled float path

@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(networks())
def test_compiled_gradient_equals_exact_values(spec):
    problem = derive.load(spec)
    values = problem.values()
    for backend in ("scalar", "vector"):
        grad = problem.compile_gradient(backend=backend)
        assert grad.backend == backend
        _assert_equals_exact(grad(), problem, values)


def _assert_equals_exact(result, problem, values):
    assert close(result.loss, values.float("E_total"))
    for name in problem.parameter_names:
        assert close(result.gradients[name], values.float(f"grad_{name}")), name
        assert close(result.updated[name], values.float(f"{name}_new")), name


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(networks(max_layers=4))
def test_vector_gradient_with_updated_weights_convention_equals_exact_values(spec):
    problem = derive.Problem(derive.with_conventions(spec, backprop_through_updated_weights=True))
    _assert_equals_exact(problem.compile_gradient(backend="vector")(), problem, problem.values())


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(networks(), st.data())
def test_vector_gradient_overrides_equal_exact_values(spec, data):
    # other parameters and another batch of the same shape than the spec's own, through both call forms
    problem = derive.load(spec)
    names = problem.parameter_names
    params = {k: data.draw(st.decimals("-1", "1", places=2), label=k) for k in names}
    network = problem.network
    values = evaluate(problem.model, overrides=params)
    grad = problem.compile_gradient(backend="vector")
    _assert_equals_exact(grad({k: float(v) for k, v in params.items()}), problem, values)
    _assert_equals_exact(grad([float(params[k]) for k in names]), problem, values)
    inputs = [[float(x) for x in ex.inputs] for ex in network.examples]
    targets = [[float(t) for t in ex.targets] for ex in network.examples]
    assert grad(inputs=inputs, targets=targets) == grad()


def test_auto_backend_picks_vector_for_large_networks_and_scalar_for_carried_rounding():
    from derive.engine.compiled import VECTOR_FROM, compile_gradient

    small, large = derive.load("2-2-2"), derive.load("3-3-3-3")
    assert len(small.parameter_names) < VECTOR_FROM
    assert small.compile_gradient().backend == "scalar"
    units = -(-VECTOR_FROM // 50)  # 50 inputs, enough neurons for VECTOR_FROM weights in one layer
    big = derive.load({"inputs": [1] * 50, "targets": [0] * units,
                       "layers": [{"units": units, "activation": "sigmoid", "weights": [[0.01] * 50] * units}]})
    assert big.compile_gradient().backend == "vector"
    assert compile_gradient(big, carry_rounding=3).backend == "scalar"
    assert large.compile_gradient(backend="vector").backend == "vector"
    with pytest.raises(ValueError, match="backend must be one of auto, scalar, vector; got 'gpu'"):
        large.compile_gradient(backend="gpu")


# ---------------------------------------------------------------- shortcut deltas

@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(networks(losses=("cross_entropy", "binary_cross_entropy"), activations=("sigmoid", "softmax", "tanh")))
def test_simplified_delta_equals_jacobian_delta(spec):
    problem = derive.load(spec)
    model = problem.model
    values = problem.values()
    numbers = {q.symbol: values[q.key] for q in model.quantities}
    deltas = [q for q in model.quantities if q.kind == "delta" and q.layer == len(problem.network.layers)]
    output = problem.network.output_layer.activation
    fits = (output, spec["loss"]) in (("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"))
    assert all((q.simplified is not None) == fits for q in deltas)
    for q in deltas:
        if q.simplified is not None:
            shortcut = q.simplified.xreplace(numbers).evalf(40)
            assert abs(shortcut - values[q.key]) < sp.Float("1e-30"), q.key


def test_softmax_cross_entropy_delta_is_out_minus_target():
    model = derive.load("3-3-3-3").model
    out, target = model.symbol("out_o1"), model.symbol("t_o1")
    others = [model.symbol(f"t_o{i}") for i in (2, 3)]
    # out_o1·Σt − t_o1, which is out − t because one-hot targets sum to 1
    assert sp.expand(model["delta_o1"].simplified - (out * (target + sum(others)) - target)) == 0


# ---------------------------------------------------------------- large logits

LARGE_LOGITS = {
    "inputs": [1], "targets": [0, 1], "loss": "cross_entropy",
    "layers": [{"units": 1, "activation": "linear", "weights": [[10]]},
               {"units": 2, "activation": "softmax", "weights": [[100], [-100]]}],
}  # logits ±1000: e^1000 overflows a float


@needs_torch
@pytest.mark.parametrize("targets,loss", [([0, 1], 2000.0), ([1, 0], 0.0)])
def test_large_logits_give_finite_loss_and_gradient(targets, loss):
    problem = derive.load({**LARGE_LOGITS, "targets": targets})
    values = problem.values()
    compiled = problem.compile_gradient()()
    assert values.float("net_o1") == 1000.0
    assert close(values.float("E_total"), loss) and close(compiled.loss, loss)
    _, expected = torch_loss_and_gradients({**LARGE_LOGITS, "targets": targets}, problem.network)
    for name in problem.parameter_names:
        exact, fast = values.float(f"grad_{name}"), compiled.gradients[name]
        assert math.isfinite(exact) and math.isfinite(fast)
        assert close(exact, expected[name]) and close(fast, expected[name]), name
    assert values.float("grad_w2") == pytest.approx(10.0 if targets == [0, 1] else 0.0, abs=1e-12)


@needs_torch
@pytest.mark.parametrize("weight,target", [(100, 0), (100, 1), (-1000, "0.3"), (1000, "0.3"), (5000, 1)])
def test_saturated_sigmoid_binary_cross_entropy_is_finite(weight, target):
    # 1 − σ(100) is 4e-44: 0 at 40 digits and in floating point, so ln(1 − out) needs care
    spec = {"inputs": [1], "targets": [Decimal(target)], "loss": "binary_cross_entropy",
            "layers": [{"units": 1, "activation": "sigmoid", "weights": [[weight]]}]}
    problem = derive.load(spec)
    values = problem.values()
    compiled = problem.compile_gradient()()
    expected_loss, expected = torch_loss_and_gradients(spec, problem.network)
    assert close(values.float("E_total"), expected_loss) and close(compiled.loss, expected_loss)
    assert close(values.float("grad_w1"), expected["w1"]) and close(compiled.gradients["w1"], expected["w1"])


# ---------------------------------------------------------------- ReLU at its kink

@needs_torch
@pytest.mark.parametrize("activation,slope", [("relu", None), ("leaky_relu", "0.2")])
def test_relu_derivative_at_exactly_zero_follows_pytorch(activation, slope):
    hidden = {"units": 1, "activation": activation, "weights": [[0.5, 0.5]]}
    if slope:
        hidden["negative_slope"] = Decimal(slope)
    spec = {"inputs": [1, -1], "targets": [1], "loss": "half_sse",
            "layers": [hidden, {"units": 1, "activation": "linear", "weights": [[2]], "bias": 0.5}]}
    problem = derive.load(spec)
    values = problem.values()
    assert values["net_h1"] == 0
    expected_slope = 0 if activation == "relu" else sp.Rational(slope)
    assert values["dout_dnet_h1"] == expected_slope  # PyTorch's convention at exactly 0
    _, expected = torch_loss_and_gradients(spec, problem.network)
    for name in problem.parameter_names:
        assert close(values.float(f"grad_{name}"), expected[name]), name
    assert values["grad_w1"] == -expected_slope  # δ_o1 = 0.5 − 1 = −0.5, times w3 = 2, times the slope, times x1 = 1
