"""The language a document is printed in: gettext catalogs, read straight from their ``.po`` files.

Every sentence a document prints is an English ``msgid`` in a template (``_("...")``) or in a
renderer (``gettext``); ``catalogs/<lang>.po`` holds its translation. English is the msgids
themselves, so it needs no catalog. The ``.po`` text is the only copy: it is read (a few
kilobytes, once per process, only when a document in that language is made) by the small
reader below, so there is no compiled ``.mo`` to keep in step with it and nothing heavy is
imported at start-up.

The language is chosen by :func:`language`, a context (a :class:`~contextvars.ContextVar`, so
threads and generators each keep their own); the templates' ``_`` and :func:`gettext` read it,
and so does the decimal mark (:func:`decimal_mark`): German and Spanish write ``0,5``.
"""

from __future__ import annotations

import ast
import re
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from ..errors import RenderError, keyword

LANGUAGES = ("en", "de", "es")
# Languages whose decimal mark is a comma (0,5; in LaTeX maths 0{,}5).
DECIMAL_COMMA = frozenset({"de", "es"})
# The babel package's name for each language (the LaTeX preamble's hyphenation patterns).
BABEL_NAMES = {"en": "english", "de": "ngerman", "es": "spanish"}
CATALOGS = Path(__file__).resolve().parent / "catalogs"

_current: ContextVar[str] = ContextVar("derive_language", default="en")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def babel_preamble(lang: str | None = None) -> str:
    """The LaTeX lines that set the document's language (babel, from its own locale files, so no
    separate babel-german or babel-spanish package is needed); empty for English.

    >>> print(babel_preamble("de"))
    \\usepackage{babel}
    \\babelprovide[import, main]{ngerman}
    \\setlength{\\emergencystretch}{3em}
    """
    lang = check_language(lang or current_language())
    if lang == "en":
        return ""
    # German and Spanish words are longer, and a TeX without the language's hyphenation patterns
    # (babel then warns and does not hyphenate) must still fill its lines: room to stretch instead.
    return ("\\usepackage{babel}\n\\babelprovide[import, main]{%s}\n\\setlength{\\emergencystretch}{3em}"
            % BABEL_NAMES[lang])


