"""Tests for derive.io.texrun, mostly with real TeX runs on tiny documents."""

from __future__ import annotations

import io
import os
import pathlib
import shutil
import subprocess
import time
import uuid

import pytest

from derive.io import progress, texrun
from derive.errors import LatexError, OutputError
from derive.io.texrun import TEX_PACKAGES, build_pdf_bytes, compile_many, compile_pdf, find_tex

needs_tex = pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk not installed")


def doc(body: str, preamble: str = "") -> str:
    return "\\documentclass{article}\n" + preamble + "\\begin{document}\n" + body + "\n\\end{document}\n"


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


@pytest.fixture(autouse=True)
def temp_root(tmp_path, monkeypatch):
    """Point tempfile at a private folder, to check what the runner leaves behind (and keep /tmp clean)."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(texrun.tempfile, "tempdir", str(root))
    return root


# --- no TeX needed -----------------------------------------------------------------------------

def test_find_tex_missing_names_debian_packages(monkeypatch):
    monkeypatch.setattr(texrun.shutil, "which", lambda name: None)
    with pytest.raises(LatexError) as info:
        find_tex()
    message = str(info.value)
    assert "apt-get install" in message
    assert all(package in message for package in TEX_PACKAGES)


def test_find_tex_checks_pdflatex_too(monkeypatch):
    monkeypatch.setattr(texrun.shutil, "which", lambda name: "/usr/bin/latexmk" if name == "latexmk" else None)
    with pytest.raises(LatexError, match="pdflatex not found"):
        find_tex()


def test_command_line_is_hardened():
    # pdflatex itself, as an argument list: no latexmk (whose rc files could add rules) and no shell.
    cmd = texrun._pdflatex_command("/usr/bin/pdflatex")
    assert cmd[0] == "/usr/bin/pdflatex" and cmd[-1] == "run.tex"
    for flag in ("-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "-file-line-error"):
        assert flag in cmd
    assert not any("shell-escape" in arg and arg != "-no-shell-escape" for arg in cmd)


def test_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TEXMFOUTPUT", "/")
    monkeypatch.setenv("DERIVE_KEEP_ME", "1")
    env = texrun._tex_environment(tmp_path)
    assert {key: env[key] for key in ("openin_any", "openout_any", "shell_escape", "SOURCE_DATE_EPOCH",
                                      "FORCE_SOURCE_DATE", "LC_ALL", "HOME")} == {
        "openin_any": "p", "openout_any": "p", "shell_escape": "f", "SOURCE_DATE_EPOCH": "0",
        "FORCE_SOURCE_DATE": "1", "LC_ALL": "C", "HOME": str(tmp_path)}
    assert "TEXMFOUTPUT" not in env
    assert env["DERIVE_KEEP_ME"] == "1"
    assert os.environ["TEXMFOUTPUT"] == "/"  # a copy: our own environment is untouched


def test_log_tail_prefers_errors():
    log = "\n".join([f"noise {i}" for i in range(50)] + [
        "! LaTeX Error: File `x.sty' not found.", "", "Type X to quit.", "l.3 \\usepackage{x}",
        "./doc.tex:7: Undefined control sequence.", "l.7 \\foo", "", "trailing noise"])
    tail = texrun._log_tail(log)
    assert tail.splitlines() == ["! LaTeX Error: File `x.sty' not found.", "Type X to quit.",
                                 "l.3 \\usepackage{x}", "./doc.tex:7: Undefined control sequence.", "l.7 \\foo"]


def test_log_tail_without_errors_is_the_end():
    tail = texrun._log_tail("\n".join(f"line {i}" for i in range(100)))
    assert tail.splitlines() == [f"line {i}" for i in range(80, 100)]


def test_existing_dest_refused_before_tex_runs(tmp_path, monkeypatch):
    dest = tmp_path / "out.pdf"
    dest.write_bytes(b"old")

    def no_tex(*args, **kwargs):
        raise AssertionError("TeX must not run")

    monkeypatch.setattr(texrun.subprocess, "Popen", no_tex)
    with pytest.raises(OutputError, match="force=True"):
        compile_pdf(doc("x"), dest)
    with pytest.raises(OutputError, match="force=True"):
        compile_many([(doc("x"), tmp_path / "new.pdf"), (doc("y"), dest)])
    with pytest.raises(OutputError, match="more than one job"):
        compile_many([(doc("x"), tmp_path / "a.pdf"), (doc("y"), tmp_path / "a.pdf")])
    assert dest.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf", "tmp"]


# --- real TeX runs -----------------------------------------------------------------------------

@needs_tex
def test_compile_pdf_success_and_cleanup(tmp_path, temp_root):
    dest = compile_pdf(doc(r"Gradient $\frac{\partial L}{\partial w}$ ok."), tmp_path / "out.pdf")
    assert dest == tmp_path / "out.pdf"
    assert dest.read_bytes().startswith(b"%PDF-")
    assert "Gradient" in pdf_text(dest)
    assert list(temp_root.iterdir()) == []  # the build folder is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf", "tmp"]  # only the PDF was written


@needs_tex
def test_runs_in_fresh_folder_with_hardened_command(tmp_path, monkeypatch):
    calls = []
    real_popen = subprocess.Popen

    def spy(cmd, **kwargs):
        workdir = pathlib.Path(kwargs["cwd"])
        calls.append((cmd, kwargs, (workdir / "doc.tex").read_text()))
        return real_popen(cmd, **kwargs)

    monkeypatch.setattr(texrun.subprocess, "Popen", spy)
    source = doc("fresh")
    build_pdf_bytes(source)
    build_pdf_bytes(source)
    (cmd1, kw1, text1), (cmd2, kw2, _) = calls
    assert text1 == source
    assert kw1["cwd"] != kw2["cwd"]
    assert kw1["start_new_session"] is True
    assert kw1["env"]["HOME"] == str(kw1["cwd"])
    assert cmd1 == texrun._pdflatex_command(find_tex())  # one pass: nothing asks for a rerun
    assert not pathlib.Path(kw1["cwd"]).exists() and not pathlib.Path(kw2["cwd"]).exists()


@needs_tex
def test_same_source_gives_identical_bytes(tmp_path, temp_root):
    # \today and hyperref's PDF info would carry the date; /ID and PTEX.FileName the temp path.
    source = doc(r"Today is \today. Job \jobname.", preamble="\\usepackage{hyperref}\n")
    first = build_pdf_bytes(source)
    second = compile_pdf(source, tmp_path / "again.pdf").read_bytes()
    assert first == second
    assert b"derive-tex-" not in first and str(temp_root).encode() not in first
    assert b"/CreationDate" not in first and b"/ID" not in first and b"PTEX" not in first


@needs_tex
def test_latexmkrc_in_cwd_and_home_is_ignored(tmp_path, monkeypatch):
    marker = tmp_path / f"rc_ran_{uuid.uuid4().hex}"
    evil = f'system("touch {marker}"); $pdflatex = "false"; $pdf_mode = 0;\n'
    home = tmp_path / "home"
    (home / ".config" / "latexmk").mkdir(parents=True)
    for rc in (tmp_path / "latexmkrc", tmp_path / ".latexmkrc", home / ".latexmkrc",
               home / ".config" / "latexmk" / "latexmkrc"):
        rc.write_text(evil)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    assert compile_pdf(doc("rc-free"), tmp_path / "out.pdf").read_bytes().startswith(b"%PDF-")
    assert not marker.exists()


@needs_tex
def test_failure_reports_log_and_keeps_existing_dest(tmp_path, temp_root):
    dest = tmp_path / "out.pdf"
    dest.write_bytes(b"previous good pdf")
    logs = tmp_path / "logs"
    with pytest.raises(LatexError) as info:
        compile_pdf(doc(r"before \undefinedmacro after"), dest, force=True, keep_failed_log_dir=logs)
    err = info.value
    assert "Undefined control sequence" in err.log_tail
    assert "doc.tex:" in err.log_tail and "\\undefinedmacro" in err.log_tail
    assert len(err.log_tail.splitlines()) <= 20
    assert pathlib.Path(err.log_path).parent == logs
    assert "Undefined control sequence" in pathlib.Path(err.log_path).read_text()
    assert err.log_path in str(err)
    assert dest.read_bytes() == b"previous good pdf"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs", "out.pdf", "tmp"]
    assert list(temp_root.iterdir()) == []


@needs_tex
def test_failure_without_log_dir_keeps_log_in_temp_folder(tmp_path, temp_root):
    with pytest.raises(LatexError) as info:
        compile_pdf(doc(r"\begin{itemize}"), tmp_path / "out.pdf")
    kept = pathlib.Path(info.value.log_path)
    assert kept.is_file() and kept.parent.parent == temp_root and kept.name == "out.log"
    assert [p.name for p in temp_root.iterdir()] == [kept.parent.name]  # build folder removed, log kept
    assert not (tmp_path / "out.pdf").exists()


def _live_processes_in_group(pgid: int) -> list[int]:
    """PIDs in process group ``pgid`` that are still running (zombies do not count)."""
    pids = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


@needs_tex
def test_timeout_kills_whole_process_group(tmp_path, temp_root, monkeypatch):
    started = []
    real_popen = subprocess.Popen

    def spy(cmd, **kwargs):
        proc = real_popen(cmd, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(texrun.subprocess, "Popen", spy)
    with pytest.raises(LatexError, match=r"TeX did not finish within 2 s") as info:
        compile_pdf(doc(r"\def\x{\x}\x"), tmp_path / "out.pdf", timeout=2, keep_failed_log_dir=tmp_path / "logs")
    assert pathlib.Path(info.value.log_path).is_file()
    assert not (tmp_path / "out.pdf").exists()
    assert list(temp_root.iterdir()) == []
    if pathlib.Path("/proc").is_dir():
        # Everything in TeX's process group is gone, not just the process we started.
        deadline = time.monotonic() + 5
        while _live_processes_in_group(started[0].pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _live_processes_in_group(started[0].pid) == []


@needs_tex
def test_input_etc_passwd_is_refused(tmp_path):
    # openin_any=p: kpathsea will not open absolute paths or ../ paths, so \input fails...
    for path in ("/etc/passwd", "../../../../../../etc/passwd"):
        with pytest.raises(LatexError, match="not found"):
            compile_pdf(doc(f"x \\input{{{path}}}"), tmp_path / "out.pdf")
        assert not (tmp_path / "out.pdf").exists()


@needs_tex
def test_etc_passwd_never_reaches_the_pdf(tmp_path):
    # ... and a document that only tries politely sees no such file and still builds.
    body = "\n".join([
        r"\IfFileExists{/etc/passwd}{\input{/etc/passwd}}{no-passwd}",
        r"\newread\r \openin\r=/etc/passwd \ifeof\r closed\else\read\r to\line \line\fi",
    ])
    text = pdf_text(compile_pdf(doc(body), tmp_path / "out.pdf"))
    assert "no-passwd" in text and "closed" in text
    assert "root:x:" not in text


@needs_tex
def test_write18_and_absolute_openout_do_nothing(tmp_path):
    pwned = pathlib.Path(f"/tmp/derive_pwned_{uuid.uuid4().hex}")
    written = pathlib.Path(f"/tmp/derive_written_{uuid.uuid4().hex}.tex")
    try:
        compile_pdf(doc(f"x \\immediate\\write18{{touch {pwned}}}"), tmp_path / "a.pdf")
        assert not pwned.exists()
        with pytest.raises(LatexError, match="write"):
            compile_pdf(doc(f"\\newwrite\\w\\immediate\\openout\\w={written}\\immediate\\write\\w{{x}}"),
                        tmp_path / "b.pdf")
        assert not written.exists()
    finally:
        pwned.unlink(missing_ok=True)
        written.unlink(missing_ok=True)


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


@needs_tex
def test_compile_many_in_order_with_progress(tmp_path, temp_root, monkeypatch):
    err = FakeTTY()
    progress.enable(True, stream=err)
    try:
        jobs = [(doc(f"Page {name}"), tmp_path / f"{name}.pdf") for name in ("c", "a", "b")]
        paths = compile_many(jobs, workers=2)
    finally:
        progress.enable(False)
    assert paths == [dest for _, dest in jobs]
    assert [pdf_text(p).split()[:2] for p in paths] == [["Page", "c"], ["Page", "a"], ["Page", "b"]]
    assert "3/3" in err.getvalue() and "\rTeX [" in err.getvalue()
    assert list(temp_root.iterdir()) == []


@needs_tex
def test_compile_many_progress_off(tmp_path, monkeypatch):
    err = FakeTTY()
    progress.enable(True, stream=err)
    try:
        compile_many([(doc("x"), tmp_path / "x.pdf")], progress=False)
    finally:
        progress.enable(False)
    assert err.getvalue() == ""


@needs_tex
def test_compile_many_raises_first_failure_after_others_finish(tmp_path, temp_root):
    jobs = [(doc("good one"), tmp_path / "1.pdf"),
            (doc(r"\firstbad"), tmp_path / "2.pdf"),
            (doc(r"\secondbad"), tmp_path / "3.pdf"),
            (doc("good four"), tmp_path / "4.pdf")]
    with pytest.raises(LatexError) as info:
        compile_many(jobs, workers=2, progress=False)
    assert "\\firstbad" in info.value.log_tail
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == ["1.pdf", "4.pdf"]
    assert not list(tmp_path.glob(".*.tmp"))
    assert all(p.is_dir() and p.name.startswith("derive-tex-failed-") for p in temp_root.iterdir())


@needs_tex
def test_reruns_only_while_the_log_asks(tmp_path, monkeypatch):
    passes = []
    real_popen = subprocess.Popen

    def spy(cmd, **kwargs):
        if kwargs.get("cwd"):  # a TeX pass (pdftotext below runs without one)
            passes.append(cmd)
        return real_popen(cmd, **kwargs)

    monkeypatch.setattr(texrun.subprocess, "Popen", spy)
    # A forward reference is only right on the second pass ("Rerun to get cross-references right").
    text = pdf_text(compile_pdf(doc(r"See page \pageref{end}.\clearpage\label{end}End."), tmp_path / "ref.pdf"))
    assert "See page 2." in text and len(passes) == 2
    passes.clear()
    compile_pdf(doc("No cross-references."), tmp_path / "plain.pdf")
    assert len(passes) == 1


@needs_tex
def test_user_tex_search_paths_are_not_followed(tmp_path, monkeypatch):
    """TEXINPUTS or TEXMFCNF set by the user could point TeX at files outside the build folder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "planted.tex").write_text("PLANTEDTEXT\n")
    monkeypatch.setenv("TEXINPUTS", f"{elsewhere}:")
    monkeypatch.setenv("TEXMFCNF", f"{elsewhere}:")
    with pytest.raises(LatexError, match="planted"):
        build_pdf_bytes(doc(r"\input{planted}"))
