"""A worked solution as data: numbered steps, each saying what it computes and how.

:func:`derive.steps.derive_steps` turns a :class:`~derive.engine.problem.Problem` into a :class:`Derivation`: the
problem statement, then sections (forward pass, error, one per layer going backwards) made
of :class:`Step` objects, and a summary. A step holds the quantity it computes, the rule it
uses, its symbolic right-hand sides (SymPy, the engine's own formulas), the same with numbers
put in (:class:`Value` atoms, kept unevaluated), the value the engine computed, and the numbers
of the earlier equations it takes values from. Nothing here knows about LaTeX or Markdown:
every format renders the same derivation (see :mod:`derive.render`).

Styles: ``scalar`` splits each weight's gradient by the chain rule (reference files 000/001),
``delta`` works with δ = ∂E/∂net per neuron, ``matrix`` writes each layer with vectors and
matrices (files 002/004).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.core.symbol import Str



# Rules, as a step names them (the templates turn them into prose).
SUM_OF_WEIGHTED_INPUTS = "sum of weighted inputs"
SUM_MINUS_THRESHOLD = "sum of weighted inputs minus the threshold"
SUM_WITH_BIAS_WEIGHT = "sum of weighted inputs with the bias weight"  # bias_as: weight_column_first / _last
ACTIVATION = "activation"
LOSS = "loss"
SUM_OF_TERMS = "sum of the error terms"
MEAN_OF_EXAMPLES = "mean over the examples"
POWER_RULE = "power rule"
LOG_RULE = "derivative of the logarithm"
LOSS_DERIVATIVE = "derivative of the loss"
SIGMOID_DERIVATIVE = "sigmoid derivative"
ACTIVATION_DERIVATIVE = "activation derivative"
QUOTIENT_RULE = "softmax Jacobian"
SOFTMAX_CE = "softmax with cross-entropy"
SIGMOID_BCE = "sigmoid with binary cross-entropy"
CHAIN_RULE = "chain rule"
SUM_OVER_PATHS = "sum over paths"
SUM_OVER_EXAMPLES = "sum over examples"
SUM_OVER_NEURONS = "sum over neurons"
WEIGHTED_SUM_DERIVATIVE = "derivative of a weighted sum"
UPDATED_WEIGHT = "updated weight (convention)"
PRODUCT = "product of the factors"
GRADIENT_DESCENT = "gradient descent"
NOT_TRAINED = "not trained"
FROZEN_MASK = "gradient descent, frozen entries masked"
SAME_WAY = "in the same way"
HADAMARD = "element-wise product"
TRANSPOSE_PRODUCT = "back through the weights"
TRANSPOSE_PRODUCT_NO_BIAS_COLUMN = "back through the weights, the bias column left out"  # (W⁽ˡ⁺¹⁾)ᵀ δ, W̃ less x0's
WEIGHT_PRODUCT_NO_BIAS_ROW = "back through the weights, the bias row left out"  # W⁽ˡ⁺¹⁾ δ, input-major (LFD)
OUTER_PRODUCT = "outer product"
OUTER_PRODUCT_BIAS_COLUMN = "outer product with the bias column"  # ∂E/∂W̃ = δ ãᵀ, ã = [1; a] (bias_as: weight_column_*)
OUTER_PRODUCT_BIAS_ROW = "outer product with the bias row"  # ∂E/∂W̃ = ã δᵀ, the spec's W̃ input-major (LFD)
SIGMOID_GAIN_BCE = "sigmoid with a gain and binary cross-entropy"  # δ = λ(out − t) for σ(λ·net)
SOFTMAX_CE_NEGATIVE = "softmax with cross-entropy, negative error term"  # δ = t − out Σt
SIGMOID_BCE_NEGATIVE = "sigmoid with binary cross-entropy, negative error term"  # δ = t − out
SIGMOID_GAIN_BCE_NEGATIVE = "sigmoid with a gain and binary cross-entropy, negative error term"  # λ(t − out)

# Section kinds
FORWARD, ERROR, OUTPUT_LAYER, HIDDEN_LAYER = "forward", "error", "output_layer", "hidden_layer"


# ---------------------------------------------------------------- display atoms (data, no markup)

class Value(sp.AtomicExpr):
    """A number standing where a quantity was, in a substituted formula; never combined.

    ``value`` is the engine's number (Rational or Float), ``key`` the quantity it replaces.

    >>> v = Value(sp.Rational(3, 20), "w1")
    >>> sp.Mul(v, Value(sp.Rational(1, 20), "x1"), evaluate=False).args[0].value
    3/20
    """

    is_commutative = True

    def __new__(cls, value, key: str = ""):
        obj = super().__new__(cls)
        obj.value = sp.sympify(value)
        obj.key = key
        return obj

    def _hashable_content(self):
        return (self.value, self.key)

    def __getnewargs__(self):
        return (self.value, self.key)

    @property
    def is_negative_value(self) -> bool:
        return bool(self.value < 0)


class Constant(sp.AtomicExpr):
    """A constant of the spec, an activation's gain or scale, shown as the user wrote it (1.7159, 2/3).

    It stands in the displayed formulas where SymPy would combine it with other numbers into a
    derived fraction (17159/15000); ``value`` is the exact number, ``text`` the spec's own text.

    >>> c = Constant(sp.Rational(2, 3), "2/3")
    >>> c.value, c.text, sp.Mul(c, sp.Symbol("net"), evaluate=False).args[0] is c
    (2/3, '2/3', True)
    """

    is_commutative = True
    is_real = True
    is_positive = True  # gains and scales are > 0 (the spec checks)

    def __new__(cls, value, text: str):
        obj = super().__new__(cls)
        obj.value = sp.Rational(value)
        obj.text = text
        return obj

    def _hashable_content(self):
        return (self.value, self.text)

    def __getnewargs__(self):
        return (self.value, self.text)


class Partial(sp.Expr):
    """∂num/∂den for two quantities that have no quantity of their own (∂net_o1/∂out_h1).

    >>> Partial("net_o1", "out_h1").num
    'net_o1'
    """

    is_commutative = True

    def __new__(cls, num: str, den: str):
        return super().__new__(cls, Str(num), Str(den))

    @property
    def num(self) -> str:
        return self.args[0].name

    @property
    def den(self) -> str:
        return self.args[1].name


class Applied(sp.Basic):
    """An activation applied element-wise to a vector: σ(z), ReLU(z), softmax(z).

    >>> Applied("sigmoid", sp.Symbol("z@1")).activation
    'sigmoid'
    """

    def __new__(cls, activation: str, arg, prime: bool = False, gain=1, scale=1):
        # a scaled activation scale · f(gain · z) (σ(λ·z), a·tanh(b·z), k·z) keeps its two numbers
        return super().__new__(cls, Str(activation), arg, sp.true if prime else sp.false,
                               gain if isinstance(gain, Constant) else sp.Rational(gain),
                               scale if isinstance(scale, Constant) else sp.Rational(scale))

    @property
    def gain(self):
        """The gain, a Rational or the spec's :class:`Constant` as written."""
        return self.args[3]

    @property
    def scale(self):
        return self.args[4]

    @property
    def activation(self) -> str:
        return self.args[0].name

    @property
    def arg(self):
        return self.args[1]

    @property
    def prime(self) -> bool:
        return bool(self.args[2])


