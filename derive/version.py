"""The version of derive (one place: the package metadata and ``derive --version`` read it)."""

__version__ = "0.1.0"
