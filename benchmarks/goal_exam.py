"""Issue 15 item 5: a class's exam, 300 students (300 exams + 300 keys of three questions), time per student.

Runs ``bench_exam.py`` (the code behind ``derive exam --roster``) in a fresh process and reports its lines."""

from __future__ import annotations

from common import *  # noqa: F401,F403  (the sizes, settings and helpers)

STUDENTS = 300


def run_exam(settings: Settings) -> Section:
    students = 20 if settings.quick else STUDENTS
    workers = os.cpu_count() or 1
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", "")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(HERE / "bench_exam.py"), "--students", str(students),
                             "--workers", str(workers)], env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    lines = [
        f"`python benchmarks/bench_exam.py --students {students} --workers {workers}` in a fresh process "
        f"(one run: wall clock, so it carries the machine's load): a roster of {students} students, an exam "
        f"and a key each (three questions, one drawn from a pool), the combined exams.pdf and keys.pdf, TeX "
        f"runs {workers} at a time. Its own report:",
        "",
        "```",
        *result.stdout.strip().splitlines(),
        "```",
        "",
        f"Whole process, Python start-up included: {wall:.1f} s, {wall / students:.2f} s per student.",
    ]
    print("\n".join(lines), flush=True)
    return Section(f"8. A class's exam: {students} students (issue 15, item 5)", lines)
