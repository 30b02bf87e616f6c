"""A derivation turned into what the templates print: math as trusted LaTeX, the rest as data.

Both the Markdown and the LaTeX templates read the same view; they differ only in layout and
prose. User text (the title) stays a plain ``str`` here, so the templates' ``finalize`` escapes it.
"""

from __future__ import annotations

import re

import sympy as sp
from pylatex.utils import NoEscape

from ..steps import Derivation, Group, Step, Table
from .diagram import layout
from .latex import DerivePrinter, Names, neuron_tex
from .numbers import NumberFormat

TERMS_PER_LINE = 4  # a long sum continues on the next line of the aligned block
MAX_LABELS = 40  # weight labels on a diagram; a bigger network's arrows go unlabelled
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def make_printer(derivation: Derivation, number_format: NumberFormat | None = None) -> DerivePrinter:
    """The printer for a derivation's style and naming.

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> printer = make_printer(derive_steps(derive.load("2-2-2"), names="indexed"))
    >>> printer.doprint(sp.Symbol("w5", real=True))
    NoEscape(w^{(2)}_{11})
    """
    # a δ defined as −∂E/∂net (error_term: negative) is a quantity of its own, so it keeps its letter
    positive = derivation.model.network.spec.conventions.delta_sign > 0
    names = Names(derivation.model, deltas="partial" if derivation.style == "scalar" and positive else "delta",
                  indexed=derivation.names == "indexed")
    return DerivePrinter(names, number_format)


def build_view(derivation: Derivation, *, number_format: NumberFormat | None = None,
               diagram_values: bool = False) -> dict:
    """Everything a template needs, in plain dicts and lists.

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> view = build_view(derive_steps(derive.load("2-2-2")))
    >>> view["sections"][0]["items"][0]["lines"][-1]
    NoEscape(&= 0.3775)
    """
    number_format = number_format or NumberFormat()
    printer = make_printer(derivation, number_format)
    return {
        "title": derivation.statement.title,
        "style": derivation.style,
        "names": derivation.names,
        "problem": _problem(derivation, printer, diagram_values),
        "sections": [_section(section, printer) for section in derivation.sections],
        "summary": _summary(derivation, printer),
        "settings": {
            "decimals": number_format.decimals, "digits": number_format.digits,
            "carry_rounding": _carry_rounding(derivation.carry_rounding), "collapsed": derivation.collapsed,
            "only": list(derivation.only) if derivation.only else [],
            "error_term": derivation.model.network.spec.conventions.error_term,
        },
    }


def _carry_rounding(rounding):
    """Carried rounding for the templates: None, a number of places, or [kind, places] pairs (``default`` last)."""
    if rounding is None or isinstance(rounding, int):
        return rounding
    return [list(pair) for pair in rounding.as_dict().items()]


def build_problem_view(derivation: Derivation, *, number_format: NumberFormat | None = None,
                       diagram_values: bool = False) -> dict:
    """The view's ``problem`` part alone (diagram, data, layers), without printing every step.

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> derivation = derive_steps(derive.load("2-2-2"))
    >>> build_problem_view(derivation) == build_view(derivation)["problem"]
    True
    """
    return _problem(derivation, make_printer(derivation, number_format or NumberFormat()), diagram_values)


# ---------------------------------------------------------------- steps

def steps_by_key(derivation: Derivation, *, number_format: NumberFormat | None = None) -> dict[str, dict]:
    """The view of the step that gives each quantity its value (the last one, where a chain of
    factors is worked before it), by quantity key; for showing one step on its own.

    >>> import derive
    >>> from derive.steps import derive_steps
    >>> steps = steps_by_key(derive_steps(derive.load("2-2-2")))
    >>> steps["out_h1"]["lines"][-1], steps["out_h1"]["uses"]
    (NoEscape(&= 0.593269992), [])
    """
    printer = make_printer(derivation, number_format or NumberFormat())
    found = {}
    for step in derivation.steps():
        if step.value is not None:
            view = _step(step, printer)
            view.update(show_rule=True, uses=[])  # shown alone: no reference to equations left out
            found[step.key] = view
    return found



def _number(example, printer) -> int | None:
    """A step's example (0-based among its derivation's) as numbered in the spec: an update's 3 and 4."""
    return None if example is None else printer.names.network.example_number(example)


def _section(section, printer) -> dict:
    return {"kind": section.kind, "layer": section.layer,
            "example": _number(section.example, printer),
            "items": _items(section.items, printer)}


def _items(items, printer) -> list[dict]:
    """The items of a list; a step says its rule only when the step before it used another."""
    out, previous = [], None
    for item in items:
        view = _item(item, printer)
        if view["type"] == "step":
            view["show_rule"] = view["rule"] != previous or view["condition"] is not None
            previous = view["rule"]
        else:
            previous = None
        out.append(view)
    return out


