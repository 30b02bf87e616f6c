"""Numbers for every quantity: exact where the inputs make it exact, else to a chosen precision."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import mpmath
import sympy as sp

from ..errors import DeriveError
from .model import Model

DEFAULT_PRECISION = 40  # significant digits kept while evaluating; documents print far fewer


@dataclass
class Values:
    """The value of every quantity of a :class:`~derive.engine.symbolic.Model`, by symbol name."""

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
    >>> from derive.engine.network import build_network
    >>> from derive.engine.symbolic import build_model
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
    names: dict[str, sp.Expr] = {}
    plain: dict[sp.Symbol, object] = {}  # the same values as Fraction (exact) or mpmath.mpf
    inexact = False
    with mpmath.workdps(precision + GUARD_DIGITS):
        for q in model.quantities:
            if q.formula is None:
                value = givens[q.key]
            else:
                value = _value_of(q.formula, plain, precision)
                if not value.is_Rational:
                    inexact = True
                if carry_rounding is not None:
                    value = round_half_up(value, carry_rounding)
            # nan, ±oo and zoo are neither Rational nor Float (a Float never holds them), so this is the finiteness test
            if not (value.is_Rational or value.is_Float):
                raise _NotFinite(q.name, value, inexact)
            names[q.key] = value
            plain[q.symbol] = Fraction(value.p, value.q) if value.is_Rational else mpmath.mpf(value._mpf_)
    return names


GUARD_DIGITS = 10


def _value_of(formula: sp.Expr, plain: dict, precision: int) -> sp.Expr:
    """A formula's value from the values before it: plain arithmetic where it can, else SymPy's evalf."""
    try:
        number = _plain(formula, plain)
    except (_Unsupported, ZeroDivisionError, ValueError, OverflowError):
        number = None
    if isinstance(number, Fraction):
        return sp.Rational(number.numerator, number.denominator)
    if isinstance(number, mpmath.mpf) and mpmath.isfinite(number):
        return sp.Float(number, precision)
    exact = {symbol: (sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else
                      sp.Float(v, precision)) for symbol, v in plain.items() if symbol in formula.free_symbols}
    value = formula.xreplace(exact)
    return value if value.is_Rational else value.evalf(precision)


class _Unsupported(Exception):
    """A formula node the plain evaluator does not know; SymPy evaluates it instead."""


def _plain(expr: sp.Expr, env: dict):
    """Evaluate with Fractions while exact, mpmath numbers once a transcendental function appears."""
    if expr.is_Symbol:
        return env[expr]
    if expr.is_Rational:
        return Fraction(expr.p, expr.q)
    if expr.is_Float:
        return mpmath.mpf(expr._mpf_)
    args = [_plain(arg, env) for arg in expr.args] if not isinstance(expr, sp.Piecewise) else None
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        product = args[0]
        for arg in args[1:]:
            product = product * arg
        return product
    if expr.is_Pow:
        base, power = args
        if isinstance(power, Fraction) and power.denominator == 1:
            return base ** int(power)
        return _mpf(base) ** _mpf(power)
    function = _FUNCTIONS.get(type(expr).__name__)
    if function is not None:
        return function(*args)
    if isinstance(expr, sp.Piecewise):
        for value, condition in expr.args:
            if _condition(condition, env):
                return _plain(value, env)
        raise _Unsupported(expr)
    raise _Unsupported(expr)


def _condition(condition, env) -> bool:
    if condition is sp.true:
        return True
    if isinstance(condition, sp.StrictGreaterThan):
        return _greater(_plain(condition.lhs, env), _plain(condition.rhs, env))
    raise _Unsupported(condition)


def _greater(a, b) -> bool:
    """a > b; mpmath numbers do not compare with Fractions, so a mixed pair is compared as mpmath numbers."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a > b
    return _mpf(a) > _mpf(b)


def _mpf(x):
    return mpmath.mpf(x.numerator) / x.denominator if isinstance(x, Fraction) else mpmath.mpf(x)


def _max(*xs):
    if all(isinstance(x, Fraction) for x in xs):
        return max(xs)
    return max(_mpf(x) for x in xs)


def _exp(x):
    return Fraction(1) if x == 0 else mpmath.exp(x)


def _sigmoid(x):
    return Fraction(1, 2) if x == 0 else 1 / (1 + mpmath.exp(-x))


_FUNCTIONS = {
    "exp": _exp,
    "log": lambda x: Fraction(0) if x == 1 else mpmath.log(x) if _greater(x, Fraction(0)) else _undefined(),
    "sigmoid": _sigmoid,
    "tanh": lambda x: Fraction(0) if x == 0 else mpmath.tanh(x),
    "Max": _max,
}


def _undefined():
    raise ValueError("outside the function's domain")


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
