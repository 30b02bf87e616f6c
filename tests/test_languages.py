"""Documents in English, German and Spanish: every sentence from the catalogs, decimal commas, babel.

The catalogs are checked against the messages the templates and renderers use (every one
translated, placeholders kept); every built-in example is rendered in every style and format in
German and Spanish and must hold no English sentence; English output is the gallery's, byte for
byte (tests/test_render_gallery.py holds that).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import derive
from derive.cli import main
from derive.render.language import CATALOGS, LANGUAGES, catalog, placeholders, read_po_entries

from i18n_messages import all_messages

TRANSLATED = ("de", "es")
STYLES = ("scalar", "delta", "matrix")
# Words a German or Spanish sentence never holds; a leftover English sentence holds some of them.
# ("error" and "Error" are Spanish words too, "Parameter" and "Bias" German ones.)
ENGLISH_WORDS = ("the", "of", "with", "is", "from", "by", "each", "and", "to", "for", "its", "this", "weight",
                 "weights", "otherwise", "output", "input", "hidden", "layer", "update", "updated", "gradient", "example",
                 "value", "network", "Summary", "Weight", "Forward", "Backward", "Quantity", "Layer",
                 "Learning", "rate", "The", "In", "same", "way", "none", "trained")


def _singular(message):
    return message if isinstance(message, str) else message[0]


def test_every_message_has_a_german_and_a_spanish_translation_with_its_placeholders():
    messages = all_messages()
    assert len(messages) > 100
    for lang in TRANSLATED:
        entries = {e["msgid"]: e for e in read_po_entries((CATALOGS / f"{lang}.po").read_text(encoding="utf-8"))
                   if e.get("msgid")}
        for message, where in messages.items():
            msgid = _singular(message)
            assert msgid in entries, f"{lang}.po lacks {msgid!r} ({where})"
            entry = entries[msgid]
            forms = [entry[k] for k in sorted(entry) if k.startswith("msgstr")]
            assert forms and all(forms), f"{lang}.po: {msgid!r} has an empty translation"
            sources = [msgid] + ([entry["msgid_plural"]] if "msgid_plural" in entry else [])
            for form in forms:
                assert placeholders(form) == set().union(*map(placeholders, sources)), (lang, msgid, form)
                assert form.count("$") == msgid.count("$"), (lang, msgid, form)
        unused = set(entries) - {_singular(m) for m in messages}
        assert not unused, f"{lang}.po holds messages nothing prints: {sorted(unused)[:5]}"


def test_catalogs_parse_into_the_same_keys():
    assert set(catalog("de")) == set(catalog("es"))
    assert catalog("en") == {}


def _visible_text(text: str, fmt: str, title: str) -> str:
    """What a reader sees: no spec title (the author's own words), no TeX comments, no page style or script."""
    if title:
        from derive.render.escape import escape_html, escape_latex, escape_markdown

        for escape in (str, escape_latex, escape_markdown, escape_html):
            text = text.replace(str(escape(title)), " ")
    if fmt == "tex":
        text = re.sub(r"(?<!\\)%.*", "", text)
        text = re.sub(r"\\[A-Za-z]+", " ", text)  # TeX commands: \section, \mathit, \begin
    if fmt in ("html", "md"):  # Markdown holds inline SVG (a training run's curve)
        text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", text)
    return text


def _visible_text_of(text: str, fmt: str, title: str) -> str:
    return _math_free(_visible_text(_math_free(text), fmt, title))


def _english_left(text: str) -> list[str]:
    found = []
    for message in all_messages():
        msgid = _singular(message)
        if placeholders(msgid) or len(msgid.split()) < 2 or "$" in msgid:
            continue
        if msgid in text:
            found.append(msgid)
    for word in ENGLISH_WORDS:
        if re.search(rf"(?<![\w\\{{]){word}(?![\w}}])", text):
            found.append(word)
    return found


def _math_free(text: str) -> str:
    """Prose without its formulas (a formula's names, such as out or net, are the same in every language)."""
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$]*\$", " ", text)
    text = re.sub(r"\\begin\{(equation\*|aligned|tikzpicture)\}.*?\\end\{\1\}", " ", text, flags=re.S)
    text = re.sub(r"<math.*?</math>", " ", text, flags=re.S)
    text = re.sub(r"```mermaid.*?```", " ", text, flags=re.S)
    return text


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("example", derive.example_names())
def test_no_english_sentence_left_in_any_style_or_format(example, lang):
    for style in STYLES:
        solution = derive.solve(example, style=style, lang=lang)
        title = solution.derivation.statement.title or ""
        for fmt, text in (("md", solution.markdown()), ("tex", solution.latex()), ("html", solution.html(reveal=True)),
                          ("notebook", solution._repr_markdown_()), ("notebook-tex", solution._repr_latex_()),
                          ("notebook-html", solution._repr_html_())):
            kind = {"notebook": "md", "notebook-tex": "tex", "notebook-html": "html"}.get(fmt, fmt)
            visible = _visible_text_of(text, kind, title)
            assert not _english_left(visible), (example, style, fmt, _english_left(visible))


