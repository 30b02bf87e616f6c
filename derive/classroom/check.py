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

from dataclasses import dataclass

from ..errors import DeriveError
from ..render.numbers import fixed
from ..spec.claims import Claim, Claims, read_claims
from .alternatives import Evaluations
from .explain import Explanation, _explain, agreement


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


