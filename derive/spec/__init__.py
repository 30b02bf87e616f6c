"""Stage 1 of the flow: reading and validating what the user wrote, once, at the edge.

Owns the safe YAML/JSON reader (:mod:`.source`, :mod:`.yaml_reader`, :mod:`.json_reader`,
exact numbers in :mod:`.values`), the spec validator (:mod:`.validate`, conventions in :mod:`.conventions`) and its plain data
(:mod:`.model`), the naming scheme (:mod:`.naming`), the built-in examples (:mod:`.examples`)
and claims files (:mod:`.claims`). May import ``derive.errors`` and ``derive.io`` only; no SymPy.
"""

__all__ = ["Conventions", "Example", "LayerSpec", "Optimizer", "Randomize", "Range", "Spec", "load_spec"]


def __getattr__(name: str):
    """The public names, loaded on first use: importing a light submodule (``derive.spec.paths``,
    ``derive.spec.examples``) must not load the YAML reader and the validator (start-up time)."""
    if name == "load_spec":
        from .validate import load_spec  # deferred, for start-up time

        return load_spec
    if name in __all__:
        from . import model  # deferred, for start-up time

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
