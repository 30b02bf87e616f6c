"""derive: backpropagation worked out by the chain rule, step by step.

>>> import derive
>>> problem = derive.load("2-2-2")
>>> round(problem.value("grad_w1"), 9)
0.000438568
"""

from .api import Problem, load
from .errors import DeriveError, LatexError, OutputError, RenderError, SpecError
from .examples import example_names
from .spec import Spec, load_spec
from .solution import Solution, solve
from .variants import Variant, VariantSet, generate_variant, generate_variants
from .worksheet import make_worksheets
from .train import TrainingRun, train, with_conventions
from .check import CheckReport, check_claims

__all__ = [
    "DeriveError", "LatexError", "OutputError", "Problem", "RenderError", "Spec", "SpecError",
    "example_names", "load", "load_spec", "Solution", "solve",
    "Variant", "VariantSet", "generate_variant", "generate_variants", "make_worksheets",
    "TrainingRun", "train", "with_conventions", "CheckReport", "check_claims",
]
__version__ = "0.1.0"
