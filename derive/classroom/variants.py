"""Worksheet variants: the question is data.

A variant is the spec with freshly drawn numbers (its ``randomize:`` block says which and
how) plus every answer, computed exactly by the engine. Each draw comes from a generator
seeded by ``(seed, index)`` alone, so variant 7 of seed 42 is the same whatever else is
generated. A draw that would make a poor exercise is rejected and drawn again; the
rejections are counted by rule, so a report can say why the ranges were hard to satisfy.

What a sheet asks for is a tuple of :class:`~derive.classroom.ask.Question` (see
:func:`~derive.classroom.ask.parse_ask`).

**Online and mini-batch specs** (``update: online`` or ``{batch_size: k}``). A variant asks the
questions of each of its first ``updates`` updates in order (default: all of them): update 1 on
its examples from the spec's weights, update 2 from the weights update 1 left, and so on, each
update's answers those of :func:`derive.engine.updates.update_problems` (exact, or rounded as the
spec's ``carry_rounding`` says, as ``derive solve`` does). The answer keys carry the update
(``u2_out_h1``, see :func:`~derive.classroom.ask.update_key`), and the rules that reject a poor
draw apply to every asked update.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass, replace
from fractions import Fraction

from ..errors import DeriveError, SpecError, keyword
from ..engine.network import Network, build_network
from ..render.numbers import fixed as format_fixed
from ..spec import Example, Randomize, Range, Spec, load_spec
from .ask import for_update, parse_ask
from .limits import DEFAULT_ASK, DEFAULT_DECIMALS, MAX_VARIANTS  # noqa: F401  (re-exported)

# A sigmoid or tanh with |net| beyond this is flat: its derivative is tiny and the exercise dull.
SATURATION_LIMIT = Fraction(4)
SQUASHING = ("sigmoid", "tanh")
KINKED = ("relu", "leaky_relu")
# Answers are printed (and graded) to this many decimals unless asked otherwise.
PROBABILITY_LOSSES = ("cross_entropy", "binary_cross_entropy")

# Why a draw is rejected, in the order the rules are checked.
# shown in the error for a spec without one (a test checks it is a valid block)
EXAMPLE_RANDOMIZE = "randomize: {weights: {range: [0.1, 0.9]}, inputs: {range: [0.01, 0.5]}, decimals: 2}"

REASONS = {
    "equal_weights": "two drawn weights are equal",
    "not_finite": "a value is not finite",
    "saturated": f"a sigmoid/tanh net input is beyond ±{SATURATION_LIMIT} (saturated)",
    "relu_at_zero": "a ReLU net input is 0 or too close to 0",
    "zero_gradient": "an asked gradient is 0 at the printed precision",
    "error_not_falling": "the error does not fall after one step",
}

@dataclass(frozen=True)
class Variant:
    """One drawn exercise: the spec with its numbers, and every answer (exact where rational).

    ``parameters`` holds every given (inputs, targets, weights, biases, ``eta``) as decimal
    text exactly as drawn; ``answers`` maps answer keys (``net_h1``, ``E_total``,
    ``grad_w5``, ``w5_new``, ``E_total_after``) to SymPy numbers.
    """

    seed: int
    index: int
    spec: Spec
    parameters: dict
    answers: dict
    draws: int
    rejected: dict
    updates: tuple = ()  # online/mini-batch: the asked updates (:class:`AskedUpdate`), in order

    def answer_text(self, key: str, decimals: int = DEFAULT_DECIMALS) -> str:
        """The answer rounded half-up to ``decimals`` places, as printed on a key."""
        return format_fixed(self.answers[key], decimals)


@dataclass(frozen=True)
class AskedUpdate:
    """One asked update of an online or mini-batch variant: its number, its examples (from 1) and the
    parameters it starts from (exact; the spec's own for update 1, else those the update before it left)."""

    number: int
    examples: tuple
    parameters: dict


@dataclass(frozen=True)
class VariantSet:
    """The variants of one worksheet run, what they ask, and the draws it took."""

    spec: Spec
    seed: int
    questions: tuple
    decimals: int
    variants: tuple
    rejected: dict

    @property
    def draws(self) -> int:
        return sum(v.draws for v in self.variants)

    def __repr__(self) -> str:
        """Seed, count, how many quantities are asked.

        >>> import derive
        >>> derive.generate_variants("2-2-2-exercise", 2, seed=1)  # doctest: +ELLIPSIS
        <VariantSet '...': 2 variants of seed 1, asking ... quantities>
        """
        title = f" {self.spec.title!r}" if self.spec.title else ""
        return (f"<VariantSet{title}: {len(self.variants)} variant{'s' * (len(self.variants) != 1)} of seed "
                f"{self.seed}, asking {len(self.questions)} quantit{'ies' if len(self.questions) != 1 else 'y'}>")

    def report(self) -> str:
        """One line: how many draws were made and why the rejected ones were."""
        n = len(self.variants)
        rejected = sum(self.rejected.values())
        line = f"{n} variant{'s' * (n != 1)} from {self.draws} draw{'s' * (self.draws != 1)}"
        if not rejected:
            return line + ", none rejected"
        reasons = ", ".join(f"{REASONS[r]}: {c}" for r, c in self.rejected.items())
        return f"{line}; {rejected} rejected ({reasons})"

    def to_dict(self) -> dict:
        """Every variant's seed, index, parameters and answers, in a fixed order."""
        return {
            "title": self.spec.title,
            "seed": self.seed,
            "decimals": self.decimals,
            "asked": [q.key for q in self.questions],
            "draws": self.draws,
            "rejected": dict(self.rejected),
            "variants": [_variant_dict(v, self.decimals) for v in self.variants],
        }

    def to_json(self) -> str:
        """``variants.json``: the same set gives the same bytes (no time stamps, fixed key order)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ---------------------------------------------------------------- generating

def generate_variant(spec, seed: int, index: int, *, ask=None, decimals: int = DEFAULT_DECIMALS,
                     updates: int | None = None) -> Variant:
    """Draw variant ``index`` (1-based) of ``seed``: numbers that pass every rule, and the answers.

    ``ask`` is an ``--ask`` string or a tuple of :class:`Question` (default: ``DEFAULT_ASK``);
    ``updates`` how many of an online or mini-batch spec's updates are asked (default: all).

    >>> v = generate_variant("2-2-2-exercise", seed=1, index=1)
    >>> v.parameters["w1"] == format_fixed(Fraction(v.parameters["w1"]), 2), v.answers["E_total_after"] < v.answers["E_total"]
    (True, True)
    >>> generate_variant("2-2-2-exercise", 1, 1).parameters == v.parameters
    True
    """
    return _Generator(load_spec(spec), ask, decimals, updates).variant(seed, index)


def generate_variants(spec, n: int, seed: int, *, ask=None, decimals: int = DEFAULT_DECIMALS,
                      updates: int | None = None) -> VariantSet:
    """Draw ``n`` variants of ``spec`` from ``seed``; a spec without ``randomize:`` allows one (itself).

    ``updates``: of an online or mini-batch spec, ask the first ``updates`` updates (default: all).

    >>> variants = generate_variants("2-2-2-exercise", 3, seed=7)
    >>> [v.index for v in variants.variants], variants.report().startswith("3 variants from")
    ([1, 2, 3], True)
    >>> online = generate_variants("2-2-1-xor-negnevitsky", 1, seed=0, ask="out:n5", updates=2)
    >>> [q.key for q in online.questions], online.variants[0].answer_text("u2_out_n5", 4)
    (['u1_out_n5', 'u2_out_n5'], '0.5043')
    """
    spec = load_spec(spec)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SpecError(f"must be a whole number of at least 1; got {n!r}", field=keyword("n"))
    if n > MAX_VARIANTS:
        raise SpecError(f"must be at most {MAX_VARIANTS}; got {n}", field=keyword("n"))
    if spec.randomize is None and n > 1:
        raise SpecError("needs a 'randomize:' block to draw more than one variant, e.g. "
                        f"{EXAMPLE_RANDOMIZE}; got {keyword('n', n)} and no such block", field="the spec",
                        source=spec.source)
    generator = _Generator(spec, ask, decimals, updates)
    variants = tuple(generator.variant(seed, i) for i in range(1, n + 1))
    rejected = Counter()
    for v in variants:
        rejected.update(v.rejected)
    return VariantSet(spec, seed, generator.questions, decimals, variants, _ordered(rejected))


class _Generator:
    """Draws and checks variants of one spec; the symbolic model is built once and reused."""

    def __init__(self, spec: Spec, ask, decimals: int, updates: int | None = None):
        from ..engine.symbolic import build_model

        if not isinstance(decimals, int) or not 0 <= decimals <= 15:
            raise SpecError(f"must be a whole number from 0 to 15; got {decimals!r}", field=keyword("decimals"))
        self.spec = spec
        self.network = build_network(spec)
        self.model = build_model(self.network)
        self.decimals = decimals
        self.updates = check_updates(spec, updates)
        if self.updates:
            self.questions = ask if isinstance(ask, tuple) else self._update_questions(ask or DEFAULT_ASK)
        else:
            self.questions = ask if isinstance(ask, tuple) else parse_ask(ask or DEFAULT_ASK, self.network)
        if spec.randomize is not None:
            _check_ranges(spec)
        # The gradients whose being zero would make an asked answer trivial (per update: its own names).
        self.watched = tuple(dict.fromkeys(
            (q.update, f"grad_{q.subject}") for q in self.questions if q.kind in ("grad", "updated")))

    def _update_questions(self, ask: str) -> tuple:
        """The questions of each asked update, parsed against that update's own one-step network."""
        questions = []
        for number, group in enumerate(self.spec.update_groups[:self.updates], start=1):
            network = build_network(update_spec(self.spec, group))
            questions += for_update(parse_ask(ask, network), number)
        return tuple(questions)

    def variant(self, seed: int, index: int) -> Variant:
        check_seed(seed, index)
        randomize = self.spec.randomize
        if randomize is None:  # one variant: the spec's own numbers, taken as the teacher wrote them
            answers, _ = self._judge(self.spec, strict=False)
            return self._variant(seed, index, self.spec, answers, 1, Counter())
        rng = random.Random(_stream(seed, index))
        rejected: Counter = Counter()
        for draw in range(1, randomize.max_draws + 1):
            spec = _draw(self.spec, randomize, rng)
            answers, reason = self._judge(spec, strict=True)
            if reason is None:
                return self._variant(seed, index, spec, answers, draw, rejected)
            rejected[reason] += 1
        worst, count = rejected.most_common(1)[0]
        raise DeriveError(
            f"variant {index} of seed {seed}: no acceptable draw in {randomize.max_draws} tries "
            f"(randomize.max_draws); the rule that kept failing: {REASONS[worst]} ({count} of "
            f"{randomize.max_draws} draws); adjust the randomize ranges or raise max_draws")

    def _variant(self, seed, index, spec, answers, draws, rejected) -> Variant:
        parameters = _givens_text(spec, build_network(spec), self.model)
        answers, updates = answers if self.updates else (answers, ())
        return Variant(seed, index, spec, parameters, answers, draws, _ordered(rejected), updates)

    def _judge(self, spec: Spec, *, strict: bool):
        """(answers, None) for a good draw, else (None, the first rule it breaks); ``strict`` applies the rules."""
        from ..engine.numeric import evaluate

        if strict and spec.randomize.weights is not None and _has_equal_weights(spec):
            return None, "equal_weights"
        if self.updates:
            return self._judge_updates(spec, strict=strict)
        givens = _givens(build_network(spec), self.model)
        carry = spec.conventions.carry_rounding
        try:
            values = evaluate(self.model, carry_rounding=carry, overrides=givens)
        except DeriveError:
            if strict:
                return None, "not_finite"
            raise
        reason = (self._forward_reason(values, spec) or self._gradient_reason(values)) if strict else None
        if reason is not None:
            return None, reason
        after, reason = self._after(self.model, self.network, givens, values, carry, strict)
        if reason is not None:
            return None, reason
        return _collect_answers(self.model, values, after), None

    def _after(self, model, network, givens, values, carry, strict):
        """(the error after the step, None), else (None, the rule it breaks): the model at the updated parameters."""
        from ..engine.numeric import evaluate

        updated = {p.name: values[f"{p.name}_new"] for p in network.parameters}
        try:
            after = evaluate(model, carry_rounding=carry, overrides={**givens, **updated})["E_total"]
        except DeriveError:
            if strict:
                return None, "not_finite"
            raise
        if strict and not after < values["E_total"]:
            return None, "error_not_falling"
        return after, None

    def _judge_updates(self, spec: Spec, *, strict: bool):
        """Online or mini-batch: each asked update's answers (keyed ``u<k>_...``), from the weights the
        updates before it left (:func:`~derive.engine.updates.update_problems`); every rule applies to each."""
        from ..engine.problem import Problem
        from ..engine.updates import update_problems

        carry = spec.conventions.carry_rounding
        answers, asked = {}, []
        try:
            updates = update_problems(Problem(spec), carry_rounding=carry)[:self.updates]
        except DeriveError:
            if strict:
                return None, "not_finite"
            raise
        for update in updates:
            problem = update.problem
            try:
                values = problem.values(carry_rounding=carry)
            except DeriveError:
                if strict:
                    return None, "not_finite"
                raise
            if strict:
                reason = (self._forward_reason(values, spec, problem.model, problem.network)
                          or self._gradient_reason(values, update.number))
                if reason is not None:
                    return None, reason
            after, reason = self._after(problem.model, problem.network, {}, values, carry, strict)
            if reason is not None:
                return None, reason
            own = _collect_answers(problem.model, values, after)
            answers.update({f"u{update.number}_{key}": value for key, value in own.items()})
            asked.append(AskedUpdate(update.number, update.examples,
                                     {p.name: p.value for p in problem.network.parameters}))
        return (answers, tuple(asked)), None

    def _forward_reason(self, values, spec: Spec, model=None, network=None):
        model, network = model or self.model, network or self.network
        margin = Fraction(1, 10 ** _max_decimals(spec.randomize)) if spec.randomize else Fraction(0)
        for layer in network.layers:
            for n in range(model.n_examples):
                for neuron in layer.neurons:
                    net = abs(Fraction(str(values[model.ex(f"net_{neuron}", n)])))
                    if layer.activation in SQUASHING and net * layer.gain > SATURATION_LIMIT:  # σ(λ·net) saturates at λ·net
                        return "saturated"
                    if layer.activation in KINKED and net <= margin:
                        return "relu_at_zero"
        return None

    def _gradient_reason(self, values, update: int | None = None):
        from ..engine.numeric import round_half_up

        for asked, key in self.watched:
            if asked == update and round_half_up(values[key], self.decimals) == 0:
                return "zero_gradient"
        return None


def check_updates(spec: Spec, updates) -> int:
    """How many updates of an online or mini-batch spec a sheet asks (0 for a batch spec), checked.

    >>> from derive.spec import load_spec
    >>> check_updates(load_spec("2-2-1-xor-negnevitsky"), None), check_updates(load_spec("2-2-2"), None)
    (4, 0)
    >>> check_updates(load_spec("2-2-1-xor-negnevitsky"), 5)
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: updates must be a whole number from 1 to 4 (the spec's updates); got 5
    """
    if spec.update == "batch":
        if updates is not None:
            raise SpecError(f"applies to a spec with update: online or {{batch_size: k}}; got {updates!r} and "
                            "a spec updated once per batch", field=keyword("updates"))
        return 0
    count = len(spec.update_groups)
    if updates is None:
        return count
    if isinstance(updates, bool) or not isinstance(updates, int) or not 1 <= updates <= count:
        raise SpecError(f"must be a whole number from 1 to {count} (the spec's updates); got {updates!r}",
                        field=keyword("updates"))
    return updates


def update_spec(spec: Spec, group) -> Spec:
    """The one-step spec of an update whose examples (0-based) are ``group``, as
    :func:`~derive.engine.updates.update_problems` builds it (here only for its shape and names)."""
    return replace(spec, examples=tuple(spec.examples[n] for n in group), batch=len(group) > 1, batch_size=None,
                   first_example=group[0] + 1)


def _has_equal_weights(spec: Spec) -> bool:
    weights = [w for layer in spec.layers for row in layer.weights for w in row]
    return len(set(weights)) != len(weights)


def check_seed(seed, index: int = 1) -> None:
    """Refuse a seed (and variant index) that is not a whole number in range, naming the option.

    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: seed must be a whole number of at least 0; got -1
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError(f"must be a whole number of at least 0; got {seed!r}", field=keyword("seed"))
    if isinstance(index, bool) or not isinstance(index, int) or index < 1:
        raise SpecError(f"must be a whole number of at least 1; got {index!r}", field="variant index")


def _stream(seed: int, index: int) -> int:
    """The generator seed of one variant: a hash of (seed, index), independent of the others."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{index}".encode()).digest()[:16], "big")


