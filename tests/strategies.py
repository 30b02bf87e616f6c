"""Hypothesis strategies for random small networks, as spec dicts that ``derive.load`` accepts.

Numbers are :class:`decimal.Decimal` built from short decimal strings ("0.37", "-1.2"), so the
engine reads them exactly and an independent reference can take ``float(value)``. Every spec
is valid: softmax only on the output layer, a loss with an output activation it fits, targets
in [0, 1] for the cross-entropies, weights written either way round (``weights_layout``).
Networks whose ReLU / leaky ReLU pre-activations come near the kink at 0 are filtered out,
so finite differences and autograd agree there with the chain rule.

>>> from hypothesis import given, settings
>>> import derive
>>> @settings(max_examples=3, derandomize=True, deadline=None)
... @given(networks(max_layers=2))
... def check(spec):
...     assert derive.load(spec).network.layers
>>> check()
"""

from __future__ import annotations

import math
from decimal import Decimal

import yaml
from hypothesis import assume, strategies as st

ELEMENTWISE = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
ACTIVATIONS = ELEMENTWISE + ("softmax",)
LOSSES = ("half_sse", "sse", "mse", "cross_entropy", "binary_cross_entropy")
# cross-entropies need probabilities: the validator allows exactly these output activations
PROBABILITY_OUTPUTS = ("sigmoid", "softmax")
KINK_MARGIN = 1e-3  # |net| of a ReLU-type neuron must stay this far from 0


def decimals(low: str, high: str, places: int = 2, nonzero: bool = False) -> st.SearchStrategy[Decimal]:
    """Decimals in [low, high] with at most ``places`` digits after the point, written plainly.

    >>> _plain(-37, 2), _plain(1000, 2), _plain(5, 1), _plain(0, 2)
    (Decimal('-0.37'), Decimal('10'), Decimal('0.5'), Decimal('0'))
    """
    scale = 10 ** places
    lo, hi = int(Decimal(low) * scale), int(Decimal(high) * scale)
    scaled = st.integers(lo, hi)
    if nonzero:  # zeros make ReLU pre-activations hit the kink at 0 exactly, far too often
        sides = [st.integers(lo, min(hi, -1)) if lo < 0 else None, st.integers(max(lo, 1), hi) if hi > 0 else None]
        scaled = st.one_of([side for side in sides if side is not None])
    return scaled.map(lambda i: _plain(i, places))


def _plain(scaled: int, places: int) -> Decimal:
    """``scaled / 10**places`` as a Decimal whose text has no exponent and no trailing zeros."""
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), 10 ** places)
    digits = f"{frac:0{places}d}".rstrip("0") if places else ""
    return Decimal(f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}")


def _matrix(draw, rows: int, cols: int, values) -> list[list[Decimal]]:
    return [[draw(values) for _ in range(cols)] for _ in range(rows)]


