"""Worksheet variants as a Moodle XML quiz.

One *Cloze* (embedded answers) question per variant, all in one category: the question
text gives the variant's numbers and asks each quantity in a NUMERICAL sub-question; the
general feedback holds the worked answers. A Cloze question keeps a student's whole exercise
together, is graded per blank, and imports into the question bank from Moodle XML
(``<question type="cloze">``).

**Grading.** Each blank's answers come from :meth:`derive.classroom.tolerance.Tolerance.answers`:
by default the band from the exact answer to the carried-rounding answer (every intermediate
rounded to the asked decimals) plus half a unit, and the truncated answers, all at 100 %; with
another tolerance the carried-rounding answer gets partial credit where it lands outside it.
Answers are written with ``decimals + 6`` places (at least 12), so they stay exact to far
below the tolerance at any ``--decimals``.

Every piece of user text is HTML-escaped, and braces become entities so no title can
smuggle in a Cloze sub-question; the HTML sits in CDATA sections split around ``]]>``;
characters XML 1.0 forbids (most control characters, U+FFFE, U+FFFF, lone surrogates)
are replaced by U+FFFD so ``quiz.xml`` stays well formed.
"""

from __future__ import annotations

import html
import re
from fractions import Fraction
from xml.sax.saxutils import escape as xml_escape

from ..errors import DeriveError
from ..render.numbers import fixed as format_fixed
from ..render.language import gettext, localize_number
from .ask import Question
from .scheme import tolerance_of
from .tolerance import DEFAULT, Tolerance, parse_tolerance
from .variants import Variant, VariantSet

# Places of an answer written into the quiz, beyond the asked decimals (and at least
# ANSWER_PLACES); the tolerance, not these, sets the grading.
ANSWER_PLACES = 12
EXTRA_PLACES = 6
PARTIAL_CREDIT = 50  # percent for the carried-rounding answer outside a strict tolerance
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


def moodle_tolerance(text) -> Tolerance:
    """A ``--tolerance`` value (see :func:`derive.classroom.tolerance.parse_tolerance`).

    >>> moodle_tolerance("0.00001")
    Tolerance(mode='absolute', amount=Fraction(1, 100000))
    >>> moodle_tolerance("-1")
    Traceback (most recent call last):
    ...
    derive.errors.SpecError: --tolerance must be one of shown, absolute=0.0005, relative=1%, sigfigs=3 or decimals=4; got '-1'
    """
    return parse_tolerance(text, field="--tolerance")


def quiz_xml(variants: VariantSet, *, tolerance=None, feedback=None, partial: int = PARTIAL_CREDIT) -> str:
    """The Moodle XML quiz: a category, then one Cloze question per variant.

    ``tolerance`` is a :class:`Tolerance` or its text (default: ``shown``); ``partial`` the percent
    the carried-rounding answer earns where the tolerance leaves it out. ``feedback(variant) -> html``
    gives each question's general feedback; by default it is the table of answers followed by the
    worked solution (:func:`solution_html`).

    >>> from derive.classroom.variants import generate_variants
    >>> text = quiz_xml(generate_variants("2-2-2-exercise", 2, seed=3, ask="E_total,grad:w5"))
    >>> text.count('<question type="cloze">'), "{1:NUMERICAL:=" in text
    (2, True)
    """
    if tolerance is not None:
        moodle_tolerance(tolerance)  # a bad value fails before any work
    title = variants.spec.title or "derive worksheet"
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>", _category(title)]
    carried = carried_answers(variants)
    for variant in variants.variants:
        body = feedback(variant) if feedback is not None else solution_html(variant, variants.questions,
                                                                           variants.decimals)
        blanks = {q.key: blank(variant.answers[q.key], carried[variant.index].get(q.key), variants.decimals,
                               tolerance_of(variants.spec, q.key, tolerance), partial) for q in variants.questions}
        parts.append(_cloze(variant, variants, title, blanks, body))
    parts.append("</quiz>")
    return xml_safe("\n".join(parts) + "\n")


_XML_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    r"""``text`` with every character XML 1.0 forbids replaced by U+FFFD.

    >>> xml_safe("a\x00b\ufffe\x1bc\ttab") == "a\ufffdb\ufffd\ufffdc\ttab"
    True
    """
    return _XML_FORBIDDEN.sub("\ufffd", text)


