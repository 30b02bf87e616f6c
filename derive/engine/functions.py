"""Activations and losses as SymPy expressions, with the derivative forms the tutorials use."""

from __future__ import annotations

import math

import sympy as sp


class sigmoid(sp.Function):
    """The logistic function σ(x) = 1 / (1 + e^(−x)), kept as one named function.

    Its derivative is σ(1 − σ), which is how the tutorials write ∂out/∂net.

    >>> x = sp.Symbol("x")
    >>> sp.diff(sigmoid(x), x)
    (1 - sigmoid(x))*sigmoid(x)
    >>> sigmoid(sp.Float("0.3775", 30))
    0.593269992107187...
    """

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_Float:
            return 1 / (1 + sp.exp(-arg))
        if arg.is_zero:
            return sp.S.Half
        return None

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))

    def _eval_evalf(self, prec):
        arg = self.args[0]._eval_evalf(prec)
        if arg is None:
            return None
        return (1 / (1 + sp.exp(-arg)))._eval_evalf(prec)


def stable_sigmoid(x: float) -> float:
    """σ(x) in floating point without overflow for large |x|.

    >>> stable_sigmoid(-1000.0), stable_sigmoid(1000.0)
    (0.0, 1.0)
    """
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def activation_formula(name: str, net: sp.Symbol, slope: sp.Rational, gain=1, scale=1) -> sp.Expr:
    """out = f(net) for an element-wise activation; scaled ones are σ(λ·net), a·tanh(b·net), k·net.

    >>> n = sp.Symbol("net")
    >>> activation_formula("relu", n, sp.Rational(1, 100))
    Max(0, net)
    >>> activation_formula("tanh", n, 0, sp.Rational(2, 3), sp.Rational(17159, 10000))
    17159*tanh(2*net/3)/10000
    """
    gain, scale = sp.Rational(gain), sp.Rational(scale)
    if name == "sigmoid":
        return sigmoid(gain * net)
    if name == "tanh":
        return scale * sp.tanh(gain * net)
    if name == "relu":
        return sp.Max(0, net)
    if name == "leaky_relu":
        return sp.Piecewise((net, net > 0), (slope * net, True))
    if name == "linear":
        return sp.Rational(gain) * net
    raise ValueError(f"not an element-wise activation: {name}")


def activation_derivative(name: str, net: sp.Symbol, out: sp.Symbol, slope: sp.Rational, gain=1, scale=1):
    """(raw, in_out) : d f(net)/d net as SymPy gives it, and the form in ``out`` the tutorials use.

    ReLU's derivative at exactly 0 is 0 and leaky ReLU's is its slope (PyTorch's convention).
    Scaled: λ·out(1 − out) for σ(λ·net) (Zurada), (b/a)(a² − out²) for a·tanh(b·net) (LeCun), k for k·net.

    >>> n, o = sp.symbols("net out")
    >>> activation_derivative("sigmoid", n, o, 0)[1]
    out*(1 - out)
    >>> activation_derivative("tanh", n, o, 0)[1]
    1 - out**2
    >>> activation_derivative("sigmoid", n, o, 0, 2)[1]
    2*out*(1 - out)
    >>> activation_derivative("tanh", n, o, 0, sp.Rational(1, 2), 2)[1]
    (2 - out)*(out + 2)/4
    """
    gain, scale = sp.Rational(gain), sp.Rational(scale)
    if name == "sigmoid":
        raw = sp.diff(sigmoid(gain * net), net)
        return raw, raw.xreplace({sigmoid(gain * net): out})
    if name == "tanh":
        raw = sp.diff(scale * sp.tanh(gain * net), net)
        if scale == 1:
            return raw, raw.xreplace({sp.tanh(gain * net): out})
        return raw, gain / scale * ((scale - out) * (scale + out))  # (b/a)(a − out)(a + out), kept factored
    if name in ("relu", "leaky_relu"):
        low = sp.S.Zero if name == "relu" else sp.sympify(slope)
        step = sp.Piecewise((sp.S.One, net > 0), (low, True))
        return step, step
    if name == "linear":
        return gain, gain
    raise ValueError(f"not an element-wise activation: {name}")


def softmax_formula(nets: list[sp.Symbol], i: int) -> sp.Expr:
    """out_i = e^(net_i) / Σ_j e^(net_j)."""
    return sp.exp(nets[i]) / sp.Add(*[sp.exp(n) for n in nets])


def softmax_jacobian(outs: list[sp.Symbol], i: int, j: int) -> sp.Expr:
    """∂out_i/∂net_j = out_i (δ_ij − out_j).

    >>> a, b = sp.symbols("a b")
    >>> softmax_jacobian([a, b], 0, 0), softmax_jacobian([a, b], 0, 1)
    (a*(1 - a), -a*b)
    """
    return outs[i] * ((1 if i == j else 0) - outs[j])


def log_factor(base: str) -> sp.Expr:
    """1 / ln(base): cross-entropy in another base is the natural one scaled."""
    return sp.S.One if base == "e" else 1 / sp.log(sp.Integer(int(base)))


def loss_term(loss: str, out: sp.Symbol, target: sp.Symbol, n_outputs: int, base: str = "e") -> sp.Expr:
    """The error contributed by one output, so that E = Σ_o term.

    >>> o, t = sp.symbols("out t")
    >>> loss_term("half_sse", o, t, 2)
    (-out + t)**2/2
    >>> loss_term("mse", o, t, 2)
    (-out + t)**2/2
    >>> loss_term("cross_entropy", o, t, 3)
    -t*log(out)
    """
    if loss == "half_sse":
        return sp.Rational(1, 2) * (target - out) ** 2
    if loss == "sse":
        return (target - out) ** 2
    if loss == "mse":
        return (target - out) ** 2 / n_outputs
    if loss == "cross_entropy":
        return -target * sp.log(out) * log_factor(base)
    if loss == "binary_cross_entropy":
        return -(target * sp.log(out) + (1 - target) * sp.log(1 - out)) * log_factor(base)
    raise ValueError(f"unknown loss {loss}")
