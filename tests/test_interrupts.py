"""Long runs stopped by a signal, and pdflatex replaced by one that hangs, crashes or writes garbage.

Real subprocesses, real signals. No test measures time: each waits for a condition (a fake
pdflatex has started, the run has used some CPU) with a generous limit, then checks what is
left behind: the previous outputs byte for byte, no temporary file or folder, no TeX process.
"""

from __future__ import annotations

import os
import pathlib
import signal
import stat
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
OLD = b"an earlier run's file, which a stopped or failed run must not touch\n"
PATIENCE = 300  # seconds to wait for a condition before the test gives up (never a pass/fail time)

FAKE_TEX = {
    # each records its process group (it leads one: derive starts TeX in a new session)
    "hangs": 'echo $$ > "$DERIVE_FAKE_DIR/started.$$"\nsleep 1000 &\nsleep 1000\n',
    "crashes": 'echo $$ > "$DERIVE_FAKE_DIR/started.$$"\necho "! fake crash" > run.log\nkill -SEGV $$\n',
    "writes_garbage": 'echo $$ > "$DERIVE_FAKE_DIR/started.$$"\nhead -c 4096 /dev/urandom > run.pdf\n'
                      'echo "This is not TeX" > run.log\nexit 0\n',
}


def fake_tex(folder: pathlib.Path, behaviour: str) -> pathlib.Path:
    """A folder with a ``pdflatex`` that behaves as ``behaviour``; put it first on PATH."""
    bin_dir = folder / "fakebin"
    bin_dir.mkdir()
    script = bin_dir / "pdflatex"
    script.write_text("#!/bin/sh\n" + FAKE_TEX[behaviour])
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def environment(tmp_path: pathlib.Path, bin_dir: pathlib.Path | None = None) -> dict:
    temp = tmp_path / "temp"
    temp.mkdir(exist_ok=True)
    marks = tmp_path / "marks"
    marks.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(temp), DERIVE_FAKE_DIR=str(marks), PYTHONPATH=str(ROOT))
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return env


def old_worksheet_folder(tmp_path: pathlib.Path) -> pathlib.Path:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("variant-01-worksheet.pdf", "variant-01-key.pdf", "variants.json", "keys.pdf", "notes.txt"):
        (out / name).write_bytes(OLD)
    return out


