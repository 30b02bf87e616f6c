"""Follow-through: corrupt one claim of a correct solution, and work everything after it from the
corrupted number, as a student would. Exactly that claim must be the root error; every later claim
computed from it is follow-through (or still right, where the slip does not reach it).

The student is simulated independently of the checker: each formula is evaluated by SymPy
(``xreplace`` + ``evalf``) from the student's own numbers, rounded as written or kept exact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import derive
from derive.classroom.check import check_claims

from strategies import networks


def printed(value, places: int) -> str:
    exact = Fraction(int(value.p), int(value.q)) if value.is_Rational else Fraction(str(value))
    text = str(Decimal(exact.numerator) / Decimal(exact.denominator))
    return str(Decimal(text).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def student(problem, places: int, key: str, factor: Fraction, carry: bool) -> dict[str, str] | None:
    """Every quantity as a student prints it, ``key`` multiplied by ``factor``; None if a value is not real."""
    truth = problem.values()
    env, claims = {}, {}
    for q in problem.model.quantities:
        value = truth[q.key] if q.formula is None else q.formula.xreplace(env)
        if not value.is_Rational:
            value = value.evalf(60)
        if not (value.is_Rational or value.is_Float) or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return None
        if q.key == key:
            value = sp.Rational(Fraction(printed(value, places)) * factor)
        claims[q.key] = printed(value, places)
        env[q.symbol] = sp.Rational(claims[q.key]) if carry or q.key == key else value
    return claims


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=networks(max_layers=2, max_units=2, max_inputs=2, max_examples=2), data=st.data())
def test_one_corrupted_claim_is_the_root_and_the_rest_follows_through(spec, data):
    problem = derive.load(spec)
    places = data.draw(st.integers(4, 8), label="places")
    keys = [q.key for q in problem.model.quantities]
    key = data.draw(st.sampled_from(keys), label="key")
    factor = Fraction(data.draw(st.sampled_from([-100, -20, 80, 95, 105, 120, 300])), 100)
    carry = data.draw(st.booleans(), label="carry")
    claims = student(problem, places, key, factor, carry)
    assume(claims is not None)
    truth = Fraction(printed(problem.values()[key], places))
    assume(abs(Fraction(claims[key]) - truth) > Fraction(10**4, 10**places))  # clearly wrong, not a rounding
    report = check_claims(problem.spec, claims, explain=False)
    verdicts = {r.claim.key: r for r in report.results}
    assert [k for k, r in verdicts.items() if r.status == "wrong"] == [key]
    assert report.first_wrong.claim.key == key
    for k, result in verdicts.items():
        if k == key:
            continue
        assert result.status in ("ok", "follow_through"), (k, result.status)
        if abs(Fraction(claims[k]) - problem.values()[k]) > Fraction(10**4, 10**places):
            # far from the right value, so only the corrupted claim can make it right: follow-through
            assert result.status == "follow_through", (k, result.status)
        if result.status == "follow_through":
            assert result.roots == (key,)
    assert [r.claim.key for r, follows in report.root_errors()] == [key]
