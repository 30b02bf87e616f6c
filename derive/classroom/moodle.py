"""Worksheet variants as a Moodle XML quiz.

One *Cloze* (embedded answers) question per variant, all in one category: the question
text gives the variant's numbers and asks each quantity in a NUMERICAL sub-question with
an absolute tolerance; the general feedback holds the worked answers. A Cloze question
keeps a student's whole exercise together, is graded per blank, and imports into the
question bank from Moodle XML (``<question type="cloze">``).

Every piece of user text is HTML-escaped, and braces become entities so no title can
smuggle in a Cloze sub-question; the HTML sits in CDATA sections split around ``]]>``.
"""

from __future__ import annotations

import html
import re
from fractions import Fraction
from xml.sax.saxutils import escape as xml_escape

from ..errors import SpecError, keyword
from ..render.numbers import fixed as format_fixed
from .ask import Question
from .variants import Variant, VariantSet

# Digits of an answer written into the quiz; the tolerance, not these, sets the grading.
ANSWER_PLACES = 12
PENALTY = "0.3333333"
CATEGORY_ROOT = "$course$/derive"

LOSS_HTML = {
    "half_sse": "E<sub>total</sub> = &Sigma;<sub>o</sub> &frac12;(t<sub>o</sub> &minus; out<sub>o</sub>)&sup2;",
    "sse": "E<sub>total</sub> = &Sigma;<sub>o</sub> (t<sub>o</sub> &minus; out<sub>o</sub>)&sup2;",
    "mse": "E<sub>total</sub> = (1/n) &Sigma;<sub>o</sub> (t<sub>o</sub> &minus; out<sub>o</sub>)&sup2;",
    "cross_entropy": "E<sub>total</sub> = &minus;&Sigma;<sub>o</sub> t<sub>o</sub> log out<sub>o</sub>",
    "binary_cross_entropy": "E<sub>total</sub> = &minus;&Sigma;<sub>o</sub> [t<sub>o</sub> log out<sub>o</sub> "
                            "+ (1 &minus; t<sub>o</sub>) log(1 &minus; out<sub>o</sub>)]",
}


def default_tolerance(decimals: int) -> Fraction:
    """Half a unit in the last printed place.

    >>> default_tolerance(6)
    Fraction(1, 2000000)
    """
    return Fraction(1, 2 * 10 ** decimals)


def parse_tolerance(text) -> Fraction:
    """A ``--tolerance`` value: a decimal number >= 0.

    >>> parse_tolerance("0.00001")
    Fraction(1, 100000)
    >>> parse_tolerance("-1")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: tolerance must be a decimal number >= 0 such as 0.0005; got '-1'
    """
    if not re.fullmatch(r"[0-9]*\.?[0-9]+(?:[eE]-?[0-9]+)?", str(text).strip()):
        raise SpecError(f"must be a decimal number >= 0 such as 0.0005; got {str(text)!r}", field=keyword("tolerance"))
    value = Fraction(str(text).strip())
    return value


def quiz_xml(variants: VariantSet, *, tolerance=None, feedback=None) -> str:
    """The Moodle XML quiz: a category, then one Cloze question per variant.

    ``feedback(variant) -> html`` gives each question's general feedback; by default it is
    the table of answers followed by the worked solution (:func:`solution_html`).

    >>> from derive.classroom.variants import generate_variants
    >>> text = quiz_xml(generate_variants("2-2-2-exercise", 2, seed=3, ask="E_total,grad:w5"))
    >>> text.count('<question type="cloze">'), "{1:NUMERICAL:=" in text
    (2, True)
    """
    tol = default_tolerance(variants.decimals) if tolerance is None else parse_tolerance(tolerance)
    title = variants.spec.title or "derive worksheet"
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>", _category(title)]
    for variant in variants.variants:
        body = feedback(variant) if feedback is not None else solution_html(variant, variants.questions,
                                                                           variants.decimals)
        parts.append(_cloze(variant, variants, title, tol, body))
    parts.append("</quiz>")
    return "\n".join(parts) + "\n"


def _category(title: str) -> str:
    # Moodle splits a category path at "/"; a literal slash is written "//".
    path = f"{CATEGORY_ROOT}/{title.replace('/', '//')}"
    return ("<!-- question: 0 -->\n"
            '<question type="category">\n'
            f"  <category><text>{xml_escape(path)}</text></category>\n"
            '  <info format="html"><text>' + _cdata(f"<p>{_text(title)}: worksheet variants made by derive.</p>")
            + "</text></info>\n"
            "</question>")


