"""The validated spec as plain, exact data, and the vocabulary a spec may use.

:func:`derive.spec.load_spec` makes these; every later stage trusts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from .choices import (ACTIVATIONS, LAYOUTS, LOG_BASES, LOSSES, OPTIMIZERS,  # noqa: F401  (re-exported)
                      PROBABILITY_ACTIVATIONS, REDUCTIONS)

MAX_UNITS = 64
MAX_LAYERS = 12
MAX_INPUTS = 64
MAX_EXAMPLES = 256
MAX_ABS_VALUE = Fraction(10) ** 6

# SymPy gives these names a meaning of their own; a user name must not shadow them.
RESERVED_NAMES = frozenset(
    "E I N S O Q pi oo nan zoo beta gamma zeta lambda Lambda exp log ln sqrt sin cos tan "
    "sigma sigmoid delta eta true false none True False None".split()
)
# derive names its own quantities net_h1, out_h1, delta_o1, grad_w5, w5_new, x1__2, ...
DERIVED_PREFIXES = ("net_", "out_", "E_", "dE_", "dout_", "dnet_", "delta_", "grad_", "eta")
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,23}\Z")

TOP_KEYS = (
    "title", "inputs", "targets", "batch", "reduction", "layers", "loss", "log_base",
    "learning_rate", "train_biases", "weights_layout", "input_names", "target_names",
    "optimizer", "conventions", "randomize", "frozen", "marking", "update",
)
LAYER_KEYS = (
    "units", "activation", "negative_slope", "weights", "bias", "weights_layout",
    "train_bias", "neuron_names", "weight_names", "bias_names",
)
OPTIMIZER_KEYS = ("name", "momentum", "dampening", "nesterov", "beta1", "beta2", "eps")
CONVENTION_KEYS = ("backprop_through_updated_weights", "carry_rounding", "error_term", "bias_as")
# δ = ∂E/∂net (positive: Nielsen, Bishop, Goodfellow) or δ = −∂E/∂net, the update w + η δ o
# (negative: Han & Kamber's Err, Mitchell, Haykin's local gradient, Negnevitsky)
ERROR_TERMS = ("positive", "negative")
# a bias added to the net input (net = Σ w x + b), or a threshold θ on a fixed input of −1
# (net = Σ w x − θ: Negnevitsky, Haykin, Rojas, Fausett's perceptron)
# or folded into the weight matrix as the column of an input x0 = 1, first or last (Abu-Mostafa et al.,
# Learning From Data, e-Chapter 7: W(l) has the bias row x0 first; the spec's matrices carry the extra column)
BIAS_FORMS = ("bias", "threshold", "weight_column_first", "weight_column_last")
BIAS_COLUMNS = ("weight_column_first", "weight_column_last")
# a scaled activation: ``activation: {name: tanh, scale: 1.7159, gain: 2/3}`` is a·tanh(b·net);
# sigmoid takes a gain (σ(λ·net), Zurada's λ), linear a gain (out = k·net); a fraction is read as p/q
SCALED_ACTIVATIONS = {"sigmoid": ("gain",), "tanh": ("scale", "gain"), "linear": ("gain",)}
ACTIVATION_KEYS = ("name", "scale", "gain")
# when the weights change: after the whole batch (batch), after each example (online: Mitchell's
# stochastic backpropagation, Han & Kamber's case updating, Negnevitsky), or after each k examples
UPDATE_MODES = ("batch", "online")
UPDATE_KEYS = ("batch_size",)
RANDOMIZE_KEYS = ("weights", "biases", "inputs", "targets", "decimals", "max_draws")
RANGE_KEYS = ("range", "decimals")


@dataclass(frozen=True)
class LayerSpec:
    """One layer as the user gave it, validated. Weights are neuron-major (row j = into neuron j)."""

    units: int
    activation: str
    weights: tuple[tuple[Fraction, ...], ...]
    bias: None | Fraction | tuple[Fraction, ...]
    negative_slope: Fraction = Fraction(1, 100)
    train_bias: bool = True
    neuron_names: tuple[str, ...] | None = None
    weight_names: tuple[tuple[str, ...], ...] | None = None
    bias_names: tuple[str, ...] | None = None
    gain: Fraction = Fraction(1)  # f(net) = scale · g(gain · net): σ(λ·net), a·tanh(b·net), k·net
    scale: Fraction = Fraction(1)
    layout: str = "neuron_major"  # how the spec wrote the matrix (input_major: W transposed), for its display
    gain_text: str = field(default="1", compare=False)  # the gain and scale as written (2/3, 1.7159), for display
    scale_text: str = field(default="1", compare=False)

    @property
    def bias_mode(self) -> str:
        """``none``, ``shared`` (one number for the layer) or ``per_neuron``."""
        if self.bias is None:
            return "none"
        return "per_neuron" if isinstance(self.bias, tuple) else "shared"


@dataclass(frozen=True)
class Example:
    inputs: tuple[Fraction, ...]
    targets: tuple[Fraction, ...]


@dataclass(frozen=True)
class Optimizer:
    """Optimizer and its hyper-parameters (PyTorch's conventions)."""

    name: str = "sgd"
    momentum: Fraction = Fraction(9, 10)
    dampening: Fraction = Fraction(0)
    nesterov: bool = False
    beta1: Fraction = Fraction(9, 10)
    beta2: Fraction = Fraction(999, 1000)
    eps: Fraction = Fraction(1, 10**8)


# the kinds of quantity a carry_rounding map may name, and the engine's quantity kinds each covers
CARRY_ROUNDING_KINDS = {
    "net": ("net",), "out": ("out",), "error": ("error_term", "error_example", "error_total"),
    "derivative": ("dE_dout", "dout_dnet", "path", "dnet_dparam"), "delta": ("delta",),
    "gradient": ("grad",), "update": ("updated",),
}


@dataclass(frozen=True)
class CarryRounding:
    """Carried rounding by kind of quantity (``{out: 3, delta: 4}``); ``default`` for the kinds not named.

    >>> rounding = CarryRounding((("out", 3), ("delta", 4)))
    >>> rounding.places("out"), rounding.places("delta"), rounding.places("net")
    (3, 4, None)
    """

    kinds: tuple[tuple[str, int], ...]
    default: int | None = None

    def places(self, kind: str) -> int | None:
        """Decimals for an engine quantity kind (``out``, ``delta``, ``dout_dnet``, ...), or None."""
        for name, places in self.kinds:
            if name == kind or kind in CARRY_ROUNDING_KINDS.get(name, ()):
                return places
        return self.default

    def as_dict(self) -> dict:
        """The map as the spec writes it (for JSON)."""
        return {**dict(self.kinds), **({"default": self.default} if self.default is not None else {})}


def carry_places(rounding: int | CarryRounding | None, kind: str) -> int | None:
    """Decimals a quantity of ``kind`` is rounded to before it is used again (None: not rounded).

    >>> carry_places(4, "out"), carry_places(None, "out"), carry_places(CarryRounding((), 2), "delta")
    (4, None, 2)
    """
    if rounding is None or isinstance(rounding, int):
        return rounding
    return rounding.places(kind)


@dataclass(frozen=True)
class Conventions:
    """Switches that reproduce published examples; all off by default (the textbook algorithm)."""

    backprop_through_updated_weights: bool = False
    carry_rounding: int | CarryRounding | None = None
    error_term: str = "positive"
    bias_as: str = "bias"

    @property
    def bias_sign(self) -> int:
        """∂net/∂b: +1 for a bias, −1 for a threshold θ on an input fixed at −1."""
        return -1 if self.bias_as == "threshold" else 1

    @property
    def delta_sign(self) -> int:
        """+1 when δ = ∂E/∂net, −1 when δ = −∂E/∂net."""
        return -1 if self.error_term == "negative" else 1


@dataclass(frozen=True)
class Range:
    low: Fraction
    high: Fraction
    decimals: int


@dataclass(frozen=True)
class Randomize:
    """What a worksheet variant draws afresh; ``None`` keeps the spec's own values."""

    weights: Range | None = None
    biases: Range | None = None
    inputs: Range | None = None
    targets: Range | None = None
    max_draws: int = 1000


# a marking scheme's settings, in a spec's ``marking`` block or a scheme file (derive.classroom.scheme)
MARKING_KEYS = ("tolerance", "tolerances", "points", "default_points", "follow_through", "rounding")


@dataclass(frozen=True)
class Marking:
    """A marking scheme as written, checked but not yet tied to a network's quantities.

    A setting left out is None (or empty), so a scheme given for one command can be laid over the
    spec's. Tolerances are ``(mode, amount)`` (:func:`derive.spec.tolerance.read_tolerance`);
    per-quantity entries are ``(name as written, value, line)``.
    """

    tolerance: tuple | None = None
    tolerances: tuple = ()
    points: tuple = ()
    default_points: Fraction | None = None
    follow_through: Fraction | None = None
    rounding: Fraction | None = None
    source: str | None = None
    path: tuple = ()  # where the block sits in its document: ("marking",) in a spec


@dataclass(frozen=True)
class Spec:
    """A validated network spec: exact numbers (``Fraction``), neuron-major weights."""

    layers: tuple[LayerSpec, ...]
    examples: tuple[Example, ...]
    loss: str = "half_sse"
    learning_rate: Fraction = Fraction(1, 2)
    reduction: str = "sum"
    log_base: str = "e"
    title: str | None = None
    input_names: tuple[str, ...] | None = None
    target_names: tuple[str, ...] | None = None
    optimizer: Optimizer = field(default_factory=Optimizer)
    conventions: Conventions = field(default_factory=Conventions)
    randomize: Randomize | None = None
    source: str | None = None
    batch: bool = False
    frozen: tuple[str, ...] = ()  # weights and biases held fixed (besides a layer's train_bias: false)
    marking: Marking | None = None  # the spec's own marking scheme (tolerances, points)
    batch_size: int | None = None  # examples per update: None = the whole batch, 1 = online (``update:``)
    update_line: int | None = None  # the line of ``update:`` in the spec file, for errors raised later
    first_example: int = 1  # the number of examples[0] in the whole spec's list (an update's examples: 3, 4, ...)

    @property
    def update(self) -> str:
        """``batch``, ``online`` or ``mini-batch`` (``update: {batch_size: k}``)."""
        if self.batch_size is None or self.batch_size >= len(self.examples):
            return "batch"
        return "online" if self.batch_size == 1 else "mini-batch"

    @property
    def update_groups(self) -> tuple[tuple[int, ...], ...]:
        """The examples (0-based) of each update, in order: one group for a full batch.

        >>> from derive.spec import load_spec
        >>> load_spec({"batch": [{"inputs": [i], "targets": [0]} for i in range(5)], "update": {"batch_size": 2},
        ...            "layers": [{"units": 1, "activation": "linear", "weights": [[1]]}]}).update_groups
        ((0, 1), (2, 3), (4,))
        """
        n = len(self.examples)
        size = self.batch_size or n
        return tuple(tuple(range(start, min(start + size, n))) for start in range(0, n, size))

    @property
    def n_inputs(self) -> int:
        return len(self.examples[0].inputs)