def _ordered(counter) -> dict:
    return {reason: counter[reason] for reason in REASONS if counter.get(reason)}


# ---------------------------------------------------------------- drawing

def draw_decimal(rng: random.Random, bounds: Range) -> Fraction:
    """A value with ``bounds.decimals`` places, uniform over those in [low, high].

    >>> value = draw_decimal(random.Random(0), Range(Fraction(1, 10), Fraction(9, 10), 2))
    >>> Fraction(1, 10) <= value <= Fraction(9, 10), (value * 100).denominator
    (True, 1)
    """
    scale = 10 ** bounds.decimals
    low = -((-bounds.low * scale).__floor__())  # ceil
    high = (bounds.high * scale).__floor__()
    return Fraction(rng.randint(low, high), scale)


def _draw(spec: Spec, randomize: Randomize, rng: random.Random) -> Spec:
    """The spec with every randomized number drawn afresh, in a fixed order."""
    layers = []
    for layer in spec.layers:
        weights, bias = layer.weights, layer.bias
        if randomize.weights is not None:
            weights = tuple(tuple(draw_decimal(rng, randomize.weights) for _ in row) for row in weights)
        if randomize.biases is not None and bias is not None:
            if isinstance(bias, tuple):
                bias = tuple(draw_decimal(rng, randomize.biases) for _ in bias)
            else:
                bias = draw_decimal(rng, randomize.biases)
        layers.append(replace(layer, weights=weights, bias=bias))
    examples = []
    for example in spec.examples:
        inputs, targets = example.inputs, example.targets
        if randomize.inputs is not None:
            inputs = tuple(draw_decimal(rng, randomize.inputs) for _ in inputs)
        if randomize.targets is not None:
            targets = tuple(draw_decimal(rng, randomize.targets) for _ in targets)
        examples.append(Example(inputs, targets))
    return replace(spec, layers=tuple(layers), examples=tuple(examples))


