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


# ---------------------------------------------------------------- an update's examples keep the spec's numbers

@pytest.mark.parametrize("style", ["scalar", "delta", "matrix"])
def test_a_mini_batch_update_numbers_its_examples_as_the_spec_does(style):
    solution = derive.solve(SMALL, style=style)
    md = solution.markdown()
    second = md[md.index("# Update 2 (examples 3, 4)"):]
    assert "Forward pass, example 3" in second or "Example 3" in second
    assert "| 3 | $-1$ | $1$ |" in second and "| 4 | $3$ | $0$ |" in second
    assert "^{[3]}" in second and "^{[4]}" in second
    assert "^{[1]}" not in second and "^{[2]}" not in second and "example 1" not in second
    tex = solution.latex()
    tex_second = tex[tex.index("Update 2 (examples 3, 4)"):]
    assert "^{[3]}" in tex_second and "^{[1]}" not in tex_second
    html = solution.html()
    html_second = html[html.index("Update 2 (examples 3, 4)"):]
    assert "<td>3</td>" in html_second and "<td>1</td>" not in html_second


def test_a_mini_batch_updates_names_and_json_carry_the_spec_numbers():
    from derive.engine.updates import update_problems

    second = update_problems(derive.load(SMALL))[1].problem
    assert second.spec.first_example == 3
    assert {"out_o1__3", "out_o1__4", "delta_o1__3"} <= set(second.model.by_key)
    assert not {"out_o1__1", "out_o1__2"} & set(second.model.by_key)
    assert all(str(f).endswith("__4") for f in second.gradient("b1", example=4))
    assert second.model.ex("out_o1", 0) == "out_o1__3"
    data = derive.load(SMALL).to_dict()
    assert [u["examples"] for u in data["updates"]] == [[1, 2], [3, 4]]


def test_check_names_an_updates_examples_by_their_spec_numbers():
    from derive.classroom.check import check_claims
    from derive.engine.updates import update_problems
    from derive.errors import SpecError

    values = update_problems(derive.load(SMALL))[1].problem.values()
    claims = {"after_steps": 1, "out_o1__3": f"{float(values['out_o1__3']):.4f}",
              "out_o1__4": f"{float(values['out_o1__4']) + 0.1:.4f}"}
    report = check_claims(SMALL, claims)
    assert [(r.claim.key, r.status) for r in report.results] == [("out_o1__3", "ok"), ("out_o1__4", "wrong")]
    # update 1's names are not update 2's: the error names the claim and suggests update 2's
    with pytest.raises(SpecError, match=r"out_o1__1 is not a quantity of this network; did you mean out_o1__[34]"):
        check_claims(SMALL, {"after_steps": 1, "out_o1__1": "0.4331"})
    first = update_problems(derive.load(SMALL))[0].problem.values()
    assert check_claims(SMALL, {"out_o1__1": f"{float(first['out_o1__1']):.4f}"}).results[0].status == "ok"


def test_check_of_an_online_update_reads_a_derivative_in_the_specs_error_term_sign():
    from derive.classroom.check import check_claims

    # Negnevitsky's δ is −∂E/∂net: a student writing ∂E/∂net for update 2 writes −δ
    report = check_claims(XOR, {"after_steps": 1, "dE/dnet_n5": "-0.1239"})
    assert [(r.claim.key, r.claim.sign, r.status) for r in report.results] == [("delta_n5", -1, "ok")]


def test_check_after_many_updates_builds_one_symbolic_model(monkeypatch):
    import derive.engine.symbolic as symbolic
    from derive.classroom.check import check_claims

    built = []
    original = symbolic.build_model
    monkeypatch.setattr(symbolic, "build_model", lambda network: built.append(network) or original(network))
    from derive.io.limits import EXACT_STEP_LIMIT

    steps = EXACT_STEP_LIMIT - 1  # the updates before it exact (past the limit the float loop compiles its own)
    assert steps > 2 * 4  # more than two epochs of XOR's four updates
    report = check_claims(XOR, {"after_steps": steps, "out_n5": "0.5"})
    assert report.after_steps == steps and len(built) == 1


