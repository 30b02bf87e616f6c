"""Turn a problem into a :class:`~derive.steps.model.Derivation`: choose the style's builder, check the size.

The scalar and delta styles are built by :mod:`derive.steps.scalar`, the matrix style by
:mod:`derive.steps.matrix`; both share :mod:`derive.steps.builder`.
"""

from __future__ import annotations

from ..errors import RenderError, SpecError, keyword
from ..spec.model import CarryRounding
from .matrix import MatrixBuilder
from .model import Derivation
from .scalar import ScalarBuilder

STYLES = ("scalar", "delta", "matrix")
NAME_STYLES = ("sequential", "indexed")
FULL_LIMIT = 40  # more parameters than this: the repeated patterns of each layer go into tables
# A worked solution is for reading: beyond these sizes it runs to thousands of pages and takes
# minutes, so it is refused up front (--format json has no limit). Every parameter in the scalar
# or delta style; a chosen few (--only), or the matrix style, go further.
MAX_DOCUMENT_PARAMETERS = 1000
MAX_FOCUSED_PARAMETERS = 5000


def derive_steps(problem, *, style: str = "scalar", only=None, names: str = "sequential",
                 carry_rounding: int | None = None, collapse: bool | None = None) -> Derivation:
    """Work out one forward pass, backward pass and update of ``problem`` as numbered steps.

    ``only`` derives just those parameters in full (the rest appear in the summary);
    ``carry_rounding`` rounds every intermediate to that many decimals before it is used
    again; ``collapse`` puts the repeated patterns of each layer into tables (default: when
    the network has more than 40 parameters).

    >>> import derive
    >>> d = derive_steps(derive.load("2-2-2"))
    >>> step = d.step("grad_w5")
    >>> step.rule, round(float(step.value.value), 9), step.uses
    ('product of the factors', 0.082167041, (13, 14, 15))
    >>> d.step("w5_new").rule
    'gradient descent'
    """
    if style not in STYLES:
        raise SpecError(f"must be one of {', '.join(STYLES)}; got {style!r}", field="style")
    if names not in NAME_STYLES:
        raise SpecError(f"must be one of {', '.join(NAME_STYLES)}; got {names!r}", field="names")
    if carry_rounding is not None and not isinstance(carry_rounding, CarryRounding) and (
            isinstance(carry_rounding, bool) or not isinstance(carry_rounding, int) or not 0 <= carry_rounding <= 30):
        raise SpecError(f"must be a whole number from 0 to 30; got {carry_rounding!r}", field="carry_rounding")
    only = _check_only(problem, only)
    check_document_size(len(problem.network.parameters), style=style, only=only)
    if collapse is None:
        collapse = only is None and len(problem.network.parameters) > FULL_LIMIT
    Builder = MatrixBuilder if style == "matrix" else ScalarBuilder
    builder = Builder(problem, style=style, only=only, carry_rounding=carry_rounding, collapse=collapse)
    sections = builder.build()
    return Derivation(problem=problem, style=style, names=names, statement=builder.statement(),
                      sections=sections, summary=builder.summary(), carry_rounding=builder.carry_rounding,
                      collapsed=collapse, only=only)


# The ways out of a too-long document, as options (the command line shows them as flags).
_ONLY, _MATRIX = keyword("only"), keyword("style", "matrix")
_JSON = keyword("format", "json", api_text="Problem.to_dict()")


def check_document_size(parameters: int, *, style: str = "scalar", only=None, way_out: str | None = None) -> None:
    """Refuse, before any work, a network too large for a worked solution; the message names the way out.

    ``way_out`` replaces the advice (--only, --style matrix, --format json) where those do not apply.

    >>> check_document_size(216)
    >>> check_document_size(1285, style="matrix")
    >>> check_document_size(1285)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    derive.errors.RenderError: a worked solution of all 1285 parameters is too long ... only ... style='matrix' ...
    """
    if parameters > MAX_FOCUSED_PARAMETERS:
        raise RenderError(f"a network of {parameters} parameters is too large for a worked solution (at most "
                          f"{MAX_FOCUSED_PARAMETERS} with {_ONLY} or {_MATRIX}, {MAX_DOCUMENT_PARAMETERS} "
                          "with every parameter in the scalar or delta style); "
                          + (way_out or f"{_JSON} gives every number"))
    if parameters > MAX_DOCUMENT_PARAMETERS and only is None and style != "matrix":
        raise RenderError(f"a worked solution of all {parameters} parameters is too long for a document (at most "
                          f"{MAX_DOCUMENT_PARAMETERS} in the {style} style); "
                          + (way_out or f"work out a few in full with {_ONLY} (e.g. {keyword('only', ['w1', 'w5'])}), "
                                        f"use {_MATRIX} (up to {MAX_FOCUSED_PARAMETERS} parameters), or {_JSON} "
                                        "for every number"))


def _check_only(problem, only):
    if only is None:
        return None
    if isinstance(only, str):
        only = [part.strip() for part in only.split(",") if part.strip()]
    valid = problem.parameter_names
    chosen = []
    for name in only:
        if name not in valid:
            raise SpecError(f"must name parameters of this network ({', '.join(valid)}); got {name!r}",
                            field="only")
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise SpecError(f"must name at least one parameter ({', '.join(valid)})", field="only")
    return tuple(chosen)
