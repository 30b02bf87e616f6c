"""The fast Mul/Add construction of derive.engine.symbolic gives exactly SymPy's canonical expressions.

derive builds the chain rule's products and sums directly in SymPy's sorted form (evaluated
``Mul``/``Add`` cost ~40 µs each). If that ever drifted from what SymPy itself would build,
equal formulas would compare unequal and printed formulas would change order.
"""

from __future__ import annotations

import sympy as sp
from hypothesis import given, settings

import derive
from strategies import networks


def assert_canonical(expr: sp.Expr, where: str) -> None:
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Add, sp.Mul)):
            rebuilt = node.func(*node.args)  # evaluated: SymPy's own canonical form
            assert rebuilt.args == node.args, f"{where}: {node.args} is not in canonical order {rebuilt.args}"


def assert_model_canonical(problem) -> None:
    for q in problem.model.quantities:
        for field in ("formula", "raw", "simplified"):
            value = getattr(q, field)
            if value is not None:
                assert_canonical(value, f"{q.key}.{field}")
        for item in q.factors + q.terms:
            assert_canonical(item, f"{q.key} factors/terms")


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(networks())
def test_formulas_are_canonical(spec):
    assert_model_canonical(derive.load(spec))


def test_formulas_with_unusual_names_are_canonical():
    # capitals sort before lower case, "_" between; user names exercise the ordering
    spec = {"batch": [{"inputs": [1, 2], "targets": [0.5]}, {"inputs": [3, 1], "targets": [0.1]}],
            "input_names": ["Zed", "alpha"],
            "layers": [{"units": 2, "activation": "tanh", "weights": [[0.1, 0.2], [0.3, 0.4]], "bias": [0.1, 0.2],
                        "neuron_names": ["B", "a"], "weight_names": [["zz", "A1"], ["a_b", "Ab"]]},
                       {"units": 1, "activation": "sigmoid", "weights": [[0.5, 0.6]], "bias": 0.3,
                        "bias_names": "bias"}]}
    problem = derive.load(spec)
    assert_model_canonical(problem)
    assert str(problem.expression("net_B__1")) == "A1*alpha__1 + Zed__1*zz + b_B"
