"""Validate a network spec once, at the edge, into plain exact data.

Every problem raises :class:`~derive.errors.SpecError` naming the field, what is
allowed, what was given and (for files) the line. The layers below trust a
:class:`Spec`.
"""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction
from pathlib import Path

from ..errors import SpecError
from .marking import read_marking
from .model import (ACTIVATIONS, BIAS_COLUMNS, BIAS_FORMS, Example, LAYER_KEYS, LayerSpec, LAYOUTS, LOG_BASES, LOSSES, MAX_EXAMPLES,
                    MAX_LAYERS, MAX_UNITS, Optimizer, OPTIMIZER_KEYS, OPTIMIZERS, PROBABILITY_ACTIVATIONS,
                    Randomize, RANDOMIZE_KEYS, Range, RANGE_KEYS, REDUCTIONS, Spec, TOP_KEYS, UPDATE_KEYS,
                    UPDATE_MODES)
from .checker import Checker, show_number, describe
from .conventions import activation as activation_form, conventions, frozen_parameters
from .naming import all_names, name_network
from .source import Doc, Num, from_python, parse_text, read_document
from .paths import spec_path  # noqa: F401  (re-exported)

# ---------------------------------------------------------------- loading

def load_spec(source) -> Spec:
    """Load and validate a spec from a path, YAML/JSON text, a dict, or a built-in example's name.

    >>> spec = load_spec({"inputs": [1, 2], "targets": [0.5],
    ...                   "layers": [{"units": 1, "activation": "linear", "weights": [[0.1, 0.2]]}]})
    >>> spec.layers[0].weights
    ((Fraction(1, 10), Fraction(1, 5)),)
    >>> load_spec("2-2-2").learning_rate
    Fraction(1, 2)
    """
    if isinstance(source, Spec):
        return source
    if isinstance(source, dict):
        return validate(from_python(source))
    if isinstance(source, Path):
        return validate(read_document(source))
    if isinstance(source, str):
        path = spec_path(source)
        return validate(read_document(path) if path else parse_text(source))
    raise SpecError(f"a spec must be a path, YAML/JSON text or a dict; got {type(source).__name__}")


# ---------------------------------------------------------------- validation

