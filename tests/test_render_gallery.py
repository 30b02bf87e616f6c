"""The gallery in outputs/ is up to date (byte for byte) and every LaTeX file in it compiles."""

from __future__ import annotations

import pytest

from derive.gallery import (DEFAULT_FOLDER, file_name, gallery_entries, main, render_gallery, stale_files,
                            write_gallery)
from derive.io.texrun import compile_many, overfull_boxes
from derive.spec.examples import example_names
from derive.steps import STYLES


@pytest.fixture(scope="module")
def rendered():
    return render_gallery()


def test_gallery_covers_every_example_style_and_format(rendered):
    names = {file_name(*entry) for entry in gallery_entries()}
    assert set(rendered) == names
    assert {"2-2-2-scalar.md", "2-2-1-matrix.tex", "3-3-3-3-matrix.md", "3-3-3-3-delta.tex"} <= names


def test_gallery_is_up_to_date(rendered):
    stale = stale_files(DEFAULT_FOLDER, rendered)
    assert not stale, f"regenerate with 'python -m derive.gallery': {stale}"


def test_gallery_check_command_reports_stale_files(tmp_path, rendered, capsys):
    write_gallery(tmp_path, rendered)
    assert stale_files(tmp_path, rendered) == []
    (tmp_path / "2-2-2-scalar.md").write_text("old", encoding="utf-8")
    assert stale_files(tmp_path, rendered) == ["2-2-2-scalar.md"]
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert "2-2-2-scalar.md" in capsys.readouterr().err
    assert write_gallery(tmp_path, rendered) == ["2-2-2-scalar.md"]


def test_every_gallery_latex_file_compiles_within_the_text_width(rendered, tmp_path):
    """Every built-in example in every style: a PDF, and nothing in it sticks out by more than 1pt."""
    jobs = [(text, tmp_path / name.replace(".tex", ".pdf")) for name, text in rendered.items() if name.endswith(".tex")]
    paths = compile_many(jobs, progress=False, keep_log=True)
    assert len(paths) == len(jobs) == len(example_names()) * len(STYLES) >= 12
    assert all(path.read_bytes().startswith(b"%PDF-") for path in paths)
    overfull = {path.name: boxes for path in paths
                if (boxes := overfull_boxes(path.with_suffix(".log").read_text(errors="replace"), wider_than=1))}
    assert overfull == {}


def test_a_fragment_brings_its_macros_into_another_document():
    """solve(...).latex(fragment=True) goes into a teacher's own document, twice if need be."""
    import derive
    from derive.io.texrun import build_pdf_bytes

    fragment = derive.solve("3-3-3-3", style="matrix").latex(fragment=True)
    assert r"\fitline{" in fragment and r"\providecommand{\fitline}" in fragment
    doc = (r"\documentclass{article}\usepackage{amsmath,amssymb,array,booktabs,longtable,tikz}"
           r"\setcounter{MaxMatrixCols}{64}\begin{document}" + fragment + fragment + r"\end{document}")
    assert build_pdf_bytes(doc).startswith(b"%PDF-")


def test_a_too_wide_line_is_found_in_the_log(tmp_path):
    """The check above can fail: a line wider than the text shows up as an overfull box."""
    doc = r"\documentclass{article}\begin{document}\noindent\rule{1.2\textwidth}{1pt}\end{document}"
    [path] = compile_many([(doc, tmp_path / "wide.pdf")], progress=False, keep_log=True)
    [line] = overfull_boxes(path.with_suffix(".log").read_text(errors="replace"), wider_than=1)
    assert "too wide" in line


def test_the_wide_softmax_jacobian_is_scaled_to_fit(rendered):
    """3-3-3-3's numeric Jacobian (matrix style) ran 24pt into the margin: its lines now fit themselves."""
    tex = rendered["3-3-3-3-matrix.tex"]
    assert r"\setfitwidth{J^{(3)}}" in tex
    assert r"&= \fitline{\begin{bmatrix}0.198446894 \cdot \left(1 - 0.198446894\right)" in tex
    assert r"\fitline" not in rendered["3-3-3-3-scalar.tex"].split(r"\begin{document}")[1]


# Networks that exercise what the built-in examples do not: batches, other losses and activations,
# trained per-neuron biases, indexed names past 9, the updated-weights convention, log base 2.
FEATURES = {
    "batch-mean-bce": ({
        "batch": [{"inputs": [0.5, 0.1], "targets": [1]}, {"inputs": [0.2, 0.7], "targets": [0]}],
        "reduction": "mean", "loss": "binary_cross_entropy", "learning_rate": 0.1,
        "layers": [{"units": 2, "activation": "tanh", "weights": [[0.1, -0.2], [0.3, 0.4]], "bias": 0.1},
                   {"units": 1, "activation": "sigmoid", "weights": [[0.5, -0.6]], "bias": [0.2]}]},
        ("scalar", "matrix"), {}),
    "leaky-sse-indexed": ({
        "batch": [{"inputs": [1, -2], "targets": [0.3, -0.1]}, {"inputs": [0.5, 0.5], "targets": [0, 1]},
                  {"inputs": [-1, 1], "targets": [1, 0]}],
        "loss": "sse", "learning_rate": 0.05,
        "layers": [{"units": 11, "activation": "leaky_relu", "negative_slope": 0.1,
                    "weights": [[0.1 * ((j + k) % 5) - 0.2 for k in range(2)] for j in range(11)],
                    "bias": [0.05] * 11},
                   {"units": 2, "activation": "linear", "weights": [[0.1] * 11, [-0.1] * 11], "bias": [0, 0]}]},
        ("delta",), {"names": "indexed", "digits": 5}),
    "convention": (dict(title="Updated weights convention", inputs=[0.05, 0.1], targets=[0.01, 0.99],
                        conventions={"backprop_through_updated_weights": True}, train_biases=False,
                        layers=[{"units": 2, "activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3]],
                                 "bias": 0.35},
                                {"units": 2, "activation": "sigmoid", "weights": [[0.4, 0.45], [0.5, 0.55]],
                                 "bias": 0.6}]),
                   ("scalar",), {"only": "w1"}),
    "softmax-base2": ({"inputs": [0.2, -0.4], "targets": [0.2, 0.3, 0.1], "loss": "cross_entropy", "log_base": 2,
                       "layers": [{"units": 3, "activation": "softmax",
                                   "weights": [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]]}]},
                      ("matrix",), {"carry_rounding": 4}),
}


def test_feature_documents_compile(tmp_path):
    import derive

    jobs = []
    for name, (spec, styles, options) in FEATURES.items():
        for style in styles:
            jobs.append((derive.solve(spec, style=style, **options).latex(), tmp_path / f"{name}-{style}.pdf"))
    paths = compile_many(jobs, progress=False)
    assert len(paths) == 5


def test_the_gallery_screenshots_are_taken_from_its_pages(tmp_path, rendered):
    """Screenshots are made (real headless Chromium) and are PNGs of the asked size; never compared."""
    import struct

    from derive.gallery import SCREENSHOTS, find_chromium, take_screenshots

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("headless Chromium is not installed (setup.sh installs Debian's chromium)")
    for page, *_ in SCREENSHOTS:
        (tmp_path / page).write_text(rendered[page], encoding="utf-8")
    taken = take_screenshots(tmp_path, chromium)
    assert [path.name for path in taken] == [name for *_, name in SCREENSHOTS]
    for path, (_, width, height, _) in zip(taken, SCREENSHOTS):
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (width, height)
