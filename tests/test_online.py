"""Online and mini-batch updates (``update: online`` / ``update: {batch_size: k}``).

The published example is Negnevitsky, *Artificial Intelligence: A Guide to Intelligent Systems*,
2nd ed. (Addison-Wesley 2005), §6.4, the three-layer network for exclusive-OR: x1 = x2 = 1,
desired output 0, learning rate 0.1, sigmoid everywhere, thresholds θ on a fixed input of −1,
error gradient δ = y(1 − y)e with e = y_d − y. It is the built-in example ``2-2-1-xor-negnevitsky``
(neurons n3, n4, n5; weights w13, w23, w14, w24, w35, w45; thresholds theta3, theta4, theta5).
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from derive.classroom.check import check_claims
from derive.cli import main
from derive.engine.train import train
from derive.engine.updates import exact_updates, update_at, update_problems
from derive.errors import SpecError
from derive.spec import load_spec

from strategies import networks

XOR = "2-2-1-xor-negnevitsky"

# The book's printed values (4 decimals) of the first iteration; Δ = new − old.
BOOK_FIRST_ITERATION = {
    "out_n3": "0.5250", "out_n4": "0.8808", "out_n5": "0.5097", "delta_n5": "-0.1274",
    "delta_n3": "0.0381", "delta_n4": "-0.0147",
    "w13_new": "0.5038", "w14_new": "0.8985", "w23_new": "0.4038", "w24_new": "0.9985",
    "w35_new": "-1.2067", "w45_new": "1.0888", "theta3_new": "0.7962", "theta4_new": "-0.0985",
    "theta5_new": "0.3127",
}
BOOK_CHANGES = {  # Δw35 = α·y3·δ5 and so on
    "w35": "-0.0067", "w45": "-0.0112", "theta5": "0.0127", "w13": "0.0038", "w23": "0.0038", "theta3": "-0.0038",
    "w14": "-0.0015", "w24": "-0.0015", "theta4": "0.0015",
}

SMALL = """
update: online
learning_rate: 0.5
batch:
  - {inputs: [1], targets: [0]}
  - {inputs: [2], targets: [1]}
  - {inputs: [-1], targets: [1]}
layers:
  - {units: 1, activation: linear, weights: [[0.5]], bias: 0.25}
