"""The network as plain data with the names the tutorials use.

Naming scheme (documented in the README):

- inputs ``x1, x2, ...``; the target of output neuron ``o1`` is ``t_o1``;
- neurons: with one hidden layer ``h1, h2, ...``; with several, ``h<layer>_<j>``
  (``h1_1, h1_2, h2_1, ...``); the output layer ``o1, o2, ...``;
- weights ``w1, w2, ...`` layer by layer, neuron by neuron, input by input;
- a bias shared by layer ``l`` is ``b<l>``; per-neuron biases are ``b_<neuron>``.

Every name can be replaced in the spec (``input_names``, ``target_names``, and
``neuron_names``, ``weight_names``, ``bias_names`` per layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .spec import Example, Spec


@dataclass(frozen=True)
class Parameter:
    """A weight or a bias. ``j`` is the neuron it feeds, ``k`` the input (None for a bias)."""

    name: str
    kind: str  # "weight" or "bias"
    layer: int  # 1-based index of the layer it belongs to
    j: int | None
    k: int | None
    value: Fraction
    trainable: bool


@dataclass(frozen=True)
class Layer:
    index: int  # 1-based
    units: int
    activation: str
    negative_slope: Fraction
    neurons: tuple[str, ...]
    inputs: tuple[str, ...]  # names of what feeds this layer (inputs or the previous layer's neurons)
    weights: tuple[tuple[Fraction, ...], ...]  # neuron-major
    weight_names: tuple[tuple[str, ...], ...]
    bias_mode: str  # none, shared, per_neuron
    bias_values: tuple[Fraction, ...] | None  # one per neuron (repeated when shared)
    bias_names: tuple[str, ...] | None  # one per neuron (repeated when shared)
    train_bias: bool
    is_output: bool

    @property
    def is_hidden(self) -> bool:
        return not self.is_output


@dataclass(frozen=True)
class Network:
    """Plain data: names, exact values and the structure; no SymPy."""

    spec: Spec
    input_names: tuple[str, ...]
    target_names: tuple[str, ...]
    layers: tuple[Layer, ...]

    @property
    def examples(self) -> tuple[Example, ...]:
        return self.spec.examples

    @property
    def output_layer(self) -> Layer:
        return self.layers[-1]

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """Every weight and (distinct) bias, in naming order: layer by layer, weights then biases."""
        params = []
        for layer in self.layers:
            for j, row in enumerate(layer.weights):
                for k, value in enumerate(row):
                    params.append(Parameter(layer.weight_names[j][k], "weight", layer.index, j, k, value, True))
            if layer.bias_mode == "shared":
                params.append(Parameter(layer.bias_names[0], "bias", layer.index, None, None,
                                        layer.bias_values[0], layer.train_bias))
            elif layer.bias_mode == "per_neuron":
                for j, (name, value) in enumerate(zip(layer.bias_names, layer.bias_values)):
                    params.append(Parameter(name, "bias", layer.index, j, None, value, layer.train_bias))
        return tuple(params)

    def parameter(self, name: str) -> Parameter:
        for param in self.parameters:
            if param.name == name:
                return param
        raise KeyError(name)

    def all_names(self):
        """(name, where) for every user-visible name, for clash checks."""
        for i, name in enumerate(self.input_names):
            yield name, f"input_names[{i}]"
        for i, name in enumerate(self.target_names):
            yield name, f"target_names[{i}]"
        for layer in self.layers:
            base = f"layers[{layer.index - 1}]"
            for j, name in enumerate(layer.neurons):
                yield name, f"{base}.neuron_names[{j}]"
            for j, row in enumerate(layer.weight_names):
                for k, name in enumerate(row):
                    yield name, f"{base}.weight_names[{j}][{k}]"
            if layer.bias_names:
                for j, name in enumerate(dict.fromkeys(layer.bias_names)):
                    yield name, f"{base}.bias_names[{j}]"


def build_network(spec: Spec) -> Network:
    """Give every input, neuron, weight and bias its name.

    >>> from derive.spec import load_spec
    >>> net = build_network(load_spec("2-2-2"))
    >>> [layer.neurons for layer in net.layers]
    [('h1', 'h2'), ('o1', 'o2')]
    >>> net.layers[0].weight_names
    (('w1', 'w2'), ('w3', 'w4'))
    >>> net.layers[1].bias_names
    ('b2', 'b2')
    """
    n_in = spec.n_inputs
    input_names = spec.input_names or tuple(f"x{i + 1}" for i in range(n_in))
    hidden_count = len(spec.layers) - 1
    layers = []
    previous = input_names
    counter = 0
    for index, layer_spec in enumerate(spec.layers, start=1):
        is_output = index == len(spec.layers)
        neurons = layer_spec.neuron_names or _default_neurons(index, layer_spec.units, is_output, hidden_count)
        if layer_spec.weight_names:
            weight_names = layer_spec.weight_names
        else:
            weight_names = tuple(tuple(f"w{counter + j * len(previous) + k + 1}" for k in range(len(previous)))
                                 for j in range(layer_spec.units))
        counter += layer_spec.units * len(previous)
        bias_values = bias_names = None
        mode = layer_spec.bias_mode
        if mode == "shared":
            bias_values = (layer_spec.bias,) * layer_spec.units
            name = layer_spec.bias_names[0] if layer_spec.bias_names else f"b{index}"
            bias_names = (name,) * layer_spec.units
        elif mode == "per_neuron":
            bias_values = layer_spec.bias
            bias_names = layer_spec.bias_names or tuple(f"b_{n}" for n in neurons)
        layers.append(Layer(
            index=index, units=layer_spec.units, activation=layer_spec.activation,
            negative_slope=layer_spec.negative_slope, neurons=neurons, inputs=previous,
            weights=layer_spec.weights, weight_names=weight_names, bias_mode=mode,
            bias_values=bias_values, bias_names=bias_names, train_bias=layer_spec.train_bias,
            is_output=is_output,
        ))
        previous = neurons
    outputs = layers[-1].neurons
    target_names = spec.target_names or tuple(f"t_{name}" for name in outputs)
    return Network(spec=spec, input_names=input_names, target_names=target_names, layers=tuple(layers))


def _default_neurons(index: int, units: int, is_output: bool, hidden_count: int) -> tuple[str, ...]:
    if is_output:
        return tuple(f"o{j + 1}" for j in range(units))
    if hidden_count == 1:
        return tuple(f"h{j + 1}" for j in range(units))
    return tuple(f"h{index}_{j + 1}" for j in range(units))
