"""An exam as a QTI 1.2 package, for Canvas (classic quizzes), Blackboard and D2L/Brightspace.

Canvas's numerical question holds one answer, so every asked quantity of every paper's variant
becomes one self-contained item: the network, that variant's numbers, and one number to give,
graded as the exact answer within a tolerance (``<or><varequal/><and><vargte/><varlte/></and></or>``,
the form Canvas itself exports). Question ``k``'s ``j``-th quantity is a section (a Canvas
question group) from which the LMS draws one item per student, worth the question's points
divided among its quantities.

Canvas keeps numerical answers to 4 decimal places, so an answer or tolerance below 1e-4 would be
graded against 0. Such an item asks for the answer in scaled units ("in units of 10⁻³", the value
× 10³) and the run says so in a warning.
"""

from __future__ import annotations

import io
import zipfile
from fractions import Fraction
from xml.sax.saxutils import escape as xml_escape, quoteattr

from ..render.numbers import fixed as format_fixed
from ..render.language import gettext
from ..render.numbers import to_fraction
from .moodle import _cdata, _givens_html, _network_html, _text, label_html, updates_html
from .scheme import tolerance_of
from .tolerance import parse_tolerance
from .variants import format_exact

NAMESPACE = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
# Canvas stores numerical answers with this many decimal places.
CANVAS_PLACES = 4
MAX_SCALE = 15
ANSWER_PLACES = 12
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed date: the same exam gives the same bytes


def answer_ranges(exact, decimals: int, tolerance=None) -> list:
    """The accepted answers ``[(value, radius, percent)]`` of one quantity, by the one tolerance module.

    ``tolerance`` is what ``--tolerance`` takes (:func:`~.tolerance.parse_tolerance`; default ``shown``:
    half a unit in the last place, and the truncated answer too).

    >>> answer_ranges(Fraction("0.4086661"), 4)
    [(Fraction(4086661, 10000000), Fraction(1, 20000), 100), (Fraction(2043, 5000), Fraction(1, 20000), 100)]
    >>> answer_ranges(Fraction(1, 2), 4, "0.001")
    [(Fraction(1, 2), Fraction(1, 1000), 100)]
    """
    return parse_tolerance(tolerance if tolerance is not None else "shown").answers(exact, decimals=decimals)


def canvas_scale(value, tolerance: Fraction) -> int:
    """The power of ten to multiply an answer by so that Canvas's 4 places keep it and its tolerance.

    >>> canvas_scale(Fraction(82, 1000), Fraction(1, 2000))   # 0.082 ± 0.0005: as it is
    0
    >>> canvas_scale(Fraction(438, 10**6), Fraction(1, 2 * 10**6))   # 0.000438 ± 0.0000005: × 10³
    3
    >>> canvas_scale(Fraction(3, 10**5), Fraction(1, 2000))   # 0.00003 ± 0.0005: × 10¹
    1
    """
    smallest = Fraction(1, 10 ** CANVAS_PLACES)
    value = abs(to_fraction(value))
    for scale in range(MAX_SCALE + 1):
        factor = 10 ** scale
        if tolerance * factor >= smallest and (value == 0 or value * factor >= smallest):
            return scale
    return MAX_SCALE


def qti_package(run, *, tolerance=None) -> tuple:
    """``(zip bytes, warnings)``: ``imsmanifest.xml`` and ``assessment.xml`` of an :class:`~.exam.ExamRun`.

    >>> from derive.classroom.exam import ExamRun, draw_papers
    >>> from derive.spec.exam import load_exam
    >>> exam = load_exam("title: Quiz\\ndecimals: 6\\nquestions:\\n  - spec: 2-2-2-exercise\\n    ask: grad:w5\\n    points: 2\\n")
    >>> data, warnings = qti_package(ExamRun(exam, 1, 6, draw_papers(exam, 1, 2), ()))
    >>> sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()), warnings[0][:40]
    (['assessment.xml', 'imsmanifest.xml'], 'Canvas keeps numerical answers to 4 deci')
    """
    text, scaled = assessment_xml(run, tolerance=tolerance)
    warnings = []
    if scaled:
        warnings.append(f"Canvas keeps numerical answers to {CANVAS_PLACES} decimal places: {scaled} answer"
                        f"{'s' * (scaled != 1)} (or their tolerance) below 1e-{CANVAS_PLACES} are asked in "
                        "scaled units (the item says which power of ten)")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in (("imsmanifest.xml", _manifest()), ("assessment.xml", text)):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content.encode("utf-8"))
    return buffer.getvalue(), warnings


