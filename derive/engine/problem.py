"""The public Python API: load a spec, ask for expressions, gradients and numbers."""

from __future__ import annotations

from functools import cached_property

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

    @cached_property
    def model(self):
        from .symbolic import build_model

        return build_model(self.network)

    @property
    def parameter_names(self) -> list[str]:
        """Every weight and bias, in naming order."""
        return [p.name for p in self.network.parameters]

    def quantity(self, name: str):
        """The named quantity (``net_h1``, ``delta_o1``, ``grad_w5``, ``w5_new``, ...)."""
        try:
            return self.model[name]
        except KeyError:
            raise KeyError(f"no quantity named {name!r}; try one of: "
                           + ", ".join(q.key for q in self.model.quantities[:12]) + ", ...") from None

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

    def gradient(self, param: str, *, expanded: bool = False, example: int = 0):
        """∂E_total/∂param: its chain-rule factors (symbols), or the expanded expression.

        >>> import derive
        >>> derive.load("2-2-2").gradient("w1")
        [dE_dout_h1, dout_dnet_h1, dnet_h1_dw1]
        """
        from .symbolic import chain_factors

        if param not in self.model.chains:
            raise KeyError(f"no parameter named {param!r}; the parameters are {', '.join(self.parameter_names)}")
        if expanded:
            return self.expanded(self.model.chains[param].gradient.key)
        return [q.symbol for q in chain_factors(self.model, param, example)]

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
