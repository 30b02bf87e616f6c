"""The solution checker: the reference tutorials' slips are found and explained, correct values pass."""

from __future__ import annotations

import dataclasses
import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import derive
from derive.classroom.check import Evaluations, agreement, check_claims
from derive.spec.claims import read_claims, resolve_name
from derive.cli import main
from derive.errors import SpecError
from derive.spec import load_spec
from derive.engine.train import with_conventions

from strategies import networks
from torch_net import TorchNet, needs_torch


def write(tmp_path, text: str, name: str = "claims.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def by_key(report):
    return {r.claim.key: r for r in report.results}


def printed(value: float, places: int) -> str:
    return str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------- reference file 000

FILE_000 = """\
# the closing figures of file 000, after 10,000 rounds
after_steps: 10000
E_total: 0.0000351085
out_o1: 0.159121960
out_o2: 0.984065734
"""


@pytest.fixture(scope="module")
def report_000(tmp_path_factory):
    return check_claims("2-2-2", write(tmp_path_factory.mktemp("c"), FILE_000))


def test_000_typo_is_a_decimal_slip_of_the_updated_weights_value(report_000):
    first = report_000.first_wrong
    assert first.claim.key == "out_o1" and first.claim.line == 4
    why = first.explanation
    assert why.kind == "decimal_place" and why.convention == "backprop_through_updated_weights=on"
    assert printed(float(why.value), 9) == "0.015912196"
    assert "0.015912196" in why.text and "×10" in why.text


def test_000_other_output_fits_the_updated_weights_convention(report_000):
    result = by_key(report_000)["out_o2"]
    assert result.status == "wrong" and printed(float(result.computed), 10) == "0.9840642735"
    assert result.explanation.kind == "convention"
    assert result.explanation.convention == "backprop_through_updated_weights=on"


def test_000_published_error_is_one_step_early(report_000):
    result = by_key(report_000)["E_total"]
    assert printed(float(result.computed), 10) == "0.0000351019"
    assert result.explanation.kind == "stale" and "after 9999 steps" in result.explanation.text


def test_claims_are_listed_in_dependency_order(report_000):
    assert [r.claim.key for r in report_000.results] == ["out_o1", "out_o2", "E_total"]


# ---------------------------------------------------------------- the 2-2-2 published training figures

@pytest.mark.parametrize("steps, claims", [
    (1, {"E_total": "0.291027924"}),
    (10000, {"out_o1": "0.015912196", "out_o2": "0.984065734"}),
])
def test_published_training_figures_are_the_updated_weights_convention(tmp_path, steps, claims):
    text = f"after_steps: {steps}\n" + "".join(f"{k}: {v}\n" for k, v in claims.items())
    path = write(tmp_path, text)
    report = check_claims("2-2-2", path)
    assert not report.ok
    for result in report.results:
        assert result.explanation.kind == "convention"
        assert result.explanation.convention == "backprop_through_updated_weights=on"
    switched = check_claims(with_conventions("2-2-2", backprop_through_updated_weights=True), path)
    assert switched.ok
    assert main(["check", "2-2-2", path, "--backprop-through-updated-weights"]) == 0


# ---------------------------------------------------------------- reference file 001

FILE_001 = """\
x1: 0.05
x2: 0.10
t_o1: 0.01
t_o2: 0.22
w5_updated: 0.3595
w6_updated: 0.4086
w7_updated: 0.511
w8_updated: 0.561
"""


@pytest.fixture(scope="module")
def report_001(tmp_path_factory):
    return check_claims("2-2-2", write(tmp_path_factory.mktemp("c"), FILE_001))


def test_001_target_typo(report_001):
    first = report_001.first_wrong
    assert first.claim.key == "t_o2" and first.claim.line == 4
    assert first.explanation.kind == "given_typo"
    assert "0.99" in first.explanation.text and "w7_updated" in first.explanation.text


def test_001_w5_is_wrong_and_nothing_is_invented(report_001):
    result = by_key(report_001)["w5_new"]
    assert result.status == "wrong" and printed(float(result.computed), 4) == "0.3589"
    # 0.3595 is no rounding (carried or not), convention, sign, decimal, digit or index slip of
    # anything derive computes: the checker says so instead of guessing
    assert result.explanation is None and result.alternatives == ()


def test_001_truncated_and_rounded_weights_are_right(report_001):
    results = by_key(report_001)
    assert results["w6_new"].match == "truncated"  # 0.408666186 printed as 0.4086
    assert results["w7_new"].match == "rounded" and results["w8_new"].ok


# ---------------------------------------------------------------- reference file 002

def test_002_second_pass_comes_from_unrounded_weights(tmp_path):
    path = write(tmp_path, "after_steps: 1\nout_o1: 0.26\n")
    rounded = check_claims(with_conventions("2-2-1", carry_rounding=2), path)
    result = rounded.results[0]
    assert result.status == "wrong" and float(result.computed) == 0.25
    assert result.explanation.kind == "carry_rounding" and result.explanation.convention == "carry_rounding=off"
    assert "0.2557458" in result.explanation.text
    assert check_claims("2-2-1", path).ok


def test_002_mislabelled_matrix_is_a_transposed_index():
    report = check_claims("2-2-1", {"w3_new": "0.17", "w6_new": "0.17"})
    first = report.first_wrong
    assert first.claim.key == "w3_new" and first.explanation.kind == "transposed_index"
    assert "w5_new" in first.explanation.text
    assert by_key(report)["w6_new"].ok


# ---------------------------------------------------------------- reference file 004: all correct

@pytest.fixture(scope="module")
def torch_claims_3333():
    """Every forward value, gradient and updated weight of 3-3-3-3 from PyTorch, printed to 9 places."""
    problem = derive.load("3-3-3-3")
    net = TorchNet(problem)
    claims = {}
    for layer, z, a in net.forward():
        for j, neuron in enumerate(layer.neurons):
            claims[f"net_{neuron}"] = printed(z[0, j].item(), 9)
            claims[f"out_{neuron}"] = printed(a[0, j].item(), 9)
    claims["E"] = printed(net.loss().item(), 9)
    eta = float(problem.spec.learning_rate)
    weights = net.parameters()
    for name, grad in net.gradients().items():
        claims[f"dE/d{name}"] = printed(grad, 9)
        if not name.startswith("b"):
            claims[f"{name}+"] = printed(weights[name] - eta * grad, 9)
    return claims


@needs_torch
def test_3333_correct_values_are_confirmed(torch_claims_3333, tmp_path, capsys):
    assert len(torch_claims_3333) == 18 + 1 + 36 + 27
    # numbers written as JSON numbers with their printed digits (derive reads them exactly)
    text = "{\n" + ",\n".join(f"  {json.dumps(k)}: {v}" for k, v in torch_claims_3333.items()) + "\n}\n"
    path = write(tmp_path, text, "claims.json")
    report = check_claims("3-3-3-3", path)
    assert report.ok and report.first_wrong is None
    assert main(["check", "3-3-3-3", path, "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and len(data["claims"]) == len(torch_claims_3333)


@needs_torch
def test_3333_a_wrong_softmax_gradient_is_the_first_wrong_step(torch_claims_3333):
    claims = dict(torch_claims_3333)
    claims["dE/dw19"] = str(-Decimal(claims["dE/dw19"]))
    report = check_claims("3-3-3-3", claims)
    assert report.first_wrong.claim.key == "grad_w19"
    assert report.first_wrong.explanation.kind == "sign"
    assert [r.claim.key for r in report.results if not r.ok] == ["grad_w19"]


# ---------------------------------------------------------------- names, verdicts, errors

@pytest.mark.parametrize("name, key", [
    ("out_o1", "out_o1"), ("E_total", "E_total"), ("Etotal", "E_total"), ("E", "E_total"),
    ("dE/dw1", "grad_w1"), ("dE_total/dw1", "grad_w1"), ("grad_w1", "grad_w1"), ("∂E/∂w1", "grad_w1"),
    ("w5_updated", "w5_new"), ("w5_new", "w5_new"), ("w5+", "w5_new"), ("new_w5", "w5_new"),
    ("net_h1", "net_h1"), ("dE/dout_o1", "dE_dout_o1"), ("dout_o1/dnet_o1", "dout_dnet_o1"),
    ("dE_o1/dout_h1", "dE_o1_dout_h1"), ("delta_o1", "delta_o1"), ("δ_o1", "delta_o1"),
    ("dE/dnet_o1", "delta_o1"), ("E_o1", "E_o1"), ("dnet_o1/dw5", "dnet_o1_dw5"), ("t_o2", "t_o2"),
    ("eta", "eta"), ("η", "eta"),
])
def test_display_names(name, key):
    keys = derive.load("2-2-2").model.by_key
    assert resolve_name(name, keys) == key


def test_softmax_jacobian_and_batch_names():
    keys = derive.load("3-3-3-3").model.by_key
    assert resolve_name("dout_o1/dnet_o2", keys) == "dout_o1_dnet_o2"
    batch = derive.load({"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}],
                         "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]})
    assert resolve_name("out_o1__2", batch.model.by_key) == "out_o1__2"
    assert resolve_name("dE/dw1", batch.model.by_key) == "grad_w1"


def test_agreement_rule():
    value = Fraction("0.408666186")
    assert agreement(Fraction("0.4087"), 4, value) == "rounded"
    assert agreement(Fraction("0.4086"), 4, value) == "truncated"
    assert agreement(Fraction("0.4088"), 4, value) is None
    assert agreement(Fraction("-0.41"), 2, -value) == "rounded"
    assert agreement(Fraction("-0.40"), 2, -value) == "truncated"
    assert agreement(Fraction("0.11"), 2, Fraction("0.125")) is None
    assert agreement(Fraction("0.12"), 2, Fraction("0.125")) and agreement(Fraction("0.13"), 2, Fraction("0.125"))


def test_unknown_name_is_a_clear_error_with_suggestions(tmp_path, capsys):
    path = write(tmp_path, "out_o1: 0.75\nnet_h3: 0.4\n")
    with pytest.raises(SpecError, match=r"claims.yaml:2: net_h3 is not a quantity of this network; did you mean"):
        read_claims(path, derive.load("2-2-2").model.by_key)
    assert main(["check", "2-2-2", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "net_h1" in err


@pytest.mark.parametrize("text, message", [
    ("out_o1: yes\n", "out_o1 must be a number; got a boolean"),
    ("out_o1: 0.7\nout_o1: 0.8\n", "twice"),
    ("w5_new: 0.3\nw5+: 0.3\n", "claims w5_new a second time"),
    ("after_steps: 1.5\nout_o1: 0.7\n", "after_steps must be a whole number"),
    ("after_steps: 3\n", "claims no quantity"),
    ("- 1\n- 2\n", "must"),
])
def test_bad_claims_files(tmp_path, capsys, text, message):
    path = write(tmp_path, text)
    assert main(["check", "2-2-2", path]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_cli_exit_codes_formats_and_output_file(tmp_path, capsys):
    good = write(tmp_path, "out_o1: 0.75136507\ndE/dw1: 0.000438568\n", "good.yaml")
    bad = write(tmp_path, "out_o1: 0.75136507\ndE/dw1: 0.000438586\n", "bad.yaml")
    assert main(["check", "2-2-2", good]) == 0
    assert "all 2 claims right" in capsys.readouterr().out
    assert main(["check", "2-2-2", bad]) == 1
    out = capsys.readouterr().out
    assert "WRONG <- first wrong step" in out and "two adjacent digits" in out
    report = tmp_path / "report.md"
    assert main(["check", "2-2-2", bad, "-f", "md", "-o", str(report)]) == 1
    markdown = report.read_text()
    assert "| 2 | dE/dw1 | 0.000438586 | 0.000438568 | **wrong** (first wrong step) |" in markdown.replace("\\", "")
    assert main(["check", "2-2-2", bad, "-f", "md", "-o", str(report)]) == 2  # exists, no --force
    assert report.read_text() == markdown


def test_after_steps_flag_overrides_the_file(tmp_path):
    path = write(tmp_path, "after_steps: 10000\nE_total: 0.291027774\n")
    assert main(["check", "2-2-2", path]) == 1
    assert main(["check", "2-2-2", path, "--after-steps", "1"]) == 0


def test_adam_claims_use_the_optimizer_update():
    spec = load_spec("2-2-2")
    adam = dataclasses.replace(spec, optimizer=dataclasses.replace(spec.optimizer, name="adam"))
    # Adam's first step moves each weight by about η: 0.4 − 0.5·g/(|g| + ε); the sgd value is wrong here
    report = check_claims(adam, {"w5_new": "-0.0999999", "w1_new": "0.149780716"})
    assert by_key(report)["w5_new"].ok and not by_key(report)["w1_new"].ok


# ---------------------------------------------------------------- random corruptions

CORRUPTIONS = ("sign", "digit", "decimal")


def corrupt(text: str, how: str, data) -> str:
    if how == "sign":
        return text[1:] if text.startswith("-") else "-" + text
    if how == "decimal":
        return str(Decimal(text).scaleb(data.draw(st.sampled_from((1, -1)), label="shift")))
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    i = data.draw(st.sampled_from(positions), label="position")
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != text[i]]), label="digit")
    return text[:i] + digit + text[i + 1:]


def acceptable(text: str, exact: Fraction, places: int) -> bool:
    """Independently of derive: is ``text`` the value rounded or truncated to ``places``?"""
    claimed = Fraction(text)
    unit = Fraction(1, 10**places)
    truncated = Fraction(int(exact / unit)) * unit
    return abs(claimed - exact) <= unit / 2 or claimed == truncated


def all_claims(problem, places: int) -> dict[str, str]:
    values = problem.values()
    return {q.key: printed_exact(values[q.key], places) for q in problem.model.quantities}


def exact_of(problem, key: str) -> Fraction:
    value = problem.values()[key]
    return Fraction(int(value.p), int(value.q)) if value.is_Rational else Fraction(str(value))


def printed_exact(value, places: int) -> str:
    exact = Fraction(str(value)) if not value.is_Rational else Fraction(int(value.p), int(value.q))
    text = str(Decimal(exact.numerator) / Decimal(exact.denominator)
               if exact.denominator != 1 else Decimal(exact.numerator))
    return str(Decimal(text).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=networks(max_layers=2, max_units=2, max_inputs=2, max_examples=2), data=st.data())
def test_a_random_corruption_is_the_first_wrong_claim(spec, data):
    problem = derive.load(spec)
    places = data.draw(st.integers(4, 9), label="places")
    claims = all_claims(problem, places)
    key = data.draw(st.sampled_from(sorted(claims)), label="key")
    how = data.draw(st.sampled_from(CORRUPTIONS), label="how")
    exact = exact_of(problem, key)
    assume(Fraction(claims[key]) != 0)
    bad = corrupt(claims[key], how, data)
    assume(not acceptable(bad, exact, len(bad.partition(".")[2])))
    claims[key] = bad
    report = check_claims(problem.spec, claims, explain=False)
    assert report.first_wrong.claim.key == key
    assert [r.claim.key for r in report.results if not r.ok] == [key]


@pytest.fixture(scope="module")
def mazur():
    problem = derive.load("2-2-2")
    return problem, all_claims(problem, 9), Evaluations(problem.spec)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_random_corruption_is_explained_as_what_it_is(mazur, data):
    problem, correct, evaluations = mazur
    claims = dict(correct)
    key = data.draw(st.sampled_from(sorted(k for k in claims if Fraction(claims[k]) != 0)), label="key")
    how = data.draw(st.sampled_from(CORRUPTIONS), label="how")
    claims[key] = corrupt(claims[key], how, data)
    exact = exact_of(problem, key)
    assume(not acceptable(claims[key], exact, len(claims[key].partition(".")[2])))
    report = check_claims(problem.spec, claims, evaluations=evaluations)
    first = report.first_wrong
    assert first.claim.key == key
    kinds = [e.kind for e in (first.explanation, *first.alternatives) if e is not None]
    expected = {"sign": {"sign"}, "digit": {"digit", "swap"}, "decimal": {"decimal_place"}}[how]
    assert expected & set(kinds) or (problem.model[key].kind in ("input", "target", "param", "hyper")
                                     and kinds and kinds[0].startswith("given")), kinds