def _check_ranges(spec: Spec) -> None:
    """Ranges the spec validator cannot judge alone: empty at their decimals, or targets a loss refuses."""
    randomize = spec.randomize
    for key in ("weights", "biases", "inputs", "targets"):
        bounds = getattr(randomize, key)
        if bounds is None:
            continue
        scale = 10 ** bounds.decimals
        count = (bounds.high * scale).__floor__() + ((-bounds.low * scale).__floor__()) + 1
        if count < 1:
            raise SpecError(f"holds no number with {bounds.decimals} decimals; got [{float(bounds.low)}, "
                            f"{float(bounds.high)}]", field=f"randomize.{key}.range", source=spec.source)
        weights = sum(layer.units * len(layer.weights[0]) for layer in spec.layers)
        if key == "weights" and count < weights:
            raise SpecError(f"holds only {count} numbers with {bounds.decimals} decimals, too few for "
                            f"{weights} distinct weights; widen the range or add decimals",
                            field="randomize.weights.range", source=spec.source)
    targets = randomize.targets
    if targets is not None and spec.loss in PROBABILITY_LOSSES and (targets.low < 0 or targets.high > 1):
        raise SpecError(f"must lie within [0, 1] for {spec.loss}; got [{float(targets.low)}, "
                        f"{float(targets.high)}]", field="randomize.targets.range", source=spec.source)


