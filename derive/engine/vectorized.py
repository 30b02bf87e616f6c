"""A layer-wise NumPy gradient for larger networks: the matrix form, generated as straight-line code.

Each layer is ``net = out_prev · Wᵀ + b`` (one matrix product for the whole batch), its deltas
are array expressions (δ = ∂E/∂out ⊙ f'(net), δ_prev-layer's ∂E/∂out = δ · W), and a weight's
gradient is ``δᵀ · out_prev``: the same quantities the scalar path names one by one, so the
numbers agree with the exact evaluator to float rounding. The code is generated per network
(offsets, shapes and the activation's formulas written in), compiled once with :func:`compile`;
no SymPy model is needed, so compiling a 32x6 network takes milliseconds.

Not covered: carried rounding (every named scalar rounded as it is computed) needs the named
quantities one by one; :func:`derive.engine.compiled.compile_gradient` keeps the scalar path for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import DeriveError
from .network import Network


@dataclass(frozen=True)
class GradientResult:
    """What a compiled gradient returns: E_total, ∂E_total/∂p and p − η·∂E_total/∂p, by parameter name."""

    loss: float
    gradients: dict[str, float]
    updated: dict[str, float]


def _numpy():
    try:
        import numpy
    except ImportError:  # numpy is a dependency; a broken install still gets one clear line
        raise DeriveError("the vectorised gradient needs NumPy (pip install numpy); "
                          "use backend='scalar' without it") from None
    return numpy


class VectorGradient:
    """``f(params) -> (loss, gradients, updated)`` in NumPy, one array pass per layer for the whole batch.

    The same interface as :class:`~derive.engine.compiled.CompiledGradient`; :attr:`function`
    takes ``(p, X, T, eta)`` (flat parameters in :attr:`parameter_names` order, inputs and
    targets one row per example) and returns ``(loss, gradients, updated)`` as a float and two
    flat arrays.

    >>> import derive
    >>> grad = derive.load("2-2-2").compile_gradient(backend="vector")
    >>> result = grad()
    >>> round(result.loss, 9), round(result.gradients["w5"], 9), round(result.updated["w1"], 9)
    (0.298371109, 0.082167041, 0.149780716)
    >>> grad.backend
    'vector'
    """

    backend = "vector"

    def __init__(self, network: Network):
        np = _numpy()
        self.np = np
        self.network = network
        params = network.parameters
        self.parameter_names = tuple(p.name for p in params)
        self.n_examples = len(network.examples)
        self.source = generate_source(network)
        namespace = {"np": np}
        exec(compile(self.source, f"<derive vector gradient {len(params)} parameters>", "exec"), namespace)
        fixed = [not p.trainable for p in params]
        mask = np.array([0.0 if f else 1.0 for f in fixed]) if any(fixed) else None
        self.function = namespace["make"](mask)
        self.parameters = np.array([float(p.value) for p in params])
        # one example: plain vectors (matrix-vector products are cheaper than 1-row matrices)
        self._shape = (lambda rows: rows[0]) if self.n_examples == 1 else (lambda rows: rows)
        self.inputs = self._shape(np.array([[float(x) for x in ex.inputs] for ex in network.examples]))
        self.targets = self._shape(np.array([[float(t) for t in ex.targets] for ex in network.examples]))
        self.learning_rate = float(network.spec.learning_rate)

    def arguments(self, params=None, inputs=None, targets=None, learning_rate=None) -> tuple:
        """``(p, X, T, eta)`` for :attr:`function`: the spec's values, some of them overridden."""
        np = self.np
        p = self.parameters.copy()
        if params is not None:
            if isinstance(params, dict):
                index = {name: i for i, name in enumerate(self.parameter_names)}
                unknown = set(params) - set(index)
                if unknown:
                    raise KeyError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
                for name, value in params.items():
                    p[index[name]] = float(value)
            else:
                p = np.array([float(v) for v in params])
                if p.shape != self.parameters.shape:
                    raise ValueError(f"expected {len(self.parameter_names)} parameters; got {p.size}")
        X = self.inputs if inputs is None else self._rows(inputs, self.inputs)
        T = self.targets if targets is None else self._rows(targets, self.targets)
        eta = self.learning_rate if learning_rate is None else float(learning_rate)
        return p, X, T, eta

    def _rows(self, rows, like):
        """One list per example, as the spec's own array (same shape: the code is generated for it)."""
        array = self._shape(self.np.array(rows, dtype=float).reshape(len(rows), -1))
        if array.shape != like.shape:
            raise ValueError(f"expected {self.n_examples} rows of {like.shape[-1]} values; got shape {array.shape}")
        return array

    def __call__(self, params=None, inputs=None, targets=None, learning_rate=None) -> GradientResult:
        with self.np.errstate(all="ignore"):  # overflow shows as inf in the result, as in floats
            loss, gradients, updated = self.function(*self.arguments(params, inputs, targets, learning_rate))
        return GradientResult(loss=loss, gradients=dict(zip(self.parameter_names, gradients.tolist())),
                              updated=dict(zip(self.parameter_names, updated.tolist())))


