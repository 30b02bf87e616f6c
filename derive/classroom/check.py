"""Check a hand-worked solution's numbers, find the first wrong step and say what went wrong.

**When a claim is right.** A number printed with d decimals is right when it is the computed
value rounded to d decimals (either way at an exact half) *or* truncated to d decimals, since
tutorials do both (``w6 = 0.4086`` for 0.408666...). Nothing else is tolerated: a last digit off
by one is wrong.

**Order.** Claims are listed in the model's evaluation order (givens, forward pass, error,
backward pass, updates), so the first wrong one is the first wrong step of the solution.

**Explanations.** For a wrong claim the checker recomputes it under alternatives and names the
first that fits, simplest first:

1. a convention switch (updated weights in the hidden deltas, ½Σ / Σ / mean squared error,
   sum / mean over a batch, the logarithm's base) or carried rounding to 1-6 decimals (or none,
   when the spec rounds);
2. a stale value: the parameter before its update, or the value one training step earlier;
3. a transposed index: the value of a sibling quantity (w6 for w7, out_h2 for out_h1);
4. a sign slip; a decimal-place slip (×10^±1..3, the digits kept);
5. the value of another quantity; one digit changed; two adjacent digits swapped (claims of
   at least 3 significant digits, else almost anything would "fit");
6. two causes at once, only a convention switch plus a sign or decimal-place slip (slips that
   keep every digit, so a fit is strong evidence).

A wrong given (an input, target or parameter before training) is checked against the claims
that depend on it: a typo when they agree with the spec's value. When nothing fits, the report
says so: no explanation is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from ..spec.claims import Claim, Claims, read_claims
from ..errors import DeriveError
from ..render.numbers import fixed

GIVEN_KINDS = ("input", "target", "param", "hyper")  # as derive.engine.symbolic.GIVEN_KINDS, without SymPy

CARRY_ROUNDINGS = range(1, 7)
DECIMAL_SHIFTS = (1, -1, 2, -2, 3, -3)
MIN_DIGITS_FOR_DIGIT_SLIPS = 3


@dataclass(frozen=True)
class Explanation:
    """Why a claim is wrong: the kind of slip, one plain sentence, and the value that fits."""

    kind: str  # convention, carry_rounding, stale, transposed_index, sign, decimal_place, other_quantity,
    #            digit, swap, given_typo, given_changed
    text: str
    value: object = None
    convention: str | None = None


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    computed: object  # exact Rational or high-precision Float
    status: str  # "ok" or "wrong"
    match: str | None  # "rounded" or "truncated" for an ok claim
    explanation: Explanation | None = None
    alternatives: tuple[Explanation, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class CheckReport:
    """Every claim's verdict, in dependency order."""

    spec: object
    after_steps: int
    results: tuple[ClaimResult, ...]
    source: str | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def first_wrong(self) -> ClaimResult | None:
        return next((r for r in self.results if not r.ok), None)

    def to_dict(self) -> dict:
        """The JSON report of ``derive check --format json``."""
        from ..engine.train import conventions_dict

        first = self.first_wrong
        return {
            "title": self.spec.title,
            "claims_file": self.source,
            "after_steps": self.after_steps,
            "conventions": conventions_dict(self.spec),
            "ok": self.ok,
            "first_wrong": first.claim.name if first else None,
            "claims": [_result_dict(r) for r in self.results],
        }


def _result_dict(result: ClaimResult) -> dict:
    claim = result.claim
    return {
        "name": claim.name, "quantity": claim.key, "line": claim.line, "claimed": claim.text,
        "computed": float(result.computed), "computed_rounded": fixed(result.computed, claim.decimals),
        "status": result.status, "match": result.match,
        "explanation": _explanation_dict(result.explanation),
        "alternatives": [_explanation_dict(e) for e in result.alternatives],
    }


def _explanation_dict(e: Explanation | None):
    if e is None:
        return None
    return {"kind": e.kind, "text": e.text, "value": None if e.value is None else float(e.value),
            "convention": e.convention}


# ---------------------------------------------------------------- verdicts at printed precision

