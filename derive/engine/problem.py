"""The public Python API: load a spec, ask for expressions, gradients and numbers."""

from __future__ import annotations

from functools import cached_property

from ..errors import SpecError
from .network import Network, build_network
from .numeric import DEFAULT_PRECISION, Values, evaluate
from ..spec.validate import Spec, load_spec


class Problem:
    """One network with its data: symbolic expressions, chain-rule gradients and values.

    >>> import derive
    >>> problem = derive.load("2-2-2")
    >>> problem.expression("out_h1")
    sigmoid(net_h1)
    >>> problem.gradient("w5")
    [dE_dout_o1, dout_dnet_o1, dnet_o1_dw5]
    >>> problem.expression("dE_dout_o1")
    out_o1 - t_o1
    >>> round(problem.value("E_total"), 9)
    0.298371109
    """

    def __init__(self, spec: Spec):
        self.spec = spec
        self.network: Network = build_network(spec)

    def __repr__(self) -> str:
        """Shape, title and size, on one line.

        >>> import derive
        >>> derive.load("2-2-1")
        <Problem 2-2-1 'Two inputs, two hidden, one output (linear, no bias)': 6 parameters, 1 example, loss half_sse>
        """
        spec = self.spec
        shape = "-".join(str(n) for n in [len(spec.examples[0].inputs)] + [layer.units for layer in spec.layers])
        title = f" {spec.title!r}" if spec.title else ""
        examples = len(spec.examples)
        return (f"<Problem {shape}{title}: {len(self.parameter_names)} parameters, {examples} "
                f"example{'s' * (examples != 1)}, loss {spec.loss}>")

    @cached_property
    def model(self):
        from .symbolic import build_model

        return build_model(self.network)

    def with_spec(self, spec: Spec) -> Problem:
        """A problem of ``spec``, this one's structure with other numbers (weights, biases, data, learning
        rate), sharing this one's symbolic model: the model depends on the structure and names alone.

        >>> import derive
        >>> from fractions import Fraction
        >>> from derive.engine.updates import with_parameters
        >>> first = derive.load("2-2-1")
        >>> second = first.with_spec(with_parameters(first.spec, {"w1": Fraction(1)}))
        >>> second.model.quantities is first.model.quantities, first.values()["net_h1"], second.values()["net_h1"]
        (True, 17/20, 263/100)
        """
        import dataclasses

        problem = Problem(spec)
        problem.__dict__["model"] = dataclasses.replace(self.model, network=problem.network)
        return problem

    @property
    def parameter_names(self) -> list[str]:
        """Every weight and bias, in naming order."""
        return [p.name for p in self.network.parameters]

    def quantity(self, name: str):
        """The named quantity (``net_h1``, ``delta_o1``, ``grad_w5``, ``w5_new``, ...; ``net_h1__2`` in a batch).

        >>> import derive
        >>> batch = derive.load({"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}],
        ...                      "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]})
        >>> batch.quantity("out_o1")
        Traceback (most recent call last):
        ...
        KeyError: 'no quantity named out_o1 in this batch of 2 examples; did you mean out_o1__1, out_o1__2?'
        """
        try:
            return self.model[name]
        except KeyError:
            raise KeyError(self._unknown(name)) from None

    def _unknown(self, name: str) -> str:
        per_example = [self.model.ex(name, n) for n in range(self.model.n_examples)]
        if self.model.n_examples > 1 and per_example[0] in self.model.by_key:
            shown = per_example if len(per_example) <= 4 else [*per_example[:3], "...", per_example[-1]]
            return (f"no quantity named {name} in this batch of {len(per_example)} examples; "
                    f"did you mean {', '.join(shown)}?")
        return (f"no quantity named {name!r}; try one of: "
                + ", ".join(q.key for q in self.model.quantities[:12]) + ", ...")

    def expression(self, name: str):
        """The formula of a named quantity in terms of earlier named quantities."""
        q = self.quantity(name)
        return q.formula if q.formula is not None else q.symbol

    def expanded(self, name: str):
        """A quantity written out in inputs, targets and parameters alone (small networks).

        >>> import derive
        >>> derive.load("2-2-1").expanded("out_o1")
        w5*(w1*x1 + w2*x2) + w6*(w3*x1 + w4*x2)
        """
        from .symbolic import expand

        return expand(self.model, name)

    def gradient(self, param: str, *, expanded: bool = False, example: int | None = None):
        """∂E_total/∂param in its named chain-rule factors, or (``expanded``) in the givens alone.

        For one example: the list of factors whose product it is. For a batch: the sum over the
        examples of those products (over their number too, for ``reduction: mean``); ``example=k``
        gives example k's own factors (or, expanded, its own gradient). Examples count from 1, as
        the names do (``dE_dout_o1__1``).

        >>> import derive
        >>> derive.load("2-2-2").gradient("w1")
        [dE_dout_h1, dout_dnet_h1, dnet_h1_dw1]
        >>> batch = derive.load({"batch": [{"inputs": [1], "targets": [0]}, {"inputs": [2], "targets": [1]}],
        ...                      "layers": [{"units": 1, "activation": "linear", "weights": [[0.5]]}]})
        >>> batch.gradient("w1")
        dE_dout_o1__1*dnet_o1_dw1__1*dout_dnet_o1__1 + dE_dout_o1__2*dnet_o1_dw1__2*dout_dnet_o1__2
        >>> batch.gradient("w1", example=2)
        [dE_dout_o1__2, dout_dnet_o1__2, dnet_o1_dw1__2]
        """
        import sympy as sp  # deferred for start-up time, as the other SymPy imports of this module

        from .symbolic import chain_factors

        if param not in self.model.chains:
            raise KeyError(f"no parameter named {param!r}; the parameters are {', '.join(self.parameter_names)}")
        chain = self.model.chains[param]
        n = None if example is None else self._example_index(example)
        if expanded:
            return self.expanded(chain.gradient.key if n is None else chain.per_example[n].key)
        if n is not None or self.model.n_examples == 1:
            return [q.symbol for q in chain_factors(self.model, param, n or 0)]
        products = {q.symbol: sp.Mul(*[f.symbol for f in chain_factors(self.model, param, k)])
                    for k, q in enumerate(chain.per_example)}
        return chain.gradient.formula.xreplace(products)

    def _example_index(self, example) -> int:
        """The 0-based index of the API's ``example`` number (from 1; an update's examples keep the spec's), checked."""
        first = self.spec.first_example
        last = first + self.model.n_examples - 1
        if isinstance(example, bool) or not isinstance(example, int) or not first <= example <= last:
            raise SpecError(f"must be a whole number from {first} to {last} (examples count from 1, as in the names' "
                            f"__1); got {example!r}", field="example")
        return example - first

    def values(self, *, precision: int = DEFAULT_PRECISION, carry_rounding: int | None = None) -> Values:
        """Every quantity's value: exact rationals where possible, else ``precision`` digits."""
        if carry_rounding is None:
            carry_rounding = self.spec.conventions.carry_rounding
        key = (precision, carry_rounding)
        cache = self.__dict__.setdefault("_values", {})
        if key not in cache:
            cache[key] = evaluate(self.model, precision=precision, carry_rounding=carry_rounding)
        return cache[key]

    def value(self, name: str) -> float:
        """One quantity's value as a float."""
        self.quantity(name)
        return self.values().float(name)

    def compile_gradient(self, *, backend: str = "auto"):
        """A fast floating-point gradient function: ``backend`` is ``"scalar"``, ``"vector"`` or ``"auto"``
        (see :func:`~derive.engine.compiled.compile_gradient`)."""
        from .compiled import compile_gradient

        return compile_gradient(self, backend=backend)

    def to_dict(self) -> dict:
        """The JSON contract of ``derive solve --format json``."""
        from .report import result_dict

        return result_dict(self)


def load(source) -> Problem:
    """Load a spec (path, YAML/JSON text, dict, or built-in example name) as a :class:`Problem`.

    >>> import derive
    >>> derive.load({"inputs": [2, 3], "targets": [1],
    ...              "layers": [{"units": 1, "activation": "linear", "weights": [[0.1, 0.2]]}]}).value("out_o1")
    0.8
    """
    return Problem(load_spec(source))
