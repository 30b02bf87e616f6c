"""Long jobs are never silent: a bar on a terminal, one summary line otherwise, nothing from the API."""

from __future__ import annotations

import os
import pathlib
import pty
import subprocess
import sys

import pytest

import derive
from derive.cli import main
from derive.io import progress

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_on_a_terminal(argv, cwd) -> str:
    """Run ``derive argv`` with stderr on a pseudo-terminal; return what it drew there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "derive", *argv], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=follower, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=600) == 0
    return b"".join(chunks).decode()


@pytest.mark.parametrize("argv, bar", [
    (["train", "2-2-2", "--steps", "200000", "-f", "json", "-o", "run.json"], "training (steps) ["),
    (["solve", "2-2-2", "-f", "json", "-o", "solve.json"], "values (quantities) ["),
    (["worksheet", "2-2-2-exercise", "-n", "2", "--seed", "1", "--out", "sheets"], "TeX ["),
])
def test_a_terminal_shows_a_bar_that_ends_complete(tmp_path, argv, bar):
    drawn = run_on_a_terminal(argv, tmp_path)
    assert bar in drawn
    last = [line for line in drawn.replace("\r", "\n").splitlines() if line.startswith(bar.split(" [")[0])][-1]
    done, total = last.rsplit(" ", 1)[1].split("/")
    assert done == total and "#" * 30 in last


def test_elsewhere_a_long_command_ends_with_one_summary_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(progress, "SUMMARY_AFTER", 0)  # "long" made short, so the test need not wait
    assert main(["train", "2-2-2", "--steps", "1000", "-f", "json", "-o", str(tmp_path / "run.json")]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("derive: train done in ")
    assert "training (steps): 1,000" in err and "\r" not in err


def test_the_api_draws_nothing(capsys, monkeypatch):
    monkeypatch.setattr(progress, "SUMMARY_AFTER", 0)
    derive.train("2-2-2", 1000)
    derive.load("2-2-2").to_dict()
    assert capsys.readouterr().err == ""


def test_the_summary_counts_a_repeated_job_once(tmp_path, capsys, monkeypatch):
    """An online spec builds one model per update: 40 updates listed every job 40 times in the one line."""
    monkeypatch.setattr(progress, "SUMMARY_AFTER", 0)
    claims = tmp_path / "c.yaml"
    claims.write_text("after_steps: 11\nout_n5: 0.5\n")
    main(["check", "2-2-1-xor-negnevitsky", str(claims)])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("derive: check done in ")
    assert err.count("values (quantities)") == 1 and " runs" in err and len(err) < 300, err
