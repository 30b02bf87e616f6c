"""Grading an online or mini-batch sheet (``update: online`` or ``{batch_size: k}``), update by update.

A student's answers carry their update, as the sheet's answer keys do (``u2_out_h1``, ``u2_dE/dw5``).
The answers of update k are checked with :func:`~derive.classroom.check.check_claims` against update k's
own one-step problem (the key's: from the weights the updates before it left), with follow-through
within the update as ``derive check`` gives it.

**Follow-through from update to update.** From update 2 on, a student starts from their own weights,
run forward as a teacher would: per parameter, the ``*_new`` value they claimed in the update before,
else the value that update makes from their own starting weights (so a wrong update-1 weight carries
through an update 2 whose new weights they left blank), which is the key's while those are the key's.
An answer that is not right against the key is checked again from those weights; if it is right
from them, it follows through from the wrong new weights they carry (their root errors),
or, when those were all right and differ only in rounding, it is right (a rounding difference).

**Marking scheme.** A scheme entry for a quantity (``out_h1``) applies to it in every update; one for
a single update's quantity (``u2_out_h1``) applies to that update only and beats the plain one
(:func:`~derive.classroom.scheme.update_scheme`).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from ..errors import DeriveError
from ..spec.claims import AFTER_STEPS_KEY, normalise, resolve_name, update_number
from ..spec.source import Num
from .roster import Problem
from .scheme import update_scheme


def sheet_keys(plain: dict) -> set:
    """Every answer key of the sheet, ``u<k>_`` and the name within update k.

    >>> sorted(sheet_keys({1: {"E_total"}, 2: {"E_total"}}))
    ['u1_E_total', 'u2_E_total']
    """
    return {f"u{number}_{key}" for number, keys in plain.items() for key in keys}


def unknown_update(name: str, count: int) -> str | None:
    """What is wrong with an answer name of an update the sheet does not ask (None: not that).

    >>> unknown_update("u9_out_n5", 2)
    'names update 9; this sheet asks updates 1 to 2'
    >>> unknown_update("u2_out_n5", 2) is None, unknown_update("out_n5", 2)
    (True, 'names no update; on this sheet an answer is named u1_ to u2_ and the quantity, e.g. u1_out_n5')
    >>> unknown_update("after_steps", 3)
    'is for derive check; derive grade marks each answer by its update, so name the answers u1_ to u3_ and the quantity (u3_out_n5 is out_n5 of update 3) and leave after_steps out'
    """
    if normalise(str(name)) == AFTER_STEPS_KEY:
        return (f"is for derive check; derive grade marks each answer by its update, so name the answers u1_ to "
                f"u{count}_ and the quantity (u{count}_out_n5 is out_n5 of update {count}) and leave {AFTER_STEPS_KEY} out")
    number = update_number(str(name))
    if number is None:
        example = "u1_out_n5" if "out_n5" in str(name) else "u1_out_h1"
        return (f"names no update; on this sheet an answer is named u1_ to u{count}_ and the quantity, "
                f"e.g. {example}")
    if not 1 <= number <= count:
        return f"names update {number}; this sheet asks updates 1 to {count}"
    return None


class UpdateGrader:
    """Checks submissions to an online sheet, update by update, reusing each update's evaluations."""

    def __init__(self, variants: dict, scheme, asked: tuple, plain: dict):
        self.variants, self.asked, self.plain = variants, asked, plain
        self.keys = sheet_keys(plain)
        self.schemes = {number: update_scheme(scheme, number, keys) for number, keys in plain.items()}
        self._updates: dict = {}
        self._evaluations: dict = {}

    def updates_of(self, index: int) -> list:
        """The key's updates of variant ``index`` (exact, or carried rounded as the spec says)."""
        from ..engine.problem import Problem as EngineProblem
        from ..engine.updates import update_problems

        if index not in self._updates:
            spec = self.variants[index].spec
            found = update_problems(EngineProblem(spec), carry_rounding=spec.conventions.carry_rounding)
            self._updates[index] = found[:len(self.plain)]
        return self._updates[index]

    def points_for(self, key: str) -> Fraction:
        number = update_number(key)
        return self.schemes[number].points_for(key[len(f"u{number}_"):])

    def has_points(self, key: str) -> bool:
        number = update_number(key)
        return key[len(f"u{number}_"):] in self.schemes[number].points

    def grade(self, submission):
        """(the combined check report or None, the problems found) of one student."""
        from .check import CheckReport

        problems = list(submission.problems)
        groups = self._by_update(submission, problems)
        results: list = []
        state = Start({}, ())
        for number in range(1, max(groups, default=0) + 1):
            found = []
            if number in groups:
                try:
                    found = self._update_results(submission.variant, number, groups[number], state)
                except DeriveError as err:
                    problems.append(Problem(submission.source, None, f"not graded: update {number}: {err}"))
            results += found
            if number < max(groups):
                state = self._next_start(submission.variant, number, state, found)
        if not results:
            return None, problems
        variant = self.variants[submission.variant]
        return CheckReport(variant.spec, 0, tuple(_settled(results, self._credit)), submission.source), problems

    def _next_start(self, index: int, number: int, state: Start, results: list) -> Start:
        """Where the student starts update ``number + 1``: per parameter, the new weight they wrote in update
        ``number``, else the one update ``number`` makes from their own start (the key's when theirs is the key's)."""
        from ..engine.updates import updated_parameters, with_parameters

        updates = self.updates_of(index)
        update, key = updates[number - 1], updates[number - 1].updated
        prefix = f"u{number}_"
        written = {r.claim.key[len(prefix):-len("_new")]: r for r in results
                   if r.claim.key.startswith(prefix) and r.claim.key.endswith("_new")}
        values, roots = dict(key), []
        if state.start and set(key) - set(written):
            try:  # the student's own weights run forward through the update they left unwritten
                own = update.problem.with_spec(with_parameters(update.problem.spec, state.start))
                values = updated_parameters(own, update.problem.spec.conventions.carry_rounding)
                roots = list(state.roots)
            except DeriveError:  # the student's weights break the update (an overflow): the key's weights
                values = dict(key)
        for name, r in written.items():
            if name in values:
                values[name] = r.claim.value
                roots += [r.claim.name] if r.status == "wrong" else list(r.roots) if r.status == "follow_through" else []
        start = {name: value for name, value in values.items() if value != key[name]}
        return Start(start, tuple(dict.fromkeys(roots)) if start else ())

    def _credit(self, key: str, status: str, match=None) -> Fraction:
        number = update_number(key)
        return self.schemes[number].credit(key[len(f"u{number}_"):], status, match)

    def _by_update(self, submission, problems) -> dict[int, dict]:
        """The claimed numbers by update: {k: {name within update k: text}}; unknown names are problems."""
        claims = submission.claims
        data = claims.data if hasattr(claims, "data") else claims
        lines = getattr(claims, "lines", {}) or {}
        groups: dict[int, dict] = {}
        for name, value in data.items():
            key = resolve_name(str(name), self.keys)
            if key is None:
                line = lines.get((name,))
                where = f"{submission.source}:{line}" if line else submission.source
                why = unknown_update(str(name), len(self.plain)) or "is not a quantity of this network"
                problems.append(Problem(where, str(name), f"{why}; not graded"))
                continue
            number = update_number(key)
            written = normalise(str(name))  # "u2 dE/dnet_o1" as u2_dE/dnet_o1: the name within is what follows u2_
            within = written[len(f"u{number}_"):] if update_number(written) == number else key.split("_", 1)[1]
            groups.setdefault(number, {})[within] = value.text if isinstance(value, Num) else value
        return groups

    def _evaluations_of(self, index: int, number: int, update):
        from .alternatives import Evaluations

        if (index, number) not in self._evaluations:
            self._evaluations[index, number] = Evaluations(update.problem.spec)
        return self._evaluations[index, number]

    def _update_results(self, index: int, number: int, claims: dict, state: Start) -> list:
        """The results of update ``number``'s claims, named ``u<k>_``, with follow-through from the student's own
        starting weights ``state``."""
        from ..engine.updates import with_parameters
        from .check import check_claims

        update = self.updates_of(index)[number - 1]
        scheme = self.schemes[number]
        report = check_claims(update.problem.spec, claims, scheme=scheme,
                              evaluations=self._evaluations_of(index, number, update))
        own = {}
        if state.start and any(r.status != "ok" for r in report.results):
            try:
                again = check_claims(with_parameters(update.problem.spec, state.start), claims, scheme=scheme,
                                     explain=False)
                own = {r.claim.key: r for r in again.results}
            except DeriveError:  # the student's own weights break the update (an overflow): no follow-through
                own = {}
        prefix = f"u{number}_"
        return [_named(_merged(r, own.get(r.claim.key), state.roots, scheme, prefix), prefix) for r in report.results]