def to_fraction(value) -> Fraction:
    """An exact fraction of a SymPy number, Fraction or int."""
    if isinstance(value, (Fraction, int)):
        return Fraction(value)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return Fraction(str(value))


def agreement(claimed: Fraction, decimals: int, value) -> str | None:
    """``"rounded"`` or ``"truncated"`` when ``claimed`` is ``value`` to ``decimals`` places, else None.

    >>> agreement(Fraction("0.4087"), 4, Fraction("0.408666")), agreement(Fraction("0.4086"), 4, Fraction("0.408666"))
    ('rounded', 'truncated')
    >>> agreement(Fraction("0.4085"), 4, Fraction("0.408666")) is None
    True
    """
    exact = to_fraction(value)
    unit = Fraction(1, 10**decimals)
    if abs(claimed - exact) <= unit / 2:
        return "rounded"
    if (claimed / unit).denominator == 1 and abs(exact - claimed) < unit and (exact - claimed) * claimed >= 0 \
            and (claimed != 0 or abs(exact) < unit):
        return "truncated"
    return None


# ---------------------------------------------------------------- computing under alternatives

@dataclass(frozen=True)
class Variant:
    """A convention switched away from the spec's; ``changes`` are :func:`with_conventions` arguments."""

    kind: str  # "convention" or "carry_rounding"
    label: str  # the switch as the spec or CLI sets it: "carry_rounding=off"
    changes: dict = field(default_factory=dict)

    @property
    def description(self) -> str:
        """The switch in words, with its name."""
        name, _, value = self.label.partition("=")
        words = {
            ("backprop_through_updated_weights", "on"): "hidden deltas through the already updated output weights",
            ("backprop_through_updated_weights", "off"): "hidden deltas through the weights before the update",
            ("carry_rounding", "off"): "unrounded values",
            ("loss", "half_sse"): "the error ½Σ(t − out)²",
            ("loss", "sse"): "the error Σ(t − out)² without the ½",
            ("loss", "mse"): "the mean squared error over the outputs",
            ("reduction", "mean"): "the mean error over the batch",
            ("reduction", "sum"): "the summed error over the batch",
        }.get((name, value))
        if words is None and name == "carry_rounding":
            words = f"every value rounded to {value} decimals as it is carried"
        if words is None and name == "log_base":
            words = "the natural logarithm" if value == "e" else f"the base-{value} logarithm"
        return f"{words} ({self.label})"


class Evaluations:
    """Values of every quantity after k steps, under the spec and its variants, computed once each."""

    def __init__(self, spec):
        from ..engine.problem import Problem

        self.spec = spec
        self.base = Problem(spec)
        self._problems = {(): self.base}
        self._params: dict = {}
        self._values: dict = {}

    def problem(self, variant: Variant | None):
        from ..engine.problem import Problem
        from ..engine.train import with_conventions

        key = _variant_key(variant)
        if key not in self._problems:
            problem = Problem(with_conventions(self.spec, **variant.changes))
            if variant.kind == "carry_rounding":  # rounding does not change the model: share it
                problem.__dict__["model"] = self.base.model
            self._problems[key] = problem
        return self._problems[key]

    def values(self, variant: Variant | None, step: int) -> dict | None:
        """key -> value after ``step`` steps; None when the variant cannot be trained."""
        key = (_variant_key(variant), step)
        if key not in self._values:
            self._values[key] = self._compute(variant, step)
        return self._values[key]

    def _compute(self, variant, step):
        from ..engine.numeric import evaluate
        from ..engine.train import parameters_at

        problem = self.problem(variant)
        try:
            params = self._parameters(variant, problem, step, parameters_at)
            values = evaluate(problem.model, carry_rounding=problem.spec.conventions.carry_rounding,
                              overrides=params[step])
        except DeriveError:
            return None
        result = dict(values.exact)
        if problem.spec.optimizer.name != "sgd":  # p_new is the optimizer's update, not the model's sgd one
            result.update({f"{k}_new": v for k, v in params[step + 1].items()})
        return result

    def _parameters(self, variant, problem, step, parameters_at):
        key = _variant_key(variant)
        cached = self._params.get(key, {})
        if step not in cached or step + 1 not in cached:
            wanted = {step, step + 1} | ({step - 1} if step else set())
            cached.update(parameters_at(problem, sorted(wanted)))
            self._params[key] = cached
        return cached

    def variants(self, claim: Claim | None = None, *, slack: int = 0) -> list[Variant]:
        """The convention switches worth trying for this spec (and ``claim``), simplest first.

        Carried rounding to N decimals cannot give a claim with nonzero digits beyond the N-th
        place (``slack`` more when the decimal point may have moved), so those runs are skipped.
        """
        places = _places(claim.text) - slack if claim is not None else 0
        spec = self.spec
        conventions = spec.conventions
        found = []
        if len(spec.layers) > 1 and spec.optimizer.name == "sgd":
            on = not conventions.backprop_through_updated_weights
            found.append(Variant("convention", f"backprop_through_updated_weights={'on' if on else 'off'}",
                                 {"backprop_through_updated_weights": on}))
        squared = ("half_sse", "sse", "mse")
        if spec.loss in squared:
            found += [Variant("convention", f"loss={loss}", {"loss": loss}) for loss in squared if loss != spec.loss]
        else:
            found += [Variant("convention", f"log_base={base}", {"log_base": base})
                      for base in ("e", "2", "10") if base != spec.log_base]
        if spec.batch and len(spec.examples) > 1:
            other = "mean" if spec.reduction == "sum" else "sum"
            found.append(Variant("convention", f"reduction={other}", {"reduction": other}))
        if conventions.carry_rounding is not None:
            found.append(Variant("carry_rounding", "carry_rounding=off", {"carry_rounding": None}))
        found += [Variant("carry_rounding", f"carry_rounding={n}", {"carry_rounding": n})
                  for n in CARRY_ROUNDINGS if n != conventions.carry_rounding and n >= places]
        return found


