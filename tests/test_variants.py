"""Tests for derive.classroom.variants: seeded drawing, the rejection rules, answers, --ask and variants.json."""

from __future__ import annotations

import json
import pathlib
import random
import re
from fractions import Fraction

import pytest
import yaml
from hypothesis import given, settings, strategies as st

import derive
from derive.errors import DeriveError, SpecError
from derive.classroom.ask import parse_ask
from derive.classroom.variants import SATURATION_LIMIT, generate_variant, generate_variants

EXERCISE = "2-2-2-exercise"


def _linear(randomize: dict, **extra) -> dict:
    """One linear neuron, out = w*x, the smallest spec a rule can be aimed at."""
    spec = {"inputs": [1], "targets": [0], "learning_rate": 0.1,
            "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}], "randomize": randomize}
    spec.update(extra)
    return spec


def _net(activation: str, randomize: dict) -> dict:
    return {"inputs": [0.5, 0.5], "targets": [0.5],
            "layers": [{"units": 2, "activation": activation, "weights": [[0.1, 0.2], [0.3, 0.4]]},
                       {"units": 1, "activation": "linear", "weights": [[0.5, 0.6]]}],
            "randomize": randomize}


# ---------------------------------------------------------------- seeds and drawing

def test_same_seed_same_variant_and_independent_of_the_set_size():
    one = generate_variant(EXERCISE, 42, 3)
    again = generate_variant(EXERCISE, 42, 3)
    in_set = generate_variants(EXERCISE, 4, seed=42).variants[2]
    assert one.parameters == again.parameters == in_set.parameters
    assert one.answers == in_set.answers


def test_two_seeds_give_different_numbers():
    a = generate_variants(EXERCISE, 3, seed=1)
    b = generate_variants(EXERCISE, 3, seed=2)
    assert [v.parameters for v in a.variants] != [v.parameters for v in b.variants]
    # and the variants of one set differ from each other
    assert len({tuple(v.parameters.items()) for v in a.variants}) == 3


def test_global_random_state_is_untouched():
    random.seed(123)
    state = random.getstate()
    generate_variants(EXERCISE, 2, seed=5)
    assert random.getstate() == state


def test_drawn_values_lie_in_their_ranges_with_their_decimals():
    variants = generate_variants(EXERCISE, 5, seed=11).variants
    for v in variants:
        for name in ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"):
            text = v.parameters[name]
            assert len(text.split(".")[1]) == 2, text
            assert Fraction("0.1") <= Fraction(text) <= Fraction("0.9")
        for name in ("x1", "x2"):
            assert Fraction("0.01") <= Fraction(v.parameters[name]) <= Fraction("0.5")
        for name in ("t_o1", "t_o2"):
            assert Fraction("0.01") <= Fraction(v.parameters[name]) <= Fraction("0.99")
        # fixed in the spec, not drawn
        assert v.parameters["b1"] == "0.35" and v.parameters["eta"] == "0.5"
        # the variant's spec holds exactly the drawn numbers
        assert v.spec.layers[0].weights[0][0] == Fraction(v.parameters["w1"])
        assert v.spec.examples[0].targets[1] == Fraction(v.parameters["t_o2"])


# ---------------------------------------------------------------- answers

def test_answers_are_the_engine_values_of_the_drawn_spec():
    v = generate_variant(EXERCISE, 9, 1)
    problem = derive.load(v.spec)
    values = problem.values()
    for key in ("net_h1", "out_h2", "out_o1", "E_total", "delta_o1", "grad_w1", "grad_w5", "w1_new", "w8_new"):
        assert v.answers[key] == values[key], key
    # an independent float computation of the same step
    result = problem.compile_gradient()()
    assert float(v.answers["E_total"]) == pytest.approx(result.loss, rel=1e-12)
    assert float(v.answers["grad_w5"]) == pytest.approx(result.gradients["w5"], rel=1e-12)
    # the error after the step is the loss at the updated weights, and it fell
    after = problem.compile_gradient()(params=result.updated).loss
    assert float(v.answers["E_total_after"]) == pytest.approx(after, rel=1e-12)
    assert v.answers["E_total_after"] < v.answers["E_total"]


def test_reference_network_as_its_own_single_variant():
    v = generate_variants("2-2-2", 1, seed=0).variants[0]
    assert v.answer_text("E_total", 9) == "0.298371109"
    assert v.answer_text("grad_w5", 9) == "0.082167041"
    assert v.answer_text("w1_new", 9) == "0.149780716"
    assert v.parameters["w1"] == "0.15" and v.draws == 1


def test_exact_answers_stay_rational():
    v = generate_variant(_linear({"weights": {"range": [0.1, 0.9]}, "inputs": {"range": [1, 2]}}), 4, 1)
    w, x = Fraction(v.parameters["w1"]), Fraction(v.parameters["x1"])
    assert v.answers["out_o1"] == w * x  # SymPy Rational == Fraction
    assert v.answers["grad_w1"] == w * x * x


# ---------------------------------------------------------------- rejection rules

def test_equal_weights_rule():
    # 6 weights from the 6 numbers 0.10 ... 0.15: only 1.5 % of the draws have them all distinct
    spec = _net("sigmoid", {"weights": {"range": [0.1, 0.15]}, "max_draws": 5})
    with pytest.raises(DeriveError, match=r"two drawn weights are equal \(5 of 5 draws\)"):
        generate_variant(spec, 1, 1)
    spec["randomize"]["max_draws"] = 1000
    variants = generate_variants(spec, 3, seed=1)
    assert variants.rejected["equal_weights"] > 3 * 10
    for v in variants.variants:
        weights = [v.parameters[f"w{i}"] for i in range(1, 7)]
        assert sorted(weights) == ["0.10", "0.11", "0.12", "0.13", "0.14", "0.15"]


def test_saturation_rule():
    spec = _net("sigmoid", {"weights": {"range": [9, 12]}, "max_draws": 15})
    with pytest.raises(DeriveError, match=r"variant 1 of seed 1: no acceptable draw in 15 tries.*saturated"):
        generate_variant(spec, 1, 1)


def test_saturation_rule_rejects_some_and_keeps_the_rest_unsaturated():
    variants = generate_variants(_net("tanh", {"weights": {"range": [0.1, 7]}, "decimals": 1}), 6, seed=3)
    assert variants.rejected.get("saturated", 0) > 0
    assert "saturated" in variants.report()
    for v in variants.variants:
        for neuron in ("h1", "h2"):
            assert abs(v.answers[f"net_{neuron}"]) <= SATURATION_LIMIT


def test_relu_at_zero_rule():
    # inputs drawn from {0.00}: every ReLU net input is exactly 0
    spec = _net("relu", {"inputs": {"range": [0, 0.004]}, "max_draws": 10})
    with pytest.raises(DeriveError, match="ReLU net input is 0 or too close"):
        generate_variant(spec, 2, 1)


def test_relu_rule_keeps_inputs_away_from_the_kink():
    spec = _net("leaky_relu", {"weights": {"range": [-0.5, 0.5]}, "decimals": 2})
    variants = generate_variants(spec, 8, seed=4)
    for v in variants.variants:
        for neuron in ("h1", "h2"):
            assert abs(v.answers[f"net_{neuron}"]) > Fraction(1, 100)


def test_zero_gradient_rule_only_for_asked_gradients():
    # x = 0 makes the gradient of w exactly 0
    spec = _linear({"inputs": {"range": [0, 0.004]}, "max_draws": 5})
    with pytest.raises(DeriveError, match="an asked gradient is 0"):
        generate_variant(spec, 1, 1, ask="grad:w1")
    with pytest.raises(DeriveError, match="an asked gradient is 0"):
        generate_variant(spec, 1, 1, ask="updated:w1")
    # not asked: the forward value alone is a fine (if easy) question; the error still has to fall
    with pytest.raises(DeriveError, match="error does not fall"):
        generate_variant(spec, 1, 1, ask="out:o1")


def test_error_must_fall_rule():
    # learning rate 1 and x in [2, 3]: the step overshoots, the error grows
    spec = _linear({"inputs": {"range": [2, 3]}, "weights": {"range": [0.1, 0.9]}, "max_draws": 12},
                   learning_rate=1)
    with pytest.raises(DeriveError, match=r"error does not fall after one step \(12 of 12 draws\)"):
        generate_variant(spec, 1, 1)


def test_rejections_are_counted_per_variant_and_in_total():
    variants = generate_variants(EXERCISE, 10, seed=42)
    total = sum(variants.rejected.values())
    assert total == sum(sum(v.rejected.values()) for v in variants.variants)
    assert variants.draws == 10 + total
    assert variants.report().startswith(f"10 variants from {10 + total} draws")


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=500))
def test_every_accepted_variant_passes_every_rule(seed, index):
    v = generate_variant(EXERCISE, seed, index)
    weights = [v.parameters[f"w{i}"] for i in range(1, 9)]
    assert len(set(weights)) == 8
    assert all(abs(v.answers[f"net_{n}"]) <= SATURATION_LIMIT for n in ("h1", "h2", "o1", "o2"))
    assert all(round(float(v.answers[f"grad_w{i}"]), 6) != 0 for i in range(1, 9))
    assert v.answers["E_total_after"] < v.answers["E_total"]


