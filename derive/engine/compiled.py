"""A fast numeric gradient: the model's named quantities compiled into one Python function.

The named quantities *are* a common-subexpression elimination of the gradient, so they are
handed to :func:`sympy.lambdify` as its ``cse`` replacements: the function computes each
``net``, ``out`` and ``delta`` once, in plain floating point. Softmax and cross-entropy are
evaluated in the shifted (log-sum-exp) form so large logits stay finite.

:func:`compile_gradient` chooses between this straight-line scalar code and the layer-wise NumPy
code of :mod:`derive.engine.vectorized` (larger networks and batches).
"""

from __future__ import annotations

import math

import sympy as sp

from .functions import log_factor, stable_sigmoid
from .model import Model
from ..spec.model import CarryRounding, carry_places
from .vectorized import GradientResult, VectorGradient


BACKENDS = ("auto", "scalar", "vector")
# "auto" takes the vectorised path from VECTOR_FROM parameters × examples per layer on. Measured
# (benchmarks/run_all.py --only numeric, CPU time): straight-line scalar code costs ~0.14 µs per
# parameter and example, the NumPy pass ~10.5 µs per layer whatever the width or batch, so they
# cross at ~75 parameters × examples per layer.
VECTOR_FROM = 75


def compile_gradient(problem, *, backend: str = "auto", carry_rounding: int | None = None):
    """The compiled float gradient of ``problem`` (a :class:`~derive.engine.problem.Problem`).

    ``backend``: ``"scalar"`` (straight-line Python over the named quantities, fastest for small
    networks), ``"vector"`` (NumPy, one matrix product per layer; no symbolic model needed) or
    ``"auto"`` (vector from :data:`VECTOR_FROM` parameters × examples per layer on). Carried rounding rounds
    every named scalar as it is computed, which only the scalar path does: it is always scalar.

    >>> import derive
    >>> problem = derive.load("2-2-2")
    >>> compile_gradient(problem).backend, compile_gradient(problem, backend="vector").backend
    ('scalar', 'vector')
    >>> compile_gradient(problem, backend="vector", carry_rounding=3)
    Traceback (most recent call last):
    ...
    ValueError: carried rounding needs backend='scalar' (the vectorised path does not round each named quantity); got 'vector'
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if carry_rounding is not None and backend == "vector":
        raise ValueError("carried rounding needs backend='scalar' (the vectorised path does not round each "
                         f"named quantity); got {backend!r}")
    if backend == "auto":
        network = problem.network
        size = len(network.parameters) * len(network.examples)
        backend = "vector" if carry_rounding is None and size >= VECTOR_FROM * len(network.layers) else "scalar"
    if backend == "vector":
        return VectorGradient(problem.network)
    return CompiledGradient(problem.model, carry_rounding=carry_rounding)


class CompiledGradient:
    """``f(params) -> (loss, gradients, updated)`` in floating point, compiled once.

    Call it with nothing to use the spec's own values, or override ``params`` (a dict by
    name or a sequence in :attr:`parameter_names` order), ``inputs`` / ``targets`` (one list
    per example), and ``learning_rate``.

    >>> import derive
    >>> grad = derive.load("2-2-2").compile_gradient()
    >>> result = grad()
    >>> round(result.loss, 9), round(result.gradients["w5"], 9), round(result.updated["w1"], 9)
    (0.298371109, 0.082167041, 0.149780716)
    >>> round(grad({"w5": 0.5}).loss, 6)
    0.306524
    """

    backend = "scalar"

    def __init__(self, model: Model, *, carry_rounding: int | CarryRounding | None = None):
        network = model.network
        self.carry_rounding = carry_rounding
        self.parameter_names = tuple(p.name for p in network.parameters)
        self.n_examples = model.n_examples
        self._input_keys = [[model.ex(name, n) for name in network.input_names] for n in range(self.n_examples)]
        self._target_keys = [[model.ex(name, n) for name in network.target_names] for n in range(self.n_examples)]
        args = [model.symbol(name) for name in self.parameter_names]
        args += [model.symbol(k) for row in self._input_keys for k in row]
        args += [model.symbol(k) for row in self._target_keys for k in row]
        args.append(model.learning_rate)
        replacements, outputs = _replacements(model, self.parameter_names, carry_rounding)
        names = {"sigmoid": stable_sigmoid, "softplus": stable_softplus, "carry_round": float_round_half_up}
        self.function = sp.lambdify(args, outputs, modules=[names, "math"],
                                    cse=lambda exprs: (replacements, list(exprs)), docstring_limit=0)
        self.source = self.function.__doc__
        self._defaults = {p.name: float(p.value) for p in network.parameters}
        self._inputs = [[float(x) for x in ex.inputs] for ex in network.examples]
        self._targets = [[float(t) for t in ex.targets] for ex in network.examples]
        self._learning_rate = float(network.spec.learning_rate)
        self._loop = None

    def training_loop(self):
        """``loop(steps, history, *arguments) -> parameters``: ``steps`` plain SGD steps in one function.

        The body of :attr:`function` inside a ``for`` loop (rewritten with :mod:`ast`): E_total goes to
        ``history[step]`` and w_new becomes w for the next step, with no call, argument list or result
        list per step. Floats overflowing raise as in :attr:`function`.

        >>> import derive
        >>> grad = derive.load("2-2-2").compile_gradient(backend="scalar")
        >>> history = [0.0] * 2
        >>> final = grad.training_loop()(2, history, *grad.arguments())
        >>> round(history[1], 9), len(final)
        (0.291027774, 10)
        """
        if self._loop is None:
            self._loop = _fused_loop(self.function, len(self.parameter_names))
        return self._loop

    def arguments(self, params=None, inputs=None, targets=None, learning_rate=None) -> list[float]:
        """The flat argument list of :attr:`function` for these values."""
        values = dict(self._defaults)
        if params is not None:
            if isinstance(params, dict):
                unknown = set(params) - set(values)
                if unknown:
                    raise KeyError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
                values.update({k: float(v) for k, v in params.items()})
            else:
                values = dict(zip(self.parameter_names, map(float, params), strict=True))
        args = [values[name] for name in self.parameter_names]
        for row in (inputs or self._inputs):
            args.extend(map(float, row))
        for row in (targets or self._targets):
            args.extend(map(float, row))
        args.append(self._learning_rate if learning_rate is None else float(learning_rate))
        return args

    def __call__(self, params=None, inputs=None, targets=None, learning_rate=None) -> GradientResult:
        out = self.function(*self.arguments(params, inputs, targets, learning_rate))
        n = len(self.parameter_names)
        return GradientResult(
            loss=out[0],
            gradients=dict(zip(self.parameter_names, out[1:1 + n])),
            updated=dict(zip(self.parameter_names, out[1 + n:])),
        )


def _fused_loop(function, n: int):
    """The training loop of :meth:`CompiledGradient.training_loop`, built from ``function``'s source."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(function))
    definition = tree.body[0]
    *body, result = definition.body
    outputs = result.value.elts  # [E_total, gradients..., updated...]
    params = [ast.Name(a.arg, ast.Store()) for a in definition.args.args[:n]]
    step = ast.parse("history[_derive_step] = 0").body[0]
    step.value = outputs[0]
    update = ast.Assign([ast.Tuple(params, ast.Store())], ast.Tuple(outputs[n + 1:], ast.Load()))
    loop = ast.parse("for _derive_step in range(steps): pass").body[0]
    loop.body = [*body, step, update]
    done = ast.Return(ast.List([ast.Name(a.arg, ast.Load()) for a in definition.args.args[:n]], ast.Load()))
    definition.name = "_derive_loop"
    definition.args.args[:0] = [ast.arg("steps"), ast.arg("history")]
    definition.body = [loop, done]
    namespace = dict(function.__globals__)
    exec(compile(ast.fix_missing_locations(tree), "<derive training loop>", "exec"), namespace)
    return namespace["_derive_loop"]


