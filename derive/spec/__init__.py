"""Stage 1 of the flow: reading and validating what the user wrote, once, at the edge.

Owns the safe YAML/JSON reader (:mod:`.source`, :mod:`.yaml_reader`, :mod:`.json_reader`,
exact numbers in :mod:`.values`), the spec validator (:mod:`.validate`, conventions in :mod:`.conventions`) and its plain data
(:mod:`.model`), the naming scheme (:mod:`.naming`), the built-in examples (:mod:`.examples`)
and claims files (:mod:`.claims`). May import ``derive.errors`` and ``derive.io`` only; no SymPy.
"""

from .model import Conventions, Example, LayerSpec, Optimizer, Randomize, Range, Spec
from .validate import load_spec

__all__ = ["Conventions", "Example", "LayerSpec", "Optimizer", "Randomize", "Range", "Spec", "load_spec"]
