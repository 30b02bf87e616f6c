"""Every benchmark of the performance issue in one run, written as a Markdown table.

    python benchmarks/run_all.py                       # everything (about 15-25 minutes on 2 cores)
    python benchmarks/run_all.py --quick               # small sizes, fewer runs (a few minutes)
    python benchmarks/run_all.py --only symbolic,train --sizes 2-2-2 --quick --out /tmp/r.md

Rows (``--only`` picks some, in this order):

* ``symbolic``: every ∂E/∂p as named chain-rule quantities (``build_model``) against naive SymPy
  (``diff`` of the fully nested error for each parameter), each run in a fresh process
  (:mod:`bench_symbolic`); a size is given up after the naive budget (60 s) and larger ones are
  not tried;
* ``numeric``: loss, every gradient and the updated parameters in floating point: derive's
  :class:`~derive.engine.compiled.CompiledGradient` call (its one-off compilation timed apart) against a
  hand-written NumPy backward pass and PyTorch autograd (CPU, float64);
* ``train``: 10,000 steps of the 2-2-2 network (:mod:`bench_train`);
* ``cli``: ``derive`` commands in fresh processes as a user runs them, against
  ``python -c "import sympy"`` and one pdflatex pass of the same document; 30 worksheet + key
  pairs with ``--workers 1`` and ``--workers 2``;
* ``pdfs``: a course's PDFs, 300 students, cut from combined TeX runs against one pdflatex run per file;
* ``memory``: peak resident memory of the largest network, symbolic and compiled;
* ``startup``: ``derive --help``, ``--version``, ``examples`` and a no-maths error against a bare
  ``python -c`` start with argparse;
* ``exam``: a class of 300: 300 exams and 300 keys of three questions (:mod:`bench_exam`).

Each row lives in its own module, ``goal_<row>.py`` (``run_<row>(settings)`` returns its section);
:mod:`common` holds the sizes, the settings and the timing helpers; this file only runs them and writes
the report.

Each contender is measured in the same run as its baseline, runs interleaved where the machine's
load could drift between them; tables give the median, min and max.
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from common import HERE, OtherLoad, QUICK_SIZES, SIZES, Section, Settings, verdict  # noqa: E402
import goal_cli, goal_exam, goal_memory, goal_numeric, goal_pdfs, goal_startup, goal_symbolic, goal_train  # noqa: E402,E401

ROWS = ("symbolic", "numeric", "train", "cli", "pdfs", "memory", "startup", "exam")


# ---------------------------------------------------------------- the report

def machine() -> list[str]:
    """Where and when the numbers were taken."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:  # the version without importing it: PyTorch's threads must not start before the forks
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem = next((line.split(":", 1)[1].strip() for line in _read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal")), "unknown")
    tex = subprocess.run(["pdflatex", "--version"], capture_output=True, text=True).stdout.splitlines()[:1] \
        if shutil.which("pdflatex") else ["not installed"]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=HERE).stdout.strip() or "unknown"
    return [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; commit {commit}",
        f"- `nproc`: {os.cpu_count()}; CPU: {cpu}; memory: {mem}; load average at start: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- {platform.system()} {platform.release()}; Python {platform.python_version()}; SymPy {installed('sympy')}; "
        f"NumPy {installed('numpy')}; PyTorch {installed('torch')}; {tex[0] if tex else 'pdflatex'}",
    ]


def _read(path: str) -> str:
    try:
        return pathlib.Path(path).read_text()
    except OSError:
        return ""


def report(sections: list[Section], settings: Settings, header: list[str], seconds: float,
           argv: list[str] | None = None) -> str:
    # the command as it was given (the report's own --out left out: it names a scratch file at times)
    given, skip = [], False
    for arg in sys.argv[1:] if argv is None else argv:
        if skip or arg == "--out" or arg.startswith("--out="):
            skip = arg == "--out"
            continue
        given.append(arg)
    command = " ".join(["python benchmarks/run_all.py", *given])
    out = ["# Benchmarks", "", f"Written by `{command}` (every number below is measured by it; "
           f"{seconds / 60:.1f} minutes). Machine:", "", *header,
           f"- load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", "",
           "## Targets", "", "| target | measured | verdict |", "| --- | --- | --- |"]
    for section in sections:
        out += [f"| {t.text} | {t.measured} | {verdict(t.met)} |" for t in section.targets]
    for section in sections:
        out += ["", f"## {section.title}", "", *section.lines]
    return "\n".join(out) + "\n"


def settings_from(args) -> Settings:
    by_label = {size[0]: size for size in SIZES}
    if args.sizes:
        unknown = [label for label in args.sizes.split(",") if label not in by_label]
        if unknown:
            raise SystemExit(f"run_all.py: unknown size(s) {', '.join(unknown)}; choose from {', '.join(by_label)}")
        sizes = [by_label[label] for label in args.sizes.split(",")]
    else:
        sizes = [size for size in SIZES if not args.quick or size[0] in QUICK_SIZES]
    return Settings(quick=args.quick, sizes=sizes, runs=args.runs or (3 if args.quick else 5),
                    budget=args.budget or (10.0 if args.quick else 60.0),
                    steps=args.steps or (1000 if args.quick else 10000),
                    cli_runs=3 if args.quick else 11, pairs=4 if args.quick else 30, pair_runs=1 if args.quick else 5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer runs and steps")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"), help="Markdown file to write")
    parser.add_argument("--only", help=f"comma-separated rows to run: {', '.join(ROWS)} (default: all)")
    parser.add_argument("--sizes", help=f"comma-separated networks: {', '.join(s[0] for s in SIZES)}")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 5, quick 3)")
    parser.add_argument("--budget", type=float, help="seconds for the naive SymPy runs of one size (default 60)")
    parser.add_argument("--steps", type=int, help="training steps (default 10,000, quick 1,000)")
    parser.add_argument("--loaded", action="store_true",
                        help="keep the cli row's runs disturbed by other processes (no waiting for a quiet machine)")
    args = parser.parse_args(argv)
    rows = args.only.split(",") if args.only else list(ROWS)
    unknown = [row for row in rows if row not in ROWS]
    if unknown:
        parser.error(f"unknown row(s) {', '.join(unknown)}; choose from {', '.join(ROWS)}")
    settings = settings_from(args)
    if args.loaded:
        goal_cli.RETRIES = 0
    started = time.perf_counter()
    header = machine()
    # Forking the symbolic runs' children comes first, before PyTorch starts its threads.
    runners = {"symbolic": goal_symbolic.run_symbolic, "numeric": goal_numeric.run_numeric,
               "train": goal_train.run_train, "cli": goal_cli.run_cli, "pdfs": goal_pdfs.run_pdfs,
               "memory": goal_memory.run_memory, "startup": goal_startup.run_startup, "exam": goal_exam.run_exam}
    sections = []
    for row in ROWS:
        if row in rows:
            print(f"== {row}", flush=True)
            with OtherLoad() as load:
                section = runners[row](settings)
            section.lines += ["", f"Other processes on the machine during this section: {load.text()}."]
            sections.append(section)
    text = report(sections, settings, header, time.perf_counter() - started, argv)
    pathlib.Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

