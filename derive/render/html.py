"""HTML output: one self-contained page per worked solution, training run or check report.

A page is the same view the Markdown and LaTeX templates read, through ``templates/html/``;
its math is MathML (see :mod:`derive.render.mathml` for why), its network diagram inline SVG,
its style sheet and its one small script inline. A Content-Security-Policy that allows
nothing from outside (``default-src 'none'``, the script by its hash) makes "no network
request" a property of the page, not only of its author's care.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache

from pylatex.utils import NoEscape

from .environment import render_template, template_folder
from .numbers import NumberFormat
from .view import build_view

# Diagram geometry in SVG user units (the picture scales to the page's width).
COLUMN_GAP, ROW_GAP, RADIUS, MARGIN = 190, 84, 22, 34
_SUBSCRIPT = re.compile(r"([A-Za-z]+?)_?([0-9][A-Za-z0-9_]*)\Z")


@lru_cache(maxsize=4)
def page_assets() -> dict:
    """The page's style sheet and script (shipped beside the templates) and the script's CSP hash.

    >>> page_assets()["script_hash"].startswith("sha256-")
    True
    """
    folder = template_folder() / "html"
    script = (folder / "page.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return {"css": NoEscape((folder / "page.css").read_text(encoding="utf-8")), "script": NoEscape(script),
            "script_hash": NoEscape(f"sha256-{digest}")}


def render_page(name: str, context: dict, template_dir=None) -> str:
    """Render the HTML template ``name`` with the page's assets added to ``context``.

    >>> "<title>derive</title>" in render_page("html/page.html.j2", {"reveal": False})
    True
    """
    return render_template("html", name, {**context, "assets": page_assets()}, template_dir)


def render_html(derivation, *, number_format: NumberFormat | None = None, template_dir=None,
                diagram_values: bool = False, reveal: bool = False) -> str:
    """The worked solution as one self-contained HTML page (``reveal``: results hidden behind buttons).

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> page = render_html(derive_steps(derive.load("2-2-2")), reveal=True)
    >>> page.startswith("<!DOCTYPE html>"), 'id="eq-16"' in page, "<svg" in page, "\\\\frac" in page
    (True, True, True, False)
    """
    context = _solution_context(derivation, number_format, diagram_values, reveal)
    return render_page("html/solution.html.j2", context, template_dir)


def render_solution_body(derivation, *, number_format: NumberFormat | None = None, template_dir=None,
                         id_prefix: str = "", reveal: bool = False, diagram_values: bool = False) -> NoEscape:
    """A worked solution as HTML to put inside another page (no title, contents or page shell).

    ``id_prefix`` starts every id of the body and every link to one, so that several bodies can
    share a page (an online solution's updates: ``u2-eq-7``). ``reveal`` hides each result behind a
    button (the page around it must then carry the script: ``render_page`` with ``reveal``);
    ``diagram_values`` writes each weight's value on the diagram.

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> body = render_solution_body(derive_steps(derive.load("2-2-1")))
    >>> body.lstrip().startswith("<p>"), "<html" in body
    (True, False)
    >>> body = render_solution_body(derive_steps(derive.load("2-2-1")), id_prefix="u2-")
    >>> 'id="u2-eq-7"' in body, 'href="#u2-eq-7"' in body, 'id="eq-' in body
    (True, True, False)
    """
    context = {**_solution_context(derivation, number_format, diagram_values, reveal), "id_prefix": id_prefix}
    return NoEscape(render_template("html", "html/_solution_body.html.j2", context, template_dir))


def solution_html(solution) -> str:
    """A worked solution as an HTML fragment for a notebook (no page shell, no global styles).

    >>> import derive
    >>> html = solution_html(derive.solve("2-2-1"))
    >>> html.startswith('<div class="derive-display">'), "<!DOCTYPE" in html
    (True, False)
    """
    body = render_solution_body(solution.derivation, number_format=solution.number_format,
                                template_dir=solution.template_dir)
    item = {"body": body, "title": solution.derivation.statement.title or ""}
    return render_page("html/display.html.j2", {"kind": "solution", "item": item})


def _solution_context(derivation, number_format, diagram_values, reveal) -> dict:
    view = build_view(derivation, number_format=number_format, diagram_values=diagram_values)
    return {"view": view, "reveal": reveal, "svg": diagram_geometry(view["problem"]["diagram"])}


def diagram_geometry(diagram: dict) -> dict:
    """Where the view's diagram nodes, arrows and labels go in the SVG picture.

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> view = build_view(derive_steps(derive.load("2-2-1")))
    >>> geometry = diagram_geometry(view["problem"]["diagram"])
    >>> geometry["width"], len(geometry["nodes"]), len(geometry["edges"])
    (492, 5, 6)
    """
    tallest = max(node["count"] for node in diagram["nodes"])
    places = {}
    nodes = []
    for node in diagram["nodes"]:
        x = MARGIN + RADIUS + COLUMN_GAP * node["column"]
        y = MARGIN + RADIUS + ROW_GAP * ((tallest - node["count"]) / 2 + node["row"])
        places[node["id"]] = (x, y)
        base, sub = _split_name(node["text"])
        nodes.append({**node, "x": x, "y": round(y), "base": base, "sub": sub})
    edges = []
    for edge in diagram["edges"]:
        (x1, y1), (x2, y2) = places[edge["source"]], places[edge["target"]]
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        dx, dy = (x2 - x1) / length, (y2 - y1) / length
        pos = float(edge["pos"])
        edges.append({**edge, "x1": round(x1 + RADIUS * dx), "y1": round(y1 + RADIUS * dy),
                      "x2": round(x2 - (RADIUS + 4) * dx), "y2": round(y2 - (RADIUS + 4) * dy),
                      "lx": round(x1 + pos * (x2 - x1)), "ly": round(y1 + pos * (y2 - y1) - 4)})
    width = 2 * (MARGIN + RADIUS) + COLUMN_GAP * (diagram["columns"] - 1)
    height = 2 * (MARGIN + RADIUS) + ROW_GAP * (tallest - 1)
    return {"width": width, "height": height, "nodes": nodes, "edges": edges, "radius": RADIUS}


def _split_name(name: str) -> tuple[NoEscape, NoEscape]:
    """A node's name as letters and subscript (``h1`` -> h, 1; ``h1_2`` -> h, 1,2); spec names are plain ASCII."""
    match = _SUBSCRIPT.match(name)
    if match is None:
        return NoEscape(name), NoEscape("")
    return NoEscape(match.group(1)), NoEscape(match.group(2).replace("_", ","))


__all__ = ["diagram_geometry", "page_assets", "render_html", "render_page", "render_solution_body", "solution_html"]