def test_the_languages_differ_and_english_is_unchanged():
    texts = {lang: derive.solve("2-2-2", lang=lang).markdown() for lang in LANGUAGES}
    assert texts["en"] == derive.solve("2-2-2").markdown()
    assert len(set(texts.values())) == 3
    assert "## 1. The problem" in texts["en"] and "## 1. Die Aufgabe" in texts["de"] and "## 1. El problema" in texts["es"]
    assert "Kettenregel" in texts["de"] and "regla de la cadena" in texts["es"]


def test_decimal_comma_in_text_and_in_the_maths():
    solution = derive.solve("2-2-2", lang="de", diagram_values=True)
    tex, md, html = solution.latex(), solution.markdown(), solution.html()
    assert r"\eta = 0{,}5" in tex and r"\eta = 0{,}5" in md
    assert "<mn>0,5</mn>" in html and "<mn>0.5</mn>" not in html
    assert not re.search(r"\d\.\d", _math_free(md) + "".join(re.findall(r"\$[^$]*\$", md)))
    assert '"w1 = 0,15"' in md  # the Mermaid diagram is plain text
    english = derive.solve("2-2-2", diagram_values=True)
    assert r"\eta = 0.5" in english.latex() and "<mn>0.5</mn>" in english.html()


def test_english_documents_hold_no_babel():
    assert "babel" not in derive.solve("2-2-1").latex()
    assert r"\babelprovide[import, main]{ngerman}" in derive.solve("2-2-1", lang="de").latex()
    assert r"\babelprovide[import, main]{spanish}" in derive.solve("2-2-1", lang="es").latex()


def test_html_page_names_its_language():
    assert '<html lang="es">' in derive.solve("2-2-1", lang="es").html()
    assert '<html lang="en">' in derive.solve("2-2-1").html()


def test_an_unknown_language_is_refused_naming_the_shipped_ones(capsys):
    with pytest.raises(derive.RenderError, match=r"lang must be one of en, de, es; got 'fr'"):
        derive.solve("2-2-1", lang="fr")
    assert main(["solve", "2-2-1", "-f", "md", "--lang", "fr"]) == 2
    assert "--lang must be one of en, de, es; got 'fr'" in capsys.readouterr().err


def test_the_command_line_prints_the_chosen_language(capsys):
    assert main(["solve", "2-2-1", "-f", "md", "--lang", "es"]) == 0
    out = capsys.readouterr().out
    assert "Resumen" in out and "Summary" not in out


def test_a_language_block_covers_the_api():
    with derive.language("de"):
        text = derive.solve("2-2-1").markdown()
    assert "Zusammenfassung" in text
    assert "Summary" in derive.solve("2-2-1").markdown()


@pytest.mark.parametrize("lang", TRANSLATED)
def test_worksheet_key_and_exam_in_the_language(lang):
    from derive.classroom.exam import ExamRun, draw_papers, exam_document, paper_body
    from derive.classroom.worksheet import (_example_questions, _example_variant, key_body, latex_document,
                                            worksheet_body)
    from derive.spec.roster import Student

    with derive.language(lang):
        variant, questions = _example_variant(), _example_questions()
        sheets = latex_document([worksheet_body(variant, questions, 6), key_body(variant, questions, 6, full=True)])
        exam = derive.load_exam("title: Quiz\nquestions:\n  - spec: 2-2-2\n    ask: E_total\n    points: 2\n")
        papers = draw_papers(exam, 1, (Student("s1", "Ada"),))
        run = ExamRun(exam, 1, 6, papers, ())
        exams = exam_document([paper_body(run, papers[0]), paper_body(run, papers[0], key=True)])
    for text in (sheets, exams):
        visible = _visible_text_of(text, "tex", variant.spec.title or "")
        visible = visible.replace("Quiz", " ")
        assert not _english_left(visible), _english_left(visible)
        assert "{,}" in text and "babelprovide" in text
    assert ("Aufgabe 1" if lang == "de" else "Pregunta 1") in exams
    assert ("2 Punkte" if lang == "de" else "2 puntos") in exams


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_german_and_spanish_pdfs_typeset_without_overfull_boxes(tmp_path, lang):
    for example, style in (("2-2-2", "delta"), ("3-3-3-3", "matrix")):
        source = tmp_path / f"{example}-{lang}.tex"
        source.write_text(derive.solve(example, style=style, lang=lang).latex(), encoding="utf-8")
        for _ in range(2):  # longtables settle on the second pass
            run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                                  source.name], cwd=tmp_path, capture_output=True, timeout=300)
            assert run.returncode == 0, run.stdout[-2000:]
        log = source.with_suffix(".log").read_text(encoding="latin-1")
        assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line][:5]
        assert "babel" in log