def check_language(lang) -> str:
    """``lang`` if it is a shipped language, else a clear error naming them.

    >>> check_language("de")
    'de'
    >>> check_language("fr")
    Traceback (most recent call last):
    ...
    derive.errors.RenderError: lang must be one of en, de, es; got 'fr'
    """
    if lang is None:
        return "en"
    if not isinstance(lang, str) or lang not in LANGUAGES:
        raise RenderError(f"{keyword('lang')} must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return lang


@contextmanager
def language(lang):
    """Print documents in ``lang`` inside the ``with`` block (None: keep the current one).

    >>> with language("es"):
    ...     gettext("Summary"), decimal_mark()
    ('Resumen', ',')
    >>> gettext("Summary")
    'Summary'
    """
    if lang is None:
        yield current_language()
        return
    token = _current.set(check_language(lang))
    try:
        yield lang
    finally:
        _current.reset(token)


def with_language(function):
    """Give an API function a ``lang`` keyword: its documents are printed in that language.

    >>> @with_language
    ... def title():
    ...     return gettext("Summary")
    >>> title(lang="de"), title()
    ('Zusammenfassung', 'Summary')
    """
    import functools

    @functools.wraps(function)
    def wrapper(*args, lang=None, **kwargs):
        with language(lang):
            return function(*args, **kwargs)

    return wrapper


def current_language() -> str:
    """The language documents are printed in now ("en" unless :func:`language` says otherwise).

    >>> with language("de"):
    ...     current_language()
    'de'
    >>> current_language()
    'en'
    """
    return _current.get()


def decimal_mark() -> str:
    """"," in German and Spanish, "." in English.

    >>> decimal_mark()
    '.'
    """
    return "," if current_language() in DECIMAL_COMMA else "."


def localize_number(text: str) -> str:
    """A number's plain text with the language's decimal mark (``0.5`` -> ``0,5`` in German).

    >>> with language("de"):
    ...     localize_number("-0.25")
    '-0,25'
    """
    text = str(text)
    return text.replace(".", ",") if current_language() in DECIMAL_COMMA else text


def localize_tex(text: str) -> str:
    """A number's digits for LaTeX maths: ``0{,}5`` where the language writes a decimal comma
    (the braces keep TeX from spacing the comma as punctuation).

    >>> with language("es"):
    ...     localize_tex("0.25")
    '0{,}25'
    """
    return text.replace(".", "{,}") if current_language() in DECIMAL_COMMA else text


def gettext(message: str, **values) -> str:
    """``message`` in the current language, with ``%(name)s`` placeholders filled from ``values``.

    >>> with language("de"):
    ...     gettext("Question %(number)s", number=2)
    'Aufgabe 2'
    """
    text = catalog(current_language()).get(message) or message
    if isinstance(text, tuple):
        text = text[0]
    return text % values if values else text


class Number:
    """A number's plain text that a :class:`Message` prints with the language's decimal mark.

    >>> half = Number("0.5")
    >>> with language("es"):
    ...     str(half)
    '0,5'
    >>> str(half), half == Number("0.5")
    ('0.5', True)
    """

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = str(text)

    def __str__(self) -> str:
        return localize_number(self.text)

    def __eq__(self, other) -> bool:
        return isinstance(other, Number) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Number({self.text!r})"


class Message:
    """A sentence made now and printed later, in the language current when it is printed.

    Its values may be messages or :class:`Number` s themselves, printed in the same language.

    >>> m = lazy_gettext("the sign is wrong: the value is %(value)s", value=Number("-0.5"))
    >>> str(m)
    'the sign is wrong: the value is -0.5'
    >>> with language("de"):
    ...     str(m)
    'das Vorzeichen ist falsch: der Wert ist -0,5'
    """

    __slots__ = ("msgid", "values")

    def __init__(self, msgid: str, values: dict):
        self.msgid = msgid
        self.values = tuple(values.items())

    def __str__(self) -> str:
        return gettext(self.msgid, **{k: str(v) for k, v in self.values})

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (other.msgid, other.values) == (self.msgid, self.values)

    def __hash__(self) -> int:
        return hash((self.msgid, self.values))

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"


def lazy_gettext(message: str, **values) -> Message:
    """``message`` with its ``%(name)s`` values, translated only when printed (``str``).

    >>> sentence = lazy_gettext("it is %(key)s before the update (%(value)s)", key="w5", value=Number("0.4"))
    >>> with language("es"):
    ...     str(sentence)
    'es w5 antes de la actualización (0,4)'
    """
    return Message(message, values)


def ngettext(singular: str, plural: str, n, **values) -> str:
    """The singular or plural ``message`` for count ``n`` (English, German and Spanish: one form for 1).

    >>> with language("es"):
    ...     ngettext("%(num)s point", "%(num)s points", 2)
    '2 puntos'
    """
    one = str(n) in ("1", "1.0") if not isinstance(n, (int, float)) else n == 1
    found = catalog(current_language()).get(singular)
    if isinstance(found, tuple) and all(found):
        text = found[0] if one else found[1]
    else:
        text = singular if one else plural
    return text % {"num": n, **values}


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict:
    """The translations of ``lang``: msgid -> msgstr (a pair for a plural). English: empty.

    >>> catalog("de")["Summary"]
    'Zusammenfassung'
    """
    if lang == "en":
        return {}
    return read_po((CATALOGS / f"{check_language(lang)}.po").read_text(encoding="utf-8"))


def read_po(text: str) -> dict:
    """A ``.po`` file's translations (msgid, msgid_plural, msgstr, msgstr[n]; comments skipped).

    Untranslated entries (empty msgstr) and the header are left out, so they fall back to English.

    >>> read_po('msgid "Yes"\\nmsgstr "Ja"\\n\\nmsgid "%(num)s day"\\nmsgid_plural "%(num)s days"\\n'
    ...         'msgstr[0] "%(num)s Tag"\\nmsgstr[1] "%(num)s Tage"\\n')
    {'Yes': 'Ja', '%(num)s day': ('%(num)s Tag', '%(num)s Tage')}
    """
    found = {}
    for entry in _entries(text):
        msgid = entry.get("msgid")
        if not msgid:
            continue
        forms = sorted(k for k in entry if k.startswith("msgstr["))
        if forms:
            value = tuple(entry[k] for k in forms)
            if any(value):
                found[msgid] = value
        elif entry.get("msgstr"):
            found[msgid] = entry["msgstr"]
    return found


def read_po_entries(text: str) -> list[dict]:
    """Every entry of a ``.po`` file (header included), as field -> text; for the tests and tools.

    >>> read_po_entries('#: a.j2\\nmsgid "Yes"\\nmsgstr ""\\n')
    [{'msgid': 'Yes', 'msgstr': ''}]
    """
    return list(_entries(text))


def _entries(text: str):
    entry, field = {}, None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            if not line and entry:
                yield entry
                entry, field = {}, None
            continue
        if line.startswith('"'):
            if field is None:
                raise RenderError(f"catalog line {number}: a continued string with no field before it")
            entry[field] += _string(line, number)
            continue
        field, _, rest = line.partition(" ")
        if field in entry and field == "msgid":
            yield entry
            entry = {}
        entry[field] = _string(rest.strip(), number)
    if entry:
        yield entry


def _string(literal: str, number: int) -> str:
    if not (len(literal) >= 2 and literal[0] == literal[-1] == '"'):
        raise RenderError(f"catalog line {number}: expected a quoted string; got {literal[:40]!r}")
    return ast.literal_eval(literal)


def placeholders(text: str) -> set[str]:
    """The ``%(name)s`` placeholders of a message (a translation must keep the same ones).

    >>> sorted(placeholders("%(a)s of %(b)s"))
    ['a', 'b']
    """
    return set(_PLACEHOLDER.findall(text))