def validate(doc: Doc) -> Spec:
    """Check a parsed document against the schema and build a :class:`Spec`.

    >>> from derive.spec.source import parse_text
    >>> validate(parse_text("inputs: [1]\\ntargets: [1]\\nlayers:\\n  - {units: 1, activation: relu, weights: [[2]]}\\n")).loss
    'half_sse'
    """
    check = Checker(doc)
    top = doc.data
    if not isinstance(top, dict):
        check.fail((), f"the spec must be a mapping of keys to values; got {describe(top)}")
    check.mapping(top, (), TOP_KEYS)
    if "layers" not in top:
        check.fail((), "the spec is missing the required key 'layers'")

    title = check.text(top["title"], ("title",)) if top.get("title") is not None else None
    examples, is_batch = _examples(check, top)
    n_in = len(examples[0].inputs)
    n_out = len(examples[0].targets)
    layout = check.choice(top.get("weights_layout", "neuron_major"), ("weights_layout",), LAYOUTS)
    train_all = check.boolean(top.get("train_biases", True), ("train_biases",))

    layer_items = check.sequence(top["layers"], ("layers",), max_len=MAX_LAYERS, what="a list of layers")
    layers = []
    fan_in = n_in
    told = top.get("conventions")
    form = check.choice(told.get("bias_as", "bias"), ("conventions", "bias_as"), BIAS_FORMS) if isinstance(told, dict) else None
    column = form if form in BIAS_COLUMNS else None  # the matrices' shape depends on it
    for index, item in enumerate(layer_items):
        layer = _layer(check, item, ("layers", index), fan_in, layout, train_all, bias_column=column,
                       is_last=index == len(layer_items) - 1,
                       inputs_note=f"; the spec gives {n_in} input{'s' if n_in > 1 else ''}" if index == 0 else "")
        layers.append(layer)
        fan_in = layer.units
    if layers[-1].units != n_out:
        path = ("batch", 0, "targets") if is_batch else ("targets",)
        check.fail(path, f"must have one value per output neuron ({layers[-1].units}); got {n_out}")
    for index, layer in enumerate(layers[:-1]):
        if layer.activation == "softmax":
            hidden = ", ".join(a for a in ACTIVATIONS if a != "softmax")
            check.fail(("layers", index, "activation"),
                       f"must be one of {hidden} on a hidden layer (softmax only on the output layer); got 'softmax'")
    if layers[-1].activation == "softmax" and layers[-1].units < 2:
        # a softmax over one neuron is the constant 1: no gradient, and log(1 - 1) for binary cross-entropy
        check.fail(("layers", len(layers) - 1, "units"),
                   f"must be at least 2 for a softmax layer (a softmax of one neuron is always 1); got {layers[-1].units}")

    loss = _loss(check, top.get("loss", "half_sse"))
    _check_loss_fits(check, loss, layers[-1], examples, is_batch)
    spec = Spec(
        layers=tuple(layers),
        examples=examples,
        loss=loss,
        learning_rate=check.number(top.get("learning_rate", Num("0.5")), ("learning_rate",),
                                   low=Fraction(0), low_open=True, high=Fraction(100)),
        reduction=check.choice(top.get("reduction", "sum"), ("reduction",), REDUCTIONS),
        log_base=_log_base(check, top.get("log_base", "e")),
        title=title,
        input_names=_names(check, top.get("input_names"), ("input_names",), n_in),
        target_names=_names(check, top.get("target_names"), ("target_names",), n_out),
        optimizer=_optimizer(check, top.get("optimizer", "sgd")),
        conventions=conventions(check, top.get("conventions", {})),
        randomize=_randomize(check, top["randomize"]) if top.get("randomize") is not None else None,
        source=doc.source,
        batch=is_batch,
        marking=read_marking(check, top["marking"], ("marking",)) if top.get("marking") is not None else None,
        batch_size=_update(check, top.get("update", "batch"), len(examples)),
        update_line=check.line(("update",)) if "update" in top else None,
    )
    _check_unique_names(check, spec)
    if spec.batch_size is not None and spec.optimizer.name != "sgd":  # solve showed plain steps, train refused
        check.fail(("optimizer",), f"must be sgd with update: {spec.update} (one plain gradient-descent step per "
                                   f"update); got {spec.optimizer.name}")
    if top.get("frozen") is not None:
        spec = dataclasses.replace(spec, frozen=frozen_parameters(check, top["frozen"], spec))
    return spec


def _examples(check: Checker, top: dict):
    if "batch" in top:
        if "inputs" in top or "targets" in top:
            check.fail(("batch",), "cannot be given together with inputs/targets; use one or the other")
        items = check.sequence(top["batch"], ("batch",), max_len=MAX_EXAMPLES, what="a list of examples")
        examples = []
        for i, item in enumerate(items):
            path = ("batch", i)
            check.mapping(item, path, ("inputs", "targets"))
            for key in ("inputs", "targets"):
                if key not in item:
                    check.fail(path, f"is missing the required key '{key}'")
            first = examples[0] if examples else None
            inputs = check.numbers(item["inputs"], path + ("inputs",),
                                   len(first.inputs) if first else None, "inputs (as the first example)")
            targets = check.numbers(item["targets"], path + ("targets",),
                                    len(first.targets) if first else None, "targets (as the first example)")
            examples.append(Example(inputs, targets))
        return tuple(examples), True
    for key in ("inputs", "targets"):
        if key not in top:
            check.fail((), f"the spec is missing the required key '{key}' (or give a 'batch' of examples)")
    for key in ("inputs", "targets"):
        if isinstance(top[key], list) and any(isinstance(item, list) for item in top[key]):
            check.fail((key,), "must be the numbers of one example; got a list of lists (several examples are "
                               "a batch: 'batch: [{inputs: [...], targets: [...]}, ...]' in place of inputs and targets)")
    inputs = check.numbers(top["inputs"], ("inputs",))
    targets = check.numbers(top["targets"], ("targets",))
    return (Example(inputs, targets),), False