class _Ordered(sp.Basic):
    """Operands kept in the order given (SymPy's matrix expressions reorder sums)."""

    def __new__(cls, *args):
        return super().__new__(cls, *[sp.sympify(a) for a in args])


class MatProduct(_Ordered):
    """A product of matrices and scalars, in order: η δ aᵀ."""


class Hadamard(_Ordered):
    """The element-wise product a ⊙ b."""


class Transposed(_Ordered):
    """Aᵀ."""


class Total(_Ordered):
    """A sum of matrices (or numbers), in order."""


class Difference(_Ordered):
    """a − b."""


class Negated(_Ordered):
    """−a: a vector negated, as δ = −∂E/∂net is under the ``error_term: negative`` convention."""


# ---------------------------------------------------------------- the derivation

@dataclass(frozen=True)
class Step:
    """One numbered equation: ``lhs = forms... = substituted... = value``.

    ``uses`` are the numbers of the equations whose values it takes; ``condition`` an
    equation the step relies on (Σ t = 1); ``example`` the 0-based example in a batch.
    """

    key: str
    rule: str
    lhs: sp.Basic
    forms: tuple = ()
    substituted: tuple = ()
    value: sp.Basic | None = None
    uses: tuple[int, ...] = ()
    number: int | None = None
    example: int | None = None
    condition: sp.Basic | None = None


