"""Check a hand-worked solution's numbers, find the first wrong step and say what went wrong.

**When a claim is right.** The tolerance decides (:mod:`derive.classroom.tolerance`; set per
quantity by a marking scheme, :mod:`derive.classroom.scheme`). By default a number printed with
d decimals is right when it lies between the computed value and the value with every
intermediate rounded to d decimals (carried rounding), give or take half a unit of the d-th
place, or is such a value truncated to d decimals (``w6 = 0.4086`` for 0.408666...).

**Follow-through.** A claim that is not right is recomputed from the student's own earlier
values (:mod:`derive.classroom.follow`). If that reproduces it, it *follows through* from the
earlier wrong claims it is computed from (its root errors) and is not explained again; if those
earlier values were all right, the difference is the student's rounding and the claim is right.
Only the claims left are wrong: the root errors.

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

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from ..errors import DeriveError, SpecError
from ..render.language import lazy_gettext
from ..render.numbers import fixed
from ..spec.claims import Claim, Claims, read_claims
from .alternatives import Evaluations, Variant
from .explain import Explanation, _explain, _slips, agreement
from .follow import FollowThrough
from .scheme import DEFAULT_SCHEME, Scheme, read_scheme, spec_scheme, update_scheme  # noqa: F401


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    computed: object  # exact Rational or high-precision Float
    status: str  # "ok", "follow_through" or "wrong"
    match: str | None  # "rounded", "truncated" or "carried" (a rounding difference) for an ok claim
    explanation: Explanation | None = None
    alternatives: tuple[Explanation, ...] = ()
    roots: tuple[str, ...] = ()  # a follow-through claim's root errors (claim names)
    follow_value: object = None  # the claim recomputed from the student's earlier values
    points: Fraction = Fraction(0)
    out_of: Fraction = Fraction(1)

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

    @property
    def score(self) -> tuple[Fraction, Fraction]:
        """Points earned and points possible under the marking scheme."""
        return sum((r.points for r in self.results), Fraction(0)), sum((r.out_of for r in self.results), Fraction(0))

    def root_errors(self) -> list[tuple[ClaimResult, list[ClaimResult]]]:
        """Each root error with the claims that follow through from it, in dependency order."""
        return [(r, [f for f in self.results if f.status == "follow_through" and r.claim.name in f.roots])
                for r in self.results if r.status == "wrong"]

    def __repr__(self) -> str:
        """How many claims are wrong, and the first wrong one.

        >>> check_claims("2-2-2", {"out_o1": 0.6, "E_total": 0.298371109})
        <CheckReport of the claims: 1 of 2 claims wrong, first out_o1>
        """
        wrong = [r for r in self.results if not r.ok]
        head = f"<CheckReport of {self.source or 'the claims'}: "
        if not wrong:
            return head + f"all {len(self.results)} claims right>"
        return head + f"{len(wrong)} of {len(self.results)} claims wrong, first {wrong[0].claim.name}>"

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
            "score": float(self.score[0]), "out_of": float(self.score[1]),
            "root_errors": [{"name": r.claim.name, "follow_through": [f.claim.name for f in follows]}
                            for r, follows in self.root_errors()],
            "claims": [_result_dict(r) for r in self.results],
        }


def _indexed_names(network) -> dict:
    """Indexed parameter names (``w2_11`` for w^(2)_11) to names; a bias column's bias is ``w{l}_{j}0``.

    >>> import derive
    >>> _indexed_names(derive.load("2-2-2").network)["w2_12"]
    'w6'
    """
    from ..spec.model import BIAS_COLUMNS

    names = {}
    for layer in network.layers:
        for j, row in enumerate(layer.weight_names):
            names.update({f"w{layer.index}_{j + 1}{k + 1}": w for k, w in enumerate(row) if j < 9 and k < 9})
        if layer.bias_names and network.spec.conventions.bias_as in BIAS_COLUMNS:
            names.update({f"w{layer.index}_{j + 1}0": b for j, b in enumerate(layer.bias_names) if j < 9})
    return names


def _result_dict(result: ClaimResult) -> dict:
    claim = result.claim
    return {
        "name": claim.name, "quantity": claim.key, "line": claim.line, "claimed": claim.written,
        "computed": float(claim.shown(result.computed)),
        "computed_rounded": fixed(claim.shown(result.computed), claim.decimals),
        "status": result.status, "match": result.match, "roots": list(result.roots),
        "follow_through_value": None if result.follow_value is None else float(result.follow_value),
        "points": float(result.points), "out_of": float(result.out_of),
        "explanation": _explanation_dict(result.explanation, claim),
        "alternatives": [_explanation_dict(e, claim) for e in result.alternatives],
    }


def _explanation_dict(e: Explanation | None, claim):
    """An explanation for JSON: its value as its sentence shows it, in the sign of the claim's name as
    written (a ∂E/∂net claim under ``error_term: negative`` is −δ), another quantity's in its own sign."""
    if e is None:
        return None
    value = None if e.value is None else e.value if e.kind == "other_quantity" else claim.shown(e.value)
    return {"kind": e.kind, "text": e.text, "value": None if value is None else float(value),
            "convention": e.convention}