def _max_decimals(randomize: Randomize) -> int:
    ranges = [r for r in (randomize.weights, randomize.biases, randomize.inputs, randomize.targets) if r]
    return max(r.decimals for r in ranges)


def _givens(network: Network, model) -> dict:
    """The model's given values (by symbol name) for a drawn network."""
    values = {}
    for n, example in enumerate(network.examples):
        values.update({model.ex(name, n): x for name, x in zip(network.input_names, example.inputs)})
        values.update({model.ex(name, n): t for name, t in zip(network.target_names, example.targets)})
    values.update({p.name: p.value for p in network.parameters})
    return values


def _givens_text(spec: Spec, network: Network, model) -> dict:
    """Every given as decimal text with the places it was drawn with (or written as)."""
    randomize = spec.randomize
    places = {}
    if randomize is not None:
        for n in range(model.n_examples):
            for name in network.input_names:
                places[model.ex(name, n)] = randomize.inputs.decimals if randomize.inputs else None
            for name in network.target_names:
                places[model.ex(name, n)] = randomize.targets.decimals if randomize.targets else None
        for p in network.parameters:
            bounds = randomize.weights if p.kind == "weight" else randomize.biases
            places[p.name] = bounds.decimals if bounds else None
    values = _givens(network, model)
    values["eta"] = spec.learning_rate
    return {key: format_fixed(value, places[key]) if places.get(key) is not None else format_exact(value)
            for key, value in values.items()}


