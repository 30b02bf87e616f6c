"""Moodle's own reading and grading of Cloze NUMERICAL blanks, re-implemented for the tests.

The regular expressions are those of moodle/moodle ``question/type/multianswer/questiontype.php``
(``ANSWER_ALTERNATIVE_FRACTION_REGEX``, ``ANSWER_ALTERNATIVE_ANSWER_REGEX``,
``ANSWER_ALTERNATIVE_FEEDBACK_REGEX``, ``ANSWER_ALTERNATIVE_REGEX``, ``NUMBER_REGEX``,
``NUMERICAL_ALTERNATIVE_REGEX``, ``ANSWER_TYPE_DEF_REGEX``, ``ANSWER_START_REGEX``,
``ANSWER_REGEX`` and the group positions defined after them), applied as
``qtype_multianswer_extract_question`` applies them (PCRE with the ``s`` flag). One change of
form, not of meaning: PCRE's look-behind ``(?<!\\\\|&|&amp;)`` has alternatives of different
lengths, which Python's ``re`` refuses, so it is written as three look-behinds in a row.

Grading follows ``question/type/numerical/question.php``: ``qtype_numerical_answer::get_tolerance_interval``
for the default ``nominal`` tolerance (the tolerance plus ``10**-precision * max(1, |answer|)``,
PHP's ``precision`` being 14), then the first answer whose interval holds the response
(``get_matching_answer``), all in IEEE doubles as PHP computes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALTERNATIVE = f"({FRACTION})?({ANSWER})(#({FEEDBACK}))?"
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL_ALTERNATIVE = f"^({NUMBER})(:{NUMBER})?$"
TYPE_DEF = ("(NUMERICAL|NM)|(MULTICHOICE|MC)|(MULTICHOICE_V|MCV)|(MULTICHOICE_H|MCH)|"
            "(SHORTANSWER|SA|MW)|(SHORTANSWER_C|SAC|MWC)|"
            "(MULTICHOICE_S|MCS)|(MULTICHOICE_VS|MCVS)|(MULTICHOICE_HS|MCHS)|"
            "(MULTIRESPONSE|MR)|(MULTIRESPONSE_H|MRH)|(MULTIRESPONSE_S|MRS)|(MULTIRESPONSE_HS|MRHS)")
START = r"\{([0-9]*):(" + TYPE_DEF + "):"
ANSWER_REGEX = re.compile(START + "(" + ALTERNATIVE + "(~" + ALTERNATIVE + r")*)\}", re.S)
TYPE_NUMERICAL, ALTERNATIVES = 3, 16  # ANSWER_REGEX_ANSWER_TYPE_NUMERICAL, ANSWER_REGEX_ALTERNATIVES
FRACTION_GROUP, PERCENT_GROUP, ANSWER_GROUP = 1, 2, 3
NUMERICAL_CORRECT_ANSWER, NUMERICAL_ABS_ERROR_MARGIN = 1, 6
PHP_PRECISION = 14


@dataclass(frozen=True)
class Answer:
    answer: str
    tolerance: str
    fraction: float

    def interval(self) -> tuple[float, float]:
        value = float(self.answer.replace(",", "."))
        tolerance = abs(float(self.tolerance)) + 10.0 ** -PHP_PRECISION * max(1.0, abs(value))
        return value - tolerance, value + tolerance


@dataclass(frozen=True)
class Blank:
    numerical: bool
    answers: tuple[Answer, ...]

    def grade(self, response: float) -> float:
        """The fraction of the blank's mark a response earns (0 when no answer matches)."""
        for answer in self.answers:
            low, high = answer.interval()
            if low <= response <= high:
                return answer.fraction
        return 0.0


def extract_blanks(text: str) -> list[Blank]:
    """Every sub-question of a Cloze question text, in order, as Moodle reads them."""
    blanks = []
    while (match := ANSWER_REGEX.search(text)) is not None:
        numerical = bool(match.group(TYPE_NUMERICAL))
        remaining, answers = match.group(ALTERNATIVES), []
        while (alt := re.search("~?" + ALTERNATIVE, remaining, re.S)) is not None:
            if alt.group(FRACTION_GROUP) == "=":
                fraction = 1.0
            elif alt.group(PERCENT_GROUP):
                fraction = 0.01 * float(alt.group(PERCENT_GROUP).replace(",", "."))
            else:
                fraction = 0.0
            number = re.search(NUMERICAL_ALTERNATIVE, alt.group(ANSWER_GROUP), re.S) if numerical else None
            if number is not None:
                answers.append(Answer(number.group(NUMERICAL_CORRECT_ANSWER),
                                      number.group(NUMERICAL_ABS_ERROR_MARGIN) or "0", fraction))
            else:
                answers.append(Answer(alt.group(ANSWER_GROUP), "0", fraction))
            remaining = remaining.split(alt.group(0), 1)[1]
        blanks.append(Blank(numerical, tuple(answers)))
        text = text.replace(match.group(0), f"{{#{len(blanks)}}}", 1)
    return blanks