def assessment_xml(run, *, tolerance=None) -> tuple:
    """``(QTI 1.2 XML text, how many answers are scaled)``: one section per question and quantity."""
    parse_tolerance(tolerance if tolerance is not None else "shown")  # a bad value fails before any work
    exam = run.exam
    sections, scaled = [], 0
    for k, first in enumerate(run.papers[0].questions):
        counts = [len(paper.questions[k].questions) for paper in run.papers]
        points = Fraction(first.points) / max(counts)
        for j in range(max(counts)):
            items = []
            for paper in run.papers:
                question = paper.questions[k]
                if j < len(question.questions):
                    item, was_scaled = _item(question, question.questions[j], j, paper, run.decimals, tolerance, points)
                    items.append(item)
                    scaled += was_scaled
            sections.append(_section(f"derive_q{first.number}_{j + 1}", f"Question {first.number}.{j + 1}",
                                     points, items))
    head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<questestinterop xmlns="{NAMESPACE}">\n'
            f'<assessment ident="derive_exam" title={quoteattr(exam.title)}>\n'
            + _metadata({"cc_maxattempts": "1"}))
    return head + "".join(sections) + "</assessment>\n</questestinterop>\n", scaled


def _section(ident: str, title: str, points: Fraction, items: list) -> str:
    return (f'<section ident="{ident}" title={quoteattr(title)}>\n'
            "<selection_ordering><selection><selection_number>1</selection_number>"
            f"<selection_extension><points_per_item>{format_exact(points)}</points_per_item></selection_extension>"
            "</selection></selection_ordering>\n" + "".join(items) + "</section>\n")


def _item(question, asked, j: int, paper, decimals: int, tolerance, points: Fraction) -> tuple:
    variant = question.variant
    ranges = answer_ranges(variant.answers[asked.key], decimals, tolerance_of(variant.spec, asked.key, tolerance))
    scale = max(canvas_scale(value, radius) for value, radius, _ in ranges)
    unit = (" " + gettext("Give it in units of %(unit)s, that is, the value &times; %(factor)s.",
                          unit=f"10<sup>&minus;{scale}</sup>", factor=f"10<sup>{scale}</sup>") if scale else "")
    text = "\n".join([
        f"<p><strong>{_text(variant.spec.title or gettext('Backpropagation exercise'))}</strong></p>",
        _network_html(variant), _givens_html(variant), updates_html(variant),
        "<p>" + gettext("Find %(quantity)s to %(decimals)s decimal places.", quantity=label_html(asked, update=True),
                        decimals=decimals) + f"{unit}</p>"])
    ident = f"derive_q{question.number}_{j + 1}_p{paper.position}"
    conditions = "".join(_condition(value * 10 ** scale, radius * 10 ** scale, percent)
                         for value, radius, percent in ranges)
    xml = (f'<item ident="{ident}" title={quoteattr(gettext("Question %(number)s, variant %(index)s", number=f"{question.number}.{j + 1}", index=paper.position))}>\n'
           + _metadata({"question_type": "numerical_question", "points_possible": format_exact(points)}, "itemmetadata")
           + '<presentation><material><mattext texttype="text/html">' + _cdata(text) + "</mattext></material>\n"
           '<response_str ident="response1" rcardinality="Single"><render_fib fibtype="Decimal">'
           '<response_label ident="answer1"/></render_fib></response_str></presentation>\n'
           '<resprocessing><outcomes><decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/>'
           "</outcomes>\n" + conditions + "</resprocessing>\n</item>\n")
    return xml, scale > 0


def _condition(value: Fraction, radius: Fraction, percent: int) -> str:
    """One accepted answer: exactly ``value``, or within ``radius`` of it (Canvas's exact-with-margin form)."""
    answer = format_fixed(value, ANSWER_PLACES)
    low, high = (format_fixed(Fraction(answer) + sign * radius, ANSWER_PLACES) for sign in (-1, 1))
    return ('<respcondition continue="No"><conditionvar><or>'
            f'<varequal respident="response1">{answer}</varequal><and>'
            f'<vargte respident="response1">{low}</vargte><varlte respident="response1">{high}</varlte>'
            f'</and></or></conditionvar><setvar action="Set" varname="SCORE">{percent}</setvar></respcondition>\n')


def _metadata(fields: dict, wrapper: str | None = None) -> str:
    rows = "".join(f"<qtimetadatafield><fieldlabel>{xml_escape(k)}</fieldlabel><fieldentry>{xml_escape(v)}</fieldentry>"
                   "</qtimetadatafield>" for k, v in fields.items())
    block = f"<qtimetadata>{rows}</qtimetadata>"
    return (f"<{wrapper}>{block}</{wrapper}>" if wrapper else block) + "\n"


def _manifest() -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<manifest identifier="derive_exam_manifest" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1">\n'
            "<organizations/>\n<resources>\n"
            '<resource identifier="derive_exam" type="imsqti_xmlv1p2" href="assessment.xml">'
            '<file href="assessment.xml"/></resource>\n'
            "</resources>\n</manifest>\n")