# ---------------------------------------------------------------- input checks

def test_more_than_one_variant_needs_a_randomize_block():
    with pytest.raises(SpecError, match="needs a 'randomize:' block.*got n=3") as info:
        generate_variants("2-2-2", 3, seed=1)
    message = str(info.value)
    words = re.findall(r"[\w']+", message.split(" e.g. ")[0])
    repeated = [" ".join(words[i:i + 2]) for i in range(len(words) - 1)
                if " ".join(words[i:i + 2]) in " ".join(words[i + 2:])]
    assert repeated == [], message  # "the spec needs a 'randomize:' block", said once
    from derive.classroom.variants import EXAMPLE_RANDOMIZE

    assert EXAMPLE_RANDOMIZE in message  # and the example it gives is a block that works:
    spec = yaml.safe_load(pathlib.Path(derive.load_spec("2-2-2").source).read_text())
    spec.update(yaml.safe_load(EXAMPLE_RANDOMIZE))
    assert len(generate_variants(spec, 3, seed=1).variants) == 3
    assert info.value.cli_message({"n": "--variants"}).endswith("got --variants 3 and no such block")


def test_empty_range_at_its_decimals():
    with pytest.raises(SpecError, match=r"randomize.weights.range holds no number with 1 decimals"):
        generate_variant(_linear({"weights": {"range": [0.11, 0.19], "decimals": 1}}), 1, 1)


