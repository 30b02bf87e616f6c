"""Time a whole class's exam: 300 students, each an exam and a key of three questions (a pool among them).

Run:  python benchmarks/bench_exam.py [--students 300] [--workers 2] [--seed 1]

Writes a roster of STUDENTS made-up ids and an exam file into a temporary folder, runs
derive.classroom.exam.make_exam (the code behind ``derive exam --roster``) once, and reports the
time per student of each part: drawing the papers, rendering the LaTeX, and the TeX runs (all of
them in parallel, the combined exams.pdf and keys.pdf included). A progress bar is drawn when
stderr is a terminal.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

EXAM = """\
title: "Backpropagation: final exam"
course: "Neural networks 101"
date: "1 December 2026"
instructions: |
  Show your work. Give every answer to 6 decimal places.
questions:
  - spec: 2-2-2-exercise
    ask: forward
    points: 10
  - from: [2-2-2-exercise, 2-2-2]
    ask: "grad:*"
    points: 20
  - spec: 2-2-2-exercise
    ask: "updated:*, E_total_after"
    points: 10
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from derive.classroom import exam as exam_module

    timings = {}
    original = exam_module.compile_into

    def timed_compile(*a, **k):  # the TeX runs and moving the files into place
        timings["render"] = time.perf_counter() - timings["start"]
        t0 = time.perf_counter()
        original(*a, **k)
        timings["tex"] = time.perf_counter() - t0

    exam_module.compile_into = timed_compile
    with tempfile.TemporaryDirectory(prefix="bench-exam-") as folder:
        folder = pathlib.Path(folder)
        (folder / "exam.yaml").write_text(EXAM)
        roster = ["id,name"] + [f"s{i:04d},Student {i}" for i in range(1, args.students + 1)]
        (folder / "students.csv").write_text("\n".join(roster) + "\n")
        timings["start"] = time.perf_counter()
        run = exam_module.make_exam(folder / "exam.yaml", seed=args.seed, out_dir=folder / "out",
                                    roster=folder / "students.csv", workers=args.workers)
        total = time.perf_counter() - timings["start"]
        pdfs = len(list((folder / "out").glob("*.pdf")))
    n = args.students
    print(run.report())
    print(f"cores: {os.cpu_count()}, TeX workers: {args.workers}, PDFs: {pdfs}")
    print(f"papers drawn and LaTeX rendered: {timings['render']:.1f} s ({timings['render'] / n * 1000:.0f} ms per student)")
    print(f"TeX runs (parallel) and files: {timings['tex']:.1f} s ({timings['tex'] / n * 1000:.0f} ms per student)")
    print(f"total: {total:.1f} s ({total / n:.2f} s per student)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