def carried_answers(variants: VariantSet) -> dict:
    """Per variant index, each quantity with every intermediate rounded to the asked decimals.

    Of online or mini-batch updates: every update's, the rounded weights carried from one update to the
    next (:func:`~derive.engine.updates.update_problems` with ``carry_rounding``), keyed ``u<k>_...``.
    """
    from ..engine.network import build_network
    from ..engine.numeric import evaluate
    from ..engine.symbolic import build_model

    model = build_model(build_network(variants.spec))
    found = {}
    for variant in variants.variants:
        givens = {k: Fraction(v) for k, v in variant.parameters.items()}
        try:
            if variant.updates:
                found[variant.index] = _carried_updates(variant, variants.decimals)
            else:
                found[variant.index] = evaluate(model, carry_rounding=variants.decimals, overrides=givens).exact
        except DeriveError:  # rounding can push a value where the loss has none: no carried answer then
            found[variant.index] = {}
    return found


def _carried_updates(variant: Variant, decimals: int) -> dict:
    from ..engine.problem import Problem
    from ..engine.updates import update_problems

    found = {}
    for update in update_problems(Problem(variant.spec), carry_rounding=decimals)[:len(variant.updates)]:
        values = update.problem.values(carry_rounding=decimals).exact
        found.update({f"u{update.number}_{key}": value for key, value in values.items()})
    return found


def blank(exact, carried, decimals: int, tolerance: Tolerance, partial: int = PARTIAL_CREDIT) -> str:
    """One NUMERICAL Cloze blank: its answers, each ``value:radius``, the first at 100 %.

    >>> blank(Fraction("0.4086661"), Fraction("0.4087"), 4, DEFAULT)
    '{1:NUMERICAL:=0.408683050000:0.000066950000~%100%0.408650000000:0.000100000000}'
    """
    places = max(ANSWER_PLACES, decimals + EXTRA_PLACES)
    alternatives = []
    for value, radius, percent in tolerance.answers(exact, carried, decimals=decimals, partial=partial):
        # the value is written 10^-6 of a unit (or finer) from the band's centre: far below any tolerance
        shown, width = format_fixed(value, places), _ceil(radius, places)
        alternatives.append(("=" if percent == 100 and not alternatives else f"%{percent}%") + f"{shown}:{width}")
    return "{1:NUMERICAL:" + "~".join(alternatives) + "}"


