"""All math goes through one printer: SymPy's LaTeX printer, taught the tutorials' notation.

σ for the sigmoid, ``net_{h1}``/``out_{o1}`` for the named quantities, ∂E_total/∂w_5 for
gradients, w_5^{+} for updated weights, δ_{o1} in the delta and matrix styles, optionally
indexed names w^{(l)}_{jk}. Substituted numbers (:class:`~derive.steps.Value`) are printed by
the one :class:`~derive.render.numbers.NumberFormat`, negative ones in parentheses, so that a
formula never shows "− −". The output is plain LaTeX math that KaTeX and MathJax also read.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter
from pylatex.utils import NoEscape

from ..spec.model import BIAS_COLUMNS
from ..steps import Value
from ..steps.model import Constant
from .escape import tex_name
from .language import current_language, gettext, localize_tex
from .numbers import NumberFormat

_SPLIT = re.compile(r"([A-Za-z]+)(\d+)\Z")
_ACTIVATION_TEX = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{ReLU}",
                   "leaky_relu": r"\operatorname{LReLU}", "softmax": r"\operatorname{softmax}", "linear": r"\operatorname{id}"}


class Names:
    """How each quantity of a model is written (``net_h1`` -> ``\\mathit{net}_{h1}``).

    >>> import derive
    >>> names = Names(derive.load("2-2-2").model)
    >>> names.tex("net_h1"), names.tex("w5_new"), names.tex("x1")
    ('\\\\mathit{net}_{h1}', 'w_{5}^{+}', 'x_{1}')
    >>> names.tex("grad_w5")
    '\\\\frac{\\\\partial E_{\\\\mathit{total}}}{\\\\partial w_{5}}'
    """

    def __init__(self, model, *, deltas: str = "delta", indexed: bool = False):
        self.model = model
        self.network = model.network
        self.deltas = deltas  # "delta": δ_{o1}; "partial": ∂E_total/∂net_o1
        self.indexed = indexed
        self.batch = model.n_examples > 1
        self._cache: dict[str, str] = {}
        self._params = {p.name: p for p in self.network.parameters}

    def tex(self, key: str) -> str:
        if key not in self._cache:
            self._cache[key] = self._tex(key)
        return self._cache[key]

    def _tex(self, key: str) -> str:
        if "@" in key:
            return self._matrix(key)
        q = self.model.by_key.get(key)
        if q is None:
            return self.plain(key)
        sup = f"[{self.network.example_number(q.example)}]" if self.batch and q.example is not None else None
        kind = q.kind
        if kind in ("input", "target"):
            return self.plain(q.name, sup)
        if kind == "param":
            return self.parameter(q.name)
        if kind == "hyper":
            return r"\eta"
        if kind in ("net", "out"):
            return _compose(rf"\mathit{{{kind}}}", neuron_tex(q.neuron), sup)
        if kind == "error_term":
            return _compose("E", neuron_tex(q.neuron), sup)
        if kind == "error_example":
            return _compose("E", None, sup)
        if kind == "error_total":
            return r"E_{\mathit{total}}"
        if kind == "delta":
            if self.deltas == "delta":
                return _compose(r"\delta", neuron_tex(q.neuron), sup)
            return _partial(self.total(), self.tex(self.model.ex(q.den, q.example)))
        if kind == "updated":
            base = self.parameter(q.param)
            return f"{{{base}}}^{{+}}" if "^" in base else f"{base}^{{+}}"  # never a double superscript
        if kind == "grad":
            tex = _partial(self.total(), self.parameter(q.param))
            return rf"\left({tex}\right)^{{{sup}}}" if sup else tex
        if kind == "path":
            return _partial(self.tex(self.model.ex(q.num, q.example)), self.tex(self.model.ex(q.den, q.example)))
        if q.num and q.den:  # dE_dout, dout_dnet, dnet_dparam
            num = self.total() if q.num == "E_total" else self.tex(self.model.ex(q.num, q.example))
            den = self.parameter(q.den) if q.den in self._params else self.tex(self.model.ex(q.den, q.example))
            return _partial(num, den)
        return self.plain(q.name, sup)

    def total(self) -> str:
        return r"E_{\mathit{total}}"

    def plain(self, name: str, sup: str | None = None) -> str:
        """A spec name: ``w5`` -> ``w_{5}``, ``t_o1`` -> ``t_{o1}``, ``b_h1_2`` -> ``b_{h1,2}``.

        >>> import derive
        >>> Names(derive.load("2-2-2").model).plain("b_h1_2")
        'b_{h1,2}'
        """
        if "_" in name:
            head, tail = name.split("_", 1)
            return _compose(_letters(head), neuron_tex(tail), sup)
        match = _SPLIT.match(name)
        if match:
            return _compose(_letters(match.group(1)), match.group(2), sup)
        return _compose(_letters(name), None, sup)

    def parameter(self, name: str) -> str:
        """A weight or bias, sequential (``w_{5}``) or indexed (``w^{(2)}_{11}``).

        >>> import derive
        >>> Names(derive.load("2-2-2").model, indexed=True).parameter("w6")
        'w^{(2)}_{12}'

        A bias folded into the matrix (``bias_as: weight_column_first``) is the weight on x0 = 1 in any case:

        >>> spec = {"inputs": [1], "targets": [1], "conventions": {"bias_as": "weight_column_first"},
        ...         "layers": [{"units": 1, "activation": "linear", "weights": [[0.1, 0.5]]}]}
        >>> Names(derive.load(spec).model).parameter("b_o1")
        'w^{(1)}_{10}'
        """
        param = self._params.get(name)
        if param is not None and param.kind == "bias" and self.network.spec.conventions.bias_as in BIAS_COLUMNS:
            # a bias folded into the matrix is the weight on x0 = 1, w_{j0}, whatever the names (Learning From Data)
            return rf"w^{{({param.layer})}}_{{{param.j + 1}{',' if param.j >= 9 else ''}0}}"
        if not self.indexed or param is None:
            return self.plain(name)
        if param.kind == "weight":
            sep = "," if max(param.j, param.k) >= 9 else ""
            return rf"w^{{({param.layer})}}_{{{param.j + 1}{sep}{param.k + 1}}}"
        layer = self.network.layers[param.layer - 1]
        if layer.bias_mode == "shared":
            return rf"b^{{({param.layer})}}"
        return rf"b^{{({param.layer})}}_{{{param.j + 1}}}"

    def _matrix(self, key: str) -> str:
        """Vectors and matrices of the matrix style: ``W@2`` -> ``W^{(2)}``, ``a@0`` -> ``\\mathbf{x}``."""
        parts = key.split("@")
        kind, layer = parts[0], int(parts[1])
        example = f"[{parts[2]}]" if len(parts) > 2 else ""
        up = f"({layer}){example}"
        if kind == "a" and layer == 0:
            return rf"\mathbf{{x}}^{{{example}}}" if example else r"\mathbf{x}"
        if kind == "at":  # the inputs with x0 = 1 where the bias column is: x̃, ã⁽ˡ⁾
            if layer == 0:
                return rf"\tilde{{\mathbf{{x}}}}^{{{example}}}" if example else r"\tilde{\mathbf{x}}"
            return rf"\tilde{{\mathbf{{a}}}}^{{{up}}}"
        if kind == "Wt":  # the matrix with its bias column, W̃⁽ˡ⁾ (bias_as: weight_column_first / _last)
            return rf"\tilde{{W}}^{{({layer})}}"
        if kind == "Wtnew":
            return rf"\tilde{{W}}^{{({layer})+}}"
        if kind == "gradWt":
            tex = _partial(self.total(), rf"\tilde{{W}}^{{({layer})}}")
            return rf"\left({tex}\right)^{{{example}}}" if example else tex
        if kind == "t":
            return rf"\mathbf{{t}}^{{{example}}}" if example else r"\mathbf{t}"
        bias = r"\boldsymbol{\theta}" if self.network.spec.conventions.bias_as == "threshold" else r"\mathbf{b}"
        simple = {"W": "W", "z": r"\mathbf{z}", "a": r"\mathbf{a}", "b": bias, "delta": r"\boldsymbol{\delta}",
                  "J": "J"}
        if kind in simple:
            return rf"{simple[kind]}^{{{up}}}"
        if kind in ("Wnew", "bnew"):
            base = "W" if kind == "Wnew" else bias
            return rf"{base}^{{({layer})+}}"
        if kind == "gE":
            return _partial(self.total(), rf"\mathbf{{a}}^{{{up}}}")
        if kind == "fp":
            activation = self.network.layers[layer - 1].activation
            return rf"{_ACTIVATION_TEX[activation]}'\left(\mathbf{{z}}^{{{up}}}\right)"
        if kind in ("gradW", "gradb"):
            base = "W" if kind == "gradW" else bias
            tex = _partial(self.total(), rf"{base}^{{({layer})}}")
            return rf"\left({tex}\right)^{{{example}}}" if example else tex
        raise KeyError(key)


def neuron_tex(name: str) -> str:
    """A neuron's name inside a subscript: ``h1`` stays, ``h2_3`` becomes ``h2,3``.

    >>> neuron_tex("h2_3"), neuron_tex("o1")
    ('h2,3', 'o1')
    """
    return tex_name(name).replace(r"\_", ",")


# a name spelled as a Greek letter is set as one: theta3 -> θ_3, the threshold of Negnevitsky and Haykin
_GREEK_NAMES = frozenset("alpha theta vartheta phi varphi psi omega mu nu kappa rho tau chi xi upsilon".split())


def _letters(text: str) -> str:
    if text in _GREEK_NAMES:
        return "\\" + text
    safe = tex_name(text)
    return safe if len(text) == 1 else rf"\mathit{{{safe}}}"


def _compose(base: str, sub: str | None, sup: str | None) -> str:
    tex = base
    if sup is not None:
        tex += f"^{{{sup}}}"
    if sub is not None:
        tex += f"_{{{sub}}}"
    return tex


def _partial(num: str, den: str) -> str:
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


class DerivePrinter(LatexPrinter):
    """SymPy's LaTeX printer with the tutorials' names, σ, and formatted substituted numbers.

    >>> import derive, sympy as sp
    >>> from derive.steps import Value
    >>> p = DerivePrinter(Names(derive.load("2-2-2").model))
    >>> w, x = sp.Symbol("w1", real=True), sp.Symbol("x1", real=True)
    >>> p.doprint(sp.Mul(w, x, evaluate=False))
    NoEscape(w_{1} x_{1})
    >>> p.doprint(sp.Add(Value(sp.Rational(1, 2)), sp.Mul(-1, Value(sp.Rational(-1, 5)), evaluate=False),
    ...                  evaluate=False))
    NoEscape(0.5 - \\left(-0.2\\right))
    """

    printmethod = "_derive_latex"

    def __init__(self, names: Names, number_format: NumberFormat | None = None):
        super().__init__({"order": "none"})
        self.names = names
        self.number_format = number_format or NumberFormat()

    def doprint(self, expr) -> NoEscape:
        if isinstance(expr, Value):  # a value on its own: no parentheses
            return NoEscape(self.number(expr.value))
        return NoEscape(super().doprint(expr))

    # -- numbers
    def number(self, value) -> str:
        """A number in LaTeX, through the one :class:`NumberFormat`.

        >>> import derive
        >>> DerivePrinter(Names(derive.load("2-2-2").model), NumberFormat(digits=2)).number(sp.Rational(-1, 10**9))
        '-1 \\\\cdot 10^{-9}'
        """
        mantissa, exponent = self.number_format.parts(value)
        mantissa = localize_tex(mantissa)
        if exponent is None:
            return mantissa
        return rf"{mantissa} \cdot 10^{{{exponent}}}"

    def _print_Piecewise(self, expr):
        """SymPy's cases, with its words ("for", "otherwise") in the document's language."""
        tex = super()._print_Piecewise(expr)
        if current_language() == "en":
            return tex
        return tex.replace(r"\text{for}", r"\text{%s}" % gettext("for")).replace(
            r"\text{otherwise}", r"\text{%s}" % gettext("otherwise"))

    def _print_Value(self, expr):
        tex = self.number(expr.value)
        if expr.is_negative_value or r"\cdot" in tex:
            return rf"\left({tex}\right)"
        return tex

    def _print_Constant(self, expr, inline: bool = False):
        """A spec's constant as the user wrote it: 1.7159, 2/3 (inline, inside a fraction) or \\frac{2}{3}."""
        if "/" in expr.text:
            p, q = expr.text.split("/")
            return f"{p}/{q}" if inline else rf"\frac{{{p}}}{{{q}}}"
        return localize_tex(expr.text)

    def _print_Rational(self, expr):
        """Every rational as a fraction (1/2, 1/10 of a mean), never a decimal the user did not write: the
        spec's own decimals (a scale 1.7159, a slope 0.01) reach the printer as :class:`Constant` atoms.

        >>> import derive
        >>> p = DerivePrinter(Names(derive.load("2-2-2").model))
        >>> p.doprint(sp.Rational(1, 2)), p.doprint(sp.Rational(1, 10)), p.doprint(sp.Rational(-17159, 10000))
        (NoEscape(\\frac{1}{2}), NoEscape(\\frac{1}{10}), NoEscape(- \\frac{17159}{10000}))
        """
        return super()._print_Rational(expr)

    # -- names
    def _print_Symbol(self, expr, style="plain"):
        return self.names.tex(expr.name)

    def _print_Partial(self, expr):
        return _partial(self.names.tex(expr.num), self.names.tex(expr.den))

    # -- sums, products, powers, in the order given
    def _print_Add(self, expr, order=None):
        out = ""
        for i, term in enumerate(expr.args):
            negative, body = _split_sign(term)
            tex = self._print(body)
            if isinstance(body, sp.Add):
                tex = rf"\left({tex}\right)"
            if i == 0:
                out = f"- {tex}" if negative else tex
            else:
                out += (" - " if negative else " + ") + tex
        return out

    def _print_Mul(self, expr):
        factors = list(expr.args)
        sign = ""
        if factors and factors[0].is_Number and factors[0].is_negative:
            sign = "- "
            rest = -factors[0]
            factors = factors[1:] if rest == 1 else [rest] + factors[1:]
        factors = [f for f in factors if not isinstance(f, sp.Add)] + [f for f in factors if isinstance(f, sp.Add)]
        num, den = [], []
        for factor in factors:
            if factor.is_Pow and factor.exp.is_Number and factor.exp.is_negative:
                den.append(factor.base if factor.exp == -1 else sp.Pow(factor.base, -factor.exp, evaluate=False))
            else:
                num.append(factor)
        if den and all(isinstance(f, Constant) for f in num + den):  # (2/3)/1.7159, not a fraction in a fraction
            return sign + rf"\frac{{{self._inline(num) if num else '1'}}}{{{self._inline(den)}}}"
        tex = self._join(num) if num else "1"
        if den:
            tex = rf"\frac{{{tex}}}{{{self._join(den)}}}"
        elif sign and len(num) == 1 and isinstance(num[0], sp.Add):  # −(a + b), not −a + b
            tex = rf"\left({tex}\right)"
        return sign + tex

    def _inline(self, constants) -> str:
        return r" \cdot ".join(self._print_Constant(c, inline=True) for c in constants)

    def _join(self, factors) -> str:
        printed = []
        for i, factor in enumerate(factors):
            tex = self._print(factor)
            several = len(factors) > 1
            if several and (isinstance(factor, sp.Add) or (tex.startswith("-") and (i > 0 or factor.is_Mul))):
                tex = rf"\left({tex}\right)"
            printed.append((factor, tex))
        out = printed[0][1]
        for (left, left_tex), (right, right_tex) in zip(printed, printed[1:]):
            dot = _numeric(right) or (_numeric(left) and left.is_Atom) or left_tex.startswith(r"\frac") \
                or right_tex.startswith(r"\frac")
            if (left.is_Rational and not left.is_Integer) or (isinstance(left, Constant)
                                                              and not left.value.is_Integer):  # ½ (t − o)²: no dot
                dot = _numeric(right)
            out += (r" \cdot " if dot else " ") + right_tex
        return out

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.base, expr.exp
        if exp.is_Number and exp.is_negative:
            inner = base if exp == -1 else sp.Pow(base, -exp, evaluate=False)
            return rf"\frac{{1}}{{{self._print(inner)}}}"
        if exp == sp.S.Half:
            return rf"\sqrt{{{self._print(base)}}}"
        tex = self._print(base)
        if (isinstance(base, (sp.Add, sp.Mul, sp.Pow)) or (base.is_Number and (base.is_negative or not base.is_Integer))
                or (isinstance(base, Constant) and "/" in base.text)
                or "^" in tex or isinstance(base, sp.Derivative)):
            if not tex.startswith(r"\left("):
                tex = rf"\left({tex}\right)"
        return f"{tex}^{{{self._print(exp)}}}"

    # -- functions
    def _print_sigmoid(self, expr, exp=None):
        return rf"\sigma\left({self._print(expr.args[0])}\right)"

    def _print_log(self, expr, exp=None):
        return rf"\ln\left({self._print(expr.args[0])}\right)"

    def _print_Max(self, expr, exp=None):
        return r"\max\left(" + ", ".join(self._print(a) for a in expr.args) + r"\right)"

    def _print_Derivative(self, expr):
        (var,) = expr.variables
        body = self._print(expr.expr)
        if isinstance(expr.expr, (sp.Add, sp.Mul)):
            body = rf"\left[{body}\right]"
        return rf"\frac{{\partial}}{{\partial {self._print(var)}}} {body}"

    # -- vectors and matrices
    def _print_ImmutableDenseMatrix(self, expr):
        rows = []
        for i in range(expr.rows):
            rows.append(" & ".join(self.doprint(expr[i, j]) for j in range(expr.cols)))
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"

    _print_ImmutableMatrix = _print_ImmutableDenseMatrix

    def _print_MatProduct(self, expr):
        return " ".join(self._operand(a) for a in expr.args)

    def _print_Hadamard(self, expr):
        return r" \odot ".join(self._operand(a) for a in expr.args)

    def _print_Total(self, expr):
        return " + ".join(self._print(a) for a in expr.args)

    def _print_Difference(self, expr):
        return " - ".join(self._operand(a) for a in expr.args)

    def _print_Negated(self, expr):
        return "-" + self._operand(expr.args[0])

    def _print_Transposed(self, expr):
        (arg,) = expr.args
        tex = self._print(arg)
        if "^" in tex and not isinstance(arg, sp.MatrixBase):
            tex = rf"\left({tex}\right)"
        return tex + r"^{\mathsf{T}}"

    def _print_Applied(self, expr):
        name = _ACTIVATION_TEX[expr.activation]
        if expr.prime:
            name += "'"
        arg = self._print(expr.arg)
        if getattr(expr.gain, "value", expr.gain) != 1:  # a scaled activation: scale · f(gain · z)
            arg = rf"{self._print(expr.gain)} \cdot {arg}"
        if expr.activation == "linear":
            return arg
        scale = rf"{self._print(expr.scale)} \cdot " if getattr(expr.scale, "value", expr.scale) != 1 else ""
        return rf"{scale}{name}\left({arg}\right)"

    def _operand(self, arg) -> str:
        tex = self._print(arg)
        if isinstance(arg, (sp.Add,)) or type(arg).__name__ in ("Total", "Difference", "Negated"):
            return rf"\left({tex}\right)"
        return tex


def _numeric(expr) -> bool:
    return isinstance(expr, (Value, Constant)) or bool(getattr(expr, "is_Number", False)) or (
        isinstance(expr, sp.Basic) and not expr.is_Atom and any(isinstance(a, Value) for a in sp.preorder_traversal(expr)))


def _split_sign(term):
    """(negative, body): a term's leading minus taken out, so a sum prints "a - b"."""
    if term.is_Number and term.is_negative:
        return True, -term
    if term.is_Mul and term.args and term.args[0].is_Number and term.args[0].is_negative:
        rest = -term.args[0]
        factors = ([rest] if rest != 1 else []) + list(term.args[1:])
        body = factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)
        return True, body
    return False, term