@st.composite
def networks(draw, *, max_layers: int = 3, max_units: int = 3, max_inputs: int = 3, max_examples: int = 3,
             activations=ACTIVATIONS, losses=LOSSES, batch: bool | None = None, bias_modes=("none", "shared", "per_neuron"),
             weight_range=("-1", "1"), input_range=("-2", "2")) -> dict:
    """A random valid spec dict: 1..max_layers layers of 1..max_units neurons, 1..max_examples examples.

    ``batch=None`` chooses between ``inputs``/``targets`` and a ``batch`` (of 1..max_examples);
    ``activations`` and ``losses`` restrict the choice (a loss is only paired with an output
    activation that fits it).
    """
    n_layers = draw(st.integers(1, max_layers))
    n_inputs = draw(st.integers(1, max_inputs))
    units = [draw(st.integers(1, max_units)) for _ in range(n_layers)]
    hidden = [a for a in activations if a != "softmax"] or ["sigmoid"]
    acts = [draw(st.sampled_from(hidden)) for _ in range(n_layers - 1)]
    loss, out_act = draw(_loss_and_output(losses, activations))
    acts.append(out_act)
    if out_act == "softmax":  # a softmax of one neuron is refused (it is the constant 1)
        units[-1] = draw(st.integers(2, max(2, max_units)))
    cross = loss in ("cross_entropy", "binary_cross_entropy")

    spec: dict = {}
    top_layout = draw(st.sampled_from((None, "neuron_major", "input_major")))
    if top_layout is not None:
        spec["weights_layout"] = top_layout
    top_train = draw(st.sampled_from((None, True, False)))
    if top_train is not None:
        spec["train_biases"] = top_train

    layers = []
    fan_in = n_inputs
    for units_l, act in zip(units, acts):
        layers.append(draw(_layer(units_l, fan_in, act, top_layout, bias_modes, weight_range)))
        fan_in = units_l
    spec["layers"] = layers

    n_examples = draw(st.integers(1, max_examples)) if batch is not False else 1
    use_batch = batch if batch is not None else (n_examples > 1 or draw(st.booleans()))
    if not use_batch:
        n_examples = 1
    target_values = decimals("0", "1") if cross else decimals("-1", "1")
    examples = [{"inputs": [draw(decimals(*input_range, places=1, nonzero=True)) for _ in range(n_inputs)],
                 "targets": [draw(target_values) for _ in range(units[-1])]} for _ in range(n_examples)]
    if use_batch:
        spec["batch"] = examples
        if draw(st.booleans()):
            spec["reduction"] = draw(st.sampled_from(("sum", "mean")))
    else:
        spec.update(examples[0])
    spec["loss"] = loss
    if cross and draw(st.booleans()):
        spec["log_base"] = draw(st.sampled_from(("e", "2", "10", 2, 10)))
    spec["learning_rate"] = draw(decimals("0.01", "1"))
    if draw(st.booleans()):  # the book's sign convention: δ = −∂E/∂net (changes δ, not the gradients)
        spec["conventions"] = {"error_term": draw(st.sampled_from(("positive", "negative")))}
    if draw(st.booleans()):  # biases as thresholds θ on an input fixed at −1: net = Σ w x − θ
        spec.setdefault("conventions", {})["bias_as"] = "threshold"
    assume(not near_kink(spec))
    return spec


@st.composite
def _loss_and_output(draw, losses, activations):
    loss = draw(st.sampled_from(losses))
    if loss in ("cross_entropy", "binary_cross_entropy"):
        fitting = [a for a in activations if a in PROBABILITY_OUTPUTS] or ["sigmoid"]
    else:
        fitting = list(activations)
    return loss, draw(st.sampled_from(fitting))


@st.composite
def _layer(draw, units: int, fan_in: int, activation: str, top_layout, bias_modes, weight_range) -> dict:
    layer: dict = {"units": units, "activation": activation}
    if activation in SCALED and draw(st.integers(0, 3)) == 0:  # f(net) = scale · g(gain · net)
        scaled = {"name": activation, "gain": draw(st.sampled_from(GAINS))}
        if activation == "tanh" and draw(st.booleans()):
            scaled["scale"] = draw(st.sampled_from(GAINS))
        layer["activation"] = scaled
    if activation == "leaky_relu" and draw(st.booleans()):
        layer["negative_slope"] = draw(decimals("0", "0.5"))
    weights = _matrix(draw, units, fan_in, decimals(*weight_range, nonzero=True))  # neuron-major
    layout = draw(st.sampled_from((None, "neuron_major", "input_major")))
    if layout is not None:
        layer["weights_layout"] = layout
    if (layout or top_layout) == "input_major":
        weights = [list(col) for col in zip(*weights)]
    layer["weights"] = weights
    mode = draw(st.sampled_from(bias_modes))
    if mode == "shared":
        layer["bias"] = draw(decimals("-1", "1"))
    elif mode == "per_neuron":
        layer["bias"] = [draw(decimals("-1", "1")) for _ in range(units)]
    if mode != "none" and draw(st.booleans()):
        layer["train_bias"] = draw(st.booleans())
    return layer


# scaled activations σ(λ·net), a·tanh(b·net), k·net: LeCun's 1.7159 and 2/3, Fausett's bipolar 1/2, ...
SCALED = ("sigmoid", "tanh", "linear")
GAINS = (Decimal("0.5"), Decimal("2"), "2/3", Decimal("1.7159"), Decimal("0.25"))


# ---------------------------------------------------------------- reading a spec dict back

