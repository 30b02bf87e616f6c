"""One optimizer step of random networks against torch.optim and against finite differences.

tests/test_optim.py checks sgd, momentum and Adam on three fixed networks, and
tests/test_gradients.py checks the gradients of random networks; here Hypothesis draws both:
a random network (every activation, loss, bias mode, batch size and weight layout, from
tests/strategies.py) and a random optimizer with random hyper-parameters, and one step of
derive -- exact (:func:`derive.engine.train.exact_history`) and compiled (:func:`derive.engine.train`) -- must
land where ``torch.optim`` (float64) lands, and where the optimizer's published first-step
formula lands with a central-difference gradient of derive's exact forward pass.
Bounded example counts and ``derandomize=True``: the same examples on every run.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import derive
from derive.engine.numeric import evaluate
from derive.engine.model import Model
from derive.engine.train import exact_history, train

from strategies import decimals, networks
from torch_net import ACTIVATIONS, TorchNet, needs_torch, torch


@st.composite
def optimizers(draw) -> dict:
    """An ``optimizer:`` block: sgd, momentum (maybe Nesterov, maybe dampened) or Adam, hyper-parameters drawn."""
    name = draw(st.sampled_from(("sgd", "momentum", "adam")))
    if name == "momentum":
        block = {"name": name, "momentum": draw(decimals("0.1", "0.95")), "nesterov": draw(st.booleans())}
        if not block["nesterov"]:  # torch.optim refuses Nesterov with dampening
            block["dampening"] = draw(decimals("0", "0.5"))
        return block
    if name == "adam":
        return {"name": name, "beta1": draw(decimals("0.5", "0.95")), "beta2": draw(decimals("0.9", "0.999", 3)),
                "eps": draw(st.sampled_from((Decimal("1e-8"), Decimal("1e-6"), Decimal("0.001"))))}
    return {"name": name}


@st.composite
def trained_networks(draw) -> dict:
    return {**draw(networks(max_layers=3, max_units=3, max_examples=3)), "optimizer": draw(optimizers())}


class Net(TorchNet):
    """TorchNet with leaky ReLU at the layer's own slope as well."""

    def forward(self) -> list[tuple]:
        a, result = self.inputs, []
        for layer, weights, bias in self.layers:
            z = a @ weights.T
            if bias is not None:  # a threshold θ sits on an input fixed at −1
                z = z - bias if self.spec.conventions.bias_as == "threshold" else z + bias
            if layer.activation == "leaky_relu":
                a = torch.nn.functional.leaky_relu(z, float(layer.negative_slope))
            else:
                a = float(layer.scale) * ACTIVATIONS[layer.activation](float(layer.gain) * z)  # scale · f(gain · net)
            result.append((layer, z, a))
        return result


def torch_optimizer(spec, tensors) -> torch.optim.Optimizer:
    o, lr = spec.optimizer, float(spec.learning_rate)
    if o.name == "adam":
        return torch.optim.Adam(tensors, lr=lr, betas=(float(o.beta1), float(o.beta2)), eps=float(o.eps))
    if o.name == "momentum":
        return torch.optim.SGD(tensors, lr=lr, momentum=float(o.momentum), dampening=float(o.dampening),
                               nesterov=o.nesterov)
    return torch.optim.SGD(tensors, lr=lr)


def close(a: float, b: float, rel: float, abs_: float) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


@needs_torch
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(trained_networks())
def test_one_optimizer_step_matches_torch_optim(spec_dict):
    problem = derive.load(spec_dict)
    spec = problem.spec
    if spec.optimizer.name == "adam":  # Adam's first step is lr·g/(|g| + eps): for a gradient that is 0 up to
        # rounding (a shared bias into a softmax with cross-entropy) it compares rounding noise, not the optimizer
        values = problem.values()
        assume(all(values[f"grad_{name}"] == 0 or abs(values.float(f"grad_{name}")) > 1e-9
                   for name in problem.parameter_names))
    net = Net(problem)
    history = net.train(torch_optimizer(spec, net.trained), 1)
    expected = net.parameters()

    exact = exact_history(problem, 1)[1]
    # Adam's first step is lr·g/(|g| + eps): a gradient that is 0 exactly but 1e-17 in floats moves
    # its parameter by up to lr·1e-15/eps, whichever order the float sums are taken in
    step_noise = float(spec.learning_rate) * 1e-15 / float(spec.optimizer.eps) if spec.optimizer.name == "adam" else 0
    for backend in ("scalar", "vector"):
        run = train(problem, 1, backend=backend)
        assert set(exact) == set(expected) == set(run.parameters)
        for name, value in expected.items():
            assert close(float(exact[name]), value, 1e-10, 1e-12), (spec.optimizer.name, name)
            assert close(run.parameters[name], value, 1e-10, 1e-12 + step_noise), (spec.optimizer.name, name, backend)
        assert close(run.loss_history[0], history[0], 1e-10, 1e-12)
        assert close(run.loss_history[1], history[1], 1e-10, 1e-12)


def forward(problem) -> Model:
    """The model cut after E_total: all a finite difference evaluates."""
    model = problem.model
    end = next(i for i, q in enumerate(model.quantities) if q.key == "E_total")
    return Model(model.network, quantities=model.quantities[:end + 1])


def central_difference(problem, model: Model, name: str, h=Fraction(1, 10**6)) -> float:
    value = Fraction(problem.network.parameter(name).value)
    def loss(x):
        return evaluate(model, overrides={name: x})["E_total"]
    return float((loss(value + h) - loss(value - h)) / (2 * sp.Rational(h)))


def first_step(optimizer, lr: float, w: float, g: float) -> float:
    """The first step from zero state, as PyTorch's documentation writes each optimizer."""
    if optimizer.name == "adam":  # m̂ = g, v̂ = g² after bias correction
        return w - lr * g / (abs(g) + float(optimizer.eps))
    if optimizer.name == "momentum" and optimizer.nesterov:  # buffer = g, direction g + μ·buffer
        return w - lr * g * (1 + float(optimizer.momentum))
    return w - lr * g  # sgd, and momentum's first step (buffer = g, no dampening yet)


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(trained_networks())
def test_one_optimizer_step_matches_finite_differences(spec_dict):
    problem = derive.load(spec_dict)
    spec = problem.spec
    model = forward(problem)
    exact = exact_history(problem, 1)[1]
    lr = float(spec.learning_rate)
    for parameter in problem.network.parameters:
        w = float(parameter.value)
        if not parameter.trainable:
            assert exact[parameter.name] == sp.Rational(parameter.value)
            continue
        expected = first_step(spec.optimizer, lr, w, central_difference(problem, model, parameter.name))
        assert close(float(exact[parameter.name]), expected, 1e-7, 1e-8), (spec.optimizer.name, parameter.name)
