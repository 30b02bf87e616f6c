"""Optimizers, in PyTorch's conventions: a fast float step for training loops, and an exact
step whose named intermediates (m, v, m̂, v̂, the update) a worked solution can show.

The rules, for a parameter p with gradient g at step t = 1, 2, ... (η the learning rate):

- ``sgd``: p ← p − η·g.
- ``momentum`` (``torch.optim.SGD(momentum=μ, dampening=d, nesterov=...)``): the buffer is
  b = g at the first step, then b ← μ·b + (1 − d)·g; the direction is g + μ·b with Nesterov,
  else b; p ← p − η·direction. So the first step equals plain SGD.
- ``adam`` (``torch.optim.Adam``): m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², with m = v = 0
  before the first step; m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t); p ← p − η·m̂ / (√v̂ + ε).

A parameter that is not trained (a fixed bias) is never changed and keeps no state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..spec.model import CarryRounding, carry_places
from ..spec.validate import Optimizer

# The named intermediates of one step, per optimizer, in the order they are computed.
QUANTITY_NAMES = {
    "sgd": ("new",),  # w_new = w − η·grad, as the model's own updated quantity
    "momentum": ("buf", "direction", "update", "new"),
    "adam": ("m", "v", "m_hat", "v_hat", "update", "new"),
}


# ---------------------------------------------------------------- float steps (training loops)

def float_stepper(optimizer: Optimizer, learning_rate: float, trainable: Sequence[bool],
                  carry: Callable[[float], float] | None = None):
    """A function ``step(params, grads) -> new params`` (lists of floats) that keeps its own state.

    ``carry`` rounds every computed value (the carried-rounding convention); None keeps all digits.
    The float operations follow PyTorch's single-tensor code, so results agree to the last bits.

    >>> from derive.spec import Optimizer
    >>> step = float_stepper(Optimizer("momentum", momentum=0.5), 0.1, [True, False])
    >>> step([1.0, 1.0], [2.0, 2.0])
    [0.8, 1.0]
    >>> [round(x, 12) for x in step([0.8, 1.0], [2.0, 2.0])]
    [0.5, 1.0]
    """
    carry = carry or _keep
    lr = float(learning_rate)
    mask = list(trainable)
    if optimizer.name == "sgd":
        def sgd(params, grads):
            return [carry(p - lr * g) if t else p for p, g, t in zip(params, grads, mask)]
        return sgd
    if optimizer.name == "momentum":
        return _momentum_stepper(optimizer, lr, mask, carry)
    if optimizer.name == "adam":
        return _adam_stepper(optimizer, lr, mask, carry)
    raise ValueError(f"unknown optimizer {optimizer.name}")


def _keep(x: float) -> float:
    return x


def _momentum_stepper(optimizer: Optimizer, lr: float, mask: list, carry):
    rounding = carry is not _keep
    mu, damp, nesterov = float(optimizer.momentum), float(optimizer.dampening), optimizer.nesterov
    bufs: list = [None] * len(mask)

    def momentum(params, grads):
        new = []
        for i, (p, g, t) in enumerate(zip(params, grads, mask)):
            if not t:
                new.append(p)
                continue
            b = g if bufs[i] is None else carry(bufs[i] * mu + g * (1 - damp))
            bufs[i] = b
            direction = carry(g + b * mu) if nesterov else b
            new.append(carry(p - carry(direction * lr)) if rounding else p + direction * -lr)
        return new
    return momentum


def _adam_stepper(optimizer: Optimizer, lr: float, mask: list, carry):
    rounding = carry is not _keep
    b1, b2, eps = float(optimizer.beta1), float(optimizer.beta2), float(optimizer.eps)
    m = [0.0] * len(mask)
    v = [0.0] * len(mask)
    count = [0]

    def adam(params, grads):
        count[0] += 1
        t = count[0]
        correction1 = 1 - b1 ** t
        correction2_sqrt = math.sqrt(1 - b2 ** t)
        step_size = lr / correction1
        new = []
        for i, (p, g, trained) in enumerate(zip(params, grads, mask)):
            if not trained:
                new.append(p)
                continue
            m[i] = carry(_lerp(m[i], g, 1 - b1))
            v[i] = carry(v[i] * b2 + g * g * (1 - b2))
            if rounding:  # every named intermediate is rounded, as in the exact step
                m_hat, v_hat = carry(m[i] / correction1), carry(v[i] / (1 - b2 ** t))
                new.append(carry(p - carry(lr * m_hat / (math.sqrt(v_hat) + eps))))
                continue
            denom = math.sqrt(v[i]) / correction2_sqrt + eps
            new.append(carry(p - step_size * m[i] / denom))
        return new
    return adam


def _lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp's formula (start + w·(end − start), from the far end when w ≥ ½)."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


# ---------------------------------------------------------------- exact steps (worked solutions)

@dataclass(frozen=True)
class OptimizerQuantity:
    """One named intermediate of an optimizer step, e.g. ``m_w5 = β1·m_w5⁻ + (1 − β1)·grad_w5``.

    ``formula`` is a SymPy expression in the symbols of :attr:`OptimizerStep.givens` and of
    earlier quantities of the same step; ``value`` is exact (Rational) or a high-precision Float.
    """

    key: str  # "m_w5"
    role: str  # "m", "v", "m_hat", "v_hat", "buf", "direction", "update", "new"
    formula: object
    value: object


@dataclass(frozen=True)
class OptimizerStep:
    """Step ``t`` of the optimizer for one parameter: what it starts from and what it computes."""

    param: str
    optimizer: str
    step: int
    givens: dict  # symbol name -> value: the parameter, its gradient, hyper-parameters, previous state
    quantities: tuple[OptimizerQuantity, ...]

    def __getitem__(self, role: str) -> OptimizerQuantity:
        for q in self.quantities:
            if q.role == role:
                return q
        raise KeyError(role)

    @property
    def new_value(self):
        """The parameter's value after the step."""
        return self["new"].value


