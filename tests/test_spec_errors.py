"""Bad specs get one clear line through the real CLI: field, what is allowed, what was given, file:line.

Each case is a real file given to ``derive solve``. Every one must exit with code 2, print exactly
one line on stderr starting "derive: error:", name the file and line, never show a traceback,
create no output file and leave an existing one byte-identical.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from derive.cli import main

BASE = """\
inputs: [0.05, 0.10]
targets: [0.01, 0.99]
layers:
  - units: 2
    activation: sigmoid
    weights: [[0.15, 0.20], [0.25, 0.30]]
    bias: 0.35
  - units: 2
    activation: sigmoid
    weights: [[0.40, 0.45], [0.50, 0.55]]
    bias: 0.60
loss: half_sse
learning_rate: 0.5
"""
# lines of BASE: 1 inputs, 2 targets, 3 layers, 4-7 layer 0, 8-11 layer 1, 12 loss, 13 learning_rate
SECOND_LAYER = "  - units: 2\n    activation: sigmoid\n    weights: [[0.40"


def edit(*pairs: tuple[str, str]) -> str:
    """BASE with each (old, new) replaced once; a case that no longer applies fails loudly."""
    text = BASE
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def case(name, text, line, field, *fragments, suffix=".yaml"):
    return pytest.param(text, suffix, line, field, fragments, id=name)


CASES = [
    case("weight_shape", edit(("weights: [[0.15, 0.20], [0.25, 0.30]]", "weights: [[0.15, 0.20, 0.1]]")),
         6, "layers[0].weights", "shape 2x2", "got 1x3"),
    case("unknown_activation", edit(("activation: sigmoid", "activation: softmx")),
         5, "layers[0].activation", "sigmoid, tanh, relu, leaky_relu, linear, softmax", "'softmx'",
         "did you mean 'softmax'"),
    case("misspelt_key", edit((SECOND_LAYER, SECOND_LAYER.replace("activation", "activaton"))),
         9, "layers[1].activaton", "not a known key", "did you mean 'activation'"),
    case("misspelt_top_key", edit(("learning_rate: 0.5", "learnig_rate: 0.5")),
         13, "learnig_rate", "did you mean 'learning_rate'"),
    case("loss_by_keras_name", edit(("loss: half_sse", "loss: categorical_crossentropy")),
         12, "loss", "half_sse, sse, mse, cross_entropy", "'categorical_crossentropy'", "did you mean 'cross_entropy'"),
    case("inputs_as_a_list_of_lists", edit(("inputs: [0.05, 0.10]", "inputs: [[0.05, 0.10], [0.2, 0.3]]")),
         1, "inputs", "numbers of one example", "got a list of lists", "'batch: [{inputs: [...], targets: [...]}"),
    case("missing_key", edit((SECOND_LAYER, SECOND_LAYER.replace("  - units: 2\n    activation", "  - activation"))),
         8, "layers[1]", "missing the required key 'units'"),
    case("nan", edit(("inputs: [0.05, 0.10]", "inputs: [.nan, 0.10]")), 1, "inputs[0]", "finite", ".nan"),
    case("inf", edit(("bias: 0.60", "bias: -.inf")), 11, "layers[1].bias", "finite", "-.inf"),
    case("quoted_number", edit(("[0.25, 0.30]", '[0.25, "1e3"]')),
         6, "layers[0].weights[1][1]", "must be a number", "text '1e3'"),
    case("units_quoted", edit((SECOND_LAYER, SECOND_LAYER.replace("units: 2", 'units: "3"'))),
         8, "layers[1].units", "whole number from 1 to 64", "text '3'"),
    case("units_true", edit(("units: 2", "units: true")), 4, "layers[0].units", "whole number", "boolean (true)"),
    case("units_fraction", edit(("units: 2", "units: 3.5")), 4, "layers[0].units", "whole number", "got 3.5"),
    case("units_zero", edit(("units: 2", "units: 0")), 4, "layers[0].units", "from 1 to 64", "got 0"),
    case("units_negative", edit(("units: 2", "units: -3")), 4, "layers[0].units", "from 1 to 64", "got -3"),
    case("activation_no", edit(("activation: sigmoid", "activation: no")),
         5, "layers[0].activation", "must be one of sigmoid", "boolean (false)"),
    case("cross_entropy_on_linear",
         edit((SECOND_LAYER, SECOND_LAYER.replace("sigmoid", "linear")), ("loss: half_sse", "loss: cross_entropy")),
         12, "loss", "half_sse, sse, mse", "linear output layer", "'cross_entropy'", "probabilities"),
    case("binary_cross_entropy_on_relu",
         edit((SECOND_LAYER, SECOND_LAYER.replace("sigmoid", "relu")), ("loss: half_sse", "loss: binary_cross_entropy")),
         12, "loss", "relu output layer", "'binary_cross_entropy'", "probabilities"),
    case("cross_entropy_target_above_1",
         edit(("targets: [0.01, 0.99]", "targets: [0.01, 1.5]"), ("loss: half_sse", "loss: cross_entropy")),
         2, "targets[1]", "between 0 and 1", "got 1.5"),
    case("inputs_wrong_length", edit(("inputs: [0.05, 0.10]", "inputs: [0.05, 0.10, 0.2]")),
         6, "layers[0].weights", "shape 2x3", "the spec gives 3 inputs", "got 2x2"),
    case("targets_wrong_length", edit(("targets: [0.01, 0.99]", "targets: [0.01, 0.99, 0.5]")),
         2, "targets", "one value per output neuron (2)", "got 3"),
    case("batch_unequal_examples",
         edit(("inputs: [0.05, 0.10]\ntargets: [0.01, 0.99]\n",
               "batch:\n  - {inputs: [0.05, 0.10], targets: [0.01, 0.99]}\n  - {inputs: [0.05], targets: [0.01, 0.99]}\n")),
         3, "batch[1].inputs", "must have 2 inputs", "got 1"),
    case("batch_and_inputs",
         edit(("targets: [0.01, 0.99]\n", "targets: [0.01, 0.99]\nbatch:\n  - {inputs: [0.05, 0.10], targets: [0.01, 0.99]}\n")),
         3, "batch", "cannot be given together with inputs/targets"),
    case("empty_layers", "inputs: [1]\ntargets: [1]\nlayers: []\n", 3, "layers", "must not be empty"),
    case("softmax_on_hidden_layer", edit(("activation: sigmoid", "activation: softmax")),
         5, "layers[0].activation", "on a hidden layer", "got 'softmax'"),
    case("softmax_of_one_neuron",
         "inputs: [1]\ntargets: [1]\nlayers:\n  - units: 1\n    activation: softmax\n    weights: [[0.5]]\n",
         4, "layers[0].units", "at least 2 for a softmax layer", "got 1"),
    case("learning_rate_zero", edit(("learning_rate: 0.5", "learning_rate: 0")), 13, "learning_rate", "> 0", "got 0"),
    case("learning_rate_negative", edit(("learning_rate: 0.5", "learning_rate: -0.5")),
         13, "learning_rate", "> 0", "got -0.5"),
    case("learning_rate_quoted", edit(("learning_rate: 0.5", "learning_rate: '0.5'")),
         13, "learning_rate", "must be a number", "text '0.5'"),
    case("duplicate_key", edit(("loss: half_sse\n", "loss: half_sse\nloss: sse\n")),
         13, "", "key 'loss' twice", "lines 12 and 13"),
    case("yaml_anchor", edit(("inputs: [0.05, 0.10]\ntargets: [0.01, 0.99]", "inputs: &x [0.05, 0.10]\ntargets: *x")),
         1, "inputs", "anchors and aliases are not allowed", "&x"),
    case("python_tag", edit(("loss: half_sse", "loss: !!python/object/apply:os.system ['echo hi']")),
         12, "loss", "tags are not allowed", "!!python/object/apply:os.system"),
    case("name_clash", edit(("    bias: 0.35\n", "    bias: 0.35\n    neuron_names: [x1, h2]\n")),
         8, "layers[0].neuron_names[0]", "used only once", "'x1'", "input_names[0]"),
    case("reserved_name_E", edit(("learning_rate: 0.5", "learning_rate: 0.5\ninput_names: [E, x2]")),
         14, "input_names[0]", "reserve", "got 'E'"),
    case("reserved_name_I", edit(("learning_rate: 0.5", "learning_rate: 0.5\ninput_names: [x1, I]")),
         14, "input_names[1]", "reserve", "got 'I'"),
    case("reserved_name_lambda", edit(("    bias: 0.35\n", "    bias: 0.35\n    neuron_names: [lambda, h2]\n")),
         8, "layers[0].neuron_names[0]", "reserve", "got 'lambda'"),
    case("name_with_newline", edit(("learning_rate: 0.5", 'learning_rate: 0.5\ninput_names: ["x\\n1", x2]')),
         14, "input_names[0]", "line breaks", r"'\n'"),
    case("title_with_newline", edit(("learning_rate: 0.5", 'learning_rate: 0.5\ntitle: "two\\nlines"')),
         14, "title", "line breaks"),
    case("unknown_optimizer", edit(("learning_rate: 0.5", "learning_rate: 0.5\noptimizer: rmsprop")),
         14, "optimizer", "sgd, momentum, adam", "'rmsprop'"),
    case("negative_slope_on_sigmoid", edit(("    bias: 0.60\n", "    bias: 0.60\n    negative_slope: 0.1\n")),
         12, "layers[1].negative_slope", "only applies to leaky_relu", "sigmoid"),
    case("bias_wrong_length", edit(("bias: 0.35", "bias: [0.35, 0.1, 0.2]")),
         7, "layers[0].bias", "2 biases", "got 3"),
    case("unknown_loss", edit(("loss: half_sse", "loss: mae")),
         12, "loss", "half_sse, sse, mse, cross_entropy, binary_cross_entropy", "'mae'"),
    case("unknown_reduction", edit(("learning_rate: 0.5", "learning_rate: 0.5\nreduction: average")),
         14, "reduction", "sum, mean", "'average'"),
    case("two_yaml_documents", BASE + "---\ninputs: [1]\n", 14, "", "single YAML document"),
    case("json_nan", '{"inputs": [NaN, 0.1],\n "targets": [1],\n "layers": []}\n', 1, "inputs[0]", "finite",
         suffix=".json"),
    case("json_duplicate_key",
         '{"inputs": [1],\n "targets": [1],\n "targets": [0],\n "layers": []}\n', 3, "", "'targets' twice",
         suffix=".json"),
    case("json_weight_as_string",
         '{"inputs": [1],\n "targets": [1],\n "layers": [{"units": 1, "activation": "linear",\n'
         '  "weights": [["0.5"]]}]}\n', 4, "layers[0].weights[0][0]", "must be a number", "text '0.5'",
         suffix=".json"),
]

EXISTING = b"an earlier result, which a failed run must not touch\n"


def run_cli(argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("text,suffix,line,field,fragments", CASES)
def test_bad_spec_gives_one_clear_line(tmp_path, capsys, text, suffix, line, field, fragments):
    spec = tmp_path / f"net{suffix}"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "result.json"

    code, stdout, stderr = run_cli(["solve", str(spec), "--format", "json", "-o", str(out)], capsys)
    assert code == 2
    assert stdout == ""
    assert stderr.startswith("derive: error: ") and stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    # file:line (a column too for YAML syntax-level errors), then the field
    where = re.escape(f"derive: error: {spec}:{line}") + r"(:\d+)?: " + re.escape(f"{field} " if field else "")
    assert re.match(where, stderr), stderr
    for fragment in fragments:
        assert fragment in stderr, (fragment, stderr)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [spec.name]  # no temp file left either

    out.write_bytes(EXISTING)
    code, _, again = run_cli(["solve", str(spec), "--format", "json", "-o", str(out), "--force"], capsys)
    assert code == 2 and again == stderr
    assert out.read_bytes() == EXISTING


def test_at_least_25_distinct_cases():
    assert len({c.id for c in CASES}) == len(CASES) >= 25
    assert len({c.values[0] for c in CASES}) == len(CASES)  # no two cases share a spec


@pytest.mark.parametrize("name", ["weight_shape", "cross_entropy_on_linear", "python_tag", "json_nan"])
def test_installed_command_prints_no_traceback(tmp_path, name):
    text, suffix, line, field, fragments = next(c.values for c in CASES if c.id == name)
    spec = tmp_path / f"net{suffix}"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "result.json"
    out.write_bytes(EXISTING)
    done = subprocess.run([_derive_command(), "solve", str(spec), "-o", str(out), "--force"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert re.match(re.escape(f"derive: error: {spec}:{line}") + r"(:\d+)?: ", done.stderr), done.stderr
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    assert out.read_bytes() == EXISTING


def _derive_command() -> str:
    """The ``derive`` console script installed next to this Python."""
    import shutil
    from pathlib import Path

    beside = Path(sys.executable).with_name("derive")
    found = str(beside) if beside.exists() else shutil.which("derive")
    assert found, "the derive command is not installed (pip install -e .)"
    return found


def test_spec_errors_from_the_api_and_the_cli_agree(tmp_path, capsys):
    import derive

    spec = tmp_path / "net.yaml"
    spec.write_text(edit(("activation: sigmoid", "activation: softmx")), encoding="utf-8")
    with pytest.raises(derive.SpecError) as info:
        derive.load(str(spec))
    assert info.value.field == "layers[0].activation" and info.value.line == 5
    _, _, stderr = run_cli(["solve", str(spec)], capsys)
    assert stderr == f"derive: error: {info.value}\n"


def test_dict_spec_error_names_the_field_without_a_file():
    import derive

    bad = json.loads('{"inputs": [1], "targets": [1], "layers": [{"units": 1, "activation": "linear", '
                     '"weights": [[1, 2]]}]}')
    with pytest.raises(derive.SpecError, match=r"^layers\[0\]\.weights must have shape 1x1 .*; got 1x2$"):
        derive.load(bad)