# ---------------------------------------------------------------- code generation

def generate_source(network: Network) -> str:
    """The Python source of ``make(mask) -> f(p, X, T, eta)`` for ``network``: one block per layer.

    >>> from derive.spec import load_spec
    >>> from derive.engine.network import build_network
    >>> print(generate_source(build_network(load_spec("2-2-2"))).splitlines()[3])
            W1 = p[0:4].reshape(2, 2)
    """
    spec = network.spec
    n = len(network.examples)
    scale = 1.0 / n if n > 1 and spec.reduction == "mean" else 1.0
    log_scale = 1.0 if spec.log_base == "e" else 1.0 / math.log(int(spec.log_base))
    updated = spec.conventions.backprop_through_updated_weights
    lines = ["def make(mask):", "    def f(p, X, T, eta):", "        a0 = X"]
    lines += _forward_lines(network)
    lines += _loss_lines(network, scale, log_scale)
    lines += _backward_lines(network, updated)
    # fixed parameters (untrained biases) keep their value: their step is multiplied by 0
    fixed = any(not p.trainable for p in network.parameters)
    if fixed:
        lines.append("        return loss, G, p - eta * (G * mask)")
    else:  # p − η·G, bit for bit (−(η·G) is exact), in one new array instead of two
        lines += ["        U = G * -eta", "        U += p", "        return loss, G, U"]
    lines += ["    return f", ""]
    return "\n".join(lines)


def _layout(network: Network):
    """(layer, weight slice start, end, bias index or slice text or None) per layer, in parameter order."""
    offset, out = 0, []
    for layer in network.layers:
        fan_in = len(layer.inputs)
        start, end = offset, offset + layer.units * fan_in
        offset = end
        if layer.bias_mode == "shared":
            bias, offset = f"p[{end}]", end + 1
        elif layer.bias_mode == "per_neuron":
            bias, offset = f"p[{end}:{end + layer.units}]", end + layer.units
        else:
            bias = None
        out.append((layer, start, end, bias))
    return out


def _thresholds(network: Network) -> bool:
    """Whether biases are thresholds θ on an input fixed at −1 (``conventions: {bias_as: threshold}``)."""
    return getattr(network.spec.conventions, "bias_as", "bias") == "threshold"


def _forward_lines(network: Network) -> list[str]:
    lines = []
    for layer, start, end, bias in _layout(network):
        i = layer.index
        lines.append(f"        W{i} = p[{start}:{end}].reshape({layer.units}, {len(layer.inputs)})")
        product = f"W{i} @ a{i - 1}" if len(network.examples) == 1 else f"a{i - 1} @ W{i}.T"
        sign = "-" if _thresholds(network) else "+"  # a threshold: net = Σ w·x − θ
        if _sigmoid_without_net(network, layer):
            # −net = −b − Σ w·x (= θ − Σ w·x) bit for bit, then e^(−net), 1 + e^(−net) and 1 / it, all in place
            negated = (f"np.subtract({'' if sign == '-' else '-'}{bias}, a{i}, out=a{i})" if bias
                       else f"np.negative(a{i}, out=a{i})")
            lines += [f"        {line}" for line in (f"a{i} = {product}", negated, f"np.exp(a{i}, out=a{i})",
                                                     f"a{i} += 1.0", f"np.divide(1.0, a{i}, out=a{i})")]
            continue
        lines.append(f"        n{i} = {product}" + (f" {sign} {bias}" if bias else ""))
        lines += [f"        {line}" for line in _activation(layer, i)]
    return lines