def _ceil(value: Fraction, places: int) -> str:
    scaled = value * 10**places
    whole = -((-scaled.numerator) // scaled.denominator)
    return format_fixed(Fraction(whole, 10**places), places)


def _category(title: str) -> str:
    path = f"{CATEGORY_ROOT}/{category_name(title)}"
    return ("<!-- question: 0 -->\n"
            '<question type="category">\n'
            f"  <category><text>{xml_escape(path)}</text></category>\n"
            '  <info format="html"><text>' + _cdata("<p>" + gettext("%(title)s: worksheet variants made by derive.", title=_text(title)) + "</p>")
            + "</text></info>\n"
            "</question>")


def _cloze(variant: Variant, variants: VariantSet, title: str, blanks: dict, feedback_html: str) -> str:
    name = gettext("%(title)s - variant %(index)s (seed %(seed)s)", title=title, index=f"{variant.index:02d}",
                   seed=variant.seed)
    return ("<question type=\"cloze\">\n"
            f"  <name><text>{xml_escape(name)}</text></name>\n"
            '  <questiontext format="html"><text>'
            + _cdata(question_html(variant, variants.questions, variants.decimals, blanks)) + "</text></questiontext>\n"
            '  <generalfeedback format="html"><text>' + _cdata(feedback_html) + "</text></generalfeedback>\n"
            f"  <defaultgrade>{len(variants.questions)}</defaultgrade>\n"
            f"  <penalty>{PENALTY}</penalty>\n"
            "  <hidden>0</hidden>\n"
            "</question>")


def category_name(name: str) -> str:
    """One category name in a Moodle category path, escaped as Moodle's own ``assemble_category_path``
    does: a slash doubled, and a space before a leading (after a trailing) slash, which the import trims.

    >>> category_name("A/B"), category_name("/root"), category_name("end/")
    ('A//B', ' //root', 'end// ')
    """
    escaped = name.replace("/", "//")
    if escaped.startswith("/"):
        escaped = " " + escaped
    if escaped.endswith("/"):
        escaped += " "
    return escaped


def _cdata(text: str) -> str:
    """A CDATA section holding ``text`` verbatim, even if ``text`` contains ``]]>``."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _text(text: str) -> str:
    """User text as HTML that Moodle shows literally (braces too: they would open a Cloze blank)."""
    return html.escape(text, quote=True).replace("{", "&#123;").replace("}", "&#125;")


# ---------------------------------------------------------------- HTML

def question_html(variant: Variant, questions, decimals: int, blanks: dict) -> str:
    """The question text: the network, this variant's numbers, one NUMERICAL blank per quantity (``blanks``)."""
    spec = variant.spec
    lines = [f"<p><strong>{_text(spec.title or gettext('Backpropagation exercise'))}</strong> "
             + gettext("(variant %(index)s, seed %(seed)s)", index=variant.index, seed=variant.seed) + "</p>",
             _network_html(variant),
             _givens_html(variant),
             updates_html(variant),
             "<p>" + gettext("Give each answer to %(decimals)s decimal places.", decimals=decimals) + "</p>",
             "<table>"]
    for q, heading in zip(questions, update_headings(questions, variant)):
        if heading:
            lines.append(f'<tr><th colspan="2">{heading}</th></tr>')
        lines.append(f"<tr><td>{label_html(q)} =</td><td>{blanks[q.key]}</td></tr>")
    lines.append("</table>")
    return "\n".join(lines)


def updates_html(variant: Variant, *, work: bool = True) -> str:
    """Of online or mini-batch updates, how the weights change and (``work``) that the student carries
    their own weights from update to update; empty for a spec updated once per batch."""
    if not variant.updates:
        return ""
    count = len(variant.updates)
    if all(len(u.examples) == 1 for u in variant.updates):
        text = gettext("Online updates: the weights change after each example, in order, so each of the "
                       "%(count)s updates below is one forward pass, one backward pass and one gradient-descent "
                       "update of its example, starting from the weights the update before it left", count=count)
    else:
        text = gettext("Mini-batch updates: the weights change after each batch of %(size)s examples, in order, so "
                       "each of the %(count)s updates below is one forward pass, one backward pass and one "
                       "gradient-descent update of its examples, starting from the weights the update before it "
                       "left", size=variant.spec.batch_size, count=count)
    more = (" " + gettext("Work the updates in order: update 1 starts from the weights above, each later update "
                          "from the weights your previous update left.")) if work else ""
    return f"<p>{text}.{more}</p>"


def update_title(number: int, examples) -> str:
    """``Update 2 (example 2)`` in the current language (as the worked solution heads an update).

    >>> update_title(2, (3, 4))
    'Update 2 (examples 3, 4)'
    """
    if len(examples) > 1:
        return gettext("Update %(number)s (examples %(examples)s)", number=number,
                       examples=", ".join(str(e) for e in examples))
    return gettext("Update %(number)s (example %(example)s)", number=number, example=examples[0])


def update_headings(questions, variant: Variant) -> list:
    """Per question, its update's title (HTML) if it is the update's first question, else None."""
    headings, last = [], None
    for q in questions:
        new = q.update is not None and q.update != last
        update = variant.updates[q.update - 1] if new else None
        headings.append(_text(update_title(update.number, update.examples)) if new else None)
        last = q.update
    return headings


def answers_html(variant: Variant, questions, decimals: int) -> str:
    """A table of the answers, for the general feedback.

    >>> from derive.classroom.ask import parse_ask
    >>> from derive.classroom.variants import generate_variant
    >>> v = generate_variant("2-2-2", 0, 1)
    >>> "0.298371" in answers_html(v, parse_ask("E_total", __import__("derive").load("2-2-2").network), 6)
    True
    """
    rows = []
    for q, heading in zip(questions, update_headings(questions, variant)):
        if heading:
            rows.append(f'<tr><th colspan="2">{heading}</th></tr>')
        rows.append(f"<tr><td>{label_html(q)}</td><td>{localize_number(variant.answer_text(q.key, decimals))}</td></tr>")
    return "<p>" + gettext("Answers:") + "</p>\n<table>\n" + "\n".join(rows) + "\n</table>"


def solution_html(variant: Variant, questions, decimals: int) -> str:
    """The answers, then the whole worked solution (``derive.solve``'s Markdown as HTML for MathJax)."""
    from ..render.solution import solve

    markdown = solve(variant.spec, decimals=decimals).markdown()
    return answers_html(variant, questions, decimals) + "\n<hr>\n" + markdown_html(markdown)


def markdown_html(text: str) -> str:
    r"""The renderer's Markdown as simple HTML: headings, paragraphs, tables, math for MathJax.

    Display math stays between ``$$``, inline ``$x$`` becomes ``\(x\)`` (Moodle's MathJax
    filter reads both); Mermaid diagrams are left out, and so is the sentence introducing one
    (a paragraph ending in a colon just before it). All text is HTML-escaped.

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
            if out and out[-1].startswith("<p>") and out[-1].endswith(":</p>"):
                out.pop()  # the sentence introducing the diagram would point at nothing
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
        role = gettext("(output layer)") if layer.is_output else gettext("(hidden layer)")
        for j, neuron in enumerate(layer.neurons):
            sources = [name_html(s if layer.index == 1 else f"out_{s}") for s in layer.inputs]
            terms = [f"{name_html(w)}&middot;{s}" for w, s in zip(layer.weight_names[j], sources)]
            net = " + ".join(terms)
            if layer.bias_names:  # a threshold θ sits on an input fixed at −1: net = Σ w x − θ
                joiner = " &minus; " if variant.spec.conventions.bias_sign < 0 else " + "
                net += joiner + name_html(layer.bias_names[j])
            items.append(f"<li>{name_html('net_' + neuron)} = {net}, "
                         f"{name_html('out_' + neuron)} = {_applied(layer, name_html('net_' + neuron), variant.spec.layers[layer.index - 1])} "
                         f"{role}</li>")
    spec = variant.spec
    loss = LOSS_HTML[spec.loss]
    trained = ", ".join(name_html(p.name) for p in network.parameters if p.trainable)
    return ("<p>" + gettext("The network:") + "</p>\n<ul>\n" + "\n".join(items) + "\n</ul>\n<p>"
            + gettext("Error: %(loss)s. One step of gradient descent with learning rate &eta; updates %(parameters)s:",
                      loss=loss, parameters=trained)
            + " p<sup>+</sup> = p &minus; &eta;&middot;&part;E<sub>total</sub>/&part;p.</p>")


def _givens_html(variant: Variant) -> str:
    cells = [f"{name_html(key) if key != 'eta' else '&eta;'} = {_text(localize_number(text))}"
             for key, text in variant.parameters.items()]
    return "<p>" + gettext("Given:") + " " + ", ".join(cells) + ".</p>"


def label_html(q: Question, *, update: bool = False) -> str:
    """How a question names its quantity in HTML; ``update``: with its update, for a question asked alone.

    >>> label_html(Question("grad_w5", "grad", "w5"))
    '&part;E<sub>total</sub>/&part;w<sub>5</sub>'
    >>> label_html(Question("out_h1__2", "out", "h1", 2))
    'out<sub>h1</sub> (example 2)'
    >>> label_html(Question("u2_out_h1", "out", "h1", None, 2, "out_h1"), update=True)
    'out<sub>h1</sub> in update 2'
    """
    text = _label_html(q)
    if update and q.update is not None:
        return gettext("%(quantity)s in update %(number)s", quantity=text, number=q.update)
    return text


def _label_html(q: Question) -> str:
    if q.kind == "E_total":
        text = "E<sub>total</sub>"
    elif q.kind == "E_total_after":
        text = "E<sub>total</sub> " + gettext("after the update")
    elif q.kind == "grad":
        text = f"&part;E<sub>total</sub>/&part;{name_html(q.subject)}"
    elif q.kind == "updated":
        text = f"{name_html(q.subject)}<sup>+</sup>"
    elif q.kind == "delta":
        text = f"&delta;<sub>{_text(q.subject)}</sub>"
    else:
        text = f"{_text(q.kind)}<sub>{_text(q.subject)}</sub>"
    return text if q.example is None else f"{text} " + gettext("(example %(number)s)", number=q.example)


def name_html(name: str) -> str:
    """A name with its index as a subscript: ``w5`` -> w<sub>5</sub>, ``t_o1`` -> t<sub>o1</sub>.

    >>> name_html("w5"), name_html("net_h1"), name_html("x1__2"), name_html("<b>")
    ('w<sub>5</sub>', 'net<sub>h1</sub>', 'x<sub>1</sub> (example 2)', '&lt;b&gt;')
    """
    base, _, example = name.partition("__")
    suffix = " " + gettext("(example %(number)s)", number=example) if example else ""
    head, underscore, tail = base.partition("_")
    if not underscore:
        match = re.fullmatch(r"([A-Za-z]+)([0-9]+)", base)
        head, tail = (match.group(1), match.group(2)) if match else (base, "")
    if not head or not tail:
        return _text(base) + suffix
    return f"{_text(head)}<sub>{_text(tail)}</sub>{suffix}"


def _applied(layer, net: str, written) -> str:
    """f(net) as the quiz writes it; a scaled activation with its numbers as the spec wrote them
    (``written`` is the layer's :class:`derive.spec.LayerSpec`): 1.7159&middot;tanh(2/3&middot;net).

    >>> from types import SimpleNamespace as L
    >>> from fractions import Fraction
    >>> _applied(L(activation="tanh", gain=Fraction(2, 3), scale=Fraction("1.7159")), "n",
    ...          L(gain_text="4/6", scale_text="1.71590"))
    '1.71590&middot;tanh(4/6&middot;n)'
    >>> _applied(L(activation="linear", gain=Fraction(1, 2), scale=Fraction(1)), "n", L(gain_text="0.5", scale_text="1"))
    '0.5&middot;n'
    """
    gain = "" if layer.gain == 1 else f"{_text(written.gain_text)}&middot;"
    scale = "" if layer.scale == 1 else f"{_text(written.scale_text)}&middot;"
    if layer.activation == "linear" and gain:
        return f"{gain}{net}"
    return f"{scale}{_text(layer.activation)}({gain}{net})"