"""


def round4(value) -> str:
    return f"{Fraction(str(value.evalf(30))).__round__(4):.4f}" if not value.is_Rational else f"{float(value):.4f}"


def test_negnevitsky_first_iteration_every_printed_number():
    first = update_problems(derive.load(XOR))[0]
    assert first.examples == (1,)
    values = first.problem.values()
    for key, printed in BOOK_FIRST_ITERATION.items():
        assert f"{float(values[key]):.4f}" == printed, key
    assert f"{float(values['E_total']) * 2:.4f}" == "0.2598"  # e² with e = −0.5097
    for name, printed in BOOK_CHANGES.items():
        change = values[f"{name}_new"] - values[name]
        assert f"{float(change):.4f}" == printed, name


def test_negnevitsky_with_the_books_rounding_of_intermediates_agrees():
    # the book carries 4 places; the first iteration's printed numbers do not change
    spec = derive.engine.train.with_conventions(XOR, carry_rounding=4)
    values = update_problems(derive.load(spec), carry_rounding=4)[0].problem.values(carry_rounding=4)
    for key, printed in BOOK_FIRST_ITERATION.items():
        assert f"{float(values[key]):.4f}" == printed, key


def test_second_update_starts_from_the_first_updates_weights_exactly():
    updates = update_problems(derive.load(XOR))
    first, second = updates[0].problem.values(), updates[1].problem
    assert second.spec.examples[0].inputs == (0, 1)
    for p in second.network.parameters:  # the "or is_Rational" that stood here let an exact value pass unchecked
        new = first[f"{p.name}_new"]
        assert p.value == (Fraction(int(new.p), int(new.q)) if new.is_Rational else Fraction(str(new.evalf(40))))


def test_the_book_epoch_count_is_not_reached_at_its_learning_rate():
    # The book stops after 224 epochs (sum of squared errors < 0.001). Online training of this
    # network at learning rate 0.1 in the book's order is far from it then: documented, not forced.
    run = train(XOR, 4 * 224, epoch_error="before")
    assert run.epochs == 224 and run.steps == 896
    assert 2 * run.epoch_errors[-1] > 0.5


def test_exact_rationals_carried_through_updates():
    updates = update_problems(derive.load(SMALL))
    # w ← w − η (out − t) x, b ← b − η (out − t)
    w, b = Fraction(1, 2), Fraction(1, 4)
    for update, (x, t) in zip(updates, ((1, 0), (2, 1), (-1, 1))):
        layer = update.problem.spec.layers[0]
        assert (layer.weights[0][0], layer.bias) == (w, b)
        error = w * x + b - t
        w, b = w - Fraction(1, 2) * error * x, b - Fraction(1, 2) * error
    assert exact_updates(derive.load(SMALL), 1)[-1] == {"w1": w, "b1": b}


def test_mini_batch_groups_and_sums():
    spec = load_spec(SMALL.replace("update: online", "update: {batch_size: 2}"))
    assert spec.update == "mini-batch" and spec.update_groups == ((0, 1), (2,))
    updates = update_problems(derive.load(spec))
    assert [u.examples for u in updates] == [(1, 2), (3,)]
    grad = updates[0].problem.values()["grad_w1"]
    assert grad == (Fraction(3, 4) - 0) * 1 + (Fraction(5, 4) - 1) * 2


@pytest.mark.parametrize("text, message", [
    ("update: onlin", "<spec>:2: update must be one of batch, online; got text 'onlin' (did you mean 'online'?)"),
    ("update: {batch_size: 0}", "<spec>:2: update.batch_size must be a whole number from 1 to 3; got 0"),
    ("update: {batch_size: 4}", "<spec>:2: update.batch_size must be a whole number from 1 to 3; got 4"),
    ("update: {size: 2}", "<spec>:2: update.size is not a known key; allowed keys: batch_size"),
    ("update: 2", "<spec>:2: update must be one of batch, online or {batch_size: k}; got 2"),
    ("update: {}", "<spec>:2: update is missing the required key 'batch_size'"),
])
def test_update_field_errors_name_field_and_line(text, message):
    source = SMALL.replace("update: online", text)
    with pytest.raises(SpecError) as err:
        load_spec(source)
    assert str(err.value) == message


def test_batch_is_the_default_and_batch_size_of_all_is_batch():
    assert load_spec(SMALL.replace("update: online", "")).update == "batch"
    assert load_spec(SMALL.replace("update: online", "update: {batch_size: 3}")).update == "batch"


@pytest.mark.parametrize("style", ["scalar", "delta", "matrix"])
def test_solve_shows_each_update_in_every_style(style):
    solution = derive.solve(XOR, style=style, decimals=4)
    md = solution.markdown()
    for k in range(1, 5):
        assert f"# Update {k} (example {k})" in md
    assert md.index("Update 1") < md.index("0.5097") < md.index("Update 2")
    assert "0.3127" in md  # θ5 after update 1, which update 2 starts from
    tex = solution.latex()
    assert tex.count("Update ") >= 4 and "\\end{document}" in tex
    html = solution.html()
    assert html.startswith("<!DOCTYPE html>") and 'id="update-4"' in html


def test_solve_json_states_mode_and_each_update():
    data = derive.load(XOR).to_dict()
    assert data["update"] == "online" and data["batch_size"] == 1
    assert [u["examples"] for u in data["updates"]] == [[1], [2], [3], [4]]
    first = data["updates"][0]
    assert round(first["updated"]["w35"], 4) == -1.2067
    assert data["updates"][1]["layers"][1]["weights"][0][0] == pytest.approx(first["updated"]["w35"])
    assert data["parameters"] == data["updates"][-1]["updated"]


def test_cli_solve_json_and_md(capsys):
    assert main(["solve", XOR]) == 0
    assert json.loads(capsys.readouterr().out)["update"] == "online"
    assert main(["solve", XOR, "-f", "md", "--carry-rounding", "4", "--decimals", "4"]) == 0
    assert "Online updates" in capsys.readouterr().out


def test_pdf_builds():
    pytest.importorskip("pylatex")
    from derive.io.texrun import find_tex

    try:
        find_tex()
    except Exception:
        pytest.skip("no TeX")
    assert derive.solve(SMALL).pdf()[:5] == b"%PDF-"


def test_train_counts_epochs_and_steps_and_offers_both_epoch_errors():
    after = train(SMALL, 7)
    assert after.steps == 7 and after.epochs == 2 and len(after.loss_history) == 8
    assert after.epoch_errors == (after.loss_history[3], after.loss_history[6])
    before = train(SMALL, 6, epoch_error="before")
    data = before.to_dict()
    assert data["update"] == "online" and data["epoch_error"] == "before" and data["shuffle_seed"] is None
    # before: each update's own error, summed over the epoch
    problems = update_problems(derive.load(SMALL))
    seen = sum(float(u.problem.values()["E_total"]) for u in problems)
    assert before.epoch_errors[0] == pytest.approx(seen, rel=1e-12)
    assert before.parameters == pytest.approx({k: float(v) for k, v in exact_updates(derive.load(SMALL), 2)[-1].items()})


def test_shuffle_only_with_a_seed_and_reproducible():
    plain = train(SMALL, 30)
    assert plain.parameters == train(SMALL, 30).parameters
    a, b = train(SMALL, 30, shuffle_seed=7), train(SMALL, 30, shuffle_seed=7)
    assert a.parameters == b.parameters and a.parameters != plain.parameters
    with pytest.raises(SpecError, match="shuffle_seed"):
        train(SMALL, 3, shuffle_seed="7")
    with pytest.raises(SpecError, match="epoch_error"):
        train(SMALL, 3, epoch_error="during")


def test_cli_train_reports_epochs(capsys):
    assert main(["train", XOR, "-n", "8", "-f", "table", "--epoch-error", "before", "--shuffle-seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "8 steps (updates) = 2 complete epochs of 4 updates" in out and "seed 3" in out and "before" in out


def test_train_refuses_other_optimizers_online():
    with pytest.raises(SpecError, match="optimizer"):
        train(SMALL + "optimizer: adam\n", 2)


def test_check_a_students_second_update_with_a_wrong_value():
    # the student works example 2 (0, 1 → 1) from the weights update 1 left; w35_new is wrong
    claims = {"after_steps": 1, "out_n3": "0.4031", "out_n5": "0.5043", "delta_n5": "0.1239",
              "w35_new": "-1.2117", "theta5_new": "0.3003"}
    report = check_claims(XOR, claims)
    status = {r.claim.key: r.status for r in report.results}
    assert status == {"out_n3": "ok", "out_n5": "ok", "delta_n5": "ok", "w35_new": "wrong", "theta5_new": "ok"}
    assert report.after_steps == 1
    # the same values as update 1's claims are wrong
    first = check_claims(XOR, {"out_n5": "0.5043"})
    assert first.results[0].status == "wrong"


def test_update_at_follows_epochs():
    u = update_at(derive.load(XOR), 5)
    assert u.number == 6 and u.examples == (2,)


# Worksheets, keys, exams and LMS exports of online specs: tests/test_online_worksheets.py


def test_examples_lists_the_new_example(capsys):
    assert XOR in derive.example_names()
    assert main(["examples"]) == 0
    assert XOR in capsys.readouterr().out


@settings(max_examples=25, deadline=None)
@given(spec=networks(max_layers=2, max_units=2, max_examples=4, batch=True, losses=("half_sse", "sse", "mse"),
                     activations=("sigmoid", "tanh", "linear", "relu")),
       size=st.integers(1, 4), epochs=st.integers(1, 2))
def test_online_training_matches_a_manual_pytorch_loop_and_the_exact_path(spec, size, epochs):
    import torch

    from torch_net import TorchNet

    n = len(spec["batch"])
    spec["update"] = {"batch_size": min(size, n)}
    problem = derive.load(spec)
    steps = epochs * len(problem.spec.update_groups)
    run = train(problem, steps)
    net = TorchNet(problem)
    inputs, targets = net.inputs, net.targets
    optimizer = torch.optim.SGD(net.trained, lr=float(problem.spec.learning_rate))
    for _ in range(epochs):
        for group in problem.spec.update_groups:
            net.inputs, net.targets = inputs[list(group)], targets[list(group)]
            optimizer.zero_grad()
            net.loss().backward()
            optimizer.step()
    assert run.parameters == pytest.approx(net.parameters(), rel=1e-9, abs=1e-9)
    exact = exact_updates(problem, epochs)[-1]
    assert run.parameters == pytest.approx({k: float(v) for k, v in exact.items()}, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("style", ["scalar", "delta"])
def test_each_update_states_the_negative_error_term_as_math_in_every_format(style):
    # the sentence before each update once went through |capitalize: a plain str (so $ and \ were escaped)
    # with every later letter lowered (∂E became ∂e); HTML said δ = ∂E/∂net although the spec has −∂E/∂net
    solution = derive.solve(XOR, style=style, decimals=4)
    md, tex, html = solution.markdown(), solution.latex(), solution.html()
    assert "$\\delta = -\\partial E / \\partial net$" in md and "\\$" not in md
    assert "$\\delta = -\\partial E / \\partial net$" in tex and "textbackslash" not in tex
    assert "error signal" not in html and "the error term" in html


def test_an_online_spec_with_momentum_is_refused_at_its_line(tmp_path, capsys):
    # solve worked plain steps and pointed at `derive train` for the momentum ones, which then refused the spec
    spec = tmp_path / "online.yaml"
    spec.write_text(SMALL.lstrip() + "optimizer: {name: momentum, momentum: 0.9}\n")
    line = SMALL.lstrip().count("\n") + 1
    for command in (["solve", str(spec), "-f", "md"], ["train", str(spec), "-n", "2"]):
        assert main(command) == 2
        assert capsys.readouterr().err == (f"derive: error: {spec}:{line}: optimizer must be sgd with update: online "
                                           "(one plain gradient-descent step per update); got momentum\n")


def test_a_late_update_is_checked_through_the_float_loop_and_agrees_with_the_exact_one(monkeypatch):
    import derive.engine.updates as updates

    with monkeypatch.context() as exactly:
        exactly.setattr(updates, "EXACT_STEP_LIMIT", 10**6)  # linear: the exact path is cheap here
        exact = update_at(derive.load(SMALL), 299).problem.spec.layers[0]
    # a long run must not step exactly, epoch by epoch (a model per update: 100,000 steps took ten minutes)
    monkeypatch.setattr(updates, "exact_updates", lambda *a, **k: pytest.fail("the exact path was taken"))
    late = update_at(derive.load(SMALL), 299)
    assert late.number == 300 and late.examples == (3,)
    layer = late.problem.spec.layers[0]
    assert float(layer.weights[0][0]) == pytest.approx(float(exact.weights[0][0]), rel=1e-12)
    assert float(layer.bias) == pytest.approx(float(exact.bias), rel=1e-12)


def test_epoch_options_on_a_full_batch_spec_are_refused_not_ignored(capsys):
    with pytest.raises(SpecError, match="shuffle_seed applies to a spec with update: online"):
        train("2-2-1", 3, shuffle_seed=7)
    with pytest.raises(SpecError, match="epoch_error applies to a spec with update: online"):
        train("2-2-1", 3, epoch_error="before")
    assert main(["train", "2-2-1", "-n", "3", "--shuffle-seed", "7"]) == 2
    assert capsys.readouterr().err.startswith("derive: error: --shuffle-seed applies to a spec with update: online")


def test_too_many_updates_for_one_document_are_refused_before_any_work(capsys):
    # 256 updates of 22 parameters: each update alone is a small document, all of them 5,632 parameters
    spec = {"update": "online", "batch": [{"inputs": [i / 256, 0.5, 0.25], "targets": [1, 0]} for i in range(256)],
            "layers": [{"units": 4, "activation": "sigmoid", "weights": [[0.1] * 3] * 4, "bias": 0.1},
                       {"units": 2, "activation": "sigmoid", "weights": [[0.2] * 4] * 2, "bias": 0.2}]}
    with pytest.raises(derive.RenderError, match="256 updates of 22 parameters are too long for one document"):
        derive.solve(spec)
    assert derive.load(spec).to_dict()["update"] == "online"  # the JSON has no limit
