"""Numbers for every quantity: exact where the inputs make it exact, else to a chosen precision."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import sympy as sp

from .errors import DeriveError
from .symbolic import Model

DEFAULT_PRECISION = 40  # significant digits kept while evaluating; documents print far fewer


@dataclass
class Values:
    """The value of every quantity of a :class:`~derive.symbolic.Model`, by symbol name."""

    model: Model
    exact: dict[str, sp.Expr]
    precision: int
    carry_rounding: int | None

    def __getitem__(self, key: str) -> sp.Expr:
        return self.exact[key]

    def __contains__(self, key: str) -> bool:
        return key in self.exact

    def float(self, key: str) -> float:
        return float(self.exact[key])

    def is_exact(self, key: str) -> bool:
        return self.exact[key].is_Rational


def evaluate(model: Model, *, precision: int = DEFAULT_PRECISION, carry_rounding: int | None = None,
             overrides: dict | None = None) -> Values:
    """Evaluate the quantities in order, each from the values of those before it.

    ``carry_rounding=N`` rounds every computed value to N decimals (half away from zero)
    before it is used again, as a student with a calculator does. ``overrides`` replaces
    given values (inputs, targets, parameters) by name.

    >>> from derive.spec import load_spec
    >>> from derive.network import build_network
    >>> from derive.symbolic import build_model
    >>> values = evaluate(build_model(build_network(load_spec("2-2-1"))))
    >>> values["out_o1"], values["w5_new"]
    (191/1000, 69753/400000)
    >>> values["grad_w1"]
    -5663/25000
    """
    givens = _given_values(model)
    if overrides:
        givens.update({k: sp.Rational(Fraction(v)) if not isinstance(v, sp.Basic) else v for k, v in overrides.items()})
    digits = precision
    while True:
        try:
            return Values(model, _evaluate_at(model, givens, digits, carry_rounding), precision, carry_rounding)
        except _NotFinite as problem:
            # 1 − out of a saturated sigmoid (|net| > 90) rounds to 0 at 40 digits, and log(0) follows:
            # more digits recover it; an exact computation or carried rounding would not change
            if not problem.inexact or carry_rounding is not None or digits >= MAX_PRECISION:
                raise DeriveError(f"{problem.name} has no finite value ({problem.value}); "
                                  "check the inputs and weights") from None
            digits *= 4


MAX_PRECISION = 2560  # digits: enough for 1 − σ(net) to stay non-zero up to net ≈ 5,000


class _NotFinite(Exception):
    def __init__(self, name: str, value, inexact: bool):
        super().__init__(name)
        self.name, self.value, self.inexact = name, value, inexact


def _evaluate_at(model: Model, givens: dict, precision: int, carry_rounding: int | None) -> dict[str, sp.Expr]:
    """Every quantity's value by name, computed in order at ``precision`` significant digits."""
    exact: dict[sp.Symbol, sp.Expr] = {}
    names: dict[str, sp.Expr] = {}
    inexact = False
    for q in model.quantities:
        if q.formula is None:
            value = givens[q.key]
        else:
            value = q.formula.xreplace(exact)
            if not value.is_Rational:
                value = value.evalf(precision)
                inexact = True
            if carry_rounding is not None:
                value = round_half_up(value, carry_rounding)
        if not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not (value.is_Rational or value.is_Float):
            raise _NotFinite(q.name, value, inexact)
        exact[q.symbol] = value
        names[q.key] = value
    return names


def _given_values(model: Model) -> dict[str, sp.Expr]:
    network = model.network
    values = {}
    for n, example in enumerate(network.examples):
        for name, x in zip(network.input_names, example.inputs):
            values[model.ex(name, n)] = sp.Rational(x)
        for name, t in zip(network.target_names, example.targets):
            values[model.ex(name, n)] = sp.Rational(t)
    for param in network.parameters:
        values[param.name] = sp.Rational(param.value)
    values["eta"] = sp.Rational(network.spec.learning_rate)
    return values


def round_half_up(value: sp.Expr, decimals: int) -> sp.Rational:
    """Round to ``decimals`` places, halves away from zero, as an exact rational.

    >>> round_half_up(sp.Rational(1745, 10000), 3), round_half_up(sp.Float(-0.8095), 3)
    (7/40, -81/100)
    """
    if value.is_Rational:
        text = Decimal(value.p) / Decimal(value.q) if value.q != 1 else Decimal(value.p)
        exact = Fraction(value.p, value.q)
    else:
        text = Decimal(str(value))
        exact = None
    quantum = Decimal(1).scaleb(-decimals)
    if exact is not None:
        # Decimal division is rounded at 28 digits; use the exact fraction to decide the half
        scaled = exact * 10**decimals
        floor = scaled.numerator // scaled.denominator
        rest = scaled - floor
        if scaled >= 0:
            result = floor + (1 if rest >= Fraction(1, 2) else 0)
        else:
            result = floor + (1 if rest > Fraction(1, 2) else 0)
        return sp.Rational(result, 10**decimals)
    rounded = text.quantize(quantum, rounding=ROUND_HALF_UP)
    return sp.Rational(str(rounded))