@dataclass
class OptimizerState:
    """What an optimizer carries from one exact step to the next (per parameter name)."""

    step: int = 0
    slots: dict = field(default_factory=dict)  # "m_w5" -> value, "buf_w5" -> value, ...


def exact_step(optimizer: Optimizer, learning_rate, params: dict, grads: dict, trainable: dict,
               state: OptimizerState | None = None, *, precision: int = 40, carry_rounding: int | CarryRounding | None = None):
    """One optimizer step in exact arithmetic: ``(new params, new state, {param: OptimizerStep})``.

    ``params`` and ``grads`` map names to numbers (SymPy, Fraction or int); square roots are
    evaluated to ``precision`` digits. ``carry_rounding=N`` rounds every intermediate to N decimals.
    Parameters that are not trainable are returned unchanged and get no step.

    >>> from fractions import Fraction
    >>> from derive.spec import Optimizer
    >>> new, state, steps = exact_step(Optimizer("adam"), Fraction(1, 10), {"w": 1}, {"w": Fraction(1, 2)},
    ...                                {"w": True})
    >>> steps["w"]["m"].value, steps["w"]["m_hat"].value, steps["w"]["v_hat"].value
    (1/20, 1/2, 1/4)
    >>> round(float(new["w"]), 6)  # 1 - 0.1 * (1/2) / (1/2 + 1e-8)
    0.9
    """
    import sympy as sp

    state = state or OptimizerState()
    t = state.step + 1
    slots = dict(state.slots)
    hyper = _hyper_symbols(optimizer, learning_rate)
    new_params, steps = {}, {}
    for name, value in params.items():
        value = sp.sympify(value)
        if not trainable.get(name, True):
            new_params[name] = value
            continue
        step = _exact_param_step(optimizer, name, value, sp.sympify(grads[name]), hyper, slots, t,
                                 precision, carry_rounding)
        steps[name] = step
        new_params[name] = step.new_value
    return new_params, OptimizerState(t, slots), steps


def _hyper_symbols(optimizer: Optimizer, learning_rate) -> dict:
    import sympy as sp

    values = {"eta": learning_rate}
    if optimizer.name == "momentum":
        values.update(mu=optimizer.momentum, dampening=optimizer.dampening)
    if optimizer.name == "adam":
        values.update(beta1=optimizer.beta1, beta2=optimizer.beta2, eps=optimizer.eps)
    return {name: (sp.Symbol(name, **_assumptions(name)), sp.sympify(value) if isinstance(value, (int, sp.Basic))
                   else sp.Rational(value.numerator, value.denominator))
            for name, value in values.items()}