def test_too_few_numbers_for_distinct_weights():
    spec = _net("sigmoid", {"weights": {"range": [0.1, 0.3], "decimals": 1}})  # 3 numbers, 6 weights
    with pytest.raises(SpecError, match="holds only 3 numbers with 1 decimals, too few for 6 distinct weights"):
        generate_variant(spec, 1, 1)


def test_targets_outside_0_1_for_cross_entropy():
    spec = {"inputs": [0.5], "targets": [1], "loss": "binary_cross_entropy",
            "layers": [{"units": 1, "activation": "sigmoid", "weights": [[0.5]]}],
            "randomize": {"targets": {"range": [0, 2]}}}
    with pytest.raises(SpecError, match=r"randomize.targets.range must lie within \[0, 1\]"):
        generate_variant(spec, 1, 1)


@pytest.mark.parametrize("seed, index, field", [(-1, 1, "^seed"), (1, 0, "^variant index"), ("7", 1, "^seed")])
def test_bad_seed_or_index(seed, index, field):
    with pytest.raises(SpecError, match=field):
        generate_variant(EXERCISE, seed, index)


# ---------------------------------------------------------------- --ask

def test_ask_items_expand_in_order_without_repeats():
    network = derive.load("2-2-2").network
    keys = [q.key for q in parse_ask("outputs, E_total, grad:w5, grad:*, updated:w5, E_total_after", network)]
    assert keys[:5] == ["out_o1", "out_o2", "E_total", "grad_w5", "grad_w1"]
    assert keys.count("grad_w5") == 1
    assert "grad_b1" not in keys  # biases are not trained in 2-2-2: grad:* leaves them out
    assert keys[-2:] == ["w5_new", "E_total_after"]
    forward = [q.key for q in parse_ask("forward", network)]
    assert forward == ["net_h1", "net_h2", "out_h1", "out_h2", "net_o1", "net_o2", "out_o1", "out_o2"]
    assert [q.key for q in parse_ask("deltas,delta:h1,grad:b1", network)] == \
        ["delta_o1", "delta_o2", "delta_h1", "delta_h2", "grad_b1"]