def _sigmoid_without_net(network: Network, layer) -> bool:
    """A plain sigmoid layer whose net nothing else reads (its δ needs out alone) and one bias or none."""
    output_reads_net = layer.is_output and network.spec.loss == "binary_cross_entropy"
    return (layer.activation == "sigmoid" and layer.gain == 1 and layer.bias_mode != "per_neuron"
            and not output_reads_net)


def _activation(layer, i: int) -> list[str]:
    """``a{i}`` (and what its derivative needs) from ``n{i}``; overflow-free forms, as the scalar path."""
    name = layer.activation
    gain, scale = _times(layer.gain), _times(layer.scale)  # f(net) = scale · g(gain · net)
    if name == "sigmoid":  # e^(−net) = inf gives 1/inf = 0, the limit (callers ignore the overflow flag)
        # 1 / (1 + e^(−net)), worked in place in one new array
        return [f"a{i} = np.exp(-{gain}n{i})", f"a{i} += 1.0", f"np.divide(1.0, a{i}, out=a{i})"]
    if name == "tanh":
        return [f"a{i} = {scale}np.tanh({gain}n{i})"]
    if name == "relu":
        return [f"a{i} = np.maximum(n{i}, 0.0)"]
    if name == "leaky_relu":
        return [f"a{i} = np.where(n{i} > 0, n{i}, {float(layer.negative_slope)!r} * n{i})"]
    if name == "linear":
        return [f"a{i} = {gain}n{i}"]
    if name == "softmax":  # shifted by the largest logit; lse = log Σ e^net for the loss
        return [f"m{i} = n{i}.max(axis=-1, keepdims=True)", f"e{i} = np.exp(n{i} - m{i})",
                f"s{i} = e{i}.sum(axis=-1, keepdims=True)", f"a{i} = e{i} / s{i}", f"lse{i} = m{i} + np.log(s{i})"]
    raise ValueError(f"unknown activation {name}")


def _times(factor) -> str:
    """``"k * "`` for a gain or scale other than 1, else nothing (the unscaled code unchanged).

    >>> from fractions import Fraction
    >>> _times(1), _times(Fraction(2, 3))
    ('', '0.6666666666666666 * ')
    """
    return "" if factor == 1 else f"{float(factor)!r} * "


def _loss_lines(network: Network, scale: float, log_scale: float) -> list[str]:
    """``loss`` (E_total) and ``d{L}`` (the output deltas) from the output layer's ``a``/``n`` and ``T``."""
    spec = network.spec
    layer = network.output_layer
    L, K = layer.index, layer.units
    a, n = f"a{L}", f"n{L}"
    mean = f" * {scale!r}" if scale != 1.0 else ""
    logs = f" * {log_scale!r}" if log_scale != 1.0 else ""
    shortcut = None
    if spec.loss in ("half_sse", "sse", "mse"):  # the error vector once: Σ e² by one dot product
        factor = {"half_sse": 0.5, "sse": 1.0, "mse": 1.0 / K}[spec.loss]
        lines = [f"        e{L} = {a} - T", f"        loss = {factor!r} * float(np.vdot(e{L}, e{L})){mean}"]
        grad = f"e{L}" if spec.loss == "half_sse" else f"{2 * factor!r} * e{L}"
        lines.append(f"        g{L} = {grad}{mean}")
        return lines + _delta_line(layer, L)
    if spec.loss == "cross_entropy":
        if layer.activation == "softmax":
            loss = f"-np.sum(T * ({n} - lse{L}))"
            shortcut = f"{a} * T.sum(axis=-1, keepdims=True) - T"
        else:
            loss = f"-np.sum(T * np.log({a}))"
        grad = f"-T / {a}"
    elif spec.loss == "binary_cross_entropy":
        if layer.activation == "sigmoid":  # softplus form: ln(1 − σ(net)) is ln 0 once net > 37
            gain = _times(layer.gain)
            loss = f"np.sum(T * _softplus(-{gain}{n}) + (1.0 - T) * _softplus({gain}{n}))"
            shortcut = f"{gain}({a} - T)"
        else:
            loss = f"-np.sum(T * np.log({a}) + (1.0 - T) * np.log(1.0 - {a}))"
        grad = f"-(T / {a} - (1.0 - T) / (1.0 - {a}))"
    else:
        raise ValueError(f"unknown loss {spec.loss}")
    lines = [f"        loss = float({loss}){logs}{mean}"]
    if shortcut is not None:  # δ without ∂E/∂out where it cancels (the scalar path's simplified delta)
        lines.append(f"        d{L} = ({shortcut}){logs}{mean}")
        return _softplus_lines(lines)
    lines.append(f"        g{L} = ({grad}){logs}{mean}")
    lines += _delta_line(layer, L)
    return lines