# ---------------------------------------------------------------- the checker

def check_claims(spec, claims, *, after_steps: int | None = None, explain: bool = True,
                 evaluations: Evaluations | None = None, scheme=None, tolerance=None) -> CheckReport:
    """Check every claim (a claims file, text, dict or :class:`Claims`) against ``spec``.

    ``scheme`` is a marking scheme (:class:`Scheme`, a file, text or dict), for tolerances and points;
    ``tolerance`` (a :class:`~derive.classroom.tolerance.Tolerance` or its text) replaces its default tolerance.

    >>> report = check_claims("2-2-2", {"out_o1": 0.75136507, "E_total": 0.2983, "dE/dw1": -0.000438568})
    >>> [(r.claim.key, r.status) for r in report.results]
    [('out_o1', 'ok'), ('E_total', 'ok'), ('grad_w1', 'wrong')]
    >>> report.first_wrong.explanation.kind, report.score
    ('sign', (Fraction(2, 1), Fraction(3, 1)))
    >>> carried = check_claims("2-2-2", {"net_o2": "1.3", "out_o2": "0.7858"})  # σ(1.3) = 0.785835
    >>> [(r.claim.key, r.status, r.roots) for r in carried.results]
    [('net_o2', 'wrong', ()), ('out_o2', 'follow_through', ('net_o2',))]
    """
    from ..spec.validate import load_spec

    if evaluations is None and load_spec(spec).update != "batch":
        return _check_update(load_spec(spec), claims, after_steps, explain, scheme, tolerance)
    evaluations = evaluations or Evaluations(load_spec(spec))
    model = evaluations.base.model
    if not isinstance(claims, Claims):
        claims = read_claims(claims, model.by_key, after_steps=after_steps,
                             error_term=model.network.spec.conventions.error_term, indexed=_indexed_names(model.network))
    elif after_steps is not None:
        claims = Claims(claims.claims, after_steps, claims.source)
    scheme = spec_scheme(evaluations.spec, model.by_key, scheme, tolerance)
    step = claims.after_steps
    values = evaluations.values(None, step)
    if values is None:
        raise DeriveError(f"cannot train the network for {step} steps (the run diverges)")
    order = {q.key: i for i, q in enumerate(model.quantities)}
    ordered = sorted(claims.claims, key=lambda c: order[c.key])
    matches = {c.key: _match(evaluations, scheme, c, step, values) for c in ordered}
    follow = FollowThrough(model, values, {c.key: c.value for c in ordered},
                           carry_rounding=evaluations.spec.conventions.carry_rounding)
    results = []
    for claim in ordered:
        result = _judge(evaluations, scheme, claim, step, values, matches[claim.key], follow, ordered, explain)
        follow.record(claim.key, result.status, tuple(c.key for c in ordered if c.name in result.roots))
        results.append(result)
    return CheckReport(evaluations.spec, step, tuple(results), claims.source)