def _cloze(variant: Variant, variants: VariantSet, title: str, tol: Fraction, feedback_html: str) -> str:
    name = f"{title} - variant {variant.index:02d} (seed {variant.seed})"
    return ("<question type=\"cloze\">\n"
            f"  <name><text>{xml_escape(name)}</text></name>\n"
            '  <questiontext format="html"><text>'
            + _cdata(question_html(variant, variants.questions, variants.decimals, tol)) + "</text></questiontext>\n"
            '  <generalfeedback format="html"><text>' + _cdata(feedback_html) + "</text></generalfeedback>\n"
            f"  <defaultgrade>{len(variants.questions)}</defaultgrade>\n"
            f"  <penalty>{PENALTY}</penalty>\n"
            "  <hidden>0</hidden>\n"
            "</question>")


def _cdata(text: str) -> str:
    """A CDATA section holding ``text`` verbatim, even if ``text`` contains ``]]>``."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _text(text: str) -> str:
    """User text as HTML that Moodle shows literally (braces too: they would open a Cloze blank)."""
    return html.escape(text, quote=True).replace("{", "&#123;").replace("}", "&#125;")


# ---------------------------------------------------------------- HTML

def question_html(variant: Variant, questions, decimals: int, tolerance: Fraction) -> str:
    """The question text: the network, this variant's numbers, one NUMERICAL blank per quantity."""
    spec = variant.spec
    lines = [f"<p><strong>{_text(spec.title or 'Backpropagation exercise')}</strong> "
             f"(variant {variant.index}, seed {variant.seed})</p>",
             _network_html(variant),
             _givens_html(variant),
             f"<p>Give each answer to {decimals} decimal places.</p>",
             "<table>"]
    tol = format_fixed(tolerance, max(decimals + 1, _places(tolerance)))
    for q in questions:
        value = format_fixed(variant.answers[q.key], ANSWER_PLACES)
        lines.append(f"<tr><td>{label_html(q)} =</td><td>{{1:NUMERICAL:={value}:{tol}}}</td></tr>")
    lines.append("</table>")
    return "\n".join(lines)


def answers_html(variant: Variant, questions, decimals: int) -> str:
    """A table of the answers, for the general feedback.

    >>> from derive.classroom.ask import parse_ask
    >>> from derive.classroom.variants import generate_variant
    >>> v = generate_variant("2-2-2", 0, 1)
    >>> "0.298371" in answers_html(v, parse_ask("E_total", __import__("derive").load("2-2-2").network), 6)
    True
    """
    rows = [f"<tr><td>{label_html(q)}</td><td>{variant.answer_text(q.key, decimals)}</td></tr>" for q in questions]
    return "<p>Answers:</p>\n<table>\n" + "\n".join(rows) + "\n</table>"


def solution_html(variant: Variant, questions, decimals: int) -> str:
    """The answers, then the whole worked solution (``derive.solve``'s Markdown as HTML for MathJax)."""
    from ..render.solution import solve

    markdown = solve(variant.spec, decimals=decimals).markdown()
    return answers_html(variant, questions, decimals) + "\n<hr>\n" + markdown_html(markdown)


def markdown_html(text: str) -> str:
    r"""The renderer's Markdown as simple HTML: headings, paragraphs, tables, math for MathJax.

    Display math stays between ``$$``, inline ``$x$`` becomes ``\(x\)`` (Moodle's MathJax
    filter reads both); Mermaid diagrams are left out. All text is HTML-escaped.

    >>> print(markdown_html("## 1. The *a\\_b*\n\nSo $x < 1$ **and** y.\n\n$$\na &= b\n$$"))
    <h4>1. The *a_b*</h4>
    <p>So \(x &lt; 1\) <strong>and</strong> y.</p>
    <p>$$
    a &amp;= b
    $$</p>
    """
    out, paragraph, table = [], [], []
    lines = iter(text.splitlines())

    def flush():
        if paragraph:
            out.append("<p>" + " ".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if table:
            out.append(_table_html(table))
            table.clear()

    for line in lines:
        stripped = line.strip()
        if stripped.startswith("```"):  # a Mermaid diagram: Moodle cannot draw it
            flush()
            for inner in lines:
                if inner.strip().startswith("```"):
                    break
        elif stripped == "$$":
            flush()
            block = []
            for inner in lines:
                if inner.strip() == "$$":
                    break
                block.append(html.escape(inner, quote=False))
            out.append("<p>$$\n" + "\n".join(block) + "\n$$</p>")
        elif stripped.startswith("#"):
            flush()
            level = min(len(stripped) - len(stripped.lstrip("#")) + 2, 6)
            out.append(f"<h{level}>{_inline(stripped.lstrip('#').strip())}</h{level}>")
        elif stripped.startswith("|"):
            if paragraph:
                flush()
            table.append(stripped)
        elif not stripped:
            flush()
        else:
            if table:
                flush()
            paragraph.append(stripped)
    flush()
    return "\n".join(out)


_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~^$])")


