"""Stage 4 of the flow: a worked solution as data (a :class:`Derivation` of typed steps).

Owns the derivation model (:mod:`.model`), the shared builder (:mod:`.builder`), one module
per style (:mod:`.scalar` for the scalar and delta styles, :mod:`.matrix`) and the entry
point :func:`derive_steps` (:mod:`.build`). May import ``derive.errors``, ``derive.spec`` and
``derive.engine``; nothing here knows about LaTeX, Markdown or HTML.
"""

from .build import (FULL_LIMIT, MAX_DOCUMENT_PARAMETERS, MAX_FOCUSED_PARAMETERS, NAME_STYLES, STYLES,
                    check_document_size, derive_steps)
from .model import (Applied, Derivation, Difference, Edge, Group, Hadamard, LayerInfo, MatProduct, Negated, Node,
                    Partial, Section, Statement, Step, Summary, SummaryRow, Table, Total, Transposed, Value)

__all__ = ["FULL_LIMIT", "MAX_DOCUMENT_PARAMETERS", "MAX_FOCUSED_PARAMETERS", "NAME_STYLES", "STYLES",
           "check_document_size", "derive_steps", "Value", "Partial", "Applied", "MatProduct", "Hadamard",
           "Transposed", "Total", "Difference", "Negated", "Step", "Table", "Group", "Section", "LayerInfo", "Node",
           "Edge", "Statement", "SummaryRow", "Summary", "Derivation"]
