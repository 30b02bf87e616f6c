"""Goal 5: a course's PDFs, 300 students, against one pdflatex run per file and the bare-pdflatex floor."""

from __future__ import annotations

from common import *  # noqa: F401,F403  (the sizes, settings and helpers)
from goal_cli import cli_environment, pdflatex_pass_command  # noqa: E402

# ---------------------------------------------------------------- 5. a course's PDFs

CLASS = 300
_EACH = textwrap.dedent("""
    import sys
    from derive.io import texrun
    texrun.find_qpdf = lambda: None  # the per-file path: one TeX run per PDF
    from derive.cli import main
    sys.exit(main(sys.argv[1:]))
""")
_MINIMAL = "\\documentclass{article}\n\\begin{document}\nx\n\\end{document}\n"


def run_pdfs(settings: Settings) -> Section:
    """Seconds per student (worksheet + key) for a class: cut from the combined documents (qpdf) against
    one TeX run per file, and the floor: one bare pdflatex pass of a minimal document."""
    from derive.io.texrun import find_qpdf

    n_class, n_each = (20, 4) if settings.quick else (CLASS, 20)
    rounds = 1 if settings.quick else 2
    with tempfile.TemporaryDirectory(prefix="bench-pdfs-") as folder:
        work = pathlib.Path(folder)
        env = cli_environment(work / "pycache")
        base = [sys.executable, "-m", "derive", "worksheet", "2-2-2-exercise", "--seed", "1", "--force", "--quiet",
                "--workers", "2"]
        each = [sys.executable, "-c", _EACH, *base[3:]]
        commands = {
            f"cut from the combined documents (qpdf), {n_class} students": (
                [*base, "-n", str(n_class), "--out", str(work / "class")], env, work),
            f"one TeX run per PDF, {n_each} students": ([*each, "-n", str(n_each), "--out", str(work / "each")], env, work),
            "one bare pdflatex pass of a minimal document": pdflatex_pass_command(_MINIMAL, work / "minimal"),
        }
        times = {name: [] for name in commands}
        for _ in range(rounds):
            for name, (argv, env_, cwd) in commands.items():
                start = time.perf_counter()
                subprocess.run(argv, env=env_, cwd=cwd, check=True, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - start)
    names = list(commands)
    per_student = {names[0]: statistics.median(times[names[0]]) / n_class,
                   names[1]: statistics.median(times[names[1]]) / n_each}
    floor = statistics.median(times[names[2]])
    lines = [
        f"`derive worksheet 2-2-2-exercise --workers 2` in a fresh process (a worksheet and a key per student, "
        f"their .tex, variants.json and the combined worksheets.pdf and keys.pdf), {rounds} round(s), wall-clock "
        f"seconds; qpdf {'found' if find_qpdf() else '**not found**'}. The per-file path is the same command with "
        "qpdf hidden (each PDF its own pdflatex run, two at a time); it runs a smaller class, since its cost per "
        "student does not depend on the class size. Floor: one bare pdflatex pass of a minimal document with "
        "derive's own command line and environment, so two per student at the same parallelism (2) is the "
        "floor × 2 / 2.",
        "",
        "| run | median / min / max (s) | seconds per student |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {summary(times[name])} | {per_student[name]:.3f} |" for name in names[:2]),
        f"| {names[2]} | {summary(times[names[2]])} | {floor:.3f} (floor: 2 PDFs per student on 2 cores) |",
    ]
    ratio = per_student[names[1]] / per_student[names[0]]
    target = Target(f"PDFs of a class of {n_class}: per-PDF cost ≥ 2× lower than one pdflatex run per file (2 workers)",
                    f"{per_student[names[0]]:.3f} s per student vs {per_student[names[1]]:.3f} s ({ratio:.1f}× lower); "
                    f"floor {floor:.3f} s", ratio >= 2)
    return Section(f"5. A course's PDFs: {n_class} students", lines, [target])
