"""Numbers for every quantity: exact where the inputs make it exact, else to a chosen precision."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

import mpmath
import sympy as sp

from ..errors import DeriveError
from ..io.progress import task
from .model import Model, collector_paused
from ..spec.model import CarryRounding, carry_places

DEFAULT_PRECISION = 40  # significant digits kept while evaluating; documents print far fewer


@dataclass
class Values:
    """The value of every quantity of a :class:`~derive.engine.symbolic.Model`, by symbol name."""

    model: Model
    exact: dict[str, sp.Expr]
    precision: int
    carry_rounding: int | CarryRounding | None

    def __getitem__(self, key: str) -> sp.Expr:
        return self.exact[key]

    def __contains__(self, key: str) -> bool:
        return key in self.exact

    def float(self, key: str) -> float:
        return float(self.exact[key])

    def is_exact(self, key: str) -> bool:
        return self.exact[key].is_Rational


def evaluate(model: Model, *, precision: int = DEFAULT_PRECISION, carry_rounding: int | CarryRounding | None = None,
             overrides: dict | None = None) -> Values:
    """Evaluate the quantities in order, each from the values of those before it.

    ``carry_rounding=N`` rounds every computed value to N decimals (half away from zero)
    before it is used again, as a student with a calculator does; a
    :class:`~derive.spec.model.CarryRounding` rounds each kind of quantity to its own places. ``overrides`` replaces
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


class Recomputation:
    """Each computed quantity's formula evaluated, in order and only as far as asked, from the values
    before it, where a *pinned* quantity (a student's claimed value) stands in for its formula's value.

    A quantity may be pinned (:meth:`pin`) until a later quantity has been asked for, so a caller
    walking the quantities in order can decide each pin from the values before it. A formula with
    no finite value from these numbers (a log of a claimed negative value) gives None, and so does
    everything computed only from it.

    >>> from derive import load
    >>> model = load("2-2-1").model
    >>> givens = {q.key: v for q, v in zip(model.quantities, evaluate(model).exact.values()) if q.formula is None}
    >>> again = Recomputation(model, givens, {"net_o1": sp.Rational(1, 2)})
    >>> again.formula_value("out_o1"), again.formula_value("net_o1")
    (1/2, 191/1000)
    """

    def __init__(self, model: Model, givens: dict, pinned: dict | None = None, *,
                 precision: int = DEFAULT_PRECISION, carry_rounding: int | None = None):
        self.model, self.givens = model, givens
        self.precision, self.carry_rounding = precision, carry_rounding
        self._pinned = {}
        self._index = {q.key: i for i, q in enumerate(model.quantities)}
        self._env: dict[sp.Symbol, object] = {}
        self._found: dict[str, sp.Expr | None] = {}
        self._next = 0  # the first quantity not evaluated yet
        for key, value in (pinned or {}).items():
            self.pin(key, value)

    def pin(self, key: str, value) -> None:
        """Use ``value`` for ``key`` in every later formula."""
        if self._index[key] + 1 < self._next:
            raise ValueError(f"{key} is already used by later quantities")
        self._pinned[key] = value if isinstance(value, sp.Basic) else sp.Rational(Fraction(value))

    def formula_value(self, key: str):
        """``key``'s formula from the values before it (None for a given or when it has no value)."""
        with mpmath.workdps(self.precision + GUARD_DIGITS):
            while self._next <= self._index[key]:
                self._step()
        return self._found.get(key)

    def _step(self) -> None:
        if self._next:  # the previous quantity's value is settled now
            previous = self.model.quantities[self._next - 1]
            value = self._pinned.get(previous.key, self._found.get(previous.key, self.givens.get(previous.key)))
            if value is not None:
                self._env[previous.symbol] = (Fraction(int(value.p), int(value.q)) if value.is_Rational
                                              else mpmath.mpf(value._mpf_))
        q = self.model.quantities[self._next]
        if q.formula is not None:
            value = _formula_value(q.formula, self._env, self.precision)
            places = carry_places(self.carry_rounding, q.kind)
            if value is not None and places is not None:
                value = round_half_up(value, places)
            self._found[q.key] = value
        self._next += 1


def _formula_value(formula: sp.Expr, env: dict, precision: int):
    if not formula.free_symbols <= env.keys():
        return None
    try:
        value = _value_of(formula, env, precision)
    except (ZeroDivisionError, ValueError, TypeError):
        return None
    if not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not (value.is_Rational or value.is_Float):
        return None
    return value


MAX_PRECISION = 2560  # digits: enough for 1 − σ(net) to stay non-zero up to net ≈ 5,000


class _NotFinite(Exception):
    def __init__(self, name: str, value, inexact: bool):
        super().__init__(name)
        self.name, self.value, self.inexact = name, value, inexact