def float_round_half_up(x: float, decimals: int) -> float:
    """``x`` rounded to ``decimals`` places, halves away from zero (the carried-rounding convention).

    A decimal tie is not exact in binary (0.1745 may be held a hair below), so a scaled value
    within 1e-9 (relative) below a half counts as the half, as :func:`derive.engine.numeric.round_half_up`
    sees it exactly.

    >>> float_round_half_up(0.1745, 3), float_round_half_up(-0.8095, 3), float_round_half_up(2.5, 0)
    (0.175, -0.81, 3.0)
    """
    scale = _SCALES[decimals] if decimals < len(_SCALES) else 10.0 ** decimals
    y = x * scale if x >= 0 else -x * scale
    r = math.floor(y + (0.5 + 1e-9 * (1.0 + y))) / scale
    return r if x >= 0 else -r


_SCALES = tuple(10.0 ** d for d in range(31))


def _replacements(model: Model, parameter_names, carry_rounding: int | CarryRounding | None = None) -> tuple[list, list]:
    """(symbol, formula) pairs in evaluation order, limited to what the outputs need.

    With ``carry_rounding`` every named quantity is rounded as soon as it is computed.
    """
    formulas = _float_formulas(model)
    outputs = [model.symbol("E_total")]
    outputs += [model.chains[p].gradient.symbol for p in parameter_names]
    outputs += [model.chains[p].update.symbol for p in parameter_names]
    needed = set()
    stack = list(outputs)
    while stack:
        symbol = stack.pop()
        if symbol in needed or symbol not in formulas:
            continue
        needed.add(symbol)
        stack.extend(formulas[symbol].free_symbols)
    ordered = [(s, formulas[s]) for s in formulas if s in needed]
    if carry_rounding is None:
        ordered, outputs = _inline_aliases(ordered, outputs)
    if carry_rounding is not None:
        carry = sp.Function("carry_round")
        # a fixed parameter's "update" is not computed, so it is not rounded: it must stay fixed
        kept = {q.symbol for q in model.quantities if q.kind == "updated" and q.formula.is_Symbol}
        places = {s: carry_places(carry_rounding, model[s.name].kind) for s, _ in ordered if s.name in model.by_key}
        ordered = [(s, carry(f, places[s]) if places.get(s) is not None and s not in kept else f)
                   for s, f in ordered]
    return ordered, outputs


