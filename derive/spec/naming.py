"""The names the tutorials use, given to every input, target, neuron, weight and bias.

Naming scheme (documented in the README):

- inputs ``x1, x2, ...``; the target of output neuron ``o1`` is ``t_o1``;
- neurons: with one hidden layer ``h1, h2, ...``; with several, ``h<layer>_<j>``
  (``h1_1, h1_2, h2_1, ...``); the output layer ``o1, o2, ...``;
- weights ``w1, w2, ...`` layer by layer, neuron by neuron, input by input;
- a bias shared by layer ``l`` is ``b<l>``; per-neuron biases are ``b_<neuron>``.

Every name can be replaced in the spec (``input_names``, ``target_names``, and
``neuron_names``, ``weight_names``, ``bias_names`` per layer). The validator checks the names
are unique with :func:`all_names`; :func:`derive.engine.network.build_network` uses the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Spec


@dataclass(frozen=True)
class LayerNames:
    neurons: tuple[str, ...]
    weights: tuple[tuple[str, ...], ...]  # neuron-major
    biases: tuple[str, ...] | None  # one per neuron (repeated when shared)


@dataclass(frozen=True)
class Names:
    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    layers: tuple[LayerNames, ...]


def name_network(spec: Spec) -> Names:
    """Every name of the network, the user's where given, else the tutorials'.

    >>> from derive.spec import load_spec
    >>> names = name_network(load_spec("2-2-2"))
    >>> [layer.neurons for layer in names.layers], names.layers[0].weights, names.targets
    ([('h1', 'h2'), ('o1', 'o2')], (('w1', 'w2'), ('w3', 'w4')), ('t_o1', 't_o2'))
    """
    inputs = spec.input_names or tuple(f"x{i + 1}" for i in range(spec.n_inputs))
    hidden_count = len(spec.layers) - 1
    layers, previous, counter = [], inputs, 0
    for index, layer in enumerate(spec.layers, start=1):
        is_output = index == len(spec.layers)
        neurons = layer.neuron_names or _default_neurons(index, layer.units, is_output, hidden_count)
        weights = layer.weight_names or tuple(
            tuple(f"w{counter + j * len(previous) + k + 1}" for k in range(len(previous))) for j in range(layer.units))
        counter += layer.units * len(previous)
        biases = None
        if layer.bias_mode == "shared":
            biases = ((layer.bias_names[0] if layer.bias_names else f"b{index}"),) * layer.units
        elif layer.bias_mode == "per_neuron":
            biases = layer.bias_names or tuple(f"b_{n}" for n in neurons)
        layers.append(LayerNames(neurons, weights, biases))
        previous = neurons
    targets = spec.target_names or tuple(f"t_{name}" for name in layers[-1].neurons)
    return Names(inputs, targets, tuple(layers))


def all_names(names: Names):
    """(name, where) for every user-visible name, for clash checks.

    >>> from derive.spec import load_spec
    >>> list(all_names(name_network(load_spec("2-2-2"))))[:3]
    [('x1', 'input_names[0]'), ('x2', 'input_names[1]'), ('t_o1', 'target_names[0]')]
    """
    for i, name in enumerate(names.inputs):
        yield name, f"input_names[{i}]"
    for i, name in enumerate(names.targets):
        yield name, f"target_names[{i}]"
    for index, layer in enumerate(names.layers):
        base = f"layers[{index}]"
        for j, name in enumerate(layer.neurons):
            yield name, f"{base}.neuron_names[{j}]"
        for j, row in enumerate(layer.weights):
            for k, name in enumerate(row):
                yield name, f"{base}.weight_names[{j}][{k}]"
        if layer.biases:
            for j, name in enumerate(dict.fromkeys(layer.biases)):
                yield name, f"{base}.bias_names[{j}]"


def _default_neurons(index: int, units: int, is_output: bool, hidden_count: int) -> tuple[str, ...]:
    if is_output:
        return tuple(f"o{j + 1}" for j in range(units))
    if hidden_count == 1:
        return tuple(f"h{j + 1}" for j in range(units))
    return tuple(f"h{index}_{j + 1}" for j in range(units))
