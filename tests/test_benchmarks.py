"""The benchmark command still runs (its cheapest rows on the smallest network), so it cannot rot.

The benchmarks themselves are not tests: ``python benchmarks/run_all.py`` writes
``benchmarks/RESULTS.md``. This only checks that the script works end to end and writes its tables.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

from torch_net import needs_torch

ROOT = pathlib.Path(__file__).resolve().parents[1]


@needs_torch  # the tables compare with PyTorch
def test_run_all_quick_writes_the_tables(tmp_path):
    out = tmp_path / "results.md"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick",
                    "--only", "symbolic,numeric,train", "--sizes", "2-2-2", "--runs", "2", "--steps", "200",
                    "--budget", "5", "--out", str(out)],
                   check=True, capture_output=True, text=True, timeout=120)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n")
    # the report names the command that wrote it, options and all (not its scratch --out)
    assert ("Written by `python benchmarks/run_all.py --quick --only symbolic,numeric,train --sizes 2-2-2 "
            "--runs 2 --steps 200 --budget 5` (") in text
    assert "`nproc`:" in text and "SymPy" in text and "PyTorch" in text
    for heading in ("## Targets", "## 1. Symbolic gradients", "## 2. Numeric gradients", "## 3. Training"):
        assert heading in text
    # one measured row per table: derive's time, the baseline's, and a ratio
    assert "| 2-2-2 | 10 |" in text
    assert "| NumPy (hand-written) |" in text and "| PyTorch (autograd + SGD) |" in text
    assert "| 2-2-2 compiled gradient ≥ 5× faster than hand NumPy |" in text
    assert "| Compiling the 32x6 gradient under 0.5 s | not measured | not measured |" in text
    assert "| 32x6 (5,125 parameters) in under 2 s | not measured | not measured |" in text


def test_run_all_refuses_an_unknown_row(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--only", "everything",
                             "--out", str(tmp_path / "r.md")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "unknown row(s) everything" in result.stderr
    assert not (tmp_path / "r.md").exists()