def _item(item, printer) -> dict:
    if isinstance(item, Step):
        return _step(item, printer)
    if isinstance(item, Table):
        return _table(item, printer)
    if isinstance(item, Group):
        return {"type": "group", "kind": item.kind, "param_kind": item.param_kind,
                "symbol": printer.doprint(item.symbol) if item.symbol is not None else None,
                "example": _number(item.example, printer),
                "items": _items(item.items, printer)}
    raise TypeError(type(item).__name__)


def _step(step: Step, printer) -> dict:
    lhs = printer.doprint(step.lhs)
    right = []
    shown = list(step.forms + step.substituted) + ([step.value] if step.value is not None else [])
    for expr in shown:
        chunks = _chunks(expr, printer)
        if not right or right[-1][0] != chunks:  # "= 1 = 1" says nothing twice
            right.append((chunks, _has_matrix(expr)))
    parts = []
    for i, (chunks, matrix) in enumerate(right):
        for j, chunk in enumerate(chunks):
            head = (lhs + " " if i == 0 and j == 0 else "") + ("&= " if j == 0 else r"&\quad ")
            parts.append({"head": NoEscape(head), "rhs": chunk, "matrix": matrix})
    lines = [NoEscape(part["head"] + part["rhs"]) for part in parts] or [NoEscape(lhs)]
    return {"type": "step", "number": step.number, "rule": step.rule, "key": step.key, "lhs": lhs,
            "lines": lines, "parts": parts, "fit": any(part["matrix"] for part in parts),
            # the two columns of the aligned chain, for formats that lay it out themselves (HTML)
            "rows": [(lhs if i == 0 else NoEscape(""), NoEscape(part["head"].split("&", 1)[1] + part["rhs"]))
                     for i, part in enumerate(parts)] or [(lhs, NoEscape(""))],
            "uses": list(step.uses), "has_value": step.value is not None,
            "condition": printer.doprint(step.condition) if step.condition is not None else None,
            "example": _number(step.example, printer)}


def _has_matrix(expr) -> bool:
    """Whether a right-hand side holds a matrix: the one thing a line break cannot shorten."""
    return isinstance(expr, sp.Basic) and any(isinstance(node, sp.MatrixBase) for node in sp.preorder_traversal(expr))


def _chunks(expr, printer) -> list[NoEscape]:
    """A sum of many terms in pieces of TERMS_PER_LINE, each piece after the first starting with its sign."""
    if not isinstance(expr, sp.Add) or len(expr.args) <= TERMS_PER_LINE:
        return [printer.doprint(expr)]
    terms = expr.args
    chunks = []
    for start in range(0, len(terms), TERMS_PER_LINE):
        part = terms[start:start + TERMS_PER_LINE]
        tex = printer.doprint(sp.Add(*part, evaluate=False) if len(part) > 1 else part[0])
        if start and not tex.startswith("-"):
            tex = "+ " + tex
        chunks.append(NoEscape(tex))
    return chunks


def _table(table: Table, printer) -> dict:
    rows = []
    for row in table.rows:
        parts = [printer.doprint(f) for f in row.forms + row.substituted]
        value = printer.doprint(row.value) if row.value is not None else NoEscape("")
        rows.append({"lhs": printer.doprint(row.lhs), "expr": NoEscape(" = ".join(parts)), "value": value,
                     "example": _number(row.example, printer)})
    return {"type": "table", "number": table.number, "rule": table.rule, "rows": rows}


# ---------------------------------------------------------------- the problem and the summary

def _problem(derivation, printer, diagram_values) -> dict:
    st = derivation.statement
    m = printer.doprint
    examples = []
    network = derivation.model.network
    for n, (inputs, targets) in enumerate(zip(st.inputs, st.targets)):
        examples.append({"number": network.example_number(n), "inputs": [{"name": m(s), "value": m(v)} for s, v in inputs],
                         "targets": [{"name": m(s), "value": m(v)} for s, v in targets]})
    layers = []
    for info in st.layers:
        weights = [[{"name": m(s), "value": m(v)} for s, v in zip(info.weights.row(j), info.weight_values.row(j))]
                   for j in range(info.weights.rows)]
        layers.append({
            "index": info.index, "units": info.units, "activation": info.activation,
            "output": info.index == len(st.layers), "weights": weights,
            "weight_matrix": NoEscape(f"{m(info.weights)} = {m(info.weight_values)}"),
            "biases": [{"name": m(s), "value": m(v)} for s, v in info.biases],
            "bias_mode": info.bias_mode, "train_bias": info.train_bias,
            "negative_slope": m(info.negative_slope),
            "scaled": m(info.scaled) if info.scaled is not None else None,
        })
    eta, eta_value = st.learning_rate
    return {
        "examples": examples, "batch": st.batch, "layers": layers, "loss": st.loss, "log_base": st.log_base,
        "reduction": st.reduction, "learning_rate": {"name": m(eta), "value": m(eta_value)},
        "optimizer": st.optimizer, "updated_weights_convention": st.backprop_through_updated_weights,
        "diagram": _diagram(st, printer, diagram_values),
        "frozen": [m(symbol) for symbol in st.frozen],
        "bias_header": {"threshold": "Threshold", "weight_column_first": "Bias (weight of x0 = 1)",
                        "weight_column_last": "Bias (weight of x0 = 1)"}.get(st.bias_as, "Bias"),
    }


