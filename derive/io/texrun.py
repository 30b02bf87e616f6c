"""The one hardened way ``derive`` runs TeX.

Every run happens in a fresh temporary folder: ``pdflatex`` with shell escape
off and kpathsea in paranoid mode (no reading or writing outside the build
folder), inside its own process group so a timeout kills everything it started.
It runs once, and again only while the log asks for a rerun (as latexmk would,
without latexmk's extra pass whenever the ``.aux`` file changed, and without its
Perl start-up or rc files). The PDF is byte-for-byte reproducible: dates are
pinned and pdfTeX is told to leave out its trailer ID and banner. Only a
finished PDF ever reaches the output path.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from ..errors import LatexError, OutputError
from .output import check_output_path, move_atomic
from .limits import MAX_TIMEOUT
from .progress import task

__all__ = ["TEX_PACKAGES", "find_tex", "compile_pdf", "build_pdf_bytes", "compile_many", "time_budget",
           "check_timeout", "MAX_TIMEOUT", "overfull_boxes", "SHEET_MARK", "compile_marked",
           "compile_marked_many", "split_pdf", "find_qpdf"]

TEX_PACKAGES = ("texlive-latex-base", "texlive-latex-recommended", "texlive-latex-extra",
                "texlive-pictures", "latexmk", "lmodern")

# Set before the user's source is read, so every document gets them without
# having to ask: no /CreationDate, /ModDate, /ID or PTEX.* keys (which hold
# the time and the build folder's path) in the PDF.
_WRAPPER = r"""\pdfinfoomitdate=1
\pdftrailerid{}
\pdfsuppressptexinfo=-1
\input{doc.tex}
"""
# Constant names: the job name ("run") is the only name TeX could leak into the PDF.
_SOURCE_NAME, _WRAPPER_NAME, _JOB = "doc.tex", "run.tex", "run"

_TEX_FLAGS = ("-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error")
_LOG_LINES = 20
# What packages write when a pass changed what the next would read: "Rerun to get cross-references
# right" (LaTeX, hyperref, natbib), "Table widths have changed. Rerun LaTeX." (longtable), ...
_RERUN = re.compile(rb"\brerun\s+(?:latex|to\s+get)\b", re.IGNORECASE)
_MAX_PASSES = 5  # latexmk's limit too: a document that never settles is taken as it is then
_ERROR_LINE = re.compile(r"^(!|[^\s:]+:\d+: )")
_OVERFULL = re.compile(r"^Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\).*$", re.MULTILINE)

# Running TeX process groups, so Ctrl-C in compile_many can kill them: they sit in their
# own sessions and do not get the terminal's SIGINT.
_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()
# Set while compile_many stops: no worker starts another TeX pass or keeps a log of a killed one.
_stopping = threading.Event()


# The default budget grows with the document: the largest documents the size limits allow
# (thousands of parameters in a summary table) take minutes, not the seconds a sheet takes.
_BASE_SECONDS, _BYTES_PER_SECOND = 120, 4000


def time_budget(tex_source: str, timeout: float | None = None) -> float:
    """Seconds TeX may take for ``tex_source``: ``timeout`` when given, else 120 s plus 1 s per 4 KB.

    >>> time_budget("x" * 40000), time_budget("x", 5)
    (130.0, 5)
    """
    if timeout is not None:
        return timeout
    return _BASE_SECONDS + len(tex_source) / _BYTES_PER_SECOND


def check_timeout(timeout, flag: str = "--tex-timeout"):
    """``timeout`` (seconds, or None for :func:`time_budget`'s default), refused with one line when out of range.

    >>> check_timeout(30), check_timeout(None)
    (30, None)
    """
    from ..errors import RenderError

    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 1 <= timeout <= MAX_TIMEOUT:
        raise RenderError(f"{flag} must be a number of seconds from 1 to {MAX_TIMEOUT}; got {timeout!r}")
    return timeout


def find_tex() -> str:
    """Return the path of ``pdflatex``.

    Raises :class:`LatexError` naming the Debian packages to install when it is missing.

    >>> find_tex().endswith("pdflatex")
    True
    """
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise LatexError(f"pdflatex not found; PDF output needs TeX Live: apt-get install {' '.join(TEX_PACKAGES)}")
    return pdflatex


def build_pdf_bytes(tex_source: str, *, timeout: float | None = None, keep_failed_log_dir=None) -> bytes:
    """Compile a LaTeX document and return the PDF bytes (the same source gives the same bytes).

    ``timeout`` covers every pass (default: :func:`time_budget`). On failure raises
    :class:`LatexError` with the relevant log lines; the whole log is
    kept in ``keep_failed_log_dir`` (or a fresh temp folder) and its path reported.

    >>> pdf = build_pdf_bytes(r"\\documentclass{article}\\begin{document}Hi\\end{document}")
    >>> pdf[:5], pdf == build_pdf_bytes(r"\\documentclass{article}\\begin{document}Hi\\end{document}")
    (b'%PDF-', True)
    """
    with _built_pdf(tex_source, timeout=timeout, keep_dir=keep_failed_log_dir, name="doc") as pdf:
        return pdf.read_bytes()


def compile_pdf(tex_source: str, dest, *, force: bool = False, timeout: float | None = None,
                keep_failed_log_dir=None, keep_log: bool = False) -> pathlib.Path:
    """Compile a LaTeX document into ``dest``; nothing is written there unless TeX succeeds.

    ``dest`` is checked before TeX runs (an existing file needs ``force``). With ``keep_log``
    the log of the last TeX pass is kept beside it, as ``dest`` with the suffix ``.log``.

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> out = compile_pdf(r"\\documentclass{article}\\begin{document}Hi\\end{document}", folder / "hi.pdf")
    >>> out.read_bytes()[:5]
    b'%PDF-'
    >>> shutil.rmtree(folder)
    """
    dest = check_output_path(dest, force=force)
    log_dest = check_output_path(dest.with_suffix(".log"), force=force) if keep_log else None
    with _built_pdf(tex_source, timeout=timeout, keep_dir=keep_failed_log_dir, name=dest.stem) as pdf:
        if log_dest is not None:
            move_atomic(pdf.with_suffix(".log"), log_dest, force=force)
        return move_atomic(pdf, dest, force=force)


def overfull_boxes(log: str, *, wider_than: float = 0.0) -> list[str]:
    r"""The "Overfull \hbox (...pt too wide)" lines of a TeX log that stick out more than ``wider_than`` pt.

    >>> log = "Overfull \\hbox (24.37pt too wide) detected at line 254\nOverfull \\hbox (0.5pt too wide) in par"
    >>> overfull_boxes(log, wider_than=1)
    ['Overfull \\hbox (24.37pt too wide) detected at line 254']
    """
    return [match.group(0) for match in _OVERFULL.finditer(log) if float(match.group(1)) > wider_than]


def compile_many(jobs: list[tuple[str, pathlib.Path]], *, force=False, workers: int | None = None,
                 progress: bool | None = None, timeout=None, keep_failed_log_dir=None,
                 keep_log: bool = False) -> list[pathlib.Path]:
    """Compile ``(tex_source, dest)`` jobs in parallel; return the paths in job order.

    All destinations are checked before any TeX runs. If jobs fail, the others
    still finish and the first failure in job order is raised. Progress is shown
    (:mod:`derive.io.progress`, when the command line turned it on) unless ``progress`` is False. ``keep_log`` keeps
    each job's TeX log beside its PDF (see :func:`compile_pdf`).

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> doc = r"\\documentclass{article}\\begin{document}%s\\end{document}"
    >>> paths = compile_many([(doc % "A", folder / "a.pdf"), (doc % "B", folder / "b.pdf")], progress=False)
    >>> [p.name for p in paths]
    ['a.pdf', 'b.pdf']
    >>> shutil.rmtree(folder)
    """
    jobs = [(source, check_output_path(dest, force=force)) for source, dest in jobs]
    seen: set[str] = set()
    for _, dest in jobs:
        key = os.path.realpath(dest)
        if key in seen:
            raise OutputError(f"{dest}: is the output of more than one job")
        seen.add(key)
    if not jobs:
        return []
    find_tex()  # one clear error up front rather than one per job
    return _parallel([functools.partial(compile_pdf, source, dest, force=force, timeout=timeout,
                                        keep_failed_log_dir=keep_failed_log_dir, keep_log=keep_log)
                      for source, dest in jobs], workers=workers, show=progress is not False)


def compile_marked_many(jobs: list, *, workers: int | None = None, timeout: float | None = None,
                        progress: bool | None = None) -> list:
    """:func:`compile_marked` of each ``(tex_source, dest)`` job in parallel, stopped and shown as :func:`compile_many`."""
    find_tex()
    return _parallel([functools.partial(compile_marked, source, dest, timeout=timeout) for source, dest in jobs],
                     workers=workers, show=progress is not False)


def _parallel(calls: list, *, workers: int | None, show: bool) -> list:
    """Run TeX ``calls`` in threads; results in order, the first failure in order raised."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1)
    try:
        futures = [pool.submit(call) for call in calls]
        with task("TeX", len(futures) if show else 0) as bar:
            for _ in concurrent.futures.as_completed(futures):
                bar.advance()
    except BaseException:
        # Ctrl-C or SIGTERM: drop queued jobs and kill the running TeX groups, which live in
        # their own sessions and so never saw the signal; then wait for the workers (a moment,
        # their TeX is gone) so each has removed its build folder before the caller cleans up.
        _stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        _kill_live_runs()
        pool.shutdown(wait=True)
        _stopping.clear()
        raise
    pool.shutdown()
    for future in futures:
        if future.exception() is not None:
            raise future.exception()
    return [future.result() for future in futures]


# Written at the top of each sheet of a combined document (right after its \clearpage): the
# number of pages shipped out before it, to the log only. compile_marked reads them back.
SHEET_MARK = r"\immediate\write-1{derive-sheet-start:\the\ReadonlyShipoutCounter}"
_MARK = re.compile(rb"^derive-sheet-start:(\d+)$", re.MULTILINE)


def compile_marked(tex_source: str, dest, *, force: bool = False, timeout: float | None = None) -> tuple[pathlib.Path, list]:
    """:func:`compile_pdf`, also returning the (first, last) pages, 1-based, of each sheet marked with :data:`SHEET_MARK`.

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> doc = r"\\documentclass{article}\\begin{document}%s\\end{document}"
    >>> body = r"\\clearpage ".join(SHEET_MARK + f" Sheet {i}" + r"\\newpage more" * i for i in range(3))
    >>> compile_marked(doc % body, folder / "all.pdf")[1]
    [(1, 1), (2, 3), (4, 6)]
    >>> shutil.rmtree(folder)
    """
    dest = check_output_path(dest, force=force)
    with _built_pdf(tex_source, timeout=timeout, keep_dir=None, name=dest.stem) as pdf:
        log = (pdf.parent / f"{_JOB}.log").read_bytes()
        starts = [int(n) + 1 for n in _MARK.findall(log)]
        total = int(_PAGES.search(log).group(1))
        return move_atomic(pdf, dest, force=force), list(zip(starts, [s - 1 for s in starts[1:]] + [total]))


_PAGES = re.compile(rb"Output written on \S+ \((\d+) pages?")


def find_qpdf() -> str | None:
    """The path of ``qpdf`` (Debian package ``qpdf``), or None: then every PDF gets its own TeX run."""
    return shutil.which("qpdf")


def split_pdf(source, pages: tuple[int, int], dest, *, timeout: float = 60) -> pathlib.Path:
    """Pages ``first..last`` (1-based) of ``source`` as the PDF ``dest``, with qpdf.

    ``--deterministic-id``: the same pages give the same bytes.
    """
    first, last = pages
    with tempfile.TemporaryDirectory(prefix="derive-split-") as work:
        out = pathlib.Path(work) / "part.pdf"
        subprocess.run([find_qpdf() or "qpdf", "--deterministic-id", "--empty", "--pages", str(source),
                        f"{first}-{last}", "--", str(out)],
                       check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        return move_atomic(out, dest, force=True)


@contextlib.contextmanager
def _built_pdf(tex_source: str, *, timeout: float, keep_dir, name: str):
    """Run TeX on ``tex_source`` in a fresh temp folder; yield the PDF's path there, then remove the folder."""
    pdflatex = find_tex()
    timeout = time_budget(tex_source, timeout)
    try:
        workdir = pathlib.Path(tempfile.mkdtemp(prefix="derive-tex-"))
    except OSError as exc:
        raise _no_build_folder(exc) from None
    try:
        try:
            (workdir / _SOURCE_NAME).write_text(tex_source, encoding="utf-8", newline="\n")
            (workdir / _WRAPPER_NAME).write_text(_WRAPPER, encoding="utf-8", newline="\n")
        except OSError as exc:  # a full or read-only temp folder
            raise _no_build_folder(exc) from None
        _run(pdflatex, workdir, timeout=timeout, keep_dir=keep_dir, name=name)
        yield workdir / f"{_JOB}.pdf"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _no_build_folder(exc: OSError) -> OutputError:
    return OutputError(f"cannot write TeX's build folder in {tempfile.gettempdir()}: {exc.strerror or exc} "
                       "(set TMPDIR to a folder with room)")


def _pdflatex_command(pdflatex: str) -> list[str]:
    # No shell in between (an argument list), and no latexmk: no rc file can add rules or run commands.
    return [pdflatex, *_TEX_FLAGS, "-file-line-error", _WRAPPER_NAME]


def _tex_environment(workdir: pathlib.Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "openin_any": "p",     # paranoid: no reading absolute paths, ../ or dot files
        "openout_any": "p",    # ... and no writing there either
        "shell_escape": "f",   # no \write18, not even the "restricted" whitelist
        "SOURCE_DATE_EPOCH": "0",
        "FORCE_SOURCE_DATE": "1",  # pin \today and the PDF dates as well
        "LC_ALL": "C",         # stable log messages to parse
        "HOME": str(workdir),  # ~/.latexmkrc and ~/texmf cannot apply
    })
    # the user's own search paths and configuration would let TeX find files outside the build folder
    for name in [k for k in env if k.startswith(("TEX", "KPSE", "KPATHSEA")) or k.endswith("INPUTS")]:
        del env[name]
    return env


def _run(pdflatex: str, workdir: pathlib.Path, *, timeout: float, keep_dir, name: str) -> None:
    """Run pdflatex until its log stops asking for a rerun; ``timeout`` covers all the passes."""
    deadline = time.monotonic() + timeout
    for _ in range(_MAX_PASSES):
        _run_pass(pdflatex, workdir, timeout=timeout, deadline=deadline, keep_dir=keep_dir, name=name)
        log = workdir / f"{_JOB}.log"
        if not (log.is_file() and _RERUN.search(log.read_bytes())):
            return


def _run_pass(pdflatex: str, workdir: pathlib.Path, *, timeout: float, deadline: float, keep_dir, name: str) -> None:
    with _live_lock:  # started and registered at once, so a stop cannot miss a run
        if _stopping.is_set():
            raise LatexError("stopped")
        proc = subprocess.Popen(
            _pdflatex_command(pdflatex), cwd=workdir, env=_tex_environment(workdir),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: a timeout kills whatever TeX started too
        )
        _live.add(proc)
    timed_out = False
    try:
        output, _ = proc.communicate(timeout=max(deadline - time.monotonic(), 0.001))
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        output, _ = proc.communicate()
    except BaseException:  # Ctrl-C and the like: leave no TeX running behind us
        _kill_group(proc)
        proc.communicate()
        raise
    finally:
        with _live_lock:
            _live.discard(proc)
    if _stopping.is_set():
        raise LatexError("stopped")  # killed on purpose: no log worth keeping
    if timed_out:
        _fail(f"TeX did not finish within {timeout:g} s", workdir, output, keep_dir, name)
    if proc.returncode != 0 or not (workdir / f"{_JOB}.pdf").is_file():
        _fail(f"TeX failed (pdflatex exit status {proc.returncode})", workdir, output, keep_dir, name)
    if not _looks_like_pdf(workdir / f"{_JOB}.pdf"):
        _fail("TeX wrote something that is not a PDF", workdir, output, keep_dir, name)


def _looks_like_pdf(path: pathlib.Path) -> bool:
    """A PDF starts with its header and ends with ``%%EOF`` (a broken or foreign pdflatex may write anything)."""
    with open(path, "rb") as pdf:
        head = pdf.read(5)
        pdf.seek(max(path.stat().st_size - 1024, 0))
        return head == b"%PDF-" and b"%%EOF" in pdf.read()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _kill_live_runs() -> None:
    with _live_lock:
        for proc in list(_live):
            _kill_group(proc)


def _fail(message: str, workdir: pathlib.Path, output: bytes, keep_dir, name: str):
    log_file = workdir / f"{_JOB}.log"
    # No .log means pdflatex never got going; its own output is the best record then.
    log = log_file.read_bytes() if log_file.is_file() else (output or b"")
    text = log.decode("utf-8", errors="replace")
    try:
        kept = str(_keep_log(log, keep_dir, name))
    except OSError:  # no room for the log either (a full disk is a common cause of the failure)
        kept = None
    raise LatexError(message, log_tail=_log_tail(text), log_path=kept)


def _keep_log(log: bytes, keep_dir, name: str) -> pathlib.Path:
    """Copy the log out of the build folder (which is about to be removed)."""
    if keep_dir is None:
        folder = pathlib.Path(tempfile.mkdtemp(prefix="derive-tex-failed-"))
        kept = folder / f"{name}.log"
        try:
            kept.write_bytes(log)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return kept
    keep_dir = pathlib.Path(keep_dir)
    keep_dir.mkdir(parents=True, exist_ok=True)
    # Unique name: parallel jobs may fail into the same folder.
    fd, kept = tempfile.mkstemp(dir=keep_dir, prefix=f"{name}-", suffix=".log")
    with os.fdopen(fd, "wb") as out:
        out.write(log)
    return pathlib.Path(kept)


def _log_tail(log: str, limit: int = _LOG_LINES) -> str:
    """The lines of a TeX log worth showing: each error with its ``l.N`` context, else the end.

    >>> print(_log_tail("noise\\n./doc.tex:3: Undefined control sequence.\\nl.3 \\\\foo\\n\\nmore noise"))
    ./doc.tex:3: Undefined control sequence.
    l.3 \\foo
    """
    lines = log.splitlines()
    picked: dict[int, None] = {}  # ordered set of line numbers
    for i, line in enumerate(lines):
        if _ERROR_LINE.match(line):
            # An error is followed by TeX's context ("l.12 \foo"), a few lines on at most.
            for j in range(i, min(i + 6, len(lines))):
                if lines[j].strip():
                    picked[j] = None
                if j > i and lines[j].startswith("l."):
                    break
    if not picked:
        return "\n".join([line for line in lines if line.strip()][-limit:])
    # The first error is the cause; the later ones ("Emergency stop", ...) follow from it.
    return "\n".join(lines[j] for j in list(picked)[:limit])
