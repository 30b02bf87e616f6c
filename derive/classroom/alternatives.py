"""A claim recomputed under alternatives: conventions switched, carried rounding, earlier training steps.

:class:`Evaluations` caches the values of every alternative the checker tries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DeriveError
from ..render.language import lazy_gettext
from ..spec.claims import Claim

CARRY_ROUNDINGS = range(1, 7)


@dataclass(frozen=True)
class Variant:
    """A convention switched away from the spec's; ``changes`` are :func:`with_conventions` arguments."""

    kind: str  # "convention" or "carry_rounding"
    label: str  # the switch as the spec or CLI sets it: "carry_rounding=off"
    changes: dict = field(default_factory=dict)

    @property
    def description(self):
        """The switch in words, with its name: a :class:`~derive.render.language.Message`, printed in
        the language current when it is read (in German and Spanish the phrase follows "mit" / "con").

        >>> str(Variant("carry_rounding", "carry_rounding=off").description)
        'unrounded values (carry_rounding=off)'
        """
        name, _, value = self.label.partition("=")
        label = self.label
        if (name, value) == ("backprop_through_updated_weights", "on"):
            return lazy_gettext("hidden deltas through the already updated output weights (%(label)s)", label=label)
        if (name, value) == ("backprop_through_updated_weights", "off"):
            return lazy_gettext("hidden deltas through the weights before the update (%(label)s)", label=label)
        if (name, value) == ("carry_rounding", "off"):
            return lazy_gettext("unrounded values (%(label)s)", label=label)
        if name == "carry_rounding":
            return lazy_gettext("every value rounded to %(decimals)s decimals as it is carried (%(label)s)",
                                decimals=value, label=label)
        if (name, value) == ("loss", "half_sse"):
            return lazy_gettext("the error ½Σ(t − out)² (%(label)s)", label=label)
        if (name, value) == ("loss", "sse"):
            return lazy_gettext("the error Σ(t − out)² without the ½ (%(label)s)", label=label)
        if (name, value) == ("loss", "mse"):
            return lazy_gettext("the mean squared error over the outputs (%(label)s)", label=label)
        if (name, value) == ("reduction", "mean"):
            return lazy_gettext("the mean error over the batch (%(label)s)", label=label)
        if (name, value) == ("reduction", "sum"):
            return lazy_gettext("the summed error over the batch (%(label)s)", label=label)
        if (name, value) == ("log_base", "e"):
            return lazy_gettext("the natural logarithm (%(label)s)", label=label)
        if name == "log_base":
            return lazy_gettext("the base-%(base)s logarithm (%(label)s)", base=value, label=label)
        if name == "error_term":
            return lazy_gettext("the error term with the other sign (%(label)s)", label=label)
        return lazy_gettext("the switch %(label)s", label=label)


class Evaluations:
    """Values of every quantity after k steps, under the spec and its variants, computed once each."""

    def __init__(self, spec, base=None):
        """``base``: the spec's problem if the caller has it (its symbolic model is then not built again)."""
        from ..engine.problem import Problem

        self.spec = spec
        self.base = base if base is not None else Problem(spec)
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
        other_sign = "positive" if conventions.error_term == "negative" else "negative"
        if claim is None or not claim.names_derivative:  # ∂E/∂net is the same in either convention
            found.append(Variant("convention", f"error_term={other_sign}", {"error_term": other_sign}))
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


def _places(text: str) -> int:
    """Decimal places up to the last nonzero digit: 2 for "0.150", 0 for "12", 5 for "1.2e-4".

    >>> _places("0.159121960"), _places("120"), _places("1.2e-4")
    (8, 0, 5)
    """
    from decimal import Decimal

    return max(-Decimal(text).normalize().as_tuple().exponent, 0)
