"""Optimizers against torch.optim (float64), and the exact step's named quantities."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
import sympy as sp

import derive
from derive.engine.compiled import float_round_half_up
from derive.engine.optim import QUANTITY_NAMES, exact_step, float_stepper
from derive.spec import Optimizer, load_spec
from derive.engine.train import exact_history, first_step, train

from torch_net import TorchNet, needs_torch, torch

TRAINED_BIASES = """
inputs: [0.05, 0.10]
targets: [0.01, 0.99]
layers:
  - {units: 2, activation: sigmoid, weights: [[0.15, 0.20], [0.25, 0.30]], bias: 0.35}
  - {units: 2, activation: sigmoid, weights: [[0.40, 0.45], [0.50, 0.55]], bias: [0.60, -0.2]}
learning_rate: 0.05
"""


def with_optimizer(source, **options):
    spec = load_spec(source)
    return dataclasses.replace(spec, optimizer=Optimizer(**options))


def torch_run(spec, make_optimizer, steps):
    net = TorchNet(derive.Problem(spec))
    history = net.train(make_optimizer(net.trained), steps)
    return history, net.parameters()


ADAMS = [
    dict(name="adam"),
    dict(name="adam", beta1=Fraction(8, 10), beta2=Fraction(99, 100), eps=Fraction(1, 1000)),
]


@needs_torch
@pytest.mark.parametrize("source", ["2-2-2", TRAINED_BIASES, "3-3-3-3"])
@pytest.mark.parametrize("options", ADAMS)
@pytest.mark.parametrize("steps", [1, 4])
def test_adam_matches_pytorch(source, options, steps):
    spec = with_optimizer(source, **options)
    run = train(spec, steps)
    o = spec.optimizer
    history, params = torch_run(spec, lambda ps: torch.optim.Adam(
        ps, lr=float(spec.learning_rate), betas=(float(o.beta1), float(o.beta2)), eps=float(o.eps)), steps)
    assert run.loss_history == pytest.approx(history, rel=1e-13)
    assert run.parameters == pytest.approx(params, rel=1e-13, abs=1e-15)


MOMENTA = [
    dict(name="momentum", momentum=Fraction(9, 10)),
    dict(name="momentum", momentum=Fraction(1, 2), dampening=Fraction(1, 10)),
    dict(name="momentum", momentum=Fraction(9, 10), nesterov=True),
]


@needs_torch
@pytest.mark.parametrize("source", ["2-2-2", TRAINED_BIASES, "3-3-3-3"])
@pytest.mark.parametrize("options", MOMENTA)
def test_momentum_matches_pytorch(source, options):
    spec = with_optimizer(source, **options)
    run = train(spec, 3)  # the first step equals plain sgd; steps 2 and 3 use the buffer
    o = spec.optimizer
    history, params = torch_run(spec, lambda ps: torch.optim.SGD(
        ps, lr=float(spec.learning_rate), momentum=float(o.momentum), dampening=float(o.dampening),
        nesterov=o.nesterov), 3)
    assert run.loss_history == pytest.approx(history, rel=1e-13)
    assert run.parameters == pytest.approx(params, rel=1e-13, abs=1e-15)
    if not o.nesterov:  # without Nesterov the buffer starts at g, so step 1 is plain sgd
        sgd = train(load_spec(source), 2)
        assert run.loss_history[1] == sgd.loss_history[1] and run.loss_history[2] != sgd.loss_history[2]


@pytest.mark.parametrize("options", ADAMS + MOMENTA)
def test_exact_steps_agree_with_the_float_loop(options):
    spec = with_optimizer(TRAINED_BIASES, **options)
    exact = exact_history(spec, 3)
    run = train(spec, 3)
    for name, value in run.parameters.items():
        assert float(exact[3][name]) == pytest.approx(value, rel=1e-13)


def test_fixed_biases_stay_fixed_with_every_optimizer():
    for options in ADAMS[:1] + MOMENTA:
        run = train(with_optimizer("2-2-2", **options), 5)
        assert run.parameters["b1"] == 0.35 and run.parameters["b2"] == 0.6


def test_first_adam_step_shows_its_quantities_exactly():
    steps = first_step(with_optimizer("2-2-2", name="adam"))
    assert set(steps) == {"w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"}  # fixed biases take no step
    w5 = steps["w5"]
    assert [q.role for q in w5.quantities] == list(QUANTITY_NAMES["adam"])
    assert [q.key for q in w5.quantities] == ["m_w5", "v_w5", "m_hat_w5", "v_hat_w5", "update_w5", "w5_new"]
    g = w5.givens["grad_w5"]
    # at t = 1 from zero state, m̂ = g and v̂ = g² exactly, so the update is η·g / (|g| + ε)
    assert w5["m"].value == sp.Rational(1, 10) * g
    assert abs(w5["m_hat"].value - g) < sp.Float("1e-35")
    assert abs(w5["v_hat"].value - g ** 2) < sp.Float("1e-35")
    eta, eps = sp.Rational(1, 2), sp.Rational(1, 10**8)
    assert abs(w5["update"].value - eta * g / (abs(g) + eps)) < sp.Float("1e-35")
    assert w5["new"].value == w5.givens["w5"] - w5["update"].value
    # the formulas are in named symbols a renderer can show, e.g. m_w5 = β1·m_w5_prev + (1 − β1)·grad_w5
    assert {s.name for s in w5["m"].formula.free_symbols} == {"beta1", "m_w5_prev", "grad_w5"}
    assert w5.givens["m_w5_prev"] == 0


def test_first_momentum_and_sgd_steps():
    momentum = first_step(with_optimizer("2-2-2", name="momentum"))["w1"]
    assert [q.role for q in momentum.quantities] == list(QUANTITY_NAMES["momentum"])
    assert momentum["buf"].value == momentum.givens["grad_w1"]  # PyTorch starts the buffer at g
    sgd = first_step("2-2-2")["w1"]
    assert [q.key for q in sgd.quantities] == ["w1_new"]
    assert round(float(sgd.new_value), 9) == 0.149780716
    assert momentum.new_value == sgd.new_value


@pytest.mark.parametrize("optimizer", [Optimizer("adam", beta2=Fraction(9, 10)),
                                       Optimizer("momentum", momentum=Fraction(1, 2), nesterov=True)])
def test_exact_step_with_carried_rounding_matches_the_float_stepper(optimizer):
    params, grads = {"a": Fraction(1, 2), "b": Fraction(-3, 10)}, {"a": Fraction(7, 100), "b": Fraction(-1, 4)}
    stepper = float_stepper(optimizer, 0.1, [True, True], carry=lambda x: float_round_half_up(x, 4))
    floats = [0.5, -0.3]
    exact, state = params, None
    for _ in range(3):
        exact, state, _ = exact_step(optimizer, Fraction(1, 10), exact, grads, {"a": True, "b": True}, state,
                                     carry_rounding=4)
        floats = stepper(floats, [0.07, -0.25])
    assert [float(exact["a"]), float(exact["b"])] == pytest.approx(floats, abs=1e-12)
    assert all((v * 10**4).is_integer for v in exact.values())
