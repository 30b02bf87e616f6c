"""Training runs: the published 2-2-2 figures, conventions, batches against PyTorch, the CLI."""

from __future__ import annotations

import dataclasses
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sympy as sp

import derive
from derive.cli import main
from derive.errors import DeriveError, SpecError
from derive.spec import load_spec
from derive.engine.train import (EXACT_STEP_LIMIT, exact_history, parameters_at, train, with_conventions)

from torch_net import TorchNet, needs_torch, torch


def printed(value: float, places: int) -> str:
    """``value`` as a tutorial prints it: rounded half-up to ``places`` decimals."""
    return str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def textbook():
    return train("2-2-2", 10000)


@pytest.fixture(scope="module")
def updated_weights():
    return train(with_conventions("2-2-2", backprop_through_updated_weights=True), 10000)


# ---------------------------------------------------------------- the published figures

def test_textbook_2_2_2_error_history(textbook):
    history = textbook.loss_history
    assert len(history) == 10001
    assert printed(history[0], 9) == "0.298371109"  # [0]: before any step
    assert printed(history[1], 9) == "0.291027774"
    assert printed(history[9999], 10) == "0.0000351085"  # the figure the article prints for 10,000
    assert printed(history[10000], 10) == "0.0000351019"
    assert textbook.loss == history[-1]


def test_textbook_2_2_2_outputs_and_fixed_biases(textbook):
    assert [printed(o, 10) for o in textbook.outputs[0]] == ["0.0159136204", "0.9840642735"]
    assert textbook.parameters["b1"] == 0.35 and textbook.parameters["b2"] == 0.6


def test_updated_weights_convention_reproduces_the_published_run(updated_weights):
    assert printed(updated_weights.loss_history[1], 9) == "0.291027924"
    assert [printed(o, 9) for o in updated_weights.outputs[0]] == ["0.015912196", "0.984065734"]


# ---------------------------------------------------------------- compiled vs exact

@pytest.mark.parametrize("name", ["2-2-2", "2-2-1", "3-3-3-3"])
def test_compiled_loop_agrees_with_exact_steps(name):
    run = train(name, 3)
    exact = exact_history(name, 3)
    for key, value in run.parameters.items():
        assert value == pytest.approx(float(exact[3][key]), rel=1e-12, abs=1e-15)
    problem = derive.load(name)
    from derive.engine.numeric import evaluate
    for step in range(4):
        loss = evaluate(problem.model, overrides=exact[step]).float("E_total")
        assert run.loss_history[step] == pytest.approx(loss, rel=1e-12)


@pytest.mark.parametrize("places", [2, 3, 4])
def test_carried_rounding_in_the_loop_matches_exact_rounding(places):
    spec = with_conventions("2-2-1", carry_rounding=places)
    floats = parameters_at(spec, EXACT_STEP_LIMIT + 1)[EXACT_STEP_LIMIT + 1]  # through the float loop
    exact = exact_history(spec, EXACT_STEP_LIMIT + 1)[-1]
    assert floats == exact
    assert all((v * 10**places).is_integer for v in exact.values())


def test_file_002_second_pass_prediction_comes_from_unrounded_weights():
    from derive.engine.numeric import evaluate
    problem = derive.load("2-2-1")
    after = parameters_at(problem, 1)[1]
    second = evaluate(problem.model, overrides=after)["out_o1"]
    assert second.is_Rational and printed(float(second), 7) == "0.2557458" and printed(float(second), 2) == "0.26"
    rounded = derive.Problem(with_conventions("2-2-1", carry_rounding=2))
    assert evaluate(rounded.model, carry_rounding=2, overrides=parameters_at(rounded, 1)[1])["out_o1"] == \
        sp.Rational("0.25")


# ---------------------------------------------------------------- batches against PyTorch

BATCH = """
batch:
  - {inputs: [0.05, 0.10], targets: [0.01, 0.99]}
  - {inputs: [0.5, -0.3], targets: [0.7, 0.2]}
  - {inputs: [-1.0, 0.25], targets: [0.4, 0.6]}
layers:
  - {units: 2, activation: tanh, weights: [[0.15, 0.20], [0.25, 0.30]], bias: [0.35, -0.1]}
  - {units: 2, activation: sigmoid, weights: [[0.40, 0.45], [0.50, 0.55]], bias: 0.60}
learning_rate: 0.5
"""


