"""Negnevitsky's XOR network (§6.4) after training: the book's final weights and its 224 epochs.

Negnevitsky, *Artificial Intelligence: A Guide to Intelligent Systems*, 2nd ed. (Addison-Wesley
2005), §6.4, ends the worked XOR example with the final weights and thresholds, a table of the
trained network's outputs and the remark that the sum of squared errors fell below 0.001 after
224 epochs. The numbers below are quoted from memory of that section: the book's text is not in
the reference search corpus (searched: pages and code corpora, by the weights and the outputs),
so they were checked against each other instead. The network at the final weights gives the
printed outputs to four places and a sum of squared errors of 0.0009997, just under the book's
0.001; a wrong digit in a weight would not. The built-in example ``2-2-1-xor-negnevitsky`` holds
the book's initial weights, learning rate 0.1 and example order.
"""

from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction

import pytest

import derive
from derive.engine.problem import Problem
from derive.engine.train import train
from derive.engine.updates import with_parameters

XOR = "2-2-1-xor-negnevitsky"

BOOK_FINAL_WEIGHTS = {"w13": "4.7621", "w14": "6.3917", "w23": "4.7618", "w24": "6.3917", "w35": "-10.3788",
                      "w45": "9.7691", "theta3": "7.3061", "theta4": "2.8441", "theta5": "4.5589"}
# the book's table of final results: inputs x1, x2 -> actual output y5
BOOK_FINAL_OUTPUTS = {(1, 1): "0.0155", (0, 1): "0.9849", (1, 0): "0.9849", (0, 0): "0.0175"}


def _spec(learning_rate=None, order=(0, 1, 2, 3)):
    spec = derive.load(XOR).spec
    changes = {"examples": tuple(spec.examples[k] for k in order)}
    if learning_rate is not None:
        changes["learning_rate"] = Fraction(learning_rate)
    return dataclasses.replace(spec, **changes)


def _sse(epoch_errors) -> list[float]:
    """The book's sum of squared errors Σe²: twice derive's half_sse E_total."""
    return [2 * error for error in epoch_errors]


def test_the_books_final_weights_give_its_printed_outputs_and_error():
    """The final weights of Negnevitsky §6.4 (quoted from memory, see the module docstring), put into the
    built-in example in place of its initial ones: every output of the book's final table to 4 places."""
    spec = with_parameters(_spec(), {name: Fraction(value) for name, value in BOOK_FINAL_WEIGHTS.items()})
    problem = Problem(dataclasses.replace(spec, batch_size=None))  # all four examples at once
    values = problem.values()
    for n, example in enumerate(problem.spec.examples, start=1):
        printed = BOOK_FINAL_OUTPUTS[tuple(int(x) for x in example.inputs)]
        assert f"{float(values[f'out_n5__{n}']):.4f}" == printed
    sse = 2 * float(values["E_total"])
    assert 0.00099 < sse < 0.001  # just under the book's stopping point


def test_plain_online_training_reaches_the_books_error_after_56351_epochs_not_224():
    """What derive does with the book's own setting (η = 0.1, its order, Σe² summed over each epoch's
    updates): below 0.001 after 56,351 epochs, at weights within 0.02 of the book's final ones, and far
    from it after 224 (Σe² ≈ 0.97)."""
    run = train(XOR, 4 * 56351, epoch_error="before")
    sse = _sse(run.epoch_errors)
    assert sse[223] > 0.9
    assert sse[56349] >= 0.001 > sse[56350]
    for name, printed in BOOK_FINAL_WEIGHTS.items():
        assert run.parameters[name] == pytest.approx(float(printed), abs=0.02), name


@pytest.mark.parametrize("when", ["before", "after"])
def test_no_order_of_the_examples_gets_near_at_the_books_learning_rate(when):
    for order in itertools.permutations(range(4)):
        run = train(Problem(_spec(order=order)), 4 * 224, epoch_error=when)
        assert _sse(run.epoch_errors)[223] > 0.9, order


def test_no_plain_learning_rate_reaches_it_in_224_epochs_with_the_books_weights():
    """Under the book's Σe² no η from 0.1 to 20 (nor 25, 30) gets below 0.001 within 224 epochs, with
    the epoch error taken before or after the updates. η = 23, where training is erratic (22.8 and 23.4
    do not converge), gets there after 225 epochs (223 after): the book's count, but at weights nothing
    like the book's (w13 negative, the hidden neurons no longer alike)."""
    for rate in ("0.1", "0.5", "1", "2", "5", "10", "15", "20", "25", "30"):
        for when in ("before", "after"):
            sse = _sse(train(Problem(_spec(rate)), 4 * 224, epoch_error=when).epoch_errors)
            assert min(sse) >= 0.001, (rate, when)
    first = {}
    for when in ("before", "after"):
        run = train(Problem(_spec(23)), 4 * 240, epoch_error=when)
        first[when] = next(e for e, x in enumerate(_sse(run.epoch_errors), start=1) if x < 0.001)
    assert first == {"before": 225, "after": 223}
    assert run.parameters["w13"] < 0 < float(BOOK_FINAL_WEIGHTS["w13"])


def test_the_readme_states_what_these_tests_compute():
    """The README's sentence on the book's stopping point carries the numbers the tests above assert."""
    import pathlib
    import re

    text = " ".join((pathlib.Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8").split())
    sentence = text[text.index("Its stopping point"):text.index("(tests/test_online_negnevitsky.py)")]
    assert "after 56,351 epochs" in sentence and "within 0.02 of the book's final ones" in sentence
    assert "from 0.1 to 20" in sentence and "η = 23 that does (225 epochs)" in sentence
    assert set(re.findall(r"\d[\d,.]*", sentence)) <= {"0.001", "224", "0.1", "56,351", "0.02", "20", "23", "225"}