def _diagram(st, printer, diagram_values) -> dict:
    columns = max(node.column for node in st.nodes) + 1
    ids = {node.key: NoEscape(f"n{i}") for i, node in enumerate(st.nodes)}  # never a Mermaid keyword
    index = {node.key: i for i, node in enumerate(st.nodes)}
    labels = [printer.doprint(edge.weight) for edge in st.edges]
    values = [NoEscape(printer.number(edge.value.value)) for edge in st.edges]
    rows = {node.key: (node.row, node.count) for node in st.nodes}
    fan_in = {}
    for edge in st.edges:
        fan_in[edge.target] = fan_in.get(edge.target, 0) + 1
    readable = max(fan_in.values(), default=0) <= 4 and len(st.edges) <= MAX_LABELS  # more would be unreadable
    points, boxes = layout([(node.column, node.row, node.count) for node in st.nodes],
                           [(index[edge.source], index[edge.target], label + (f" = {value}" if diagram_values else ""))
                            for edge, label, value in zip(st.edges, labels, values)] if readable else None)
    nodes = []
    for node, (x, y) in zip(st.nodes, points):
        neuron = node.column > 0  # a neuron as in the equations' subscripts: h1, h1,2 (no space after the comma)
        nodes.append({"id": ids[node.key], "ref": NoEscape(f"({ids[node.key]})"), "at": _at(x, y),
                      "label": NoEscape(neuron_tex(node.key).replace(",", "{,}")) if neuron else printer.doprint(node.symbol),
                      "text": NoEscape(_plain(node.key).replace("_", ",")) if neuron else _plain(node.key),
                      "column": node.column, "row": node.row, "count": node.count,
                      "input": node.column == 0, "output": node.column == columns - 1})
    labelled = boxes is not None
    edges = []
    for k, (edge, label, value) in enumerate(zip(st.edges, labels, values)):
        box = boxes[k] if boxes is not None else None
        edges.append({"source": ids[edge.source], "target": ids[edge.target],
                      "source_ref": NoEscape(f"({ids[edge.source]})"), "target_ref": NoEscape(f"({ids[edge.target]})"),
                      "label": label, "text": _plain(edge.weight.name), "value": value,
                      "value_text": NoEscape(value.replace("{,}", ",")),
                      "box": box, "at": _at(box.x, box.y) if box is not None else None,
                      "pos": NoEscape(f"{_label_pos(*rows[edge.target]):g}")})
    return {"nodes": nodes, "edges": edges, "labelled": labelled, "values": diagram_values, "columns": columns}


def _label_pos(row: int, count: int) -> float:
    """Where along its arrow the SVG diagram puts a label: labels of crossing arrows apart."""
    return 0.3 if count == 1 else 0.25 + 0.5 * row / (count - 1)


def _at(x: float, y: float) -> NoEscape:
    return NoEscape(f"({round(x, 3):g},{round(y, 3):g})")


def _plain(name: str) -> NoEscape:
    """A spec name used as an identifier (TikZ node, Mermaid id): validated, so safe as it is."""
    if not _PLAIN_NAME.match(name):
        raise ValueError(f"not a plain name: {name!r}")
    return NoEscape(name)


def _summary(derivation, printer) -> dict:
    s = derivation.summary
    m = printer.doprint
    rows = [{"param": m(r.symbol), "kind": r.kind, "layer": r.layer, "value": m(r.value), "gradient": m(r.gradient),
             "gradient_symbol": m(r.gradient_symbol), "updated": m(r.updated), "updated_symbol": m(r.updated_symbol),
             "trainable": r.trainable, "number": r.number} for r in s.rows]
    return {"rows": rows, "error_before": m(s.error_before), "error_after": m(s.error_after),
            "error_symbol": m(s.error_symbol), "error_symbol_after": NoEscape(m(s.error_symbol) + "^{+}")}


__all__ = ["build_view", "make_printer"]