def test_ask_in_a_batch_names_every_example():
    spec = {"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}],
            "layers": [{"units": 1, "activation": "sigmoid", "weights": [[0.5]]}]}
    questions = parse_ask("out:o1,grad:w1", derive.load(spec).network)
    assert [(q.key, q.example) for q in questions] == [("out_o1__1", 1), ("out_o1__2", 2), ("grad_w1", None)]
    v = generate_variants(spec, 1, seed=0, ask=questions).variants[0]
    assert v.answers["out_o1__2"] == derive.load(spec).values()["out_o1__2"]


@pytest.mark.parametrize("ask, message", [
    ("grad:w9", "--ask grad:w9 names no parameter; the parameters are w1, w2, w3, w4, b1, w5, w6, w7, w8, b2"),
    ("out:o3", "--ask out:o3 names no neuron; the neurons are h1, h2, o1, o2"),
    ("gradient:w1", "--ask item 'gradient:w1' is not known; the items are: forward, outputs"),
    ("E_total,,grad:w1", "--ask item '' is not known"),
    ("  ", "--ask must name at least one quantity"),
])
def test_ask_errors_name_what_is_allowed(ask, message):
    with pytest.raises(SpecError) as info:
        parse_ask(ask, derive.load("2-2-2").network)
    assert str(info.value).startswith(message.replace("--ask", "ask", 1))  # the API's keyword
    assert info.value.cli_message().startswith(message)  # the command line's flag


# ---------------------------------------------------------------- variants.json

def test_variants_json_is_deterministic_and_complete():
    first = generate_variants(EXERCISE, 3, seed=8, ask="E_total,grad:w5").to_json()
    second = generate_variants(EXERCISE, 3, seed=8, ask="E_total,grad:w5").to_json()
    assert first == second
    data = json.loads(first)
    assert list(data) == ["title", "seed", "decimals", "asked", "draws", "rejected", "variants"]
    assert data["asked"] == ["E_total", "grad_w5"]
    v = data["variants"][1]
    assert (v["seed"], v["index"]) == (8, 2)
    variant = generate_variant(EXERCISE, 8, 2)
    assert v["parameters"] == variant.parameters
    assert v["parameters"]["w1"] == variant.parameters["w1"] and len(v["parameters"]["w1"]) == 4
    answer = v["answers"]["grad_w5"]
    assert answer["value"] == float(variant.answers["grad_w5"])
    assert answer["printed"] == variant.answer_text("grad_w5", 6)
    assert answer["exact"] is None  # a sigmoid value is irrational
    assert Fraction(v["answers"]["net_h1"]["exact"]) == Fraction(str(variant.answers["net_h1"]))