def _update(check: Checker, value, n_examples: int) -> int | None:
    """``update``: batch (None), online (1) or ``{batch_size: k}`` with 1 ≤ k ≤ the number of examples."""
    if isinstance(value, dict):
        check.mapping(value, ("update",), UPDATE_KEYS)
        if "batch_size" not in value:
            check.fail(("update",), "is missing the required key 'batch_size'")
        size = check.integer(value["batch_size"], ("update", "batch_size"), low=1, high=n_examples)
        return None if size == n_examples else size
    if not isinstance(value, str):
        check.fail(("update",), f"must be one of {', '.join(UPDATE_MODES)} or {{batch_size: k}}; got {describe(value)}")
    mode = check.choice(value, ("update",), UPDATE_MODES)
    return 1 if mode == "online" and n_examples > 1 else None


def _layer(check: Checker, item, path: tuple, fan_in: int, layout: str, train_all: bool, is_last: bool,
           inputs_note: str = "", bias_column: str | None = None):
    check.mapping(item, path, LAYER_KEYS)
    for key in ("units", "activation", "weights"):
        if key not in item:
            check.fail(path, f"is missing the required key '{key}'")
    units = check.integer(item["units"], path + ("units",), low=1, high=MAX_UNITS)
    activation, gain, scale, written = activation_form(check, item["activation"], path + ("activation",))
    slope = Fraction(1, 100)
    if "negative_slope" in item:
        if activation != "leaky_relu":
            check.fail(path + ("negative_slope",), f"only applies to leaky_relu; the activation is {activation}")
        slope = check.number(item["negative_slope"], path + ("negative_slope",), low=Fraction(0), high=Fraction(1))
    layer_layout = check.choice(item.get("weights_layout", layout), path + ("weights_layout",), LAYOUTS)
    bias = None
    if bias_column is not None:  # the bias is the weight on x0 = 1, a column of the matrix
        if item.get("bias") is not None:
            check.fail(path + ("bias",), f"must not be given under conventions.bias_as {bias_column}: "
                                         "the bias is the weight matrix's extra column")
        where = "first" if bias_column == "weight_column_first" else "last"
        augmented = _matrix(check, item["weights"], path + ("weights",), units, fan_in + 1, layer_layout,
                            f"{inputs_note}, plus the bias column {where} for x0 = 1")
        column = 0 if where == "first" else fan_in
        weights = tuple(row[:column] + row[column + 1:] for row in augmented)
        bias = tuple(row[column] for row in augmented)
    else:
        weights = _matrix(check, item["weights"], path + ("weights",), units, fan_in, layer_layout, inputs_note)
    if item.get("bias") is not None:
        value = item["bias"]
        if isinstance(value, list):
            bias = check.numbers(value, path + ("bias",), units, "biases (one per neuron)")
        else:
            bias = check.number(value, path + ("bias",))
    train_bias = check.boolean(item.get("train_bias", train_all), path + ("train_bias",))
    neuron_names = _names(check, item.get("neuron_names"), path + ("neuron_names",), units)
    weight_names = None
    if item.get("weight_names") is not None:
        names = _matrix_shape(check, item["weight_names"], path + ("weight_names",), units, fan_in, layer_layout)
        weight_names = tuple(tuple(check.name(v, path + ("weight_names", j, k)) for k, v in enumerate(row))
                             for j, row in enumerate(names))
    bias_names = None
    if item.get("bias_names") is not None:
        if bias is None:
            check.fail(path + ("bias_names",), "names biases, but the layer has no bias")
        count = units if isinstance(bias, tuple) else 1
        raw = item["bias_names"]
        raw = [raw] if isinstance(raw, str) else raw
        bias_names = _names(check, raw, path + ("bias_names",), count)
    return LayerSpec(units=units, activation=activation, weights=weights, bias=bias,
                     negative_slope=slope, train_bias=train_bias, neuron_names=neuron_names,
                     weight_names=weight_names, bias_names=bias_names, gain=gain, scale=scale,
                     layout=layer_layout, gain_text=written.get("gain", "1"), scale_text=written.get("scale", "1"))


