"""Training runs: many full-batch steps through the compiled gradient, and exact short runs.

``loss_history[i]`` is the error E_total **after i steps**: ``loss_history[0]`` is the error of
the spec's own parameters (before any step) and ``loss_history[N]`` the error after the N-th
update, so a run of N steps has N + 1 entries. (The 2-2-2 network: 0.298371109, then
0.291027774 after one step, 0.0000351019 after 10,000.)

The loop calls :class:`~derive.engine.compiled.CompiledGradient`'s function, which evaluates the
model's named quantities in plain floating point; SymPy is never used inside the loop. Short
runs for worked solutions and the checker (:func:`parameters_at`) step exactly instead.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction

from ..errors import DeriveError, SpecError, keyword
from ..io.limits import EXACT_STEP_LIMIT, MAX_STEPS
from ..io.progress import task
from .optim import OptimizerState, exact_step, float_stepper
from .report import conventions_dict  # noqa: F401  (the JSON of a run names them)
from ..spec.model import ERROR_TERMS, CarryRounding
from ..spec.validate import LOG_BASES, LOSSES, PROBABILITY_ACTIVATIONS, REDUCTIONS, Spec, load_spec

_UNSET = object()


@dataclass(frozen=True)
class TrainingRun:
    """The result of ``steps`` full-batch optimizer steps.

    ``loss_history[i]`` is E_total after ``i`` steps (``[0]``: before any step); ``parameters``
    and ``outputs`` (one row per example) belong to the final parameters.
    """

    spec: Spec
    steps: int
    loss_history: tuple[float, ...]
    parameters: dict[str, float]
    outputs: tuple[tuple[float, ...], ...]
    update: str = "batch"  # online or mini-batch: a step is one update, an epoch one pass over the examples
    epochs: int | None = None  # complete passes over the examples (online and mini-batch)
    epoch_error: str | None = None  # after: the error at the end of each epoch; before: summed over its updates
    epoch_errors: tuple[float, ...] = ()
    shuffle_seed: int | None = None

    @property
    def loss(self) -> float:
        """The error after the last step."""
        return self.loss_history[-1]

    def __repr__(self) -> str:
        """Steps, optimizer and the error before and after (not the whole spec).

        >>> import derive
        >>> derive.train("2-2-1", 3)
        <TrainingRun 'Two inputs, two hidden, one output (linear, no bias)': 3 steps of sgd, error 0.32724 -> 0.168564>
        """
        title = f" {self.spec.title!r}" if self.spec.title else ""
        return (f"<TrainingRun{title}: {self.steps} steps of {self.spec.optimizer.name}, "
                f"error {self.loss_history[0]:.6g} -> {self.loss:.6g}>")

    def thinned(self, every: int | None = None) -> list[tuple[int, float]]:
        """(step, error) rows for a table: step 0, every ``every``-th step and the last one.

        Without ``every`` about twenty rows are kept (``every`` a round number: 1, 2, 5, 10, 20, ...).

        >>> run = TrainingRun(None, 4, (4.0, 3.0, 2.0, 1.0, 0.5), {}, ())
        >>> run.thinned(3)
        [(0, 4.0), (3, 1.0), (4, 0.5)]
        """
        every = every or default_every(self.steps)
        rows = [(i, loss) for i, loss in enumerate(self.loss_history) if i % every == 0]
        if rows[-1][0] != self.steps:
            rows.append((self.steps, self.loss_history[-1]))
        return rows

    def to_dict(self) -> dict:
        """The JSON contract of ``derive train --format json``."""
        spec = self.spec
        return {
            "title": spec.title,
            "steps": self.steps,
            "optimizer": spec.optimizer.name,
            "conventions": conventions_dict(spec),
            "loss_history": list(self.loss_history),
            "loss": self.loss,
            "outputs": [list(row) for row in self.outputs],
            "parameters": dict(self.parameters),
            **({} if self.update == "batch" else {
                "update": self.update, "batch_size": spec.batch_size, "epochs": self.epochs,
                "epoch_error": self.epoch_error, "epoch_errors": list(self.epoch_errors),
                "shuffle_seed": self.shuffle_seed}),
        }


def default_every(steps: int, rows: int = 20) -> int:
    """A round step interval that shows about ``rows`` rows of a run of ``steps`` steps.

    >>> default_every(10), default_every(10000), default_every(300)
    (1, 500, 20)
    """
    target = max(1, math.ceil(steps / rows))
    scale = 1
    while True:
        for nice in (1, 2, 5):
            if nice * scale >= target:
                return nice * scale
        scale *= 10


# ---------------------------------------------------------------- conventions

def with_conventions(spec, *, backprop_through_updated_weights=None, carry_rounding=_UNSET,
                     loss=None, reduction=None, log_base=None, error_term=None) -> Spec:
    """``spec`` with some convention switches changed (None / not given keeps the spec's own).

    ``carry_rounding=None`` switches carried rounding off; an int N rounds to N decimals.

    >>> spec = with_conventions("2-2-2", backprop_through_updated_weights=True, carry_rounding=4)
    >>> spec.conventions.backprop_through_updated_weights, spec.conventions.carry_rounding
    (True, 4)
    >>> with_conventions("2-2-1", loss="cross_entropy")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: loss cross_entropy needs outputs that are probabilities (a sigmoid or softmax output layer); the output layer is linear
    """
    spec = load_spec(spec)
    conventions = spec.conventions
    if backprop_through_updated_weights is not None:
        conventions = dataclasses.replace(conventions,
                                          backprop_through_updated_weights=bool(backprop_through_updated_weights))
    if carry_rounding is not _UNSET:
        if carry_rounding is not None and not isinstance(carry_rounding, CarryRounding) and not (
                isinstance(carry_rounding, int) and 0 <= carry_rounding <= 30):
            raise SpecError(f"must be a whole number from 0 to 30 or off; got {carry_rounding!r}",
                            field=keyword("carry_rounding"))
        conventions = dataclasses.replace(conventions, carry_rounding=carry_rounding)
    if error_term is not None:
        if error_term not in ERROR_TERMS:
            raise SpecError(f"must be one of {', '.join(ERROR_TERMS)}; got {error_term!r}", field=keyword("error_term"))
        conventions = dataclasses.replace(conventions, error_term=error_term)
    changes = {"conventions": conventions}
    for flag, value, allowed in (("loss", loss, LOSSES), ("reduction", reduction, REDUCTIONS),
                                 ("log_base", log_base, LOG_BASES)):
        if value is None:
            continue
        if value not in allowed:
            raise SpecError(f"must be one of {', '.join(allowed)}; got {value!r}", field=keyword(flag))
        changes[flag] = value
    new = dataclasses.replace(spec, **changes)
    _check_loss_fits(new, keyword("loss") if loss is not None else None)
    return new



def _check_loss_fits(spec: Spec, option: str | None) -> None:
    """A cross-entropy loss needs probabilities; ``option`` names the keyword that set it (None: the spec)."""
    if spec.loss not in ("cross_entropy", "binary_cross_entropy"):
        return
    last = spec.layers[-1].activation
    if last not in PROBABILITY_ACTIVATIONS:
        raise SpecError(f"{spec.loss} needs outputs that are probabilities (a sigmoid or softmax output layer); "
                        f"the output layer is {last}", field=option)
    for example in spec.examples:
        for t in example.targets:
            if not 0 <= t <= 1:
                raise SpecError(f"{spec.loss} needs targets between 0 and 1; got {float(t)}", field=option or "loss")


def check_trainable(spec: Spec) -> None:
    """Refuse combinations a training run cannot honour, with the fields named.

    The updated-weights convention backpropagates through the SGD-updated output weights
    (w_new = w − η·grad), so it only applies to the ``sgd`` optimizer.

    >>> check_trainable(load_spec("2-2-2"))
    """
    if spec.conventions.backprop_through_updated_weights and spec.optimizer.name != "sgd":
        raise SpecError(f"backprop_through_updated_weights only applies to the sgd optimizer; "
                        f"the optimizer is {spec.optimizer.name}", field="conventions")


# ---------------------------------------------------------------- the compiled loop

def train(source, steps: int, *, backend: str = "auto", epoch_error: str = "after",
          shuffle_seed: int | None = None) -> TrainingRun:
    """Run ``steps`` full-batch steps of the spec's optimizer through the compiled gradient.

    ``source`` is a spec (path, text, dict, example name, :class:`Spec`) or a
    :class:`~derive.engine.problem.Problem`; ``backend`` picks the compiled gradient
    (``"scalar"``, ``"vector"`` or ``"auto"``, see :func:`~derive.engine.compiled.compile_gradient`).
    With ``update: online`` or ``{batch_size: k}`` a step is one update and an epoch one pass over
    the examples (see :func:`~derive.engine.updates.run_updates` for ``epoch_error`` and ``shuffle_seed``).

    >>> run = train("2-2-2", 10000)
    >>> round(run.loss_history[1], 9), len(run.loss_history), f"{run.loss:.10f}"
    (0.291027774, 10001, '0.0000351019')
    >>> [round(o, 10) for o in run.outputs[0]]
    [0.0159136204, 0.9840642735]
    """
    problem = _problem(source)
    steps = _check_steps(steps)
    check_trainable(problem.spec)
    if problem.spec.update != "batch":
        return _train_updates(problem, steps, epoch_error, shuffle_seed)
    for name, value, default in (("shuffle_seed", shuffle_seed, None), ("epoch_error", epoch_error, "after")):
        if value != default:  # a full-batch run has no epochs of updates: the option would be silently ignored
            raise SpecError(f"applies to a spec with update: online or {{batch_size: k}}; this one updates once "
                            f"per step with the whole batch; got {value!r}", field=keyword(name))
    history, captured = _float_loop(problem, steps, {steps}, backend=backend)
    final = captured[steps]
    names = [p.name for p in problem.network.parameters]
    return TrainingRun(problem.spec, steps, tuple(history), dict(zip(names, final)),
                       _outputs(problem, dict(zip(names, final))))


def _train_updates(problem, steps: int, epoch_error: str, shuffle_seed) -> TrainingRun:
    """Online or mini-batch training (see :func:`train`)."""
    from .updates import run_updates

    if shuffle_seed is not None and (isinstance(shuffle_seed, bool) or not isinstance(shuffle_seed, int)):
        raise SpecError(f"must be a whole number or None (no shuffling); got {shuffle_seed!r}", field="shuffle_seed")
    history, epoch_errors, params = run_updates(problem, steps, epoch_error=epoch_error, shuffle_seed=shuffle_seed)
    if not all(math.isfinite(x) for x in history):
        raise DeriveError("training diverged: a value left floating point's range; try a smaller learning rate "
                          "or smaller weights")
    return TrainingRun(problem.spec, steps, tuple(history), params, _outputs(problem, params),
                       update=problem.spec.update, epochs=len(epoch_errors), epoch_error=epoch_error,
                       epoch_errors=tuple(epoch_errors), shuffle_seed=shuffle_seed)


def _problem(source):
    from .problem import Problem

    return source if isinstance(source, Problem) else Problem(load_spec(source))


def _check_steps(steps, limit: int = MAX_STEPS) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= limit:
        raise SpecError(f"must be a whole number from 0 to {limit}; got {steps!r}", field="steps")
    return steps


def _float_loop(problem, steps: int, capture: set[int], *, check: bool = True, backend: str = "auto"):
    """(loss history, {step: parameter list}) of a float run; raises DeriveError if it diverges (``check``)."""
    compiled = _compiled(problem, backend)
    loop = _vector_steps if compiled.backend == "vector" else _scalar_steps
    history, captured, failed = loop(problem, compiled, steps, capture)
    if failed is not None:
        raise _diverged(problem, *failed)
    bad = next((i for i, loss in enumerate(history) if not math.isfinite(loss)), None) if check else None
    if bad is not None:
        raise _diverged(problem, bad, _float_loop(problem, bad, {bad}, check=False, backend=backend)[1][bad])
    return history, captured


def _compiled(problem, backend: str):
    """The problem's compiled gradient for its carried rounding, compiled once per problem and backend."""
    from .compiled import compile_gradient

    rounding = problem.spec.conventions.carry_rounding
    cache = problem.__dict__.setdefault("_compiled_gradients", {})
    if (rounding, backend) not in cache:
        cache[rounding, backend] = compile_gradient(problem, backend=backend, carry_rounding=rounding)
    return cache[rounding, backend]


def _stepper(problem):
    """The float step of a non-SGD optimizer (lists in, lists out), or None for SGD."""
    from .compiled import float_round_half_up

    spec = problem.spec
    if spec.optimizer.name == "sgd":
        return None
    rounding = spec.conventions.carry_rounding
    carry = None if rounding is None else (lambda x: float_round_half_up(x, rounding))
    return float_stepper(spec.optimizer, float(spec.learning_rate),
                         [p.trainable for p in problem.network.parameters], carry)


def _scalar_steps(problem, compiled, steps: int, capture: set[int]):
    """(history, captured, None or (step, parameters) where floats raised) through the scalar function."""
    f = compiled.function
    args = compiled.arguments()
    n = len(compiled.parameter_names)
    captured = {}
    history = [0.0] * (steps + 1)
    stepper = _stepper(problem)
    step, new = 0, n + 1
    try:
        with task("training (steps)", steps) as bar:
            if stepper is None and capture <= {steps}:  # the usual run: only the final parameters are wanted
                args[:n] = compiled.training_loop()(steps, history, *args)
            else:
                for step in range(steps):
                    if not step & 4095:
                        bar.advance_to(step)
                    if step in capture:
                        captured[step] = args[:n]
                    out = f(*args)
                    history[step] = out[0]
                    args[:n] = out[new:] if stepper is None else stepper(args[:n], out[1:new])
            bar.advance_to(steps)
        step = steps
        captured[steps] = args[:n]
        history[steps] = f(*args)[0]
    except (OverflowError, ValueError, ZeroDivisionError):
        if stepper is None and capture <= {steps}:  # the fused loop does not say where: step through again
            return _scalar_steps(problem, compiled, steps, capture | {-1})
        return history, captured, (step, args[:n])
    return history, captured, None


def _vector_steps(problem, compiled, steps: int, capture: set[int]):
    """The same through the NumPy function: parameters stay one array; overflow shows as inf in the history."""
    np = compiled.np
    f = compiled.function
    p, X, T, eta = compiled.arguments()
    captured = {}
    history = [0.0] * (steps + 1)
    stepper = _stepper(problem)
    with np.errstate(all="ignore"):
        for step in range(steps):
            if step in capture:
                captured[step] = p.tolist()
            history[step], gradients, updated = f(p, X, T, eta)
            p = updated if stepper is None else np.array(stepper(p.tolist(), gradients.tolist()))
        captured[steps] = p.tolist()
        history[steps] = f(p, X, T, eta)[0]
    return history, captured, None


def _diverged(problem, step: int, params) -> DeriveError:
    """The error for a run whose numbers left floating point's range, naming where they did."""
    where = _out_of_range(problem, params) or "a value left floating point's range"
    return DeriveError(f"training diverged after {step} steps: {where}; try a smaller learning rate or smaller weights")


def _out_of_range(problem, params) -> str | None:
    """The first quantity beyond floating point's range (~1.8e308) at ``params``, found by the exact evaluator.

    >>> problem = _problem({"inputs": [1], "targets": [0], "layers": [{"units": 1, "activation": "linear",
    ...                     "weights": [[1]]}]})
    >>> print(_out_of_range(problem, [1e200]))
    E_o1 = 5.00e+399 (neuron o1) is beyond floating point's range
    >>> print(_out_of_range(problem, [float("inf")]))
    w1 is not finite (its update overflowed)
    """
    import sys

    import sympy as sp

    names = [p.name for p in problem.network.parameters]
    for name, value in zip(names, params):
        if not math.isfinite(value):
            return f"{name} is not finite (its update overflowed)"
    values = _evaluate(problem, {k: Fraction(v) for k, v in zip(names, params)}, precision=15)
    for q in problem.model.quantities:
        if q.formula is not None and abs(values[q.key]) > sys.float_info.max:
            neuron = f" (neuron {q.neuron})" if q.neuron else ""
            return f"{q.key} = {str(sp.Float(values[q.key], 3)).lower()}{neuron} is beyond floating point's range"
    return None


def _outputs(problem, params: dict[str, float]) -> tuple[tuple[float, ...], ...]:
    """The network's outputs at ``params``, from the exact evaluator (one pass)."""
    values = _evaluate(problem, {k: Fraction(repr(v)) for k, v in params.items()})
    model = problem.model
    output = problem.network.output_layer
    return tuple(tuple(values.float(model.ex(f"out_{x}", n)) for x in output.neurons)
                 for n in range(model.n_examples))


def _evaluate(problem, params, precision: int = 40):
    from .numeric import evaluate

    return evaluate(problem.model, precision=precision, carry_rounding=problem.spec.conventions.carry_rounding,
                    overrides=params)


# ---------------------------------------------------------------- parameters after some steps

def parameters_at(source, steps, *, precision: int = 40) -> dict[int, dict]:
    """The parameters after each of ``steps`` (an int or several), as exact SymPy numbers.

    Up to :data:`EXACT_STEP_LIMIT` steps the run is exact (Rationals while their size stays
    small, else ``precision`` digits) and follows the spec's optimizer and carried rounding;
    longer runs take the float loop and read its parameters back as exact decimals.

    >>> at = parameters_at("2-2-1", [0, 1])
    >>> at[0]["w5"], at[1]["w5"]
    (7/50, 69753/400000)
    """
    import sympy as sp

    problem = _problem(source)
    # one step past the limit: the checker asks for the update made after the last step
    wanted = sorted({_check_steps(s, MAX_STEPS + 1) for s in ([steps] if isinstance(steps, int) else steps)})
    check_trainable(problem.spec)
    names = [p.name for p in problem.network.parameters]
    if wanted[-1] > EXACT_STEP_LIMIT:
        _, captured = _float_loop(problem, wanted[-1], set(wanted))
        return {s: {k: sp.Rational(Fraction(repr(v))) for k, v in zip(names, captured[s])} for s in wanted}
    history = exact_history(problem, wanted[-1], precision=precision)
    return {s: history[s] for s in wanted}


def exact_history(source, steps: int, *, precision: int = 40) -> list[dict]:
    """Parameters after 0, 1, ..., ``steps`` steps, stepping in exact arithmetic (short runs).

    >>> history = exact_history("2-2-2", 1)
    >>> round(float(history[1]["w5"]), 9), history[1]["b1"]
    (0.35891648, 7/20)
    """
    import sympy as sp

    problem = _problem(source)
    spec = problem.spec
    check_trainable(spec)
    model = problem.model
    rounding = spec.conventions.carry_rounding
    trainable = {p.name: p.trainable for p in problem.network.parameters}
    params = {p.name: sp.Rational(p.value) for p in problem.network.parameters}
    history, state = [params], OptimizerState()
    for _ in range(steps):
        values = _evaluate(problem, params, precision)
        if spec.optimizer.name == "sgd":
            new = {k: values[f"{k}_new"] if trainable[k] else v for k, v in params.items()}
        else:
            grads = {k: values[model.chains[k].gradient.key] for k in params}
            new, state, _ = exact_step(spec.optimizer, spec.learning_rate, params, grads, trainable, state,
                                       precision=precision, carry_rounding=rounding)
        params = {k: _compact(v, precision) for k, v in new.items()}
        history.append(params)
    return history


def _compact(value, precision: int):
    """Keep a Rational while it is small; a long run of exact steps would grow it without end."""
    if value.is_Rational and len(str(value.q)) > 2 * precision:
        return value.evalf(precision)
    return value


def first_step(source, *, precision: int = 40) -> dict:
    """The optimizer's own quantities (m, v, m̂, v̂, update, new value) of the first step, per parameter.

    Data for a worked solution; see :class:`~derive.engine.optim.OptimizerStep`.

    >>> steps = first_step(with_conventions("2-2-2"))
    >>> round(float(steps["w5"]["new"].value), 9)
    0.35891648
    """
    problem = _problem(source)
    spec = problem.spec
    values = _evaluate(problem, {p.name: p.value for p in problem.network.parameters}, precision)
    params = {p.name: values[p.name] for p in problem.network.parameters}
    grads = {k: values[problem.model.chains[k].gradient.key] for k in params}
    trainable = {p.name: p.trainable for p in problem.network.parameters}
    _, _, steps = exact_step(spec.optimizer, spec.learning_rate, params, grads, trainable,
                             precision=precision, carry_rounding=spec.conventions.carry_rounding)
    return steps