def _variant_key(variant: Variant | None) -> tuple:
    return () if variant is None else tuple(sorted(variant.changes.items()))


# ---------------------------------------------------------------- the checker

def check_claims(spec, claims, *, after_steps: int | None = None, explain: bool = True,
                 evaluations: Evaluations | None = None) -> CheckReport:
    """Check every claim (a claims file, text, dict or :class:`Claims`) against ``spec``.

    >>> report = check_claims("2-2-2", {"out_o1": 0.75136507, "E_total": 0.2983, "dE/dw1": -0.000438568})
    >>> [(r.claim.key, r.status) for r in report.results]
    [('out_o1', 'ok'), ('E_total', 'ok'), ('grad_w1', 'wrong')]
    >>> report.first_wrong.explanation.kind
    'sign'
    """
    from ..spec.validate import load_spec

    evaluations = evaluations or Evaluations(load_spec(spec))
    model = evaluations.base.model
    if not isinstance(claims, Claims):
        claims = read_claims(claims, model.by_key, after_steps=after_steps)
    elif after_steps is not None:
        claims = Claims(claims.claims, after_steps, claims.source)
    step = claims.after_steps
    values = evaluations.values(None, step)
    if values is None:
        raise DeriveError(f"cannot train the network for {step} steps (the run diverges)")
    order = {q.key: i for i, q in enumerate(model.quantities)}
    ordered = sorted(claims.claims, key=lambda c: order[c.key])
    results = []
    for claim in ordered:
        match = agreement(claim.value, claim.decimals, values[claim.key])
        if match:
            results.append(ClaimResult(claim, values[claim.key], "ok", match))
            continue
        found = _explain(evaluations, claim, step, ordered) if explain else []
        results.append(ClaimResult(claim, values[claim.key], "wrong", None,
                                   found[0] if found else None, tuple(found[1:])))
    return CheckReport(evaluations.spec, step, tuple(results), claims.source)


