"""The HTML pages in a real headless Chromium: offline, math rendered, reveal buttons, phone width, hostile text."""

from __future__ import annotations

import json
import pathlib
import uuid

import pytest

import derive
from derive.cli import main

from browser import chromium, load, needs_chromium, phone, requests

pytestmark = needs_chromium
RAW_TEX = ("\\frac", "\\begin", "\\mathit", "\\partial", "\\left", "$", "&amp;", "((( ", "((*")
PAGES = [("2-2-2", "scalar"), ("2-2-2-exercise", "delta"), ("3-3-3-3", "matrix")]


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("pages")
    found = {}
    for example, style in PAGES:
        for reveal in (False, True):
            path = folder / f"{example}-{style}{'-reveal' if reveal else ''}.html"
            path.write_text(derive.solve(example, style=style).html(reveal=reveal), encoding="utf-8")
            found[example, style, reveal] = path
    return found


def text_of(driver) -> str:
    return driver.execute_script("return document.body.innerText")


def test_the_detector_sees_a_network_request_and_a_console_error(browser, tmp_path):
    """The checks below can fail: a page that fetches and logs an error is caught by both."""
    page = tmp_path / "control.html"
    page.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script>')
    others, messages = load(browser, page)
    assert "http://127.0.0.1:9/x.png" in others
    assert any(m["level"] == "SEVERE" and "boom" in m["message"] for m in messages)


@pytest.mark.parametrize("example,style", PAGES)
@pytest.mark.parametrize("reveal", [False, True], ids=["plain", "reveal"])
def test_a_page_loads_offline_without_errors_and_every_formula_is_math(browser, pages, example, style, reveal):
    others, messages = load(browser, pages[example, style, reveal])
    assert others == []  # no request of any kind besides the file itself
    assert messages == []  # no console message at all, errors included
    text = text_of(browser)
    for raw in RAW_TEX:
        assert raw not in text, raw
    stats = browser.execute_script("""
        const maths = [...document.querySelectorAll('math')];
        return {count: maths.length,
                displays: [...new Set(maths.map(m => getComputedStyle(m).display))],
                empty: maths.filter(m => m.getBoundingClientRect().width === 0 && !m.closest('.concealed')).length,
                fractions: document.querySelectorAll('mfrac').length,
                tables: document.querySelectorAll('mtable mtable').length,
                equations: document.querySelectorAll('.step[id^="eq-"]').length,
                links: [...document.querySelectorAll('a')].map(a => a.getAttribute('href')),
                svg: document.querySelectorAll('svg circle').length};
    """)
    assert stats["count"] > 20 and stats["empty"] == 0
    assert set(stats["displays"]) <= {"block math", "math"}  # laid out by the MathML engine
    assert stats["fractions"] > 0 or style == "matrix"
    assert style != "matrix" or stats["tables"] > 0  # matrices inside the aligned chains
    spec = derive.load(example).spec
    assert stats["svg"] == len(spec.examples[0].inputs) + sum(layer.units for layer in spec.layers)
    targets = [href for href in stats["links"] if href.startswith("#eq-")]
    assert targets and all(href.startswith("#") for href in stats["links"])
    ids = set(browser.execute_script("return [...document.querySelectorAll('[id]')].map(e => e.id)"))
    assert {href[1:] for href in stats["links"]} <= ids  # every link lands somewhere


def test_an_aligned_chain_lines_up_its_equals_signs(browser, pages):
    load(browser, pages["3-3-3-3", "matrix", False])
    lefts = browser.execute_script("""
        const chain = document.querySelector('.step math.chain');
        return [...chain.querySelectorAll(':scope > mtable > mtr > mtd:last-child')]
            .map(td => Math.round(td.querySelector('mo').getBoundingClientRect().left));
    """)
    assert len(lefts) >= 3 and len(set(lefts)) == 1  # every "=" in one column