def test_check_after_many_updates_says_one_progress_line_of_few_tasks(tmp_path):
    import io

    from derive.classroom.check import check_claims
    from derive.io import progress

    stream = io.StringIO()
    progress.enable(True, stream)
    progress._State.started -= progress.SUMMARY_AFTER  # a summary is written however quick the run
    try:
        check_claims(XOR, {"after_steps": 9, "out_n5": "0.5"})
        line = progress.summary("check")
    finally:
        progress.enable(False)
    assert "updates before it: 9" in line and line.count("values") <= 1 and len(line) < 200
    assert stream.getvalue() == ""  # not a terminal: no bars


# ---------------------------------------------------------------- the training report of an online run

@pytest.mark.parametrize("epoch_error", ["after", "before"])
def test_online_training_report_gives_the_epoch_errors_in_every_format(epoch_error):
    from derive.engine.train import train
    from derive.render.training import format_number, render_training

    run = train(XOR, 4 * 3 + 1, epoch_error=epoch_error)
    assert run.epochs == 3
    errors = [format_number(e) for e in run.epoch_errors]
    md, tex, html = (render_training(run, kind) for kind in ("md", "tex", "html"))
    assert "13 online updates of sgd" in md and "full-batch" not in md
    assert "4 updates, taken in the spec's order; the run makes 3 complete epochs" in md
    for k, error in enumerate(errors, start=1):
        assert f"| {k} | {error} |" in md
        assert f"{k} & ${error}$ \\\\" in tex
        assert f'<td class="num">{k}</td><td class="num">{error}</td>' in html
    said = "at the end of the epoch" if epoch_error == "after" else "each with the parameters before that update"
    assert all(said in text for text in (md, tex, html))
    assert 'href="#epochs"' in html and 'id="epochs"' in html
    # the first step worked is update 1 (example 1) alone
    worked = md[md.index("The first step, worked"):]
    assert "Update 2" not in worked and "0.5097" in worked


def test_mini_batch_training_report_says_its_batch_and_seed():
    from derive.engine.train import train
    from derive.render.training import render_training

    md = render_training(train(SMALL, 6, shuffle_seed=4), "md")
    assert "6 mini-batch updates of sgd" in md and "one after each batch of 2 examples" in md
    assert "shuffled each epoch (seed 4); the run makes 3 complete epochs" in md


def test_full_batch_training_report_unchanged():
    from derive.engine.train import train
    from derive.render.training import render_training

    md = render_training(train("2-2-1", 3), "md")
    assert "3 full-batch steps of sgd" in md and "epoch" not in md


@pytest.mark.parametrize("spec", [XOR, SMALL], ids=["online", "mini-batch"])
def test_reveal_hides_each_updates_results_with_unique_ids(spec):
    solution = derive.solve(spec)
    html = solution.html(reveal=True)
    page = _Anchors()
    page.feed(html)
    assert [name for name, count in Counter(page.ids).items() if count > 1] == []
    assert set(page.refs) <= set(page.ids)
    assert 'class="with-reveal"' in html and "<script>" in html
    for update in solution.updates:  # each update's steps are hidden behind their buttons
        section = html.split(f'id="update-{update.number}"')[1].split('<section class="update"')[0]
        assert "revealable concealed" in section and 'class="reveal"' in section
    assert "revealable" not in solution.html() and "<script>" not in solution.html()


def test_diagram_values_label_every_updates_diagram():
    solution = derive.solve(XOR, diagram_values=True)
    html = solution.html()
    assert html.count("each arrow labelled with its weight and its value") == len(solution.updates) == 4
    assert "and its value" not in derive.solve(XOR).html()


@pytest.mark.parametrize("spec", [XOR, SMALL], ids=["online", "mini-batch"])
def test_notebook_display_is_a_fragment_like_a_single_solution(spec):
    fragment = derive.solve(spec)._repr_html_()
    single = derive.solve("2-2-1")._repr_html_()
    for html in (fragment, single):
        assert html.startswith('<div class="derive-display">') and "<!DOCTYPE" not in html and "<html" not in html
    page = _Anchors()
    page.feed(fragment)
    assert [name for name, count in Counter(page.ids).items() if count > 1] == []
    assert set(page.refs) <= set(page.ids) and "u2-eq-1" in page.ids
