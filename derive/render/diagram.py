"""Where the network diagram puts its neurons and its weight labels (TikZ centimetres).

Each weight's label sits on its arrow, at a point chosen so that no two labels overlap and no
label covers a neuron: arrows into one neuron converge and arrows between two columns cross, so
one fixed position along every arrow puts labels on top of each other (2-3-2, 3-3-3-3). Label
sizes are estimated from their text, generously, in the ``\\scriptsize`` font the template uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COLUMN_GAPS = (3.5, 4.0, 4.5, 5.0, 6.0, 7.0)  # cm between columns: the narrowest where the labels fit
ROW_GAP = 1.6  # cm between neurons of a column
MAX_WIDTH = 15.0  # cm: the diagram stays inside a 2cm-margin A4 text width (about 17 cm)
NEURON_RADIUS = 0.45  # the template's minimum size=9mm
_PT = 2.54 / 72.27  # cm
# Glyph widths in the \scriptsize (8pt) font, rounded up: a letter or digit on the line, one in a
# subscript or superscript (6pt); the height of a label with a subscript, and with a superscript too.
_CHAR, _SCRIPT_CHAR = 5.0 * _PT, 3.6 * _PT
_HEIGHT, _TALL_HEIGHT = 6.5 * _PT, 9.0 * _PT
_INNER_SEP = 1.0 * _PT  # the template's inner sep=1pt
_GAP = 1.0 * _PT  # clear space kept between two labels
# A subscript or superscript of a label's TeX (one level of braces inside), and what takes no width.
_SCRIPT = re.compile(r"[_^](?:\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}|(\\[A-Za-z]+|.))")
_INVISIBLE = re.compile(r"\\(?:mathit|mathrm|operatorname|left|right)\b|[{}\s]")
# Fractions of an arrow's length (centre to centre) a label may sit at, tried in this order: near the
# source first, where the arrows leaving one neuron fan out and no arrow from another neuron crosses yet.
_CANDIDATES = tuple(sorted((i / 40 for i in range(6, 35)), key=lambda f: (abs(f - 0.3), f)))


@dataclass(frozen=True)
class Box:
    """A label's rectangle: centre and half sizes, in cm."""

    x: float
    y: float
    half_width: float
    half_height: float

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        """Whether two boxes come closer than ``gap``.

        >>> Box(0, 0, 1, 1).overlaps(Box(2.5, 0, 1, 1)), Box(0, 0, 1, 1).overlaps(Box(2.5, 0, 1, 1), gap=1)
        (False, True)
        """
        return (abs(self.x - other.x) < self.half_width + other.half_width + gap
                and abs(self.y - other.y) < self.half_height + other.half_height + gap)

    def crosses(self, start: tuple[float, float], end: tuple[float, float]) -> bool:
        """Whether the segment from ``start`` to ``end`` passes through the box (Liang-Barsky clipping).

        >>> Box(0, 0, 1, 1).crosses((-2, 0.5), (2, 0.5)), Box(0, 0, 1, 1).crosses((-2, 2), (2, 1.5))
        (True, False)
        """
        (x0, y0), (x1, y1) = start, end
        dx, dy = x1 - x0, y1 - y0
        low, high = 0.0, 1.0
        for p, q in ((-dx, x0 - (self.x - self.half_width)), (dx, (self.x + self.half_width) - x0),
                     (-dy, y0 - (self.y - self.half_height)), (dy, (self.y + self.half_height) - y0)):
            if p == 0:
                if q < 0:
                    return False
                continue
            t = q / p
            if p < 0:
                low = max(low, t)
            else:
                high = min(high, t)
            if low > high:
                return False
        return True

    def meets_circle(self, x: float, y: float, radius: float) -> bool:
        """Whether the box comes within ``radius`` of the point (a neuron's circle).

        >>> Box(0, 0, 1, 1).meets_circle(2, 0, 1.5), Box(0, 0, 1, 1).meets_circle(2, 2, 1)
        (True, False)
        """
        dx = max(abs(x - self.x) - self.half_width, 0.0)
        dy = max(abs(y - self.y) - self.half_height, 0.0)
        return dx * dx + dy * dy < radius * radius