def _matrix_shape(check: Checker, value, path: tuple, units: int, fan_in: int, layout: str, note: str = ""):
    """Return the matrix neuron-major, after checking its shape against the layer."""
    rows, cols = (units, fan_in) if layout == "neuron_major" else (fan_in, units)
    meaning = ("one row per neuron, one column per input" if layout == "neuron_major"
               else "one row per input, one column per neuron (input_major)")
    expected = f"{rows}x{cols} ({meaning}{note})"
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        check.fail(path, f"must be a matrix (a list of rows) of shape {expected}; got {describe(value)}")
    got_cols = {len(r) for r in value}
    shape = f"{len(value)}x{got_cols.pop()}" if len(got_cols) == 1 else f"{len(value)} rows of unequal length"
    if len(value) != rows or any(len(r) != cols for r in value):
        check.fail(path, f"must have shape {expected}; got {shape}")
    if layout == "input_major":
        return [[value[i][j] for i in range(fan_in)] for j in range(units)]
    return value


def _matrix(check: Checker, value, path: tuple, units: int, fan_in: int, layout: str, note: str = ""):
    matrix = _matrix_shape(check, value, path, units, fan_in, layout, note)
    def where(j, k):
        return path + ((j, k) if layout == "neuron_major" else (k, j))
    return tuple(tuple(check.number(v, where(j, k)) for k, v in enumerate(row)) for j, row in enumerate(matrix))


def _names(check: Checker, value, path: tuple, count: int):
    if value is None:
        return None
    items = check.sequence(value, path, what="a list of names")
    if len(items) != count:
        check.fail(path, f"must have {count} names; got {len(items)}")
    names = tuple(check.name(v, path + (i,)) for i, v in enumerate(items))
    if path[-1] == "neuron_names":
        _check_neuron_names(check, names, path)
    return names


def _check_neuron_names(check, names: tuple, path: tuple) -> None:
    """The engine names E_<neuron>, dnet_<neuron>_d<weight> and dE_<neuron>_dout_<neuron>: 'total'
    would be E_total, and '_d' in a neuron's name would let two of those names coincide."""
    for i, name in enumerate(names):
        if name == "total" or "_d" in name:
            check.fail(path + (i,), f"must not be 'total' or hold '_d' (they would clash with the engine's "
                                    f"E_total, dnet_..._d... and dE_..._dout_... quantities); got {name!r}")


def _log_base(check: Checker, value) -> str:
    if isinstance(value, Num):
        return check.choice(value.text, ("log_base",), LOG_BASES)
    return check.choice(value, ("log_base",), LOG_BASES)


def _check_loss_fits(check: Checker, loss: str, last: LayerSpec, examples, is_batch: bool):
    if loss in ("cross_entropy", "binary_cross_entropy"):
        if last.activation not in PROBABILITY_ACTIVATIONS:
            fitting = ", ".join(x for x in LOSSES if x not in ("cross_entropy", "binary_cross_entropy"))
            check.fail(("loss",), f"must be one of {fitting} for a {last.activation} output layer; got {loss!r}, "
                                  "which needs outputs that are probabilities (a sigmoid or softmax output layer)")
        for n, example in enumerate(examples):
            for i, t in enumerate(example.targets):
                if not 0 <= t <= 1:
                    path = ("batch", n, "targets", i) if is_batch else ("targets", i)
                    check.fail(path, f"must be between 0 and 1 for {loss}; got {show_number(t)}")