def _check_update(spec, claims, after_steps, explain, scheme, tolerance) -> CheckReport:
    """Online or mini-batch: the claims are the quantities of the update made after ``after_steps`` updates
    (``after_steps: 1`` is update 2, from the weights update 1 left), named as in that update's worked
    solution: an update of several examples numbers them as the spec does (``out_o1__3`` in examples 3, 4).

    Only the updates before it are computed, on one symbolic model per shape of update (built once)."""
    from ..engine.problem import Problem
    from ..engine.updates import update_at

    problem = Problem(spec)
    models = _update_models(problem)
    keys = set().union(*(m.model.by_key for m in models.values()))
    network = next(iter(models.values())).network
    options = dict(error_term=spec.conventions.error_term, indexed=_indexed_names(network))
    source = claims
    if not isinstance(claims, Claims):
        claims = read_claims(claims, keys, after_steps=after_steps, **options)
    elif after_steps is not None:
        claims = Claims(claims.claims, after_steps, claims.source)
    update = update_at(problem, claims.after_steps, models=models)
    own = update.problem.model.by_key
    if any(claim.key not in own for claim in claims.claims):
        if source is claims:  # read by the caller: name the first claim that is not this update's
            claim = next(claim for claim in claims.claims if claim.key not in own)
            raise SpecError(f"is not a quantity of update {update.number} (examples "
                            f"{', '.join(map(str, update.examples))})", field=claim.name,
                            source=claims.source or "<claims>", line=claim.line)
        read_claims(source, own, after_steps=claims.after_steps, **options)  # raises: names the claim, suggests
    # a scheme's out_h1 applies to every update, its u2_out_h1 to update 2 only (as derive grade reads them)
    numbers = range(1, max(len(spec.update_groups), update.number) + 1)
    named = set(keys) | {f"u{n}_{k}" for n in numbers for k in keys}
    scheme = update_scheme(spec_scheme(spec, named, scheme, tolerance), update.number, set(keys))
    evaluations = Evaluations(update.problem.spec, base=update.problem)
    report = check_claims(update.problem.spec, Claims(claims.claims, 0, claims.source), explain=explain,
                          evaluations=evaluations, scheme=scheme)
    return dataclasses.replace(report, spec=spec, after_steps=claims.after_steps)


def _update_models(problem) -> dict:
    """One problem (its model unevaluated) per shape of the spec's updates, as :func:`update_problems` keys them."""
    spec = problem.spec
    models = {}
    for group in spec.update_groups:
        shape = (len(group), group[0] if len(group) > 1 else None)
        if shape not in models:
            models[shape] = type(problem)(dataclasses.replace(
                spec, examples=tuple(spec.examples[n] for n in group), batch=len(group) > 1, batch_size=None,
                first_example=group[0] + 1))
    return models


def _match(evaluations, scheme: Scheme, claim: Claim, step: int, values: dict) -> str | None:
    """How the claim is right against the spec's values (None: it is not)."""
    tolerance = scheme.tolerance_for(claim.key)
    exact = values[claim.key]
    if tolerance.mode == "shown" and tolerance.match(claim.value, exact, decimals=claim.decimals) != "rounded":
        carried = evaluations.values(Variant("carry_rounding", f"carry_rounding={claim.decimals}",
                                             {"carry_rounding": claim.decimals}), step)
        return tolerance.match(claim.value, exact, carried and carried[claim.key], decimals=claim.decimals)
    return tolerance.match(claim.value, exact, decimals=claim.decimals)


def _judge(evaluations, scheme, claim, step, values, match, follow, ordered, explain) -> ClaimResult:
    out_of = scheme.points_for(claim.key)
    common = dict(computed=values[claim.key], out_of=out_of)
    if match:
        return ClaimResult(claim, status="ok", match=match, points=scheme.credit(claim.key, "ok", match), **common)
    roots = follow.roots(claim.key)
    computed_from = [] if claim.key.endswith("_new") and evaluations.spec.optimizer.name != "sgd" \
        else follow.values(claim.key)
    tolerance = scheme.tolerance_for(claim.key)
    if computed_from and tolerance.accepts(claim.value, min(computed_from), max(computed_from),
                                           decimals=claim.decimals):
        names = tuple(c.name for c in ordered if c.key in roots)
        verdict = "follow_through" if roots else "ok"
        return ClaimResult(claim, status=verdict, match=None if roots else "carried", roots=names,
                           follow_value=computed_from[0],
                           points=scheme.credit(claim.key, verdict, "carried"), **common)
    found = []
    if explain:
        if roots and computed_from:  # slips of the value from the student's own numbers come first
            found += [Explanation(e.kind, lazy_gettext("%(explanation)s, from your earlier values",
                                                       explanation=e.message), e.value)
                      for e in _slips(claim, computed_from[0], keep_digits=True)
                      + _slips(claim, computed_from[0], keep_digits=False)]
        found += _explain(evaluations, claim, step, ordered)
    return ClaimResult(claim, status="wrong", match=None, explanation=found[0] if found else None,
                       alternatives=tuple(found[1:]), follow_value=computed_from[0] if computed_from else None,
                       **common)