def listing(folder: pathlib.Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def wait_for(condition, proc=None, what="the condition") -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the run ended before {what}: {proc.returncode}, {proc.stderr.read()!r}")
        assert time.monotonic() < deadline, f"waited {PATIENCE} s for {what}"
        time.sleep(0.05)


def running_in_group(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that still run (zombies waiting for init are not running)."""
    alive = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(entry.name))
    return alive


def started_groups(tmp_path: pathlib.Path) -> list[int]:
    return [int(p.read_text()) for p in (tmp_path / "marks").glob("started.*")]


def temp_files(tmp_path: pathlib.Path) -> list[pathlib.Path]:
    """What the run left in its temp folder, besides Jinja's cache of compiled templates (kept by design)."""
    return sorted(p for p in (tmp_path / "temp").iterdir() if not p.name.startswith("_jinja2-cache"))


def cpu_seconds(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def assert_clean_stop(proc, tmp_path, signum, before, out) -> None:
    """Exit 128 + signum with one line, the old outputs as they were, no temp folder, no TeX left."""
    _, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 128 + signum, err
    assert err == f"derive: stopped by {signal.Signals(signum).name}\n", err
    assert listing(out) == before
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".derive")) == []
    assert temp_files(tmp_path) == []
    for pgid in started_groups(tmp_path):
        wait_for(lambda: not running_in_group(pgid), what=f"TeX's process group {pgid} to end")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_stops_a_worksheet_run_with_tex_running(tmp_path, signum):
    out = old_worksheet_folder(tmp_path)
    before = listing(out)
    env = environment(tmp_path, fake_tex(tmp_path, "hangs"))
    proc = subprocess.Popen([sys.executable, "-m", "derive", "worksheet", "2-2-2-exercise", "-n", "2", "--seed", "1",
                             "--out", str(out), "--force"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: started_groups(tmp_path), proc, "pdflatex to start")
    proc.send_signal(signum)
    assert_clean_stop(proc, tmp_path, signum, before, out)


LONG_JOBS = {
    "train": ["train", "2-2-2", "--steps", "5000000", "-f", "json"],
    "solve_json": ["solve", "--format", "json"],  # the spec: the largest network the limits allow
    "solve_pdf": ["solve", "2-2-2", "-f", "pdf"],
}


def largest_network(tmp_path: pathlib.Path) -> pathlib.Path:
    from derive.spec.model import MAX_INPUTS, MAX_LAYERS, MAX_UNITS

    row = "[" + ", ".join(["0.01"] * MAX_UNITS) + "]"
    first = "[" + ", ".join(["0.01"] * MAX_INPUTS) + "]"
    layers = "".join(f"  - {{units: {MAX_UNITS}, activation: sigmoid, weights: [{', '.join([first if i == 0 else row] * MAX_UNITS)}]}}\n"
                     for i in range(MAX_LAYERS))
    spec = tmp_path / "big.yaml"
    spec.write_text(f"inputs: [{', '.join(['0.1'] * MAX_INPUTS)}]\ntargets: [{', '.join(['0.5'] * MAX_UNITS)}]\n"
                    f"layers:\n{layers}")
    return spec


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("job", LONG_JOBS)
def test_a_signal_stops_a_long_job_and_keeps_the_old_output(tmp_path, job, signum):
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    output = out_dir / ("result.pdf" if job == "solve_pdf" else "result.json")
    output.write_bytes(OLD)
    before = listing(out_dir)
    argv = LONG_JOBS[job] + (["--force", "-o", str(output)])
    bin_dir = None
    if job == "solve_json":
        argv.insert(1, str(largest_network(tmp_path)))
    if job == "solve_pdf":
        bin_dir = fake_tex(tmp_path, "hangs")
    proc = subprocess.Popen([sys.executable, "-m", "derive", *argv], env=environment(tmp_path, bin_dir),
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if job == "solve_pdf":
        wait_for(lambda: started_groups(tmp_path), proc, "pdflatex to start")
    else:
        wait_for(lambda: cpu_seconds(proc.pid) > 3, proc, "the run to be under way")
    proc.send_signal(signum)
    assert_clean_stop(proc, tmp_path, signum, before, out_dir)


@pytest.mark.parametrize("behaviour", FAKE_TEX)
def test_a_broken_pdflatex_is_reported_cleanly_and_leaves_nothing(tmp_path, behaviour):
    out = old_worksheet_folder(tmp_path)
    before = listing(out)
    env = environment(tmp_path, fake_tex(tmp_path, behaviour))
    done = subprocess.run([sys.executable, "-m", "derive", "worksheet", "2-2-2-exercise", "-n", "2", "--seed", "1",
                           "--out", str(out), "--force", "--quiet", "--tex-timeout", "3"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=PATIENCE)
    assert done.returncode == 2, done.stderr
    first = done.stderr.splitlines()[0]
    wanted = {"hangs": "TeX did not finish within 3 s", "crashes": "TeX failed (pdflatex exit status -11)",
              "writes_garbage": "TeX wrote something that is not a PDF"}[behaviour]
    assert first.startswith(f"derive: error: {wanted}"), done.stderr
    assert "Traceback" not in done.stderr
    assert listing(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fakebin", "marks", "out", "temp"]
    # only the kept logs of the failed runs remain in the temp folder, each named in the message
    kept = temp_files(tmp_path)
    assert kept and all(p.name.startswith("derive-tex-failed-") for p in kept)
    assert any(str(p) in done.stderr for p in kept)
    assert started_groups(tmp_path)
    for pgid in started_groups(tmp_path):
        wait_for(lambda: not running_in_group(pgid), what=f"TeX's process group {pgid} to end")