def _softplus_lines(lines: list[str]) -> list[str]:
    if not any("_softplus" in line for line in lines):
        return lines
    helper = ["        def _softplus(x):", "            return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))"]
    return helper + lines


def _delta_line(layer, i: int) -> list[str]:
    """``d{i}`` = δ = ∂E/∂net from ``g{i}`` = ∂E/∂out and the activation's derivative."""
    name = layer.activation
    g, a, n = f"g{i}", f"a{i}", f"n{i}"
    gain = _times(layer.gain)
    if name == "sigmoid":  # λ·out(1 − out): (λ·g·out)·(1 − out) bit for bit, one temporary array fewer
        return [f"        d{i} = {gain}{g} * {a}", f"        d{i} *= 1.0 - {a}"]
    if name == "tanh":  # (b/a)(a² − out²)
        if layer.scale != 1:
            return [f"        d{i} = {_times(layer.gain / layer.scale)}{g} * ({float(layer.scale ** 2)!r} - {a} ** 2)"]
        return [f"        d{i} = {gain}{g} * (1.0 - {a} ** 2)"]
    if name == "relu":
        return [f"        d{i} = {g} * ({n} > 0)"]  # 0 at exactly 0, PyTorch's convention
    if name == "leaky_relu":
        return [f"        d{i} = {g} * np.where({n} > 0, 1.0, {float(layer.negative_slope)!r})"]
    if name == "linear":
        return [f"        d{i} = {gain}{g}"]
    if name == "softmax":  # δ_j = Σ_i g_i out_i (δ_ij − out_j) = out_j (g_j − Σ_i g_i out_i)
        return [f"        d{i} = {a} * ({g} - ({g} * {a}).sum(axis=-1, keepdims=True))"]
    raise ValueError(f"unknown activation {name}")


def _backward_lines(network: Network, updated: bool) -> list[str]:
    """Top layer down: gradients into ``G`` and, below the top, the next ∂E/∂out from the deltas."""
    one = len(network.examples) == 1  # plain vectors: an outer product, the delta itself for the biases
    lines = ["        G = np.empty(p.shape)"]
    for layer, start, end, bias in reversed(_layout(network)):
        i = layer.index
        # np.outer is Python code around this multiply (asarray, ravel, two index views): ~1.5 µs a layer
        product = "np.multiply(d{i}[:, None], a{j}" if one else "np.matmul(d{i}.T, a{j}"
        lines.append(f"        {product.format(i=i, j=i - 1)}, out=G[{start}:{end}].reshape({layer.units}, {len(layer.inputs)}))")
        sign = "-" if _thresholds(network) else ""  # ∂net/∂θ = −1
        # np.add.reduce is what ndarray.sum calls (the same sum) without its Python wrapper
        if layer.bias_mode == "shared":
            lines.append(f"        G[{end}] = {sign}np.add.reduce(d{i}, None)")
        elif layer.bias_mode == "per_neuron":
            lines.append(f"        G[{end}:{end + layer.units}] = {sign}" + (f"d{i}" if one else f"np.add.reduce(d{i}, 0)"))
        if i == 1:
            continue
        # the updated-weights convention backpropagates through w − η·grad (weights are always trained)
        weights = f"(W{i} - eta * G[{start}:{end}].reshape({layer.units}, {len(layer.inputs)}))" if updated else f"W{i}"
        lines.append(f"        g{i - 1} = d{i} @ {weights}")
        lines += _delta_line(network.layers[i - 2], i - 1)
    return lines