def _explain(ev: Evaluations, claim: Claim, step: int, claims: list[Claim]) -> list[Explanation]:
    """Every explanation that fits, best first."""
    quantity = ev.base.model[claim.key]
    if quantity.kind in GIVEN_KINDS and (step == 0 or quantity.kind != "param"):
        return _explain_given(ev, claim, claims)
    base = ev.values(None, step)
    found: list[Explanation] = []
    for variant in ev.variants(claim):
        values = ev.values(variant, step)
        if values is not None and _fits(claim, values[claim.key]):
            found.append(Explanation(variant.kind, f"it is {_shown(values[claim.key], claim)} when computed with "
                                     f"{variant.description}", values[claim.key], variant.label))
    found += _stale(ev, claim, step, base, None)
    found += _siblings(claim, base, ev.base.model)
    found += _slips(claim, base[claim.key], keep_digits=True)
    found += _other_quantity(claim, base, ev.base.model)
    found += _slips(claim, base[claim.key], keep_digits=False)
    for variant in ev.variants(claim, slack=max(DECIMAL_SHIFTS)):
        values = ev.values(variant, step)
        if values is None or values[claim.key] == base[claim.key]:
            continue  # the switch does not change this quantity
        for e in _slips(claim, values[claim.key], keep_digits=True) + _stale(ev, claim, step, values, variant):
            found.append(Explanation(e.kind, f"{e.text} when computed with {variant.description}", e.value,
                                     variant.label))
    return found


def _fits(claim: Claim, value) -> bool:
    return agreement(claim.value, claim.decimals, value) is not None


def _shown(value, claim: Claim) -> str:
    """A computed value with more places than the claim prints (at least 7; trailing zeros dropped)."""
    text = fixed(value, max(claim.decimals + 2, 7))
    return text.rstrip("0").rstrip(".") if "." in text else text


def _stale(ev: Evaluations, claim: Claim, step: int, values: dict, variant) -> list[Explanation]:
    found = []
    quantity = ev.base.model[claim.key]
    if quantity.kind == "updated" and _fits(claim, values[quantity.param]):
        found.append(Explanation("stale", f"it is {quantity.param} before the update "
                                 f"({_shown(values[quantity.param], claim)})", values[quantity.param]))
    if step > 0:
        earlier = ev.values(variant, step - 1)
        if earlier is not None and _fits(claim, earlier[claim.key]):
            found.append(Explanation("stale", f"it is the value after {step - 1} steps, one step early "
                                     f"({_shown(earlier[claim.key], claim)})", earlier[claim.key]))
    return found


def _pattern(key: str) -> str:
    return re.sub(r"\d+", "#", key)


def _siblings(claim: Claim, values: dict, model) -> list[Explanation]:
    shape = _pattern(claim.key)
    found = []
    for q in model.quantities:
        if q.key != claim.key and _pattern(q.key) == shape and _fits(claim, values[q.key]) \
                and not _fits(claim, values[claim.key]):
            found.append(Explanation("transposed_index", f"it is the value of {q.key} "
                                     f"({_shown(values[q.key], claim)}): a transposed index", values[q.key]))
    return found


def _other_quantity(claim: Claim, values: dict, model) -> list[Explanation]:
    if claim.significant < 2:
        return []
    shape = _pattern(claim.key)
    return [Explanation("other_quantity", f"it is the value of {q.key} ({_shown(values[q.key], claim)})",
                        values[q.key])
            for q in model.quantities
            if q.key != claim.key and _pattern(q.key) != shape and _fits(claim, values[q.key])]


def _slips(claim: Claim, value, *, keep_digits: bool) -> list[Explanation]:
    """Sign and decimal-place slips (``keep_digits``), or one changed / two swapped digits."""
    exact = to_fraction(value)
    if keep_digits:
        return _sign_and_shift(claim, exact)
    if claim.significant < MIN_DIGITS_FOR_DIGIT_SLIPS:
        return []
    found = []
    for how in ("rounded", "truncated"):
        text = fixed(exact, claim.decimals) if how == "rounded" else _truncated(exact, claim.decimals)
        kind = _digit_slip(claim.text, text)
        if kind == "digit":
            found.append(Explanation("digit", f"one digit differs from {text}", exact))
        elif kind == "swap":
            found.append(Explanation("swap", f"two adjacent digits of {text} are swapped", exact))
        if kind:
            break
    return found