def test_the_reveal_buttons_show_and_hide_the_results(browser, pages):
    load(browser, pages["2-2-2", "scalar", True])
    state = """
        const step = document.querySelectorAll('.revealable')[arguments[0]];
        const rows = [...step.querySelectorAll('.result')];
        return {concealed: step.classList.contains('concealed'),
                shown: rows.filter(r => r.getBoundingClientRect().height > 0).length, rows: rows.length,
                expanded: step.querySelector('button.reveal').getAttribute('aria-expanded'),
                label: step.querySelector('button.reveal').textContent};
    """
    count = browser.execute_script("return document.querySelectorAll('.revealable').length")
    assert count > 10
    for index in (0, count - 1):
        before = browser.execute_script(state, index)
        assert before["concealed"] and before["rows"] > 0 and before["shown"] == 0
        assert before["expanded"] == "false" and before["label"] == "Show the result"
        buttons = browser.find_elements("css selector", ".revealable button.reveal")
        browser.execute_script("arguments[0].scrollIntoView()", buttons[index])
        buttons[index].click()
        after = browser.execute_script(state, index)
        assert not after["concealed"] and after["shown"] == after["rows"]
        assert after["expanded"] == "true" and after["label"] == "Hide the result"
        buttons[index].click()
        assert browser.execute_script(state, index)["shown"] == 0
    assert browser.get_log("browser") == []


def test_printing_shows_every_result_without_buttons(browser, pages):
    load(browser, pages["2-2-2", "scalar", True])
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = browser.execute_script("""
            return [...document.querySelectorAll('.result')].filter(r => r.getBoundingClientRect().height === 0).length
                + [...document.querySelectorAll('button.reveal, nav.toc')].filter(b => b.getBoundingClientRect().height > 0).length;
        """)
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert hidden == 0


@pytest.mark.parametrize("example,style", PAGES)
def test_a_phone_screen_shows_the_page_without_sideways_scrolling(browser, pages, example, style):
    phone(browser)
    try:
        load(browser, pages[example, style, True])
        widths = browser.execute_script("""
            return [document.documentElement.scrollWidth, window.innerWidth,
                    document.querySelector('figure.diagram svg').getBoundingClientRect().right];
        """)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert widths[1] == 375 and widths[0] <= 375 and widths[2] <= 375, widths


HOSTILE_TITLE = ('<script>document.title="pwned"</script><img src=x onerror="document.title=1">'
                 '<a href="http://127.0.0.1:9/">a</a> [x](javascript:alert(1)) '
                 '$\\frac{1}{2}$ &amp; {{7*7}} ((( 1 ))) "\' σ 中 😀')


def hostile_spec(tmp_path) -> pathlib.Path:
    text = (pathlib.Path(derive.__file__).parent / "spec" / "examples" / "2-2-1.yaml").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("title:")]
    path = tmp_path / "net.yaml"
    path.write_text(f"title: {json.dumps(HOSTILE_TITLE, ensure_ascii=False)}\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


def test_a_hostile_title_stays_text_in_every_page(browser, tmp_path, capsys):
    spec = hostile_spec(tmp_path)
    claims = tmp_path / f"<b>&amp;{uuid.uuid4().hex[:6]}.yaml"
    claims.write_text("net_h1: 2\n")
    runs = {"solve": ["solve", str(spec), "--reveal", "-o", str(tmp_path / "s.html")],
            "train": ["train", str(spec), "--steps", "2", "-f", "html", "-o", str(tmp_path / "t.html")],
            "check": ["check", str(spec), str(claims), "--format", "html", "-o", str(tmp_path / "c.html")]}
    for name, argv in runs.items():
        assert main(argv) in (0, 1), name
        others, messages = load(browser, pathlib.Path(argv[-1]))
        assert others == [] and messages == [], name
        assert browser.title != "pwned" and browser.title != "1"
        found = browser.execute_script("""
            return {scripts: document.scripts.length, imgs: document.images.length,
                    links: [...document.querySelectorAll('a')].map(a => a.getAttribute('href'))
                           .filter(h => !h.startsWith('#')),
                    h1: document.querySelector('h1').textContent};
        """)
        assert found["scripts"] == (1 if name == "solve" else 0) and found["imgs"] == 0, name
        assert found["links"] == [], name  # no link is made from the title
        assert HOSTILE_TITLE in found["h1"] or claims.name in found["h1"], name  # every character as itself
        assert HOSTILE_TITLE in browser.execute_script("return document.body.innerText"), name
    capsys.readouterr()
