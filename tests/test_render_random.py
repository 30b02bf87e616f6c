"""Random small networks render in every style and both formats, with consistent numbering."""

from __future__ import annotations

import sympy as sp
from hypothesis import HealthCheck, given, settings

import derive
from derive.render.solution import Solution  # imported here: derive.render loads its modules on demand
from derive.steps import STYLES, derive_steps
from render_helpers import equations
from strategies import networks


def check_derivation(derivation):
    """Numbers increase, back-references point backwards, every value is the engine's."""
    values = derivation.problem.values()
    numbers = [s.number for s in derivation.steps() if s.number is not None]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    for step in derivation.steps():
        if step.number is not None:
            assert all(n < step.number for n in step.uses), step.key
        value = step.value
        entries = list(value) if isinstance(value, sp.MatrixBase) else [value] if value is not None else []
        for entry in entries:
            if entry.key in values:
                assert entry.value == values[entry.key], entry.key


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(networks(max_layers=3, max_units=2, max_inputs=2, max_examples=2))
def test_random_networks_render_in_every_style_and_format(spec):
    problem = derive.load(spec)
    for style in STYLES:
        derivation = derive_steps(problem, style=style)
        check_derivation(derivation)
        solution = Solution(derivation)
        md, tex = solution.markdown(), solution.latex()
        assert md.startswith("# ") and tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
        assert "- -" not in md and "+ -" not in md
        shown = equations(md)
        assert set(shown) == {s.number for s in derivation.steps() if s.number is not None} - _table_numbers(derivation)
        assert equations(tex) == shown


def _table_numbers(derivation):
    from derive.steps import Table

    found = set()

    def walk(items):
        for item in items:
            if isinstance(item, Table):
                found.add(item.number)
            elif hasattr(item, "items") and not isinstance(item, Table):
                walk(item.items)

    for section in derivation.sections:
        walk(section.items)
    return found


@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(networks(max_layers=2, max_units=2, max_inputs=2, max_examples=1))
def test_random_networks_with_options(spec):
    problem = derive.load(spec)
    first = problem.parameter_names[0]
    for style in STYLES:
        solution = derive.solve(problem, style=style, only=[first], names="indexed", digits=4, carry_rounding=6)
        assert solution.markdown() and solution.latex(fragment=True)
