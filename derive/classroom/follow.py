"""Follow-through (error carried forward): each claim recomputed from the student's own earlier values.

A claim that is wrong, but right *given the student's earlier wrong values*, is not a new error:
it follows through from the earlier one (the *root error*). :class:`FollowThrough` recomputes
every quantity's formula twice, and a claim follows through when it lies between the two (within
the tolerance):

* from every claimed value (the student's numbers as written, with their rounding), and
* from the values the student got wrong only (everything else exact), for a student who kept
  more digits than they wrote.

:meth:`FollowThrough.roots` names the root errors a quantity is computed from: a claim that is
wrong is its own root; a follow-through claim passes its roots on; a right claim stops them.
"""

from __future__ import annotations

from ..engine.numeric import recompute


class FollowThrough:
    """The follow-through values of every quantity for one set of claims.

    >>> from derive import load
    >>> from derive.engine.numeric import evaluate
    >>> model = load("2-2-2").model
    >>> values = evaluate(model).exact
    >>> ft = FollowThrough(model, values, {"net_o2": "0.185"}, wrong={"net_o2"}, precision=30)
    >>> [round(float(v), 6) for v in ft.values("out_o2")]
    [0.546119, 0.546119]
    """

    def __init__(self, model, values: dict, claimed: dict, *, wrong=(), precision: int = 40,
                 carry_rounding: int | None = None):
        givens = {q.key: values[q.key] for q in model.quantities if q.formula is None}
        options = dict(precision=precision, carry_rounding=carry_rounding)
        self.model = model
        self._claimed = recompute(model, givens, claimed, **options)
        self._wrong_only = recompute(model, givens, {k: claimed[k] for k in wrong}, **options)
        self._uses = {q.key: sorted(s.name for s in q.formula.free_symbols) if q.formula is not None else []
                      for q in model.quantities}
        self._roots: dict[str, tuple[str, ...]] = {}

    def values(self, key: str) -> list:
        """The quantity recomputed from the claimed values, then from the wrong ones only (None dropped)."""
        return [v for v in (self._claimed.get(key), self._wrong_only.get(key)) if v is not None]

    def roots(self, key: str, status: dict) -> tuple[str, ...]:
        """The root errors ``key``'s formula is computed from, given the verdicts (``status``) so far."""
        found: list[str] = []
        for used in self._uses[key]:
            if used in status:
                verdict = status[used]
                carried = (used,) if verdict == "wrong" else self._roots.get(used, ()) \
                    if verdict == "follow_through" else ()
            else:
                if used not in self._roots:
                    self._roots[used] = self.roots(used, status)
                carried = self._roots[used]
            found += [r for r in carried if r not in found]
        return tuple(found)

    def record(self, key: str, roots: tuple[str, ...]) -> None:
        """Remember a follow-through claim's roots, which its own dependents inherit."""
        self._roots[key] = roots