def _inline(text: str) -> str:
    """One line of Markdown text: inline math for MathJax, bold, and everything else as text."""
    parts = []
    for i, piece in enumerate(_MATH.split(text)):
        if i % 2:
            parts.append("\\(" + html.escape(piece, quote=False) + "\\)")
            continue
        for j, chunk in enumerate(re.split(r"(?<!\\)\*\*", piece)):
            plain = _text(html.unescape(_MD_ESCAPE.sub(r"\1", chunk)))
            parts.append(f"<strong>{plain}</strong>" if j % 2 else plain)
    return "".join(parts)


def _table_html(rows: list[str]) -> str:
    cells = [[_inline(c.strip()) for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))] for row in rows]
    body = [r for r in cells if not all(re.fullmatch(r"-*:?-+:?", c) for c in r)]  # drop the |---| line
    head, rest = body[0], body[1:]
    lines = ["<table>", "<tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr>"]
    lines += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rest]
    return "\n".join(lines + ["</table>"])


def _network_html(variant: Variant) -> str:
    from ..engine.network import build_network

    network = build_network(variant.spec)
    items = []
    for layer in network.layers:
        role = "output" if layer.is_output else "hidden"
        for j, neuron in enumerate(layer.neurons):
            sources = [name_html(s if layer.index == 1 else f"out_{s}") for s in layer.inputs]
            terms = [f"{name_html(w)}&middot;{s}" for w, s in zip(layer.weight_names[j], sources)]
            if layer.bias_names:
                terms.append(name_html(layer.bias_names[j]))
            items.append(f"<li>{name_html('net_' + neuron)} = {' + '.join(terms)}, "
                         f"{name_html('out_' + neuron)} = {_text(layer.activation)}({name_html('net_' + neuron)}) "
                         f"({role} layer)</li>")
    spec = variant.spec
    loss = LOSS_HTML[spec.loss]
    trained = ", ".join(name_html(p.name) for p in network.parameters if p.trainable)
    return (f"<p>The network:</p>\n<ul>\n" + "\n".join(items) + "\n</ul>\n"
            f"<p>Error: {loss}. One step of gradient descent with learning rate &eta; updates {trained}: "
            "p<sup>+</sup> = p &minus; &eta;&middot;&part;E<sub>total</sub>/&part;p.</p>")


def _givens_html(variant: Variant) -> str:
    cells = [f"{name_html(key) if key != 'eta' else '&eta;'} = {_text(text)}"
             for key, text in variant.parameters.items()]
    return "<p>Given: " + ", ".join(cells) + ".</p>"


def label_html(q: Question) -> str:
    """How a question names its quantity in HTML.

    >>> label_html(Question("grad_w5", "grad", "w5"))
    '&part;E<sub>total</sub>/&part;w<sub>5</sub>'
    >>> label_html(Question("out_h1__2", "out", "h1", 2))
    'out<sub>h1</sub> (example 2)'
    """
    if q.kind == "E_total":
        text = "E<sub>total</sub>"
    elif q.kind == "E_total_after":
        text = "E<sub>total</sub> after the update"
    elif q.kind == "grad":
        text = f"&part;E<sub>total</sub>/&part;{name_html(q.subject)}"
    elif q.kind == "updated":
        text = f"{name_html(q.subject)}<sup>+</sup>"
    elif q.kind == "delta":
        text = f"&delta;<sub>{_text(q.subject)}</sub>"
    else:
        text = f"{_text(q.kind)}<sub>{_text(q.subject)}</sub>"
    return text if q.example is None else f"{text} (example {q.example})"


def name_html(name: str) -> str:
    """A name with its index as a subscript: ``w5`` -> w<sub>5</sub>, ``t_o1`` -> t<sub>o1</sub>.

    >>> name_html("w5"), name_html("net_h1"), name_html("x1__2"), name_html("<b>")
    ('w<sub>5</sub>', 'net<sub>h1</sub>', 'x<sub>1</sub> (example 2)', '&lt;b&gt;')
    """
    base, _, example = name.partition("__")
    suffix = f" (example {example})" if example else ""
    head, underscore, tail = base.partition("_")
    if not underscore:
        match = re.fullmatch(r"([A-Za-z]+)([0-9]+)", base)
        head, tail = (match.group(1), match.group(2)) if match else (base, "")
    if not head or not tail:
        return _text(base) + suffix
    return f"{_text(head)}<sub>{_text(tail)}</sub>{suffix}"


def _places(value: Fraction) -> int:
    places = 0
    while (value * 10 ** places).denominator != 1 and places < 30:
        places += 1
    return places
