"""The engine's shortcuts give exactly what the slow, obvious computation gives.

derive differentiates each loss once and renames the result, and its exact evaluator converts a
Fraction to an mpmath number once per value and precision. Either could silently drift from
``sympy.diff`` of each output's error term or from mpmath's own mixed arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp

import derive
from derive.engine import numeric
from derive.engine.functions import loss_term
from derive.engine.symbolic import _loss_derivative

LOSSES = ("half_sse", "sse", "mse", "cross_entropy", "binary_cross_entropy")


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("base", ("e", "2", "10"))
@pytest.mark.parametrize("names", [("out_o1", "t_o1"), ("out_Z", "t_a"), ("out_a", "Z"), ("y__3", "t__3")])
def test_renamed_loss_derivative_is_sympy_diff_of_the_term(loss, base, names):
    out, target = (sp.Symbol(name, real=True) for name in names)
    direct = sp.diff(loss_term(loss, out, target, 3, base), out)
    renamed = _loss_derivative(loss, out, target, 3, base)
    assert sp.srepr(renamed) == sp.srepr(direct)


def _values_without_remembered_conversions(problem, precision):
    numeric._converted.clear()
    numeric._constants.clear()
    return numeric.evaluate(problem.model, precision=precision).exact


@pytest.mark.parametrize("example", ["2-2-2", "2-2-1-xor-negnevitsky", "3-3-3-3"])
def test_values_do_not_depend_on_conversions_remembered_at_another_precision(example):
    problem = derive.load(example)
    fresh = _values_without_remembered_conversions(problem, 40)
    numeric.evaluate(problem.model, precision=90)  # remembers conversions at another precision
    again = numeric.evaluate(problem.model, precision=40).exact
    assert {k: sp.srepr(v) for k, v in again.items()} == {k: sp.srepr(v) for k, v in fresh.items()}
    assert any(not v.is_Rational for v in again.values())  # the mixed Fraction × mpf path was taken


def test_remembered_conversion_is_mpmaths_own_mixed_arithmetic():
    third, x = Fraction(-79, 300), mpmath.mpf("0.123456789")
    for digits in (15, 50, 15):
        with mpmath.workdps(digits):
            assert numeric._as_mpf(third)._mpf_ == mpmath.mp.convert(third)._mpf_  # rounded at these digits
            assert numeric._as_mpf(third) * x == x * third
            assert numeric._as_mpf(third) + x == third + x