class _StepBuilder:
    """Collects the quantities of one parameter's step, evaluating each as it is added."""

    def __init__(self, param: str, givens: dict, precision: int, carry_rounding: int | CarryRounding | None):
        import sympy as sp

        self.param = param
        self.values = {sp.Symbol(k, **_assumptions(k)): v for k, v in givens.items()}
        self.quantities: list[OptimizerQuantity] = []
        self.precision = precision
        self.carry_rounding = carry_rounding

    def add(self, role: str, formula):
        import sympy as sp

        from .numeric import round_half_up

        value = formula.xreplace(self.values)
        if not value.is_Rational:
            value = value.evalf(self.precision)
        places = carry_places(self.carry_rounding, "updated")
        if places is not None:
            value = round_half_up(value, places)
        key = f"{self.param}_new" if role == "new" else f"{role}_{self.param}"
        symbol = sp.Symbol(key, real=True)
        self.values[symbol] = value
        self.quantities.append(OptimizerQuantity(key, role, formula, value))
        return symbol


def _assumptions(name: str) -> dict:
    if name in ("eta", "mu", "beta1", "beta2", "eps"):
        return {"positive": True}
    if name == "dampening":
        return {"nonnegative": True}
    return {"real": True}


def _exact_param_step(optimizer, name, value, grad, hyper, slots, t, precision, carry_rounding) -> OptimizerStep:
    import sympy as sp

    sym = {k: s for k, (s, _) in hyper.items()}
    givens = {k: v for k, (_, v) in hyper.items()}
    p, g = sp.Symbol(name, real=True), sp.Symbol(f"grad_{name}", real=True)
    givens[name], givens[f"grad_{name}"] = value, grad
    build = _StepBuilder(name, givens, precision, carry_rounding)
    if optimizer.name == "sgd":
        build.add("new", p - sym["eta"] * g)
        return OptimizerStep(name, optimizer.name, t, givens, tuple(build.quantities))
    if optimizer.name == "momentum":
        update = _momentum_quantities(build, optimizer, name, g, sym, slots, givens, t)
    else:
        update = _adam_quantities(build, name, g, sym, slots, givens, t)
    build.add("new", p - update)
    return OptimizerStep(name, optimizer.name, t, givens, tuple(build.quantities))


def _momentum_quantities(build, optimizer, name, g, sym, slots, givens, t):
    import sympy as sp

    if t == 1:
        buf = build.add("buf", g)  # PyTorch starts the buffer at the gradient itself
    else:
        prev = f"buf_{name}_prev"
        givens[prev] = build.values[sp.Symbol(prev, real=True)] = slots[f"buf_{name}"]
        buf = build.add("buf", sym["mu"] * sp.Symbol(prev, real=True) + (1 - sym["dampening"]) * g)
    slots[f"buf_{name}"] = build.values[buf]
    direction = build.add("direction", g + sym["mu"] * buf if optimizer.nesterov else buf)
    return build.add("update", sym["eta"] * direction)


def _adam_quantities(build, name, g, sym, slots, givens, t):
    import sympy as sp

    b1, b2 = sym["beta1"], sym["beta2"]
    moments = {}
    for role, weight, source in (("m", b1, g), ("v", b2, g ** 2)):
        prev = f"{role}_{name}_prev"
        givens[prev] = build.values[sp.Symbol(prev, real=True)] = slots.get(f"{role}_{name}", sp.S.Zero)
        moments[role] = build.add(role, weight * sp.Symbol(prev, real=True) + (1 - weight) * source)
        slots[f"{role}_{name}"] = build.values[moments[role]]
    m_hat = build.add("m_hat", moments["m"] / (1 - b1 ** t))
    v_hat = build.add("v_hat", moments["v"] / (1 - b2 ** t))
    return build.add("update", sym["eta"] * m_hat / (sp.sqrt(v_hat) + sym["eps"]))