def activation_of(layer: dict) -> tuple[str, float, float]:
    """A spec layer's activation as (name, gain, scale), whether written as a name or a mapping.

    >>> activation_of({"activation": {"name": "tanh", "gain": "2/3", "scale": Decimal("1.7159")}})
    ('tanh', 0.6666666666666666, 1.7159)
    """
    act = layer["activation"]
    if isinstance(act, str):
        return act, 1.0, 1.0
    return act["name"], _float(act.get("gain", 1)), _float(act.get("scale", 1))


def _float(value) -> float:
    if isinstance(value, str) and "/" in value:
        p, q = value.split("/")
        return int(p) / int(q)
    return float(value)


def neuron_major(spec: dict, index: int) -> list[list[Decimal]]:
    """Layer ``index``'s weights with row j = the weights into neuron j, whatever the layout.

    >>> neuron_major({"weights_layout": "input_major", "layers": [{"weights": [[1, 2, 3]]}]}, 0)
    [[1], [2], [3]]
    """
    layer = spec["layers"][index]
    layout = layer.get("weights_layout", spec.get("weights_layout", "neuron_major"))
    weights = layer["weights"]
    return [list(col) for col in zip(*weights)] if layout == "input_major" else [list(r) for r in weights]


def examples_of(spec: dict) -> list[dict]:
    """The examples of a spec dict: its ``batch``, or its single ``inputs``/``targets``."""
    return spec["batch"] if "batch" in spec else [{"inputs": spec["inputs"], "targets": spec["targets"]}]


def float_nets(spec: dict, inputs) -> list[list[float]]:
    """Every layer's pre-activations for one input vector, in plain floating point."""
    values = [float(x) for x in inputs]
    nets = []
    for index, layer in enumerate(spec["layers"]):
        bias = layer.get("bias")
        biases = [float(b) for b in bias] if isinstance(bias, list) else [float(bias or 0)] * layer["units"]
        net = [sum(float(w) * v for w, v in zip(row, values)) + threshold_sign(spec) * b
               for row, b in zip(neuron_major(spec, index), biases)]
        nets.append(net)
        values = _activate(layer, net)
    return nets


def threshold_sign(spec: dict) -> int:
    """How a spec's bias enters the net input: +b, or −θ under ``conventions: {bias_as: threshold}``."""
    return -1 if spec.get("conventions", {}).get("bias_as") == "threshold" else 1


def _activate(layer: dict, net: list[float]) -> list[float]:
    act, gain, scale = activation_of(layer)
    if act == "softmax":
        m = max(net)
        exps = [math.exp(x - m) for x in net]
        return [e / sum(exps) for e in exps]
    slope = float(layer.get("negative_slope", Decimal("0.01")))
    table = {"sigmoid": lambda x: 1 / (1 + math.exp(-x)), "tanh": math.tanh, "linear": lambda x: x,
             "relu": lambda x: max(x, 0.0), "leaky_relu": lambda x: x if x > 0 else slope * x}
    return [scale * table[act](gain * x) for x in net]


def near_kink(spec: dict, margin: float = KINK_MARGIN) -> bool:
    """True when a ReLU-type neuron's pre-activation lies within ``margin`` of 0 in some example.

    >>> near_kink({"inputs": [1, -1], "targets": [0],
    ...            "layers": [{"units": 1, "activation": "relu", "weights": [[1, 1]]}]})
    True
    """
    for example in examples_of(spec):
        for layer, net in zip(spec["layers"], float_nets(spec, example["inputs"])):
            if activation_of(layer)[0] in ("relu", "leaky_relu") and any(abs(x) < margin for x in net):
                return True
    return False


def to_yaml(spec: dict) -> str:
    """The spec as YAML text, numbers written as the decimal strings they came from.

    >>> print(to_yaml({"inputs": [Decimal("0.5")], "loss": "sse"}), end="")
    inputs:
    - 0.5
    loss: sse
    """
    class _Dumper(yaml.SafeDumper):
        pass

    def number(dumper, value):
        # the tag YAML would guess for this text, so that no explicit tag is written
        kind = "int" if "." not in str(value) else "float"
        return dumper.represent_scalar(f"tag:yaml.org,2002:{kind}", str(value))

    _Dumper.add_representer(Decimal, number)
    return yaml.dump(spec, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
