"""HTML output without a browser: the CLI, self-containment, the CSP hash, escaping (the browser tests are in test_html_browser)."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

import derive
from derive.cli import main
from derive.render.escape import escape_html, finalize_html

HOSTILE = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<a href="http://127.0.0.1:9/">x</a>',
           "[x](javascript:alert(1))", "$\\frac{1}{2}$", "&lt;b&gt; &amp;", "\"' onmouseover=alert(1) '\"",
           "((( 1 ))) {{7*7}}", "σ 中 😀 x\u202e1"]


def spec_with_title(tmp_path, title: str):
    spec = tmp_path / "net.json"
    body = {"title": title, "inputs": [0.05, 0.1], "targets": [0.01, 0.99], "learning_rate": 0.5,
            "layers": [{"units": 2, "activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3]], "bias": 0.35},
                       {"units": 2, "activation": "sigmoid", "weights": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6}]}
    spec.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return spec


def test_escape_html():
    assert escape_html('<a href="x">&$</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&#36;&lt;/a&gt;"
    assert escape_html("it's") == "it&#39;s"
    assert finalize_html("<b>") == "&lt;b&gt;" and finalize_html(7) == "7"


@pytest.mark.parametrize("title", HOSTILE)
def test_a_hostile_title_is_text_in_every_html_page(tmp_path, capsys, title):
    spec = spec_with_title(tmp_path, title)
    claims = tmp_path / "claims.yaml"
    claims.write_text("out_o1: 0.75136507\n")
    pages = {}
    for name, argv in {"solve": ["solve", str(spec), "-f", "html", "--reveal"],
                       "train": ["train", str(spec), "--steps", "2", "-f", "html"],
                       "check": ["check", str(spec), str(claims), "-f", "html"]}.items():
        assert main(argv) == 0, name
        pages[name] = capsys.readouterr().out
    for name, page in pages.items():
        body = page.split("<body", 1)[1]
        assert escape_html(title) in page, name  # the title, every character escaped
        scripts = re.findall(r"<script", body)
        assert len(scripts) == (1 if name == "solve" else 0), name  # only the page's own script
        assert not re.search(r"<(img|a href=\"http|iframe|object|embed)", body), name
        assert "onerror=" not in body.replace("onerror=alert", "") or "&lt;img" in body


def test_a_page_refers_to_nothing_outside_itself():
    page = derive.solve("2-2-2", style="delta").html(reveal=True)
    urls = re.findall(r"(?:https?|ftp|file|data|javascript):[^\"'\s<>)]*", page)
    assert set(urls) == {"http://www.w3.org/2000/svg"}  # the SVG namespace name, never fetched
    assert not re.search(r"\s(src|srcset|action|poster)=", page)
    assert set(re.findall(r'href="([^"]*)"', page)) <= {f"#{x}" for x in re.findall(r'id="([^"]*)"', page)}
    assert "default-src 'none'" in page


def test_the_csp_allows_exactly_the_page_script():
    page = derive.solve("2-2-1").html(reveal=True)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    assert f"script-src 'sha256-{digest}'" in page


def test_every_equation_has_an_anchor_and_every_reference_a_target():
    page = derive.solve("2-2-2").html()
    anchors = set(re.findall(r'id="eq-(\d+)"', page))
    cited = set(re.findall(r'href="#eq-(\d+)"', page))
    assert len(anchors) == 67 and cited and cited <= anchors
    assert "\\frac" not in re.sub(r"<[^>]*>", "", page)  # no LaTeX left in the text


def test_html_output_by_suffix_and_reveal_only_for_html(tmp_path, capsys):
    out = tmp_path / "s.html"
    assert main(["solve", "2-2-1", "-o", str(out), "--reveal"]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["solve", "2-2-1", "-f", "md", "--reveal", "-o", str(tmp_path / "s.md")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--reveal applies to --format html" in err
    assert not (tmp_path / "s.md").exists()


def test_solution_writes_html_and_refuses_reveal_elsewhere(tmp_path):
    solution = derive.solve("2-2-1")
    assert solution.write(tmp_path / "a.htm").read_text(encoding="utf-8") == solution.html()
    with pytest.raises(derive.RenderError, match="reveal applies to html"):
        solution.render("md", reveal=True)


def test_pages_are_deterministic():
    assert derive.solve("3-3-3-3", style="matrix").html() == derive.solve("3-3-3-3", style="matrix").html()