@needs_torch
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("loss", ["half_sse", "mse", "binary_cross_entropy"])
def test_batch_training_matches_pytorch(reduction, loss):
    spec = with_conventions(BATCH, reduction=reduction, loss=loss)
    run = train(spec, 25)
    net = TorchNet(derive.Problem(spec))
    history = net.train(torch.optim.SGD(net.trained, lr=0.5), 25)
    assert run.loss_history == pytest.approx(history, rel=1e-12)
    assert run.parameters == pytest.approx(net.parameters(), rel=1e-12)
    assert [o for row in run.outputs for o in row] == pytest.approx(net.outputs().flatten().tolist(), rel=1e-12)


@needs_torch
def test_log_base_scales_cross_entropy_like_pytorch():
    spec = with_conventions("3-3-3-3", log_base="2")
    run = train(spec, 5)
    net = TorchNet(derive.Problem(spec))
    assert run.loss_history == pytest.approx(net.train(torch.optim.SGD(net.trained, lr=0.01), 5), rel=1e-12)


# ---------------------------------------------------------------- conventions as switches

def test_with_conventions_overrides_only_what_is_given():
    base = load_spec("2-2-2")
    spec = with_conventions(base, carry_rounding=3)
    assert spec.conventions.carry_rounding == 3
    assert spec.conventions.backprop_through_updated_weights is False
    assert dataclasses.replace(spec, conventions=base.conventions) == base
    assert with_conventions(spec, carry_rounding=None).conventions.carry_rounding is None


def test_updated_weights_convention_needs_sgd():
    spec = dataclasses.replace(with_conventions("2-2-2", backprop_through_updated_weights=True),
                               optimizer=dataclasses.replace(load_spec("2-2-2").optimizer, name="adam"))
    with pytest.raises(SpecError, match="only applies to the sgd optimizer"):
        train(spec, 1)


@pytest.mark.parametrize("backend", ["scalar", "vector"])
def test_a_diverging_run_is_a_clear_error(backend):
    with pytest.raises(DeriveError, match="diverged.*smaller learning rate"):
        train(load_spec(BATCH.replace("learning_rate: 0.5", "learning_rate: 100").replace("tanh", "linear")
                         .replace("activation: sigmoid", "activation: linear")), 2000, backend=backend)


@pytest.mark.parametrize("spec", [
    "2-2-2", "3-3-3-3", "2-2-1", BATCH, with_conventions("2-2-2", backprop_through_updated_weights=True),
    with_conventions(BATCH, reduction="mean"),
])
def test_vector_loop_follows_the_scalar_loop(spec):
    scalar, vector = train(spec, 300, backend="scalar"), train(spec, 300, backend="vector")
    assert vector.loss_history == pytest.approx(scalar.loss_history, rel=1e-10, abs=1e-15)
    for name, value in scalar.parameters.items():
        assert vector.parameters[name] == pytest.approx(value, rel=1e-10, abs=1e-15), name


def test_thinned_rows_keep_the_first_and_last_step(textbook):
    rows = textbook.thinned()
    assert rows[0] == (0, textbook.loss_history[0]) and rows[-1] == (10000, textbook.loss)
    assert [step for step, _ in rows][:3] == [0, 500, 1000]
    assert len(textbook.thinned(1)) == 10001


# ---------------------------------------------------------------- the CLI