def _inline_aliases(ordered: list, outputs: list) -> tuple[list, list]:
    """Drop the quantities that only rename another or are a constant (∂net/∂w = out_h1, ∂net/∂b = 1),
    writing what they stand for where they are used: the same floats (x·1 is x), fewer lines to run.

    >>> a, b, c = sp.symbols("a b c")
    >>> _inline_aliases([(b, a), (c, 2 * b * sp.S.One)], [c, b])
    ([(c, 2*a)], [c, a])
    """
    alias: dict = {}
    kept = []
    for symbol, formula in ordered:
        formula = formula.xreplace(alias) if alias else formula
        if formula.is_Symbol or formula.is_Number:
            alias[symbol] = formula
        else:
            kept.append((symbol, formula))
    return kept, [alias.get(o, o) for o in outputs]


def _float_formulas(model: Model) -> dict:
    """Each computed quantity's formula, in order, rewritten where floating point needs care."""
    spec = model.network.spec
    output = model.network.output_layer
    formulas: dict = {}
    for q in model.quantities:
        if q.formula is None:
            continue
        if q.kind == "out" and output.activation == "softmax" and q.layer == output.index:
            _stable_softmax(model, q, formulas)
            continue
        if q.kind == "error_term" and output.activation == "softmax" and spec.loss == "cross_entropy":
            out = model.symbol(model.ex(f"out_{q.neuron}", q.example))
            target = q.formula.free_symbols - {out}
            log_out = formulas[_shift_key(model, q.example)][0]
            t = next(iter(target))
            formulas[q.symbol] = -t * (model.symbol(model.ex(f"net_{q.neuron}", q.example)) - log_out) * log_factor(spec.log_base)
            continue
        if q.kind == "error_term" and output.activation == "sigmoid" and spec.loss == "binary_cross_entropy":
            formulas[q.symbol] = _stable_binary_cross_entropy(model, q)
            continue
        formulas[q.symbol] = q.simplified if q.simplified is not None else q.formula
    return {k: v for k, v in formulas.items() if isinstance(k, sp.Symbol)}


_softplus = sp.Function("softplus")


def stable_softplus(x: float) -> float:
    """ln(1 + e^x) without overflow for large x or loss of everything for very negative x.

    >>> stable_softplus(1000.0), stable_softplus(0.0) == math.log(2), stable_softplus(-1000.0)
    (1000.0, True, 0.0)
    """
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _stable_binary_cross_entropy(model: Model, q) -> sp.Expr:
    """−[t ln σ(net) + (1 − t) ln(1 − σ(net))] = t·softplus(−net) + (1 − t)·softplus(net) (λ·net for σ(λ·net)).

    ln(1 − σ(net)) in floating point is ln(0) once net > 37; the softplus form stays finite.
    """
    out = model.symbol(model.ex(f"out_{q.neuron}", q.example))
    t = next(iter(q.formula.free_symbols - {out}))
    net = model.symbol(model.ex(f"net_{q.neuron}", q.example)) * sp.Rational(model.network.output_layer.gain)
    scale = log_factor(model.network.spec.log_base)
    return (t * _softplus(-net) + (1 - t) * _softplus(net)) * scale


def _shift_key(model: Model, n):
    return ("lse", n)


def _stable_softmax(model: Model, q, formulas: dict) -> None:
    """out_i = e^(net_i − m) / Σ_j e^(net_j − m), m = max_j net_j; log Σ e^net kept for the loss."""
    layer = model.network.output_layer
    n = q.example
    key = _shift_key(model, n)
    if key not in formulas:
        nets = [model.symbol(model.ex(f"net_{neuron}", n)) for neuron in layer.neurons]
        m = sp.Symbol(f"_m_{n}")
        s = sp.Symbol(f"_s_{n}")
        lse = sp.Symbol(f"_lse_{n}")
        formulas[m] = sp.Max(*nets)
        formulas[s] = sp.Add(*[sp.exp(x - m) for x in nets])
        formulas[lse] = m + sp.log(s)
        formulas[key] = (lse, m, s)
    lse, m, s = formulas[key]
    net = model.symbol(model.ex(f"net_{q.neuron}", n))
    formulas[q.symbol] = sp.exp(net - m) / s
