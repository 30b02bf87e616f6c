"""Tests for derive.classroom.tolerance: the one tolerance of check, quiz exports and grading."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from derive.classroom.tolerance import DEFAULT, Tolerance, parse_tolerance
from derive.errors import SpecError

F = Fraction
values = st.fractions(min_value=-10, max_value=10, max_denominator=10**9)


@pytest.mark.parametrize("text, expected", [
    ("shown", DEFAULT), ("default", DEFAULT), ("0.001", Tolerance("absolute", F(1, 1000))),
    ("absolute=1e-4", Tolerance("absolute", F(1, 10000))), ("relative: 0.5%", Tolerance("relative", F(1, 200))),
    ("sigfigs=4", Tolerance("sigfigs", 4)), ("decimals = 0", Tolerance("decimals", 0)),
])
def test_parse(text, expected):
    assert parse_tolerance(text) == expected
    assert parse_tolerance(str(expected)) == expected  # str() round-trips


@pytest.mark.parametrize("text", ["", "wide", "absolute=-1", "sigfigs=0", "sigfigs=2.5", "decimals=1%",
                                  "absolute=5%", "sigfigs=31", "relative"])
def test_parse_refuses(text):
    with pytest.raises(SpecError, match="tolerance must be one of"):
        parse_tolerance(text)


@given(values, st.integers(0, 8))
def test_shown_accepts_exactly_the_rounded_and_truncated_value(exact, d):
    unit = F(1, 10**d)
    rounded = F(round(exact / unit)) * unit  # Python rounds halves to even: still within half a unit
    truncated = F(int(exact / unit)) * unit
    assert DEFAULT.accepts(rounded, exact, decimals=d)
    assert DEFAULT.accepts(truncated, exact, decimals=d)
    for wrong in (rounded + 2 * unit, rounded - 2 * unit):
        assert not DEFAULT.accepts(wrong, exact, decimals=d)


@given(values, values, st.integers(0, 8))
def test_shown_accepts_everything_between_exact_and_carried(exact, carried, d):
    lo, hi = DEFAULT.band(exact, carried, decimals=d)
    assert lo == min(exact, carried) - F(1, 2 * 10**d) and hi == max(exact, carried) + F(1, 2 * 10**d)
    for t in (0, F(1, 3), F(1, 2), 1):
        assert DEFAULT.accepts(exact + t * (carried - exact), exact, carried, decimals=d)
    assert not DEFAULT.accepts(hi + F(1, 10**d), exact, carried, decimals=d)


@given(values.filter(bool), st.integers(1, 8))
def test_sigfigs_and_relative(exact, n):
    radius = Tolerance("sigfigs", n).radius(exact)
    # the radius is half a unit of the n-th significant digit: between 5·10^-n and 5·10^(1-n) of |exact|
    assert F(5, 10**(n + 1)) * abs(exact) < radius <= F(5, 10**n) * abs(exact)
    relative = Tolerance("relative", F(1, 100))
    assert relative.accepts(exact * F(101, 100), exact) and not relative.accepts(exact * F(102, 100), exact)


def test_answers_cover_the_band_and_give_carried_partial_credit():
    exact, carried = F("0.4086661"), F("0.4091")
    ((value, radius, percent), *rest) = DEFAULT.answers(exact, carried, decimals=4)
    assert (value - radius, value + radius) == DEFAULT.band(exact, carried, decimals=4) and percent == 100
    # the truncations 0.4086 ... 0.4091, each within half a unit of the second answer
    assert rest == [(F("0.40885"), F("0.0003"), 100)]
    assert DEFAULT.answers(F("0.40911"), carried, decimals=4)[1:] == []  # 0.4091 lies in the band
    strict = Tolerance("absolute", F(1, 10**6))
    assert strict.answers(exact, carried, decimals=4)[1] == (carried, F(1, 10**6), 50)
    assert len(strict.answers(exact, exact + F(1, 10**7), decimals=4)) == 1
