"""Online and mini-batch updates (``update: online`` / ``{batch_size: k}``) as a sequence of ordinary steps.

Each update is the one-step problem of its own examples, at the parameters the updates before
it left (exact Rationals, or ``carry_rounding``'s decimals); the worked solution, the JSON and
the checker reuse the single-step machinery on each.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from ..errors import SpecError
from ..io.limits import EXACT_STEP_LIMIT
from ..spec.model import Spec


@dataclass(frozen=True)
class Update:
    """One update: its number (from 1), its examples (their numbers in the spec, from 1) and its one-step problem."""

    number: int
    examples: tuple[int, ...]
    problem: object  # derive.engine.problem.Problem
    updated: dict | None = None  # the parameters it leaves (exact); None for the last update of a ``stop``


def update_problems(source, *, carry_rounding=None, stop: int | None = None, models: dict | None = None) -> list[Update]:
    """The problems of the spec's updates in order, each starting from the parameters the last one left.

    ``stop`` ends the list after that many updates. The updates share their symbolic models: one per
    shape of update (its number of examples, and where they start when there are several, as that is
    in their names), kept in ``models`` if given, so that later calls share them too.

    >>> import derive
    >>> spec = {"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}], "update": "online",
    ...         "learning_rate": 0.5, "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]}
    >>> updates = update_problems(derive.load(spec))
    >>> [u.examples for u in updates], updates[1].problem.spec.layers[0].weights
    ([(1,), (2,)], ((Fraction(1, 4),),))
    >>> updates[1].problem.values()["w1_new"]
    3/4
    >>> updates[1].problem.model.quantities is updates[0].problem.model.quantities
    True
    """
    Problem = type(source)  # the caller's class: importing engine.problem here would close an import cycle
    spec = source.spec
    models = {} if models is None else models
    updates = []
    current = spec
    for number, group in enumerate(spec.update_groups[:stop], start=1):
        step = dataclasses.replace(current, examples=tuple(spec.examples[n] for n in group),
                                   batch=len(group) > 1, batch_size=None, first_example=group[0] + 1)
        shape = (len(group), group[0] if len(group) > 1 else None)  # one example: no number in its names
        problem = models[shape].with_spec(step) if shape in models else Problem(step)
        models.setdefault(shape, problem)
        updated = updated_parameters(problem, carry_rounding) if stop is None or number < stop else None
        updates.append(Update(number, tuple(n + 1 for n in group), problem, updated))
        if updated is not None:
            current = with_parameters(step, updated)
    return updates


def updated_parameters(problem, carry_rounding=None) -> dict[str, Fraction]:
    """Every parameter after the problem's update, as exact fractions (``name_new`` of each).

    >>> import derive
    >>> updated_parameters(derive.load({"inputs": [1], "targets": [0], "learning_rate": 0.5,
    ...                                 "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]}))
    {'w1': Fraction(1, 4)}
    """
    values = problem.values(carry_rounding=carry_rounding)
    return {p.name: _fraction(values[f"{p.name}_new"]) for p in problem.network.parameters}


def with_parameters(spec: Spec, parameters: dict) -> Spec:
    """``spec`` with its weights and biases replaced by ``parameters`` (by name; others kept).

    >>> from derive.spec import load_spec
    >>> with_parameters(load_spec("2-2-1"), {"w1": Fraction(1, 2)}).layers[0].weights[0][0]
    Fraction(1, 2)
    """
    from .network import build_network

    network = build_network(spec)
    layers = []
    for layer_spec, layer in zip(spec.layers, network.layers):
        weights = tuple(tuple(parameters.get(name, w) for name, w in zip(names, row))
                        for names, row in zip(layer.weight_names, layer_spec.weights))
        bias = layer_spec.bias
        if layer.bias_mode == "shared":
            bias = parameters.get(layer.bias_names[0], bias)
        elif layer.bias_mode == "per_neuron":
            bias = tuple(parameters.get(name, b) for name, b in zip(layer.bias_names, bias))
        layers.append(dataclasses.replace(layer_spec, weights=weights, bias=bias))
    return dataclasses.replace(spec, layers=tuple(layers))


def _fraction(value) -> Fraction:
    """A SymPy number as a Fraction: exact for a Rational, else its decimal digits."""
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return Fraction(str(value.evalf(40)))


EPOCH_ERRORS = ("after", "before")


def run_updates(problem, steps: int, *, epoch_error: str = "after", shuffle_seed: int | None = None):
    """``steps`` online or mini-batch SGD updates in floating point, through the compiled gradients.

    Returns (loss history: the error over every example after 0, 1, ... steps; the epoch errors;
    the final parameters by name). An epoch is one pass over the examples; its error is the error
    over every example at the parameters after the epoch (``after``), or the sum of the errors each
    update saw before it changed the weights (``before``, as most from-scratch code reports it).
    The examples are taken in the spec's order, or shuffled every epoch by ``random.Random(shuffle_seed)``.

    >>> from derive import load
    >>> spec = {"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}], "update": "online",
    ...         "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]}
    >>> history, epochs, params = run_updates(load(spec), 2)
    >>> params, history, epochs
    ({'w1': 0.75}, [0.125, 0.15625, 0.40625], [0.40625])
    """
    import random

    from .compiled import compile_gradient

    Problem = type(problem)
    spec = problem.spec
    if spec.optimizer.name != "sgd":
        raise SpecError(f"must be sgd with update: {spec.update} (one plain gradient-descent step per update); "
                        f"got {spec.optimizer.name}", field="optimizer")
    if epoch_error not in EPOCH_ERRORS:
        raise SpecError(f"must be one of {', '.join(EPOCH_ERRORS)}; got {epoch_error!r}", field="epoch_error")
    rounding = spec.conventions.carry_rounding
    full = compile_gradient(problem, backend="scalar", carry_rounding=rounding)
    names = full.parameter_names
    n = len(names)
    compiled = {}

    def step_function(size):
        if size not in compiled:
            sub = dataclasses.replace(spec, examples=spec.examples[:size], batch=size > 1, batch_size=None)
            compiled[size] = compile_gradient(Problem(sub), backend="scalar", carry_rounding=rounding)
        return compiled[size]

    params = [float(p.value) for p in problem.network.parameters]
    order = list(range(len(spec.examples)))
    rng = None if shuffle_seed is None else random.Random(shuffle_seed)
    history = [full.function(*full.arguments(params))[0]]
    epoch_errors, seen = [], 0.0
    size = spec.batch_size or len(order)
    done = 0
    while done < steps:
        if rng is not None:
            rng.shuffle(order)
        for start in range(0, len(order), size):
            if done == steps:
                break
            group = [spec.examples[k] for k in order[start:start + size]]
            f = step_function(len(group))
            out = f.function(*f.arguments(params, [e.inputs for e in group], [e.targets for e in group]))
            seen += out[0]
            params = list(out[n + 1:])
            history.append(full.function(*full.arguments(params))[0])
            done += 1
        else:
            epoch_errors.append(history[-1] if epoch_error == "after" else seen)
            seen = 0.0
    return history, epoch_errors, dict(zip(names, params))


def exact_updates(source, epochs: int, *, carry_rounding=None, models: dict | None = None) -> list[dict]:
    """The parameters after 0, 1, ... ``epochs`` epochs of updates (spec order), exact.

    >>> from derive import load
    >>> spec = {"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}], "update": "online",
    ...         "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]}
    >>> exact_updates(load(spec), 1)
    [{'w1': Fraction(1, 2)}, {'w1': Fraction(3, 4)}]
    """
    Problem = type(source)
    spec = source.spec
    rounding = spec.conventions.carry_rounding if carry_rounding is None else carry_rounding
    models = {} if models is None else models
    history = [{p.name: p.value for p in source.network.parameters}]
    for _ in range(epochs):
        params = update_problems(Problem(spec), carry_rounding=rounding, models=models)[-1].updated
        history.append(params)
        spec = with_parameters(spec, params)
    return history


def update_at(source, steps: int, *, models: dict | None = None) -> Update:
    """The update made after ``steps`` updates (0: the first), at the parameters they left; spec order.

    Up to ``EXACT_STEP_LIMIT`` updates the epochs before it run exact; a longer run takes the float
    loop and reads its parameters back as exact decimals (as :func:`~derive.engine.train.parameters_at`).

    Only the updates before it are computed, on one symbolic model per shape of update (``models``,
    as :func:`update_problems` keeps them).

    >>> from derive import load
    >>> spec = {"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}], "update": "online",
    ...         "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]}
    >>> u = update_at(load(spec), 3)
    >>> u.number, u.examples, u.problem.spec.layers[0].weights
    (4, (2,), ((Fraction(3, 8),),))
    """
    from ..io.progress import paused, task

    Problem = type(source)
    spec = source.spec
    per_epoch = len(spec.update_groups)
    epochs, within = divmod(steps, per_epoch)
    models = {} if models is None else models
    current = spec
    with task("updates before it", steps) as bar, paused():  # one bar, not one per update's values
        if steps > EXACT_STEP_LIMIT:  # exact epochs cost a model's values per update: 100,000 took minutes
            params = run_updates(source, epochs * per_epoch)[2]
            current = with_parameters(spec, {name: Fraction(repr(value)) for name, value in params.items()})
            bar.advance(epochs * per_epoch)
        else:
            for _ in range(epochs):
                current = with_parameters(current, update_problems(Problem(current), models=models)[-1].updated)
                bar.advance(per_epoch)
        update = update_problems(Problem(current), stop=within + 1, models=models)[within]
        bar.advance(within)
    return Update(steps + 1, update.examples, update.problem)