# ---------------------------------------------------------------- answers

def _collect_answers(model, values, after) -> dict:
    """Forward values, errors, every gradient and updated parameter, and the error after the step."""
    keep = ("net", "out", "delta", "error_term", "error_example", "error_total", "grad", "updated")
    answers = {q.key: values[q.key] for q in model.quantities if q.kind in keep}
    answers["E_total_after"] = after
    return answers


def format_exact(value) -> str:
    """A rational as terminating decimal text, else ``p/q``.

    >>> format_exact(Fraction(7, 20)), format_exact(Fraction(1, 3)), format_exact(Fraction(-2))
    ('0.35', '1/3', '-2')
    """
    value = Fraction(value)
    q = value.denominator
    twos = fives = 0
    while q % 2 == 0:
        q //= 2
        twos += 1
    while q % 5 == 0:
        q //= 5
        fives += 1
    if q != 1:
        return f"{value.numerator}/{value.denominator}"
    return format_fixed(value, max(twos, fives))


def _variant_dict(variant: Variant, decimals: int) -> dict:
    answers = {key: _answer_dict(variant, key, decimals) for key in variant.answers}
    data = {"seed": variant.seed, "index": variant.index, "draws": variant.draws,
            "rejected": dict(variant.rejected), "parameters": dict(variant.parameters), "answers": answers}
    if variant.updates:
        # per update, named as derive check reads a claims file with ``after_steps: update - 1``
        data["updates"] = [_update_dict(variant, u, decimals) for u in variant.updates]
    return data


def _answer_dict(variant: Variant, key: str, decimals: int) -> dict:
    value = variant.answers[key]
    return {
        "value": float(value),
        "exact": format_exact(Fraction(int(value.p), int(value.q))) if value.is_Rational else None,
        "printed": variant.answer_text(key, decimals),  # exactly what the key prints
    }


def _update_dict(variant: Variant, update: AskedUpdate, decimals: int) -> dict:
    prefix = f"u{update.number}_"
    return {"update": update.number, "examples": list(update.examples), "after_steps": update.number - 1,
            "parameters": {name: format_exact(value) for name, value in update.parameters.items()},
            "answers": {key[len(prefix):]: _answer_dict(variant, key, decimals)
                        for key in variant.answers if key.startswith(prefix)}}
