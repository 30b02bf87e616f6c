"""derive: backpropagation worked out by the chain rule, step by step.

>>> import derive
>>> problem = derive.load("2-2-2")
>>> round(problem.value("grad_w1"), 9)
0.000438568
"""

from .engine.problem import Problem, load
from .version import __version__
from .errors import DeriveError, LatexError, OutputError, RenderError, SpecError
from .spec.examples import example_names
from .spec.validate import Spec, load_spec
from .render.solution import Solution, solve
from .classroom.variants import Variant, VariantSet, generate_variant, generate_variants
from .classroom.worksheet import make_worksheets
from .engine.train import TrainingRun, train, with_conventions
from .classroom.check import CheckReport, check_claims
from .engine.model import Quantity as _Quantity
from .render.jupyter import install as _install_displays

# The engine and the classroom may not import presentation: their Jupyter displays are attached here.
_install_displays(problem=Problem, run=TrainingRun, variants=VariantSet, report=CheckReport, quantity=_Quantity)

__all__ = [
    "DeriveError", "LatexError", "OutputError", "Problem", "RenderError", "Spec", "SpecError",
    "example_names", "load", "load_spec", "Solution", "solve",
    "Variant", "VariantSet", "generate_variant", "generate_variants", "make_worksheets",
    "TrainingRun", "train", "with_conventions", "CheckReport", "check_claims",
]