def _evaluate_at(model: Model, givens: dict, precision: int, carry_rounding: int | CarryRounding | None) -> dict[str, sp.Expr]:
    """Every quantity's value by name, computed in order at ``precision`` significant digits."""
    names: dict[str, sp.Expr] = {}
    plain: dict[sp.Symbol, object] = {}  # the same values as Fraction (exact) or mpmath.mpf
    inexact = False
    with collector_paused(), mpmath.workdps(precision + GUARD_DIGITS), task("values (quantities)", len(model.quantities)) as bar:
        for count, q in enumerate(model.quantities):
            if not count & 255:
                bar.advance_to(count)
            if q.formula is None:
                value = givens[q.key]
            else:
                value = _value_of(q.formula, plain, precision)
                if not value.is_Rational:
                    inexact = True
                places = carry_places(carry_rounding, q.kind)
                if places is not None:
                    value = round_half_up(value, places)
            # nan, ±oo and zoo are neither Rational nor Float (a Float never holds them), so this is the finiteness test
            if not (value.is_Rational or value.is_Float):
                raise _NotFinite(q.name, value, inexact)
            names[q.key] = value
            plain[q.symbol] = Fraction(value.p, value.q) if value.is_Rational else mpmath.mpf(value._mpf_)
        bar.advance_to(len(model.quantities))
    return names


GUARD_DIGITS = 10


def _value_of(formula: sp.Expr, plain: dict, precision: int) -> sp.Expr:
    """A formula's value from the values before it: plain arithmetic where it can, else SymPy's evalf."""
    try:
        number = _plain(formula, plain)
    except (_Unsupported, ZeroDivisionError, ValueError, OverflowError):
        number = None
    if type(number) is Fraction:
        return _rational(number.numerator, number.denominator)  # a Fraction is in lowest terms already
    if type(number) is _MPF and (number._mpf_[1] or number._mpf_ == _ZERO):  # finite: not nan or ±inf
        # what sp.Float(number, precision) builds, without its argument checks (~40 µs a value)
        return sp.Float._new(number._mpf_, _bits(precision))
    exact = {symbol: (sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else
                      sp.Float(v, precision)) for symbol, v in plain.items() if symbol in formula.free_symbols}
    value = formula.xreplace(exact)
    return value if value.is_Rational else value.evalf(precision)


_Symbol = sp.Symbol
_MPF, _ZERO = mpmath.mpf, mpmath.libmp.fzero
_rational = getattr(sp.Rational, "from_coprime_ints", sp.Rational)  # SymPy >= 1.13 builds it without a gcd
_constants: dict[sp.Rational, Fraction] = {}  # the formulas' few constants (−1, 1/2, ...) as Fractions


class _Unsupported(Exception):
    """A formula node the plain evaluator does not know; SymPy evaluates it instead."""


@lru_cache(maxsize=None)
def _bits(digits: int) -> int:
    return mpmath.libmp.dps_to_prec(digits)


def _plain(expr: sp.Expr, env: dict):
    """Evaluate with Fractions while exact, mpmath numbers once a transcendental function appears."""
    if expr.is_Symbol:
        return env[expr]
    if expr.is_Rational:
        value = _constants.get(expr)
        if value is None:
            if len(_constants) > 10_000:
                _constants.clear()
            value = _constants[expr] = Fraction(expr.p, expr.q)
        return value
    if expr.is_Float:
        return mpmath.mpf(expr._mpf_)
    # the arguments that are symbols (most of them) are looked up here rather than in a call each
    args = ([env[arg] if type(arg) is _Symbol else _plain(arg, env) for arg in expr.args]
            if not isinstance(expr, sp.Piecewise) else None)
    if expr.is_Add:
        total = args[0]
        for arg in args[1:]:
            total = total + arg if type(total) is type(arg) else _as_mpf(total) + _as_mpf(arg)
        return total
    if expr.is_Mul:
        product = args[0]
        for arg in args[1:]:
            product = product * arg if type(product) is type(arg) else _as_mpf(product) * _as_mpf(arg)
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


_convert = mpmath.mp.convert
_converted: dict[tuple[int, int], object] = {}  # Fraction -> mpf at the precision below; a weight is used many times
_converted_at = [0]


def _as_mpf(x):
    """``x`` as the mpf that mpmath's mixed arithmetic would convert it to (the same rounding), remembered.

    An mpf times a Fraction converts the Fraction at the working precision first; a 32x6 network
    does that ~20,000 times for a few thousand distinct weights and constants.

    >>> with mpmath.workdps(20):
    ...     _as_mpf(Fraction(1, 3)) * mpmath.mpf(3) == mpmath.mpf(3) * Fraction(1, 3)
    True
    """
    if type(x) is not Fraction:
        return x
    prec = mpmath.mp.prec
    if _converted_at[0] != prec:
        _converted.clear()
        _converted_at[0] = prec
    key = (x.numerator, x.denominator)  # a tuple of ints hashes and compares in C; a Fraction in Python
    value = _converted.get(key)
    if value is None:
        if len(_converted) > 100_000:
            _converted.clear()
        value = _converted[key] = _convert(x)
    return value


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