def test_cli_json(capsys):
    assert main(["train", "2-2-2", "--steps", "10000", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["loss_history"]) == 10001 and data["loss"] == data["loss_history"][-1]
    assert printed(data["loss"], 10) == "0.0000351019"
    assert printed(data["outputs"][0][0], 10) == "0.0159136204"
    assert data["parameters"]["b2"] == 0.6 and set(data["parameters"]) >= {"w1", "w8"}
    assert data["conventions"]["backprop_through_updated_weights"] is False


def test_cli_flag_overrides_the_spec(capsys):
    assert main(["train", "2-2-2", "--steps", "1", "--format", "json", "--backprop-through-updated-weights"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert printed(data["loss_history"][1], 9) == "0.291027924"
    assert data["conventions"]["backprop_through_updated_weights"] is True


def test_cli_table_is_thinned(capsys):
    assert main(["train", "2-2-2", "--steps", "10000", "--every", "2500"]) == 0
    out = capsys.readouterr().out
    table = out.split("error after the step\n")[1].split("\n\n")[0]
    steps = [line.split()[0] for line in table.splitlines()]
    assert steps == ["0", "2500", "5000", "7500", "10000"]
    assert "0.0000351019" in out and "w5" in out and "out_o1" in out


def test_cli_writes_a_file_and_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "run.json"
    assert main(["train", "2-2-2", "--steps", "2", "-f", "json", "-o", str(target)]) == 0
    assert json.loads(target.read_text())["steps"] == 2
    assert main(["train", "2-2-2", "--steps", "3", "-f", "json", "-o", str(target)]) == 2
    assert "exists" in capsys.readouterr().err
    assert json.loads(target.read_text())["steps"] == 2


@pytest.mark.parametrize("argv, message", [
    (["--steps", "-1"], "--steps"),
    (["--steps", "1", "--loss", "cross_entropy"], "needs outputs that are probabilities"),
    (["--steps", "1", "--carry-rounding", "x"], "--carry-rounding"),
    (["--steps", "1", "--every", "0"], "--every"),
    # a number past the limit named the API's field (steps), not the flag; 5,000 digits were echoed whole
    (["--steps", "100000000000"], "--steps must be a whole number from 0 to 10000000"),
    (["--steps", "9" * 5000], "--steps must be a whole number"),
    (["--steps", "1", "--shuffle-seed", "9" * 5000], "--shuffle-seed must be a whole number"),
])
def test_cli_errors_are_one_line(argv, message, capsys):
    assert main(["train", "2-2-1", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err and len(err) < 300


# ---------------------------------------------------------------- documents (md, tex, pdf)

TITLED = load_spec("2-2-2")


def test_markdown_report_has_curve_table_and_the_worked_first_step(capsys):
    assert main(["train", "2-2-2", "--steps", "10000", "-f", "md"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Training: ")
    assert text.count("<svg") == 1 and "<polyline" in text
    assert "| 10000 | 0.0000351019 |" in text and "| 0 | 0.298371109 |" in text
    assert "## The first step, worked" in text and "0.000438568" in text  # ∂E/∂w1 from derive.solve
    assert "\n# " not in text.split("## The first step, worked")[1]  # its headings nested one level down


def test_markdown_shows_the_optimizer_quantities():
    from derive.render.training import render_training
    spec = dataclasses.replace(TITLED, optimizer=dataclasses.replace(TITLED.optimizer, name="adam"),
                               title="Adam & <friends> *bold*")
    text = render_training(train(spec, 2), "md")
    assert "## The first adam step" in text
    assert r"\hat{m}_{w_{5}}" in text and r"\hat{v}_{w_{5}}" in text and r"\beta_1" in text
    assert "Adam &amp; &lt;friends&gt; \\*bold\\*" in text  # user text escaped


def test_pdf_report_compiles_with_the_loss_curve(tmp_path):
    import subprocess
    target = tmp_path / "run.pdf"
    spec = tmp_path / "net.yaml"
    from derive.spec.examples import example_path
    spec.write_text(example_path("2-2-2").read_text().replace(
        'title: "Two inputs, two hidden, two outputs (sigmoid)"', 'title: "50% of $x_1$ & {braces} \\\\input"'))
    assert main(["train", str(spec), "--steps", "10000", "-f", "pdf", "-o", str(target),
                 "--backprop-through-updated-weights"]) == 0
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "50% of $x_1$ & {braces} \\input" in text
    assert "0.015912196" in text and "Loss curve" in text and "backprop_through_updated_weights = on" in text


def test_pdf_needs_an_output_file(capsys):
    assert main(["train", "2-2-2", "--steps", "1", "-f", "pdf"]) == 2
    assert "-o FILE.pdf" in capsys.readouterr().err
