"""derive: backpropagation worked out by the chain rule, step by step.

>>> import derive
>>> problem = derive.load("2-2-2")
>>> round(problem.value("grad_w1"), 9)
0.000438568
"""

from .version import __version__
from .errors import DeriveError, LatexError, OutputError, RenderError, SpecError

# The rest of the public API is imported on first use, for start-up time: importing derive (as the
# ``derive`` command does) must not load SymPy, so ``derive --help`` and ``derive --version`` answer at once.
_API = {
    "Problem": ".engine.problem", "load": ".engine.problem",
    "example_names": ".spec.examples",
    "Spec": ".spec.validate", "load_spec": ".spec.validate",
    "Solution": ".render.solution", "solve": ".render.solution",
    "Variant": ".classroom.variants", "VariantSet": ".classroom.variants",
    "generate_variant": ".classroom.variants", "generate_variants": ".classroom.variants",
    "make_worksheets": ".classroom.worksheet",
    "TrainingRun": ".engine.train", "train": ".engine.train", "with_conventions": ".engine.train",
    "CheckReport": ".classroom.check", "check_claims": ".classroom.check",
    "ClassGrades": ".classroom.grade", "grade_class": ".classroom.grade", "write_grades": ".classroom.grade",
    "make_exam": ".classroom.exam", "load_exam": ".spec.exam",
    "Tolerance": ".classroom.tolerance", "parse_tolerance": ".classroom.tolerance",
    "language": ".render.language", "LANGUAGES": ".render.language",
}

__all__ = [
    "DeriveError", "LatexError", "OutputError", "Problem", "RenderError", "Spec", "SpecError",
    "example_names", "load", "load_spec", "Solution", "solve",
    "Variant", "VariantSet", "generate_variant", "generate_variants", "make_worksheets",
    "load_exam", "make_exam",
    "TrainingRun", "train", "with_conventions", "CheckReport", "check_claims",
    "ClassGrades", "grade_class", "write_grades", "Tolerance", "parse_tolerance", "language", "LANGUAGES",
]


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'derive' has no attribute {name!r}")
    from importlib import import_module  # for start-up time (see _API)

    value = getattr(import_module(_API[name], __name__), name)
    globals()[name] = value  # looked up once
    _install_displays()
    return value


def _install_displays() -> None:
    """Give the API's objects their Jupyter displays, once, when the API is first used.

    The engine and the classroom may not import presentation, so the displays are attached here.
    """
    if globals().get("_displays_installed"):
        return
    globals()["_displays_installed"] = True
    from .classroom.check import CheckReport
    from .classroom.variants import VariantSet
    from .engine.model import Quantity
    from .engine.problem import Problem
    from .engine.train import TrainingRun
    from .render.jupyter import install

    install(problem=Problem, run=TrainingRun, variants=VariantSet, report=CheckReport, quantity=Quantity)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
