"""The training report's loss curve typesets for any error history (pgfplots' "Dimension too large")."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.cli import main
from derive.engine.train import train
from derive.io.texrun import compile_many, overfull_boxes
from derive.render.training import MIN_RELATIVE_SPAN, pgfplots_axis, render_training

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")

ADVERSARIAL = {
    "flat": (0.48878899923176844, 0.48902352221307704, 0.4888023751708003, 0.48871018247769105),
    "constant": (0.25,) * 6,
    "tiny-range": (0.3, 0.3 + 1e-12, 0.3 - 1e-12, 0.3),
    "tenth-digit": (1234.567890123, 1234.567890124, 1234.567890122),
    "huge": (1e300, 5e299, 2e300),
    "huge-to-zero": (1e300, 0.0),
    "one-point": (0.7,),
    "all-zero": (0.0, 0.0, 0.0),
    "decades": (1e-300, 1e-5, 1.0),
    "negative-flat": (-2.0, -2.0 + 1e-9),
}


@pytest.fixture(scope="module")
def small_run():
    return train("2-2-1", 1)


def _compile(run, histories: dict, folder) -> dict:
    """Compile the report of ``run`` with each history; the overfull boxes of each log."""
    jobs = [(render_training(dataclasses.replace(run, loss_history=tuple(history)), "tex"), folder / f"{name}.pdf")
            for name, history in histories.items()]
    paths = compile_many(jobs, progress=False, keep_log=True)
    assert all(path.read_bytes().startswith(b"%PDF-") for path in paths)
    return {path.name: boxes for path in paths
            if (boxes := overfull_boxes(path.with_suffix(".log").read_text(errors="replace"), wider_than=1))}


@needs_tex
def test_the_nearly_flat_online_run_of_the_brief_typesets(tmp_path):
    target = tmp_path / "run.pdf"
    assert main(["train", "2-2-1-xor-negnevitsky", "-n", "9", "-o", str(target)]) == 0
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "0.4889" in text.split("Error after each step")[0]  # a tick label of the curve


@needs_tex
def test_adversarial_histories_typeset_without_overfull_boxes(small_run, tmp_path):
    assert _compile(small_run, ADVERSARIAL, tmp_path) == {}


@needs_tex
def test_a_decimal_comma_in_the_tick_labels_stays_one_label(small_run, tmp_path):
    from derive.render.language import language

    flat = dataclasses.replace(small_run, loss_history=ADVERSARIAL["flat"])
    with language("de"):
        source = render_training(flat, "tex")
    assert "yticklabels={$0{,}4887$,$0{,}4888$," in source
    path, = compile_many([(source, tmp_path / "de.pdf")], progress=False)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "0,4889" in text


finite = st.floats(min_value=-1e200, max_value=1e200, allow_nan=False, allow_infinity=False)


@needs_tex
@settings(max_examples=3, deadline=None, derandomize=True, database=None)
@given(history=st.lists(finite, min_size=1, max_size=30))
def test_drawn_histories_typeset(small_run, tmp_path_factory, history):
    assert _compile(small_run, {"drawn": history}, tmp_path_factory.mktemp("drawn")) == {}


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(history=st.lists(finite | st.floats(min_value=1e-300, max_value=1e-290), min_size=1, max_size=30))
def test_axis_holds_the_curve_with_a_span_pgfplots_can_draw(history):
    axis = pgfplots_axis(history)
    assert axis["xmax"] >= 1
    if axis["log"]:
        assert min(history) > 0 and max(history) >= 10 * min(history)
        return
    low, high = float(axis["ymin"]), float(axis["ymax"])
    assert low <= min(history) and max(history) <= high
    assert high - low >= MIN_RELATIVE_SPAN * max(abs(v) for v in history) or high - low >= 1 - 1e-12
    assert 2 <= len(axis["ticks"]) <= 12 and len(axis["labels"]) == len(axis["ticks"])
    assert all(len(label) <= 24 for label in axis["labels"]), axis["labels"]