def test_moodle_quiz_text_in_german_with_answers_moodle_parses(tmp_path):
    derive.make_worksheets("2-2-2", n=1, seed=3, out_dir=tmp_path, fmt="moodle", lang="de")
    quiz = (tmp_path / "quiz.xml").read_text(encoding="utf-8")
    assert "Gegeben:" in quiz and "Geben Sie jede Antwort auf" in quiz and "Zusammenfassung" in quiz
    assert "w<sub>1</sub> = 0,15" in quiz
    # The Cloze answers are what Moodle's import reads: a decimal point, whatever the language.
    assert re.findall(r"NUMERICAL:[^}]*", quiz)
    assert not re.search(r"NUMERICAL:=?-?\d+,\d", quiz)
    assert re.search(r"NUMERICAL:%?[0-9]*%?=?-?\d+\.\d", quiz)
    english = tmp_path / "en"
    derive.make_worksheets("2-2-2", n=1, seed=3, out_dir=english, fmt="moodle")
    assert "Given:" in (english / "quiz.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_grade_feedback_in_the_language(lang):
    from derive.classroom.check import check_claims
    from derive.render.feedback import feedback_context, render_feedback

    report = check_claims("2-2-2", {"net_o2": "1.3", "out_o2": "0.7858", "out_o1": "0.7513"})
    with derive.language(lang):
        context = feedback_context("s1", {"index": 1, "seed": 0, "title": "Demo", "decimals": 4}, report, {})
        texts = {fmt: render_feedback(context, fmt) for fmt in ("md", "tex")}
    for fmt, text in texts.items():
        assert ("Rückmeldung für s1" if lang == "de" else "Comentarios para s1") in text
        assert "0,75" in text
        assert "Feedback for" not in text and "Correct answer" not in text and "Score:" not in text


@pytest.mark.parametrize("lang", TRANSLATED)
def test_training_report_in_the_language(lang):
    from derive.render.training import render_training

    run = derive.train("2-2-2", 3)
    with derive.language(lang):
        texts = {kind: render_training(run, kind) for kind in ("md", "tex", "html")}
    for kind, text in texts.items():
        visible = _visible_text_of(text, kind, "Two inputs, two hidden, two outputs (sigmoid)")
        visible = re.sub(r"\w+(\\?_\w+)+|\bsgd\b|\bpositive\b|\bbias\b|\bsum\b", " ", visible)  # the spec's own keywords
        assert not _english_left(visible), (kind, _english_left(visible))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_check_report_in_the_language(lang):
    from derive.classroom.check import check_claims
    from derive.render.check_report import render_check_html, render_check_markdown

    report = check_claims("2-2-2", {"net_o2": "1.3", "out_o2": "0.7858", "out_o1": "0.7513"})
    with derive.language(lang):
        texts = {"md": render_check_markdown(report), "html": render_check_html(report)}
    for fmt, text in texts.items():
        assert ("Prüfung von den Angaben" if lang == "de" else "Revisión de las respuestas") in text
        assert "claims are wrong" not in text and "Check of" not in text and "quantity" not in text


def test_catalogs_ship_with_a_non_editable_install(tmp_path):
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    source = tmp_path / "src"  # a copy, so the build leaves nothing in the working tree
    shutil.copytree(root, source, ignore=shutil.ignore_patterns(".git", "build", "dist", "outputs", "*.egg-info",
                                                                ".venv", "__pycache__", ".hypothesis", ".pytest_cache"))
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q",
                           "--target", str(target), str(source)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (target / "derive" / "render" / "catalogs" / "de.po").is_file()
    assert (target / "derive" / "render" / "catalogs" / "es.po").is_file()
    run = subprocess.run([sys.executable, "-c", "import derive; print(derive.solve('2-2-1', lang='es').markdown())"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    assert "## 1. El problema" in run.stdout and "Resumen" in run.stdout


@pytest.mark.parametrize("lang", TRANSLATED)
def test_notebook_displays_in_the_language(lang):
    from derive.classroom.check import check_claims

    objects = (derive.load("2-2-2"), derive.train("2-2-2", 3), derive.load("2-2-2").quantity("net_h1"),
               check_claims("2-2-2", {"net_o2": "1.3", "out_o2": "0.7858"}))
    with derive.language(lang):
        shown = [(obj._repr_markdown_(), obj._repr_html_()) for obj in objects]
    for markdown, page in shown:
        for kind, text in (("md", markdown), ("html", page)):
            visible = _visible_text_of(text, kind, "Two inputs, two hidden, two outputs (sigmoid)")
            visible = re.sub(r"\w+(\\?_\w+)+|\bsgd\b|\bsigmoid\b|\bnet\b", " ", visible)  # the spec's own keywords
            assert not _english_left(visible), (kind, _english_left(visible), visible[:300])


SLIPS = """out_h1: 0.596884378
net_o2: 1.3
out_o2: 0.7858
E_o2: -0.02085
E_o1: 0.5496
E_total: -0.298371109
dE/dw5: 0.0832
dE/dw1: 0.00438568
w5_new: 0.40
"""
# Words of the English explanations that the German and Spanish sentences never hold.
EXPLANATION_WORDS = ("it is", "the value", "digit", "sign is wrong", "decimal point", "transposed", "when computed",
                     "earlier values", "before the update", "rounded to", "without the", "misplaced")


def test_check_explanations_in_the_language(tmp_path, capsys):
    """Every kind of slip explained in German and Spanish (text, Markdown, HTML); JSON keys and kinds unchanged."""
    import json

    claims = tmp_path / "slips.yaml"
    claims.write_text(SLIPS, encoding="utf-8")
    reports = {}
    for lang in ("en",) + TRANSLATED:
        for fmt in ("text", "md", "html", "json"):
            assert main(["check", "2-2-2", str(claims), "-f", fmt, "--lang", lang]) == 1
            reports[lang, fmt] = capsys.readouterr().out
    english = json.loads(reports["en", "json"])
    kinds = {c["quantity"]: c["explanation"]["kind"] for c in english["claims"] if c["explanation"]}
    assert kinds == {"out_h1": "transposed_index", "E_o2": "sign", "E_o1": "convention", "E_total": "sign",
                     "grad_w5": "digit", "grad_w1": "decimal_place", "w5_new": "carry_rounding"}, kinds
    assert [c["status"] for c in english["claims"] if c["quantity"] == "out_o2"] == ["follow_through"]
    sentences = {e["text"] for c in english["claims"] for e in [c["explanation"]] + c["alternatives"] if e}
    assert any("from your earlier values" in s for s in sentences)
    assert "the decimal point is misplaced (×10): the value is 0.000438568" in sentences
    for lang in TRANSLATED:
        data = json.loads(reports[lang, "json"])
        # the machine fields are the same in every language; only the sentences for people differ
        strip = [{k: v for k, v in c.items() if k not in ("explanation", "alternatives")} for c in data["claims"]]
        assert strip == [{k: v for k, v in c.items() if k not in ("explanation", "alternatives")}
                         for c in english["claims"]]
        for mine, theirs in zip(data["claims"], english["claims"]):
            for a, b in zip([mine["explanation"]] + mine["alternatives"], [theirs["explanation"]] + theirs["alternatives"]):
                assert (a is None) == (b is None)
                if a is not None:
                    assert {k: v for k, v in a.items() if k != "text"} == {k: v for k, v in b.items() if k != "text"}
                    assert a["text"] != b["text"], a
        texts = {fmt: reports[lang, fmt] for fmt in ("text", "md", "html")}
        texts["json"] = "\n".join(e["text"] for c in data["claims"] for e in [c["explanation"]] + c["alternatives"] if e)
        for fmt, text in texts.items():  # (a JSON report's kinds are its machine keys: only its sentences are read)
            for sentence in sentences:
                assert sentence not in text, (lang, fmt, sentence)
            left = [w for w in EXPLANATION_WORDS if w in text]
            assert not left, (lang, fmt, left)
            assert "0,000438568" in text and "0.000438568" not in text, (lang, fmt)