def _sign_and_shift(claim: Claim, exact: Fraction) -> list[Explanation]:
    found = []
    if exact != 0 and _fits(claim, -exact):
        found.append(Explanation("sign", f"the sign is wrong: the value is {_shown(exact, claim)}", exact))
    places = _places(claim.text)
    for shift in DECIMAL_SHIFTS:
        # the claim's digits with the point moved back by ``shift`` places, at the matching precision
        moved, moved_places = claim.value / Fraction(10) ** shift, places + shift
        if moved_places < 0 or exact == 0:
            continue
        if agreement(moved, moved_places, exact) and not _fits(claim, exact):
            factor = f"10^{shift}" if shift not in (1, -1) else ("10" if shift == 1 else "1/10")
            found.append(Explanation("decimal_place", f"the decimal point is misplaced (×{factor}): "
                                     f"the value is {fixed(exact, moved_places)}", exact))
            break
    return found


def _places(text: str) -> int:
    """Decimal places up to the last nonzero digit: 2 for "0.150", 0 for "12", 5 for "1.2e-4".

    >>> _places("0.159121960"), _places("120"), _places("1.2e-4")
    (8, 0, 5)
    """
    from decimal import Decimal

    return max(-Decimal(text).normalize().as_tuple().exponent, 0)


def _truncated(exact: Fraction, decimals: int) -> str:
    scaled = int(abs(exact) * 10**decimals)
    text = str(scaled).rjust(decimals + 1, "0")
    body = f"{text[:-decimals]}.{text[-decimals:]}" if decimals else text
    return ("-" if exact < 0 and scaled else "") + body


def _digit_slip(claimed: str, correct: str) -> str | None:
    """``"digit"`` when one digit differs, ``"swap"`` when two adjacent digits are swapped."""
    a, b = _plain_digits(claimed), correct
    if a is None or len(a) != len(b) or a == b:
        return None
    diffs = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    if len(diffs) == 1 and a[diffs[0]].isdigit() and b[diffs[0]].isdigit():
        return "digit"
    if len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]] \
            and "." not in (a[diffs[0]], a[diffs[1]]):
        return "swap"
    return None


def _plain_digits(text: str) -> str | None:
    """The claim written plainly as ``fixed`` writes numbers (no exponent, leading ``0.``)."""
    from decimal import Decimal

    number = Decimal(text)
    decimals = max(-number.as_tuple().exponent, 0)
    return fixed(Fraction(text), decimals)


def _explain_given(ev: Evaluations, claim: Claim, claims: list[Claim]) -> list[Explanation]:
    """A wrong input, target or parameter: do the claims that depend on it use the spec's value?"""
    from ..engine.numeric import evaluate

    model = ev.base.model
    given = ev.values(None, 0)[claim.key]
    dependents = [c for c in claims if c.key != claim.key and claim.key in _dependencies(model, c.key)
                  and model[c.key].kind not in GIVEN_KINDS]
    spec_text = _shown(given, claim)
    if not dependents:
        return [Explanation("given_typo", f"the spec gives {claim.key} = {spec_text}; "
                            "no other claim depends on it", given)]
    agree_spec = [c for c in dependents if _fits(c, ev.values(None, 0)[c.key])]
    changed = evaluate(model, carry_rounding=ev.spec.conventions.carry_rounding,
                       overrides={claim.key: claim.value})
    agree_claim = [c for c in dependents if _fits(c, changed[c.key])]
    names = ", ".join(c.name for c in dependents[:4]) + (", ..." if len(dependents) > 4 else "")
    if len(agree_spec) >= len(agree_claim) and agree_spec:
        return [Explanation("given_typo", f"a typo for {spec_text}: the claims that depend on it ({names}) "
                            f"use {spec_text}", given)]
    if agree_claim:
        return [Explanation("given_changed", f"the solution works with {claim.key} = {claim.text} throughout "
                            f"({names} agree with it): it solves another problem than the spec", claim.value)]
    return []


def _dependencies(model, key: str) -> set[str]:
    cache = model.__dict__.setdefault("_check_dependencies", {})
    if not cache:
        for q in model.quantities:
            deps = set()
            for symbol in (q.formula.free_symbols if q.formula is not None else ()):
                deps.add(symbol.name)
                deps |= cache.get(symbol.name, set())
            cache[q.key] = deps
    return cache.get(key, set())
