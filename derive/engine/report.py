"""The machine-readable result of one backpropagation step (the JSON contract)."""

from __future__ import annotations

import json

from ..spec.model import BIAS_COLUMNS, Spec


def result_dict(problem) -> dict:
    """Loss, outputs, per-layer values, every gradient and updated value, as floats.

    Weight matrices are neuron-major (row j = the weights into neuron j) whatever layout
    the spec used. A bias that is not trained still reports its gradient; its updated
    value equals its value.

    >>> import derive
    >>> data = derive.load("2-2-2").to_dict()
    >>> round(data["loss"], 9), [round(o, 9) for o in data["outputs"][0]]
    (0.298371109, [0.75136507, 0.772928465])
    >>> data["layers"][1]["bias"], data["layers"][1]["bias_updated"]
    (0.6, 0.6)
    """
    if problem.spec.update != "batch":
        return updates_dict(problem)
    network = problem.network
    values = problem.values()
    model = problem.model
    f = values.float
    n_examples = len(network.examples)
    layers = []
    for layer in network.layers:
        item = {
            "activation": layer.activation,
            # out = activation_scale · f(activation_gain · net): σ(λ·net), a·tanh(b·net), k·net (1 and 1 unscaled)
            "activation_gain": float(layer.gain), "activation_scale": float(layer.scale),
            "neurons": list(layer.neurons),
            "net": [[f(model.ex(f"net_{x}", n)) for x in layer.neurons] for n in range(n_examples)],
            "out": [[f(model.ex(f"out_{x}", n)) for x in layer.neurons] for n in range(n_examples)],
            "weight_names": [list(row) for row in layer.weight_names],
            "weights": [[float(w) for w in row] for row in layer.weights],
            "weight_gradients": [[f(f"grad_{w}" if n_examples == 1 else f"grad_{w}") for w in row]
                                 for row in layer.weight_names],
            "weights_updated": [[f(f"{w}_new") for w in row] for row in layer.weight_names],
            # δ per example and neuron, in the spec's sign convention (result["conventions"]["error_term"])
            "delta": [[f(model.ex(f"delta_{x}", n)) for x in layer.neurons] for n in range(n_examples)],
        }
        item.update(_bias(layer, f))
        if network.spec.conventions.bias_as in BIAS_COLUMNS:  # the matrix as the spec wrote it, bias column in
            item["weights_with_bias_column"] = _augmented(network.spec.conventions.bias_as, item["weights"], item["bias"])
        layers.append(item)
    output = network.output_layer
    params = network.parameters
    return {
        "title": network.spec.title,
        "loss": f("E_total"),
        "outputs": [[f(model.ex(f"out_{x}", n)) for x in output.neurons] for n in range(n_examples)],
        "layers": layers,
        "gradients": {p.name: f(f"grad_{p.name}") for p in params},
        "updated": {p.name: f(f"{p.name}_new") for p in params},
        "conventions": conventions_dict(network.spec),
    }


def updates_dict(problem) -> dict:
    """Online or mini-batch updates: the mode, each update's own result (at the parameters the updates before
    it left) and the final parameters.

    >>> import derive
    >>> data = derive.load({"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}],
    ...                     "update": "online", "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]}
    ...                    ).to_dict()
    >>> data["update"], [u["examples"] for u in data["updates"]], data["parameters"]
    ('online', [[1], [2]], {'w1': 0.75})
    """
    from .updates import update_problems

    spec = problem.spec
    updates = update_problems(problem)
    items = [{"update": u.number, "examples": list(u.examples), **result_dict(u.problem)} for u in updates]
    return {
        "title": spec.title,
        "update": spec.update,
        "batch_size": spec.batch_size,
        "updates": items,
        "parameters": dict(items[-1]["updated"]),
        "conventions": conventions_dict(spec),
    }


def _bias(layer, f) -> dict:
    if layer.bias_mode == "none":
        return {"bias": None, "bias_gradient": None, "bias_updated": None, "bias_names": None}
    names = list(dict.fromkeys(layer.bias_names))
    if layer.bias_mode == "shared":
        name = names[0]
        return {"bias": float(layer.bias_values[0]), "bias_gradient": f(f"grad_{name}"),
                "bias_updated": f(f"{name}_new"), "bias_names": name}
    return {"bias": [float(b) for b in layer.bias_values],
            "bias_gradient": [f(f"grad_{n}") for n in names],
            "bias_updated": [f(f"{n}_new") for n in names], "bias_names": names}


def _augmented(form: str, weights: list, bias: list) -> list:
    """Neuron-major rows with the bias (the weight on x0 = 1) as the first or last column.

    >>> _augmented("weight_column_first", [[0.3], [0.4]], [0.1, 0.2])
    [[0.1, 0.3], [0.2, 0.4]]
    """
    if form == "weight_column_first":
        return [[b, *row] for row, b in zip(weights, bias)]
    return [[*row, b] for row, b in zip(weights, bias)]


def conventions_dict(spec: Spec) -> dict:
    """Every convention switch of ``spec`` by name (the CLI flags' names with ``_``).

    >>> from derive.spec import load_spec
    >>> conventions_dict(load_spec("2-2-2"))["backprop_through_updated_weights"]
    False
    """
    rounding = spec.conventions.carry_rounding
    return {
        "backprop_through_updated_weights": spec.conventions.backprop_through_updated_weights,
        "carry_rounding": getattr(rounding, "as_dict", lambda: rounding)(),
        "error_term": spec.conventions.error_term,
        "bias_as": spec.conventions.bias_as,
        "loss": spec.loss,
        "reduction": spec.reduction,
        "log_base": spec.log_base,
    }


def to_json(problem) -> str:
    """The result as JSON text, keys in a fixed order (byte-identical across runs)."""
    return json.dumps(result_dict(problem), indent=2, allow_nan=False) + "\n"
