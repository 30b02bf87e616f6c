"""The core CLI contract: ``derive examples`` and ``derive solve SPEC --format json``, through the real entry point."""

from __future__ import annotations

import json

import pytest

import derive
from derive.cli import main
from derive.spec.model import carry_places

LAYER_KEYS = {"net", "out", "weights", "weight_gradients", "weights_updated", "bias", "bias_gradient", "bias_updated"}


def run(argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def solve_json(spec: str, capsys) -> dict:
    code, out, err = run(["solve", spec, "--format", "json"], capsys)
    assert (code, err) == (0, "")
    return json.loads(out)


def test_examples_lists_the_reference_networks(capsys):
    code, out, err = run(["examples"], capsys)
    assert (code, err) == (0, "")
    names = [line.split()[0] for line in out.splitlines()]
    assert names == derive.example_names()
    assert {"2-2-2", "2-2-1", "3-3-3-3"} <= set(names)
    assert all(len(line.split(None, 1)) == 2 for line in out.splitlines())  # each with a description


@pytest.mark.parametrize("name", [name for name in derive.example_names() if derive.load_spec(name).update == "batch"])
def test_solve_json_contract(name, capsys):  # online updates' contract: tests/test_online.py
    data = solve_json(name, capsys)
    problem = derive.load(name)
    network, values = problem.network, problem.values()
    assert {"loss", "outputs", "layers", "gradients", "updated"} <= set(data)
    assert data["loss"] == values.float("E_total")
    n_examples = len(network.examples)
    assert len(data["outputs"]) == n_examples
    params = [p.name for p in network.parameters]
    assert list(data["gradients"]) == params and list(data["updated"]) == params
    assert all(isinstance(v, float) for v in [*data["gradients"].values(), *data["updated"].values()])
    assert len(data["layers"]) == len(network.layers)
    for item, layer in zip(data["layers"], network.layers):
        assert LAYER_KEYS <= set(item)
        assert len(item["net"]) == len(item["out"]) == n_examples
        assert all(len(row) == layer.units for row in item["net"] + item["out"])
        assert item["weights"] == [[float(w) for w in row] for row in layer.weights]  # neuron-major
        for j, row in enumerate(layer.weight_names):
            for k, w in enumerate(row):
                assert item["weight_gradients"][j][k] == data["gradients"][w]
                assert item["weights_updated"][j][k] == data["updated"][w]
        _check_bias(item, layer, data, network.spec.learning_rate, _update_tolerance(network.spec))
    assert data["outputs"] == data["layers"][-1]["out"]


def _update_tolerance(spec) -> float:
    """How far an update may be from b − η·grad: half a unit in the last carried place, when updates are rounded."""
    places = carry_places(spec.conventions.carry_rounding, "updated")
    return 1e-15 if places is None else 0.5 * 10.0 ** -places + 1e-15


def _check_bias(item: dict, layer, data: dict, learning_rate, tolerance: float = 1e-15) -> None:
    if layer.bias_mode == "none":
        assert item["bias"] is item["bias_gradient"] is item["bias_updated"] is None
        return
    names = list(dict.fromkeys(layer.bias_names))
    values = item["bias"] if isinstance(item["bias"], list) else [item["bias"]]
    grads = item["bias_gradient"] if isinstance(item["bias_gradient"], list) else [item["bias_gradient"]]
    updated = item["bias_updated"] if isinstance(item["bias_updated"], list) else [item["bias_updated"]]
    assert isinstance(item["bias"], list) == (layer.bias_mode == "per_neuron")
    for name, value, grad, new in zip(names, values, grads, updated, strict=True):
        assert grad == data["gradients"][name] and new == data["updated"][name]
        if layer.train_bias:
            assert new == pytest.approx(value - float(learning_rate) * grad, rel=1e-15, abs=tolerance)
        else:
            assert new == value  # an untrained bias still reports its gradient; its update is itself


def test_untrained_bias_reports_gradient_and_keeps_value(capsys):
    data = solve_json("2-2-2", capsys)
    output = data["layers"][1]
    assert output["bias"] == output["bias_updated"] == 0.6
    assert output["bias_gradient"] != 0.0
    assert data["gradients"]["b2"] == output["bias_gradient"]


def test_output_file_written_refused_and_forced(tmp_path, capsys):
    out = tmp_path / "result.json"
    code, stdout, err = run(["solve", "2-2-2", "--format", "json", "-o", str(out)], capsys)
    assert (code, stdout, err) == (0, "", "")
    written = out.read_bytes()
    _, printed, _ = run(["solve", "2-2-2", "--format", "json"], capsys)
    assert written == printed.encode("utf-8")  # the same bytes, run after run

    code, stdout, err = run(["solve", "2-2-1", "--format", "json", "-o", str(out)], capsys)
    assert code == 2 and stdout == ""
    assert err.startswith("derive: error: ") and "exists" in err and "--force" in err and err.count("\n") == 1
    assert out.read_bytes() == written

    code, _, err = run(["solve", "2-2-1", "--format", "json", "-o", str(out), "--force"], capsys)
    assert (code, err) == (0, "")
    assert json.loads(out.read_text())["updated"]["w1"] == pytest.approx(0.121326, abs=1e-15)
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temp files left


def test_json_spec_file_gives_the_same_result_as_yaml(tmp_path, capsys):
    spec = tmp_path / "mazur.json"
    spec.write_text(json.dumps({
        "inputs": [0.05, 0.10], "targets": [0.01, 0.99],
        "layers": [{"units": 2, "activation": "sigmoid", "weights": [[0.15, 0.20], [0.25, 0.30]], "bias": 0.35},
                   {"units": 2, "activation": "sigmoid", "weights": [[0.40, 0.45], [0.50, 0.55]], "bias": 0.60}],
        "loss": "half_sse", "learning_rate": 0.5, "train_biases": False,
        "title": "Two inputs, two hidden, two outputs (sigmoid)"}, indent=1), encoding="utf-8")
    assert solve_json(str(spec), capsys) == solve_json("2-2-2", capsys)


def test_input_major_yaml_gives_neuron_major_json(tmp_path, capsys):
    spec = tmp_path / "net.yaml"
    spec.write_text(
        "inputs: [1, 2, 3]\n"
        "targets: [0.5, 0.25]\n"
        "layers:\n"
        "  - units: 2\n"
        "    activation: tanh\n"
        "    weights_layout: input_major   # row i = input i\n"
        "    weights: [[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]\n"
        "    bias: [0.1, -0.1]\n"
        "  - units: 2\n"
        "    activation: sigmoid\n"
        "    weights: [[0.7, 0.8], [0.9, 1.0]]\n"
        "loss: sse\n", encoding="utf-8")
    data = solve_json(str(spec), capsys)
    first = data["layers"][0]
    assert first["weights"] == [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]  # row j = the weights into neuron j
    names = derive.load(str(spec)).network.layers[0].weight_names
    assert names == (("w1", "w2", "w3"), ("w4", "w5", "w6"))
    assert first["weight_gradients"][1][2] == data["gradients"]["w6"]
    assert first["bias_updated"] == [pytest.approx(b - 0.5 * g, rel=1e-15)
                                     for b, g in zip(first["bias"], first["bias_gradient"])]


def test_batch_json_has_one_row_per_example(tmp_path, capsys):
    spec = tmp_path / "batch.yaml"
    spec.write_text(
        "batch:\n"
        "  - {inputs: [3, 1], targets: [1, 0]}\n"
        "  - {inputs: [-1, 4], targets: [0, 1]}\n"
        "  - {inputs: [0.5, 0.5], targets: [0.5, 0.5]}\n"
        "reduction: mean\n"
        "layers:\n"
        "  - {units: 2, activation: softmax, weights: [[0.1, 0.2], [0.3, 0.4]], bias: 0.5}\n"
        "loss: cross_entropy\n", encoding="utf-8")
    data = solve_json(str(spec), capsys)
    assert len(data["outputs"]) == 3 and all(len(row) == 2 for row in data["outputs"])
    assert all(sum(row) == pytest.approx(1.0, abs=1e-15) for row in data["outputs"])
    per_example = [derive.load({"inputs": x, "targets": t, "loss": "cross_entropy",
                                "layers": [{"units": 2, "activation": "softmax",
                                            "weights": [[0.1, 0.2], [0.3, 0.4]], "bias": 0.5}]}).to_dict()
                   for x, t in (([3, 1], [1, 0]), ([-1, 4], [0, 1]), ([0.5, 0.5], [0.5, 0.5]))]
    assert data["loss"] == pytest.approx(sum(d["loss"] for d in per_example) / 3, rel=1e-14)
    for name, grad in data["gradients"].items():  # the mean of the per-example gradients
        assert grad == pytest.approx(sum(d["gradients"][name] for d in per_example) / 3, rel=1e-13, abs=1e-15)


def test_unknown_spec_name_is_one_line(capsys):
    code, stdout, err = run(["solve", "no-such-network", "--format", "json"], capsys)
    assert code == 2 and stdout == ""
    assert err.startswith("derive: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "'no-such-network'" in err and "2-2-2" in err  # what was given, and what exists


def test_the_command_line_runs_in_a_thread_without_touching_signals(capsys):
    """signal.signal works only in the main thread: main() called from another thread leaves the handlers alone."""
    import signal
    import threading

    from derive.cli import main

    before = signal.getsignal(signal.SIGINT)
    codes = []
    thread = threading.Thread(target=lambda: codes.append(main(["examples"])))
    thread.start()
    thread.join()
    assert codes == [0] and "2-2-2" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is before