@dataclass(frozen=True)
class Table:
    """Quantities found in the same way as the step shown before them, one row each."""

    rule: str
    rows: tuple[Step, ...]
    number: int | None = None


@dataclass
class Group:
    """The steps about one parameter or one neuron (a sub-heading in the document)."""

    kind: str  # "parameter", "neuron", "layer"
    key: str
    items: list = field(default_factory=list)
    symbol: sp.Basic | None = None
    example: int | None = None
    param_kind: str | None = None  # "weight" or "bias" for a parameter's group


@dataclass
class Section:
    kind: str  # FORWARD, ERROR, OUTPUT_LAYER, HIDDEN_LAYER
    items: list = field(default_factory=list)
    layer: int | None = None
    example: int | None = None


@dataclass(frozen=True)
class LayerInfo:
    index: int
    units: int
    activation: str
    neurons: tuple[sp.Symbol, ...]  # out_ symbols, for the table of the problem
    weights: sp.ImmutableMatrix  # names (symbols), neuron-major
    weight_values: sp.ImmutableMatrix  # Values
    biases: tuple  # ((symbol, Value), ...) distinct biases; empty when there is none
    bias_mode: str
    train_bias: bool
    negative_slope: sp.Basic
    scaled: sp.Basic | None = None  # out in net for a scaled activation (a·tanh(b·net), σ(λ·net), k·net)


@dataclass(frozen=True)
class Node:
    key: str  # x1, h1, o1
    symbol: sp.Symbol
    column: int
    row: int
    count: int  # neurons in this column, to centre the column


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    weight: sp.Symbol
    value: Value


@dataclass(frozen=True)
class Statement:
    """The problem: data, network, loss and learning rate."""

    title: str | None
    inputs: tuple  # per example: ((symbol, Value), ...)
    targets: tuple  # per example
    layers: tuple[LayerInfo, ...]
    loss: str
    log_base: str
    reduction: str
    learning_rate: tuple  # (symbol, Value)
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    batch: bool
    optimizer: str
    backprop_through_updated_weights: bool
    bias_as: str = "bias"  # or "threshold": θ on an input fixed at −1
    frozen: tuple = ()  # symbols of the weights and biases the spec holds fixed (``frozen:``)


@dataclass(frozen=True)
class SummaryRow:
    param: str
    symbol: sp.Symbol
    kind: str  # weight, bias
    layer: int
    value: Value
    gradient: Value
    gradient_symbol: sp.Symbol
    updated: Value
    updated_symbol: sp.Symbol
    trainable: bool
    number: int | None  # equation (or table) where the update is found


@dataclass(frozen=True)
class Summary:
    rows: tuple[SummaryRow, ...]
    error_before: Value
    error_after: Value
    error_symbol: sp.Symbol


@dataclass
class Derivation:
    """A whole worked solution, ready for any renderer."""

    problem: object  # derive.engine.problem.Problem
    style: str
    names: str
    statement: Statement
    sections: list[Section]
    summary: Summary
    carry_rounding: int | None
    collapsed: bool
    only: tuple[str, ...] | None

    @property
    def model(self):
        return self.problem.model

    def steps(self):
        """Every step, in order, tables' rows included.

        >>> import derive
        >>> from derive.steps import derive_steps
        >>> d = derive_steps(derive.load("2-2-2"))
        >>> [s.key for s in d.steps()][:3]
        ['net_h1', 'net_h2', 'out_h1']
        """
        def walk(items):
            for item in items:
                if isinstance(item, Step):
                    yield item
                elif isinstance(item, Table):
                    yield from item.rows
                else:
                    yield from walk(item.items)

        for section in self.sections:
            yield from walk(section.items)

    def step(self, key: str, rule: str | None = None) -> Step:
        """The last step with a value for quantity ``key`` (and ``rule``, if given).

        >>> import derive
        >>> from derive.steps import derive_steps
        >>> derive_steps(derive.load("2-2-2")).step("dE_dout_h1").rule
        'sum over paths'
        """
        found = [s for s in self.steps() if s.key == key and s.value is not None and rule in (None, s.rule)]
        if not found:
            raise KeyError(key)
        return found[-1]
