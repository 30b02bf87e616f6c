"""Jupyter: every object a user meets shows itself, and a notebook that displays them converts with nbconvert."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

import derive

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("nbconvert")

CELLS = [
    "import derive\nproblem = derive.load('2-2-2')\nproblem",
    "problem.quantity('net_h1')",
    "derive.solve('2-2-1', style='matrix')",
    "derive.train('2-2-2', 20)",
    "derive.generate_variants('2-2-2-exercise', 2, seed=7)",
    "derive.check_claims('2-2-2', {'out_o1': 0.75136507, 'E_total': -0.298371109})",
]
HOSTILE = "<script>alert(1)</script> $\\frac{1}{2}$ [x](javascript:alert(1)) \\input{/etc/passwd}"


def objects():
    problem = derive.load("2-2-2")
    return {"problem": problem, "quantity": problem.quantity("net_h1"), "solution": derive.solve("2-2-1"),
            "run": derive.train("2-2-2", 5), "variants": derive.generate_variants("2-2-2-exercise", 2, seed=1),
            "report": derive.check_claims("2-2-2", {"out_o1": 0.6})}


@pytest.mark.parametrize("name", ["problem", "quantity", "solution", "run", "variants", "report"])
def test_every_object_has_a_short_repr_and_rich_displays(name):
    item = objects()[name]
    text = repr(item)
    assert text.startswith("<") and text.endswith(">") and len(text) < 200 and "\n" not in text
    assert "Spec(" not in text and "Fraction(" not in text  # no dump of the whole spec
    html = item._repr_html_()
    assert html.lstrip().startswith("<div") and "<!DOCTYPE" not in html and "<script" not in html
    assert item._repr_markdown_().strip()


def test_a_hostile_title_stays_text_in_the_displays(tmp_path):
    spec = tmp_path / "net.yaml"
    body = (pathlib.Path(derive.__file__).parent / "spec" / "examples" / "2-2-2.yaml").read_text().splitlines()
    spec.write_text("\n".join([f"title: {HOSTILE!r}"] + [line for line in body if not line.startswith("title:")]))
    problem = derive.load(str(spec))
    for item in (problem, derive.train(problem, 2), derive.solve(problem)):
        html = item._repr_html_()
        assert "<script" not in html and "href=\"javascript" not in html and "&lt;script&gt;" in html
        assert "$\\frac" not in html


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    """A notebook of the cells above, run by a real kernel (nbclient)."""
    from nbclient import NotebookClient

    folder = tmp_path_factory.mktemp("notebook")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    path = folder / "derive.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_notebook_runs_and_every_cell_shows_html(notebook):
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        outputs = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        assert outputs and "text/html" in outputs[0].data and "text/markdown" in outputs[0].data, cell.source
        assert not outputs[0].data["text/plain"].startswith("TrainingRun(spec=")


def convert(notebook, to: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", to, str(notebook)],
                          capture_output=True, text=True, timeout=600, cwd=notebook.parent)


def test_the_notebook_converts_to_html(notebook):
    result = convert(notebook, "html")
    assert result.returncode == 0, result.stderr[-2000:]
    html = notebook.with_suffix(".html").read_text(encoding="utf-8")
    assert "derive-display" in html and "<svg" in html and "<math" in html


@pytest.mark.skipif(shutil.which("xelatex") is None or shutil.which("pandoc") is None,
                    reason="nbconvert's PDF export needs xelatex and pandoc (Debian: texlive-xetex, pandoc)")
def test_the_notebook_converts_to_pdf(notebook):
    result = convert(notebook, "pdf")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    pdf = notebook.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Forward pass" in text and "Training run" in text and "Check" in text