@dataclasses.dataclass(frozen=True)
class Start:
    """A student's own starting weights of an update, where they differ from the key's, and the root errors
    (``u<k>_`` claim names) those weights carry."""

    start: dict
    roots: tuple


def _merged(result, own, carried: tuple, scheme, prefix: str):
    """A result against the key, or (when it is not right and is right from the student's own starting
    weights) follow-through from the update before."""
    if result.status == "ok" or own is None or own.status not in ("ok", "follow_through"):
        return dataclasses.replace(result, roots=tuple(prefix + n for n in result.roots))
    roots = tuple(dict.fromkeys([prefix + n for n in own.roots] + list(carried)))
    status = "follow_through" if roots else "ok"
    key = result.claim.key
    return dataclasses.replace(result, status=status, match=None if roots else "carried", roots=roots,
                               explanation=None, alternatives=(),
                               follow_value=own.computed if own.follow_value is None else own.follow_value,
                               points=scheme.credit(key, status, "carried"))


def _named(result, prefix: str):
    claim = dataclasses.replace(result.claim, name=prefix + result.claim.name, key=prefix + result.claim.key)
    return dataclasses.replace(result, claim=claim)


def _settled(results: list, credit) -> list:
    """Follow-through roots kept to the root errors left (a claim right against the key is no root);
    ``credit(key, status, match)`` gives the points of a claim left with no root (right, a rounding difference)."""
    wrong = {r.claim.name for r in results if r.status == "wrong"}
    settled = []
    for r in results:
        if r.status == "follow_through":
            roots = tuple(n for n in r.roots if n in wrong)
            if not roots:
                r = dataclasses.replace(r, status="ok", match="carried", roots=(),
                                        points=credit(r.claim.key, "ok", "carried"))
            else:
                r = dataclasses.replace(r, roots=roots)
        settled.append(r)
    return settled
