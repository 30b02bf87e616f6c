"""Online and mini-batch worked solutions: one HTML page of several updates, example numbers, reports, check."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest

import derive

XOR = "2-2-1-xor-negnevitsky"

SMALL = """
update: {batch_size: 2}
learning_rate: 0.5
batch:
  - {inputs: [1], targets: [0]}
  - {inputs: [2], targets: [1]}
  - {inputs: [-1], targets: [1]}
  - {inputs: [3], targets: [0]}
layers:
  - {units: 1, activation: sigmoid, weights: [[0.5]], bias: 0.25}
"""


class _Anchors(HTMLParser):
    """Every id of a page and every in-page reference to one (href="#..", url(#..))."""

    def __init__(self):
        super().__init__()
        self.ids, self.refs = [], []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids.append(value)
            elif name == "href" and value.startswith("#"):
                self.refs.append(value[1:])
            elif value and value.startswith("url(#"):
                self.refs.append(value[5:-1])


@pytest.mark.parametrize("spec", [XOR, SMALL], ids=["online", "mini-batch"])
@pytest.mark.parametrize("style", ["scalar", "matrix"])
def test_html_ids_are_unique_and_every_link_resolves(spec, style):
    page = _Anchors()
    page.feed(derive.solve(spec, style=style).html())
    repeated = [name for name, count in Counter(page.ids).items() if count > 1]
    assert page.ids and repeated == []
    assert page.refs and set(page.refs) <= set(page.ids)
    assert "u2-eq-1" in page.ids and any(ref.startswith("u2-eq-") for ref in page.refs)


def test_a_single_solution_page_keeps_its_plain_ids():
    page = _Anchors()
    page.feed(derive.solve("2-2-1").html())
    assert "eq-7" in page.ids and not any(name.startswith("u") for name in page.ids)
    assert set(page.refs) <= set(page.ids) and Counter(page.ids).most_common(1)[0][1] == 1
