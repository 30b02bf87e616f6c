"""Issue 18: nothing lost, nothing written outside, every limit checked before the work.

Each test is a row of the threat index in tests/test_threats.py.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import stat
import subprocess
import sys

import pytest

from derive.cli import main
from derive.errors import OutputError
from derive.io import folder as folder_module
from derive.io.folder import staged_folder
from derive.io.output import check_output_path

ROOT = pathlib.Path(__file__).resolve().parents[1]
OLD = b"an earlier result, which must not be touched\n"
SPEC = (ROOT / "derive" / "spec" / "examples" / "2-2-2.yaml").read_text()


def run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(code, out, err, *fragments):
    assert code == 2, (code, err)
    assert err.startswith("derive: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "internal error" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def listing(folder: pathlib.Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def quick_tex(tmp_path, monkeypatch):
    """A pdflatex that writes a tiny valid PDF at once: worksheet runs without TeX's seconds."""
    bin_dir = tmp_path / "quickbin"
    bin_dir.mkdir()
    script = bin_dir / "pdflatex"
    script.write_text("#!/bin/sh\nprintf '%%PDF-1.4\\n%%quick\\n%%%%EOF\\n' > run.pdf\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


# ---------------------------------------------------------------- 1. links, devices, system paths

@pytest.mark.parametrize("target", ["/dev/stdout", "/dev/null", "/proc/self/status", "/sys/kernel/notes"])
def test_force_never_writes_a_device_or_system_path(tmp_path, capsys, target):
    code, out, err = run(["solve", "2-2-2", "-f", "md", "-o", target, "--force"], capsys)
    one_line(code, out, err, target)
    assert os.path.islink("/dev/stdout")


def test_force_replaces_a_link_only_when_it_names_a_regular_file(tmp_path, capsys):
    mine = tmp_path / "mine.md"
    mine.write_bytes(OLD)
    link = tmp_path / "link.md"
    link.symlink_to(mine)
    one_line(*run(["solve", "2-2-2", "-f", "md", "-o", link], capsys), "a link to", "pass --force")
    assert run(["solve", "2-2-2", "-f", "md", "-o", link, "--force"], capsys)[0] == 0
    assert not link.is_symlink() and link.read_text().startswith("# Two inputs")
    assert mine.read_bytes() == OLD  # the link's target is left alone


@pytest.mark.parametrize("kind", ["dangling", "folder", "fifo"])
def test_a_link_to_anything_but_a_regular_file_is_refused(tmp_path, capsys, kind):
    target = tmp_path / "target"
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    link = tmp_path / "out.md"
    link.symlink_to(target)
    one_line(*run(["solve", "2-2-2", "-f", "md", "-o", link, "--force"], capsys), str(link), "a link to")
    assert link.is_symlink()


# ---------------------------------------------------------------- 2. the worksheet folder as one

def test_a_rerun_with_fewer_variants_leaves_no_file_of_the_old_run(tmp_path, capsys, quick_tex):
    out = tmp_path / "out"
    assert run(["worksheet", "2-2-2-exercise", "-n", "3", "--seed", "1", "--out", out, "-q"], capsys)[0] == 0
    (out / "notes.txt").write_bytes(OLD)  # the teacher's own file
    one_line(*run(["worksheet", "2-2-2-exercise", "-n", "2", "--seed", "2", "--out", out, "-q"], capsys),
             "exists", "--force")
    assert run(["worksheet", "2-2-2-exercise", "-n", "2", "--seed", "2", "--out", out, "-q", "--force"], capsys)[0] == 0
    names = sorted(p.name for p in out.iterdir())
    assert not any(name.startswith("variant-03") for name in names)
    assert "notes.txt" in names and (out / "notes.txt").read_bytes() == OLD
    assert json.loads((out / "variants.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "quickbin"]


@pytest.mark.parametrize("failure", ["disk_full", "interrupt"])
def test_a_rerun_that_fails_while_putting_files_in_place_keeps_the_old_set(tmp_path, capsys, quick_tex,
                                                                             monkeypatch, failure):
    out = tmp_path / "out"
    assert run(["worksheet", "2-2-2-exercise", "-n", "2", "--seed", "1", "--out", out, "-q"], capsys)[0] == 0
    before = listing(out)

    def fail(a, b):
        if failure == "interrupt":
            raise KeyboardInterrupt
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(folder_module, "_exchange", fail)
    code, _, err = run(["worksheet", "2-2-2-exercise", "-n", "2", "--seed", "9", "--out", out, "-q", "--force"], capsys)
    assert code == (130 if failure == "interrupt" else 2), err
    assert err.count("\n") == 1
    assert listing(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "quickbin"]


def test_a_signal_during_the_swap_waits_until_the_new_set_is_in_place(tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "old.txt").write_bytes(OLD)
    real = folder_module._exchange

    def exchange_after_a_signal(a, b):
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the folders are being exchanged
        real(a, b)

    folder_module._exchange = exchange_after_a_signal
    try:
        with pytest.raises(KeyboardInterrupt):
            with staged_folder(dest, owned=lambda name: name.endswith(".txt")) as staging:
                (staging / "new.txt").write_text("new")
    finally:
        folder_module._exchange = real
    assert sorted(p.name for p in dest.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ---------------------------------------------------------------- 4. a full temp folder

@pytest.fixture
def full_temp(tmp_path, monkeypatch):
    """A temp folder on a file system with no room left (a small tmpfs, filled up)."""
    mount = tmp_path / "full"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs")
    try:
        (mount / f"_jinja2-cache-{os.getuid()}").mkdir(mode=0o700)  # Jinja's cache folder, as a past run left it
        with open(mount / "fill", "wb") as fill:
            try:
                while True:
                    fill.write(b"\0" * 65536)
                    fill.flush()
            except OSError:
                pass
        import tempfile

        from derive.render import environment

        monkeypatch.setattr(tempfile, "tempdir", str(mount))  # the disk filled up after derive started
        environment._bytecode_cache.cache_clear()
        environment._cached_environment.cache_clear()
        yield mount
    finally:
        environment._bytecode_cache.cache_clear()
        environment._cached_environment.cache_clear()
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_temp_folder_renders_without_the_cache(tmp_path, capsys, full_temp):
    code, out, err = run(["solve", "2-2-2", "-f", "md"], capsys)
    assert code == 0 and out.startswith("# Two inputs"), err


def test_a_full_temp_folder_fails_a_pdf_in_one_line(tmp_path, capsys, full_temp):
    dest = tmp_path / "out.pdf"
    one_line(*run(["solve", "2-2-2", "-f", "pdf", "-o", dest], capsys), "No space left on device", "TMPDIR")
    assert not dest.exists()
    assert sorted(p.name for p in full_temp.iterdir()) == [f"_jinja2-cache-{os.getuid()}", "fill"]


# ---------------------------------------------------------------- 5. claims' training steps

def test_a_claims_file_cannot_ask_for_millions_of_steps(tmp_path, capsys):
    claims = tmp_path / "claims.yaml"
    claims.write_text("after_steps: 9999999\nE_total: 0.29\n")
    one_line(*run(["check", "2-2-2", claims], capsys), f"{claims}:1: after_steps must be a whole number from 0 to "
                                                        "100000")


def test_after_steps_at_its_maximum_is_checked_not_called_divergent(tmp_path, capsys, monkeypatch):
    from derive.spec import claims as claims_module

    assert claims_module.MAX_FILE_STEPS == 100_000  # as a claims file's after_steps (10,000,000 took half an hour)
    monkeypatch.setattr(claims_module, "MAX_FILE_STEPS", 40)  # the limit made small: the same code path, in a second
    claims = tmp_path / "claims.yaml"
    claims.write_text("E_total: 0.29\n")
    code, out, err = run(["check", "2-2-1", claims, "--after-steps", "40", "-f", "json"], capsys)
    assert code in (0, 1), err
    assert json.loads(out)["after_steps"] == 40
    one_line(*run(["check", "2-2-1", claims, "--after-steps", "41"], capsys), "from 0 to 40")


# ---------------------------------------------------------------- 6. every option before any work

@pytest.mark.parametrize("argv, message", [
    (["-n", "2000000"], "--variants must be a whole number from 1 to 1000"),
    (["-n", "\u0661\u0662"], "in the digits 0-9"),
    (["--seed", "\uff11"], "--seed must be a whole number"),
    (["--workers", "22"], "--workers must be a whole number from 1 to"),
    (["--decimals", "\u0663"], "--decimals must be a whole number from 0 to 15"),
    (["-f", "moodle", "--tolerance", "1e100000000"], "--tolerance must be a decimal number"),
    (["-f", "moodle", "--tolerance", "1e5000"], "--tolerance must be a decimal number"),
    (["-f", "moodle", "--tolerance", "1e50"], "--tolerance must be at most 1000000"),
    (["--ask", ""], "--ask must name at least one quantity"),
    (["--ask", " , "], "--ask must name at least one quantity"),
    (["--tex-timeout", "0"], "--tex-timeout must be a number of seconds from 1 to 86400"),
])
def test_every_worksheet_option_is_checked_before_any_work(tmp_path, capsys, monkeypatch, argv, message):
    from derive.spec import validate

    def no_work(*args, **kwargs):
        raise AssertionError("the spec was read before the options were checked")

    monkeypatch.setattr(validate, "validate", no_work)
    if "--seed" not in argv:
        argv = argv + ["--seed", "1"]
    one_line(*run(["worksheet", "2-2-2-exercise", "--out", tmp_path / "out", *argv], capsys), message)
    assert list(tmp_path.iterdir()) == []


def test_non_ascii_digits_are_refused_by_train_and_check(tmp_path, capsys):
    one_line(*run(["train", "2-2-2", "--steps", "\u0661\u0662"], capsys), "--steps")
    one_line(*run(["check", "2-2-2", "claims.yaml", "--after-steps", "\u0663"], capsys), "--after-steps")


# ---------------------------------------------------------------- 7. TeX's time budget

def test_the_tex_time_budget_grows_with_the_document_and_can_be_set(tmp_path, capsys):
    from derive.io.texrun import time_budget

    assert time_budget("x" * 100) == pytest.approx(120.025)
    assert time_budget("x" * 4_000_000) == pytest.approx(1120)  # a summary table of thousands of parameters
    assert time_budget("x" * 4_000_000, 30) == 30
    for command in (["solve", "2-2-2", "-f", "pdf", "-o", tmp_path / "a.pdf"],
                    ["train", "2-2-2", "--steps", "3", "-f", "pdf", "-o", tmp_path / "a.pdf"]):
        one_line(*run([*command, "--tex-timeout", "100000"], capsys), "--tex-timeout must be a number of seconds")


def test_a_failed_tex_run_keeps_the_whole_log(tmp_path):
    from derive.errors import LatexError
    from derive.io.texrun import compile_pdf

    pages = "\n".join(f"\\typeout{{line {i}}}" for i in range(500))
    with pytest.raises(LatexError) as info:
        compile_pdf(f"\\documentclass{{article}}\\begin{{document}}{pages}\\undefinedmacro\\end{{document}}",
                    tmp_path / "x.pdf", keep_failed_log_dir=tmp_path / "logs")
    log = pathlib.Path(info.value.log_path).read_text()
    assert log.startswith("This is pdfTeX") and "line 0\n" in log and "line 499\n" in log
    assert "Undefined control sequence" in log


# ---------------------------------------------------------------- 8. an output that is an input

def test_an_output_equal_to_an_input_is_refused_even_with_force(tmp_path, capsys):
    spec = tmp_path / "net.yaml"
    spec.write_text(SPEC)
    claims = tmp_path / "claims.yaml"
    claims.write_text("E_total: 0.298371109\n")
    link = tmp_path / "also-net.yaml"
    link.symlink_to(spec)
    for argv in (["solve", spec, "-o", spec, "--force"], ["solve", spec, "-f", "md", "-o", link, "--force"],
                 ["train", spec, "--steps", "2", "-o", spec, "--force"],
                 ["check", spec, claims, "-o", claims, "--force"], ["check", spec, claims, "-o", spec, "--force"]):
        one_line(*run(argv, capsys), "is also an input")
    assert spec.read_text() == SPEC and claims.read_text() == "E_total: 0.298371109\n"


def test_a_spec_kept_as_a_worksheet_runs_file_is_not_lost(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    kept = out / "variants.json"
    kept.write_text(json.dumps({"inputs": [0.05, 0.1], "targets": [0.01],
                                "layers": [{"units": 1, "activation": "sigmoid", "weights": [[0.1, 0.2]]}]}))
    before = kept.read_bytes()
    one_line(*run(["worksheet", kept, "--seed", "1", "--out", out, "-f", "moodle", "--force"], capsys),
             "is also an input")
    assert kept.read_bytes() == before


# ---------------------------------------------------------------- 9. no internal errors

def test_odd_paths_are_one_line_not_internal_errors(tmp_path, capsys):
    dangling = tmp_path / "gone.yaml"
    dangling.symlink_to(tmp_path / "nowhere.yaml")
    one_line(*run(["solve", dangling], capsys), str(dangling))
    one_line(*run(["solve", "2-2-2", "-o", tmp_path / ("n" * 300 + ".json")], capsys), "too long")
    one_line(*run(["solve", "2-2-2", "-o", tmp_path / ("d" * 300) / "x.json"], capsys))
    one_line(*run(["worksheet", "2-2-2-exercise", "--seed", "1", "--out", "/proc", "-f", "moodle", "--force"],
                  capsys), "/proc")
    one_line(*run(["worksheet", "2-2-2-exercise", "--seed", "1", "--out", tmp_path / ("w" * 300), "-f", "moodle"],
                  capsys))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gone.yaml"]


def test_a_template_with_a_syntax_error_is_one_line_in_every_command(tmp_path, capsys):
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("solution.tex.j2", "training.md.j2", "worksheet.tex.j2"):
        (pack / name).write_text("ok\n((* if *))\n")
    for argv, name in ((["solve", "2-2-2", "-f", "tex"], "solution.tex.j2"),
                       (["train", "2-2-2", "--steps", "2", "-f", "md"], "training.md.j2"),
                       (["worksheet", "2-2-2-exercise", "--seed", "1", "--out", tmp_path / "out", "-q"],
                        "worksheet.tex.j2")):
        one_line(*run([*argv, "--template-dir", pack], capsys), f"{pack / name}:2:")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- 10. smaller ones

@pytest.mark.parametrize("names", ["[total, o2]", "[o_dh1, o2]"])
def test_neuron_names_that_clash_with_engine_quantities_are_refused(tmp_path, capsys, names):
    spec = tmp_path / "net.yaml"
    spec.write_text(SPEC.replace("    bias: 0.60\n", f"    bias: 0.60\n    neuron_names: {names}\n"))
    one_line(*run(["solve", spec], capsys), f"{spec}:", "neuron_names[0] must not be 'total' or hold '_d'")


def test_error_messages_are_the_same_whatever_the_hash_seed(tmp_path):
    (tmp_path / "claims.yaml").write_text("out_o: 0.5\ndE_dw: 0.1\n")
    (tmp_path / "net.yaml").write_text(SPEC.replace("activation: sigmoid", "activaton: sigmoid", 1))
    commands = [["check", "2-2-2", "claims.yaml"], ["solve", "net.yaml"],
                ["worksheet", "2-2-2-exercise", "--seed", "1", "--out", "o", "--ask", "grad:w99", "-f", "moodle"]]
    for argv in commands:
        seen = set()
        for seed in ("0", "1", "12345"):
            done = subprocess.run([sys.executable, "-m", "derive", *argv], cwd=tmp_path, capture_output=True,
                                  text=True, env=dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT)))
            seen.add((done.returncode, done.stderr))
        assert len(seen) == 1, seen


def test_a_huge_unknown_key_is_not_echoed_whole(tmp_path, capsys):
    key = "k" * 500_000
    spec = tmp_path / "net.json"
    data = json.loads(json.dumps(__import__("yaml").safe_load(SPEC)))
    data[key] = 1
    spec.write_text(json.dumps(data))
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps({key: 0.5}))
    for argv in (["solve", spec], ["check", "2-2-2", claims]):
        code, out, err = run(argv, capsys)
        one_line(code, out, err, "(500000 characters)")
        assert len(err) < 1000


def test_dash_means_standard_output(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["solve", "2-2-2", "-f", "md", "-o", "-"], capsys)
    assert code == 0 and out.startswith("# Two inputs")
    code, out, _ = run(["train", "2-2-2", "--steps", "2", "-o", "-"], capsys)
    assert code == 0 and out.startswith("2 steps of sgd")
    assert list(tmp_path.iterdir()) == []


def test_a_local_file_named_like_an_example_is_not_shadowed_silently(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "2-2-2").write_text(SPEC.replace("learning_rate: 0.5", "learning_rate: 0.25"))
    one_line(*run(["solve", "2-2-2"], capsys), "both a built-in example and a file", "./2-2-2")
    code, out, _ = run(["solve", "./2-2-2"], capsys)
    result = json.loads(out)
    assert code == 0 and result["updated"]["w5"] == pytest.approx(0.4 - 0.25 * result["gradients"]["w5"])  # the file's


def test_a_long_title_wraps_inside_the_page(tmp_path, capsys):
    spec = tmp_path / "net.yaml"
    spec.write_text(SPEC.replace('title: "Two inputs, two hidden, two outputs (sigmoid)"',
                                 'title: "' + "Backpropagation" * 12 + '"'))
    pdf = tmp_path / "out.pdf"
    assert run(["solve", spec, "-f", "pdf", "-o", pdf], capsys)[0] == 0
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout
    import re

    width = float(re.search(r'<page width="([0-9.]+)"', boxes).group(1))
    right_edges = [float(x) for x in re.findall(r'xMax="([0-9.]+)"', boxes)]
    assert max(right_edges) < width
    title_lines = re.findall(r">((?:Backpropagation|[a-z])[A-Za-z]*)</word>", boxes)
    assert "".join(title_lines[:4]).startswith("Backpropagation" * 6)
