"""Why a claim is wrong: each explanation recomputes the claim under it and names it only if it fits.

See :mod:`derive.classroom.check` for the order in which explanations are tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from ..render.language import Message, Number, lazy_gettext
from ..render.numbers import fixed
from ..spec.claims import Claim
from .alternatives import Evaluations, _places

GIVEN_KINDS = ("input", "target", "param", "hyper")  # as derive.engine.model.GIVEN_KINDS, without SymPy

DECIMAL_SHIFTS = (1, -1, 2, -2, 3, -3)
MIN_DIGITS_FOR_DIGIT_SLIPS = 3


@dataclass(frozen=True)
class Explanation:
    """Why a claim is wrong: the kind of slip, one plain sentence, and the value that fits.

    ``kind`` and ``convention`` are machine keys, the same in every language; ``message`` is the
    sentence for people, printed (:attr:`text`) in the language current when it is read.
    """

    kind: str  # convention, carry_rounding, stale, transposed_index, sign, decimal_place, other_quantity,
    #            digit, swap, given_typo, given_changed
    message: Message
    value: object = None
    convention: str | None = None

    @property
    def text(self) -> str:
        """The sentence in the current language."""
        return str(self.message)


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


# ---------------------------------------------------------------- explanations

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
            found.append(Explanation(variant.kind, lazy_gettext(
                "it is %(value)s when computed with %(variant)s", value=_shown(values[claim.key], claim),
                variant=variant.description), values[claim.key], variant.label))
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
            found.append(Explanation(e.kind, lazy_gettext("%(explanation)s when computed with %(variant)s",
                                                          explanation=e.message, variant=variant.description),
                                     e.value, variant.label))
    return found


def _fits(claim: Claim, value) -> bool:
    return agreement(claim.value, claim.decimals, value) is not None


def _shown(value, claim: Claim, *, own_key: bool = True) -> Number:
    """A computed value with more places than the claim prints (at least 7; trailing zeros dropped).

    A value of the claim's own key is shown in the sign of the name as written (``dE/dnet_o1`` is −δ
    under ``error_term: negative``); another quantity's (``own_key=False``) in its own sign.
    """
    text = fixed(claim.shown(value) if own_key else value, max(claim.decimals + 2, 7))
    return Number(text.rstrip("0").rstrip(".") if "." in text else text)


def _stale(ev: Evaluations, claim: Claim, step: int, values: dict, variant) -> list[Explanation]:
    found = []
    quantity = ev.base.model[claim.key]
    if quantity.kind == "updated" and _fits(claim, values[quantity.param]):
        found.append(Explanation("stale", lazy_gettext("it is %(key)s before the update (%(value)s)",
                                                       key=quantity.param, value=_shown(values[quantity.param], claim)),
                                 values[quantity.param]))
    if step > 0:
        earlier = ev.values(variant, step - 1)
        if earlier is not None and _fits(claim, earlier[claim.key]):
            found.append(Explanation("stale", lazy_gettext(
                "it is the value after %(steps)s steps, one step early (%(value)s)", steps=step - 1,
                value=_shown(earlier[claim.key], claim)), earlier[claim.key]))
    return found


def _pattern(key: str) -> str:
    return re.sub(r"\d+", "#", key)


def _siblings(claim: Claim, values: dict, model) -> list[Explanation]:
    shape = _pattern(claim.key)
    found = []
    for q in model.quantities:
        if q.key != claim.key and _pattern(q.key) == shape and _fits(claim, values[q.key]) \
                and not _fits(claim, values[claim.key]):
            found.append(Explanation("transposed_index", lazy_gettext(
                "it is the value of %(key)s (%(value)s): a transposed index", key=q.key,
                value=_shown(values[q.key], claim)), values[q.key]))
    return found


def _other_quantity(claim: Claim, values: dict, model) -> list[Explanation]:
    if claim.significant < 2:
        return []
    shape = _pattern(claim.key)
    # the number as written is compared (claim.shown undoes a ∂E/∂net claim's sign); q's value in its own sign
    return [Explanation("other_quantity", lazy_gettext("it is the value of %(key)s (%(value)s)", key=q.key,
                                                       value=_shown(values[q.key], claim, own_key=False)),
                        values[q.key])
            for q in model.quantities
            if q.key != claim.key and _pattern(q.key) != shape and _fits(claim, claim.shown(values[q.key]))]


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
        shown = Number(fixed(claim.shown(exact), claim.decimals) if how == "rounded"
                       else _truncated(claim.shown(exact), claim.decimals))  # in the sign as written
        if kind == "digit":
            found.append(Explanation("digit", lazy_gettext("one digit differs from %(value)s", value=shown), exact))
        elif kind == "swap":
            found.append(Explanation("swap", lazy_gettext("two adjacent digits of %(value)s are swapped",
                                                          value=shown), exact))
        if kind:
            break
    return found


def _sign_and_shift(claim: Claim, exact: Fraction) -> list[Explanation]:
    found = []
    if exact != 0 and _fits(claim, -exact):
        found.append(Explanation("sign", lazy_gettext("the sign is wrong: the value is %(value)s",
                                                      value=_shown(exact, claim)), exact))
    places = _places(claim.text)
    for shift in DECIMAL_SHIFTS:
        # the claim's digits with the point moved back by ``shift`` places, at the matching precision
        moved, moved_places = claim.value / Fraction(10) ** shift, places + shift
        if moved_places < 0 or exact == 0:
            continue
        if agreement(moved, moved_places, exact) and not _fits(claim, exact):
            factor = f"10^{shift}" if shift not in (1, -1) else ("10" if shift == 1 else "1/10")
            found.append(Explanation("decimal_place", lazy_gettext(
                "the decimal point is misplaced (×%(factor)s): the value is %(value)s", factor=factor,
                value=Number(fixed(claim.shown(exact), moved_places))), exact))
            break
    return found


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
        return [Explanation("given_typo", lazy_gettext("the spec gives %(key)s = %(value)s; no other claim depends on it",
                                                       key=claim.key, value=spec_text), given)]
    agree_spec = [c for c in dependents if _fits(c, ev.values(None, 0)[c.key])]
    changed = evaluate(model, carry_rounding=ev.spec.conventions.carry_rounding,
                       overrides={claim.key: claim.value})
    agree_claim = [c for c in dependents if _fits(c, changed[c.key])]
    names = ", ".join(c.name for c in dependents[:4]) + (", ..." if len(dependents) > 4 else "")
    if len(agree_spec) >= len(agree_claim) and agree_spec:
        return [Explanation("given_typo", lazy_gettext(
            "a typo for %(value)s: the claims that depend on it (%(claims)s) use %(value)s", value=spec_text,
            claims=names), given)]
    if agree_claim:
        return [Explanation("given_changed", lazy_gettext(
            "the solution works with %(key)s = %(value)s throughout (%(claims)s agree with it): it solves another "
            "problem than the spec", key=claim.key, value=Number(claim.text), claims=names), claim.value)]
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
