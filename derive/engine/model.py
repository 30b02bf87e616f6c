"""The engine's named quantities (``net_h1``, ``delta_o1``, ``grad_w5``, ...) and the model that holds them.

:func:`derive.engine.symbolic.build_model` fills a :class:`Model`; everything later reads it.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field

import sympy as sp

from .network import Network, Parameter

# kinds of quantity, in the order a derivation meets them
GIVEN_KINDS = ("input", "target", "param", "hyper")


@dataclass(eq=False)
class Quantity:
    """A named value: a given, or a formula of earlier quantities' symbols.

    ``num``/``den`` say which partial derivative a quantity is (∂num/∂den); ``factors`` and
    ``terms`` list the named quantities a product or a sum is made of, for the renderers.
    """

    symbol: sp.Symbol
    kind: str
    formula: sp.Expr | None = None
    name: str = ""  # the display name without the example index: "net_h1", "dE_total/dout_o1"
    layer: int | None = None
    neuron: str | None = None
    example: int | None = None  # 0-based; None where it does not depend on the example
    param: str | None = None
    num: str | None = None
    den: str | None = None
    of: sp.Expr | None = None  # the expression that was differentiated
    raw: sp.Expr | None = None  # what sympy.diff returned, before naming
    factors: tuple = ()
    terms: tuple = ()
    simplified: sp.Expr | None = None  # an equivalent, simpler formula (softmax + cross-entropy)

    @property
    def key(self) -> str:
        return self.symbol.name

    def __repr__(self) -> str:
        """The key, the kind and the formula.

        >>> import derive
        >>> derive.load("2-2-2").quantity("net_h1")
        <Quantity net_h1 (net) = b1 + w1*x1 + w2*x2>
        """
        return f"<Quantity {self.key} ({self.kind})" + ("" if self.formula is None else f" = {self.formula}") + ">"


@dataclass
class Chain:
    """∂E_total/∂p for one parameter: per example, the named factors whose product it is."""

    param: Parameter
    gradient: Quantity
    per_example: list[Quantity]  # one product quantity per example (the gradient itself for one example)
    update: Quantity


@dataclass
class Model:
    """All quantities in evaluation order, with lookups by symbol name and by role."""

    network: Network
    quantities: list[Quantity] = field(default_factory=list)
    by_key: dict[str, Quantity] = field(default_factory=dict)
    chains: dict[str, Chain] = field(default_factory=dict)
    learning_rate: sp.Symbol | None = None

    def add(self, quantity: Quantity) -> Quantity:
        if quantity.key in self.by_key:
            raise AssertionError(f"quantity {quantity.key} defined twice")
        self.quantities.append(quantity)
        self.by_key[quantity.key] = quantity
        return quantity

    def __getitem__(self, key: str) -> Quantity:
        return self.by_key[key]

    def symbol(self, key: str) -> sp.Symbol:
        return self.by_key[key].symbol

    @property
    def n_examples(self) -> int:
        return len(self.network.examples)

    def ex(self, base: str, n: int | None) -> str:
        """The symbol name of ``base`` in example ``n`` (suffixed only for batches)."""
        if n is None or self.n_examples == 1:
            return base
        return f"{base}__{self.network.example_number(n)}"


@contextmanager
def collector_paused():
    """Python's cycle collector off while a model or its values are built, then as it was.

    Building a 32x6 model makes ~500,000 objects and none of them is garbage: the collector's
    repeated passes over them cost a third of the time and free nothing.

    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
