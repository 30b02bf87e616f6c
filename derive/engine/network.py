"""The network as plain data: structure, exact values and the names of :mod:`derive.spec.naming`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction

from ..spec.model import Example, Spec
from ..spec.naming import all_names, name_network


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
    gain: Fraction = Fraction(1)  # f(net) = scale · g(gain · net)
    scale: Fraction = Fraction(1)

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

    def example_number(self, n: int) -> int:
        """The number, in the spec's whole list, of example ``n`` (0-based) of these examples.

        >>> import derive
        >>> derive.load("2-2-1").network.example_number(0)
        1
        """
        return self.spec.first_example + n

    @property
    def output_layer(self) -> Layer:
        return self.layers[-1]

    @cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        """Every weight and (distinct) bias, in naming order: layer by layer, weights then biases.

        Built once per network (the network is frozen): a 32x6 network has 5,125 of them.
        """
        params = []
        frozen = set(self.spec.frozen)
        for layer in self.layers:
            for j, row in enumerate(layer.weights):
                for k, value in enumerate(row):
                    name = layer.weight_names[j][k]
                    params.append(Parameter(name, "weight", layer.index, j, k, value, name not in frozen))
            if layer.bias_mode == "shared":
                params.append(Parameter(layer.bias_names[0], "bias", layer.index, None, None,
                                        layer.bias_values[0], layer.train_bias and layer.bias_names[0] not in frozen))
            elif layer.bias_mode == "per_neuron":
                for j, (name, value) in enumerate(zip(layer.bias_names, layer.bias_values)):
                    params.append(Parameter(name, "bias", layer.index, j, None, value,
                                            layer.train_bias and name not in frozen))
        return tuple(params)

    def parameter(self, name: str) -> Parameter:
        for param in self.parameters:
            if param.name == name:
                return param
        raise KeyError(name)

    def all_names(self):
        """(name, where) for every user-visible name, for clash checks."""
        return all_names(name_network(self.spec))


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
    names = name_network(spec)
    layers = []
    previous = names.inputs
    for index, (layer_spec, layer_names) in enumerate(zip(spec.layers, names.layers), start=1):
        mode = layer_spec.bias_mode
        bias_values = None
        if mode == "shared":
            bias_values = (layer_spec.bias,) * layer_spec.units
        elif mode == "per_neuron":
            bias_values = layer_spec.bias
        layers.append(Layer(
            index=index, units=layer_spec.units, activation=layer_spec.activation,
            negative_slope=layer_spec.negative_slope, neurons=layer_names.neurons, inputs=previous,
            weights=layer_spec.weights, weight_names=layer_names.weights, bias_mode=mode,
            bias_values=bias_values, bias_names=layer_names.biases, train_bias=layer_spec.train_bias,
            is_output=index == len(spec.layers), gain=layer_spec.gain, scale=layer_spec.scale,
        ))
        previous = layer_names.neurons
    return Network(spec=spec, input_names=names.inputs, target_names=names.targets, layers=tuple(layers))