def _optimizer(check: Checker, value) -> Optimizer:
    if isinstance(value, str):
        return Optimizer(name=check.choice(value, ("optimizer",), OPTIMIZERS))
    check.mapping(value, ("optimizer",), OPTIMIZER_KEYS)
    name = check.choice(value.get("name", "sgd"), ("optimizer", "name"), OPTIMIZERS)
    unit = dict(low=Fraction(0), high=Fraction(1))
    options = {}
    for key in ("momentum", "dampening", "beta1", "beta2"):
        if key in value:
            options[key] = check.number(value[key], ("optimizer", key), **unit)
    if "eps" in value:
        options["eps"] = check.number(value["eps"], ("optimizer", "eps"), low=Fraction(0), low_open=True, high=Fraction(1))
    if "nesterov" in value:
        options["nesterov"] = check.boolean(value["nesterov"], ("optimizer", "nesterov"))
    for key in options:
        if key in ("momentum", "dampening", "nesterov") and name != "momentum":
            check.fail(("optimizer", key), f"only applies to the momentum optimizer; the optimizer is {name}")
        if key in ("beta1", "beta2", "eps") and name != "adam":
            check.fail(("optimizer", key), f"only applies to the adam optimizer; the optimizer is {name}")
    return Optimizer(name=name, **options)


def _randomize(check: Checker, value) -> Randomize:
    path = ("randomize",)
    check.mapping(value, path, RANDOMIZE_KEYS)
    default_decimals = 2
    if "decimals" in value:
        default_decimals = check.integer(value["decimals"], path + ("decimals",), low=0, high=6)
    ranges = {}
    for key in ("weights", "biases", "inputs", "targets"):
        if value.get(key) is None:
            continue
        item = check.mapping(value[key], path + (key,), RANGE_KEYS)
        if "range" not in item:
            check.fail(path + (key,), "is missing the required key 'range'")
        bounds = check.numbers(item["range"], path + (key, "range"), 2, "numbers (low, high)")
        if bounds[0] >= bounds[1]:
            check.fail(path + (key, "range"), f"must be [low, high] with low < high; got [{show_number(bounds[0])}, {show_number(bounds[1])}]")
        decimals = default_decimals
        if "decimals" in item:
            decimals = check.integer(item["decimals"], path + (key, "decimals"), low=0, high=6)
        ranges[key] = Range(bounds[0], bounds[1], decimals)
    max_draws = 1000
    if "max_draws" in value:
        max_draws = check.integer(value["max_draws"], path + ("max_draws",), low=1, high=100000)
    if not ranges:
        check.fail(path, "must say what varies: one or more of weights, biases, inputs, targets")
    return Randomize(max_draws=max_draws, **ranges)


def _check_unique_names(check: Checker, spec: Spec):
    """User-given names must not clash with each other or with the default names."""
    seen: dict[str, str] = {}
    for name, where in all_names(name_network(spec)):
        if name in seen and seen[name] != where:
            check.fail(_name_path(where), f"must be a name used only once; got {name!r}, which is also {seen[name]}")
        seen.setdefault(name, where)


def _name_path(where: str) -> tuple:
    # ``where`` is "layers[1].neuron_names[0]"-like; split it back into a path for the line lookup
    parts: list = []
    for piece in re.findall(r"[A-Za-z_]+|\[\d+\]", where):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return tuple(parts)


# Other libraries' names for these losses (Keras, PyTorch), suggested by "did you mean"
LOSS_ALIASES = {
    "categorical_crossentropy": "cross_entropy", "sparse_categorical_crossentropy": "cross_entropy",
    "crossentropy": "cross_entropy", "cross_entropy_loss": "cross_entropy", "crossentropyloss": "cross_entropy",
    "categorical_cross_entropy": "cross_entropy", "nll": "cross_entropy", "log_loss": "binary_cross_entropy",
    "binary_crossentropy": "binary_cross_entropy", "bce": "binary_cross_entropy", "bceloss": "binary_cross_entropy",
    "mean_squared_error": "mse", "mseloss": "mse", "squared_error": "half_sse", "sum_squared_error": "sse",
}


def _loss(check, value) -> str:
    """The loss; another library's name for one of ours (Keras's categorical_crossentropy) points to ours."""
    alias = LOSS_ALIASES.get(value.lower()) if isinstance(value, str) else None
    if alias:
        check.fail(("loss",), f"must be one of {', '.join(LOSSES)}; got {describe(value)} (did you mean '{alias}'?)")
    return check.choice(value, ("loss",), LOSSES)