def node_point(column: int, row: int, count: int, gap: float = COLUMN_GAPS[0]) -> tuple[float, float]:
    """A neuron's centre: columns left to right ``gap`` apart, each column centred on the same line.

    >>> node_point(1, 0, 2), node_point(0, 1, 3)
    ((3.5, 0.8), (0.0, 0.0))
    """
    return gap * column, ROW_GAP * ((count - 1) / 2 - row)


def label_box(x: float, y: float, tex: str) -> Box:
    """The (estimated) rectangle of the math label ``tex`` centred at (x, y).

    >>> [round(label_box(0, 0, tex).half_width, 3) for tex in ("w_{5}", "w_{5} = 0.4", "w^{(2)}_{11}")]
    [0.186, 0.626, 0.439]
    """
    scripts = sum(len(_visible(match.group(1) or match.group(2))) for match in _SCRIPT.finditer(tex))
    line = len(_visible(_SCRIPT.sub("", tex))) + tex.count("=")  # "=" and its spaces: two glyphs wide
    width = line * _CHAR + scripts * _SCRIPT_CHAR
    height = _TALL_HEIGHT if "^" in tex else _HEIGHT
    return Box(x, y, width / 2 + _INNER_SEP, height / 2 + _INNER_SEP)


def _visible(tex: str) -> str:
    return _INVISIBLE.sub("", tex)


def layout(nodes: list[tuple[int, int, int]], arrows: list[tuple[int, int, str]] | None):
    """Neuron centres and label boxes: ``nodes`` as ``(column, row, count)``, ``arrows`` as
    ``(source, target, label tex)``. The boxes are None if the labels cannot be placed apart
    (or ``arrows`` is None: no labels).

    The narrowest column gap where every label stays clear of the other arrows wins; failing that,
    the narrowest where labels at least stay clear of each other and of the neurons.

    >>> points, boxes = layout([(0, 0, 1), (1, 0, 2), (1, 1, 2)], [(0, 1, "w_{1}"), (0, 2, "w_{2}")])
    >>> points[1], [(round(box.x, 3), round(box.y, 3)) for box in boxes]
    ((3.5, 0.8), [(1.05, 0.24), (1.05, -0.24)])
    """
    if arrows is None:
        return [node_point(column, row, count) for column, row, count in nodes], None
    columns = max((column for column, _, _ in nodes), default=0)
    gaps = [gap for gap in COLUMN_GAPS if columns * gap <= MAX_WIDTH] or [COLUMN_GAPS[0]]
    for clear_of_arrows in (True, False):
        for gap in gaps:
            points = [node_point(column, row, count, gap) for column, row, count in nodes]
            boxes = place_labels(points, arrows, clear_of_arrows=clear_of_arrows)
            if boxes is not None:
                return points, boxes
    return [node_point(column, row, count) for column, row, count in nodes], None


def place_labels(nodes: list[tuple[float, float]], arrows: list[tuple[int, int, str]], *,
                 clear_of_arrows: bool = True) -> list[Box] | None:
    """One box per arrow ``(source, target, label tex)``, apart from each other and from the neurons
    (and, with ``clear_of_arrows``, from every other arrow, so a label cannot be read as another's);
    None if some label finds no place.

    >>> nodes = [node_point(0, 0, 1), node_point(1, 0, 2), node_point(1, 1, 2)]
    >>> [round(box.y, 2) for box in place_labels(nodes, [(0, 1, "w_{1}"), (0, 2, "w_{2}")])]
    [0.24, -0.24]
    """
    placed: list[Box] = []
    for k, (source, target, tex) in enumerate(arrows):
        # only the arrows between the same two columns can pass through this label
        others = [(nodes[s], nodes[t]) for j, (s, t, _) in enumerate(arrows)
                  if j != k and nodes[s][0] == nodes[source][0]] if clear_of_arrows else []
        box = _first_free(nodes[source], nodes[target], tex, placed, nodes, others)
        if box is None:
            return None
        placed.append(box)
    return placed


def _first_free(start, end, tex, placed, nodes, segments) -> Box | None:
    for fraction in _CANDIDATES:
        box = label_box(start[0] + fraction * (end[0] - start[0]), start[1] + fraction * (end[1] - start[1]), tex)
        if not any(box.overlaps(other, _GAP) for other in placed) \
                and not any(box.meets_circle(x, y, NEURON_RADIUS + _GAP) for x, y in nodes) \
                and not any(box.crosses(a, b) for a, b in segments):
            return box
    return None
