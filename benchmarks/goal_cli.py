"""Goal 4: end to end in fresh processes, as a user runs the commands; worksheets with 1 and 2 workers."""

from __future__ import annotations

from common import *  # noqa: F401,F403  (the sizes, settings and helpers)

# ---------------------------------------------------------------- 4. end to end, fresh processes

def cli_environment(cache: pathlib.Path) -> dict[str, str]:
    """The environment of the timed processes: byte-compiled modules kept, as an installed package has them.

    The sandbox sets PYTHONDONTWRITEBYTECODE, so an editable install would compile derive's
    sources in every process; a private pycache folder stands in for the .pyc files pip writes.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def time_commands(commands: dict, runs: int) -> dict[str, list[float]]:
    """Wall-clock seconds of each ``name: (argv, env, cwd)`` (or ``name: callable``): one warm-up run
    each, then ``runs`` rounds in which every command runs once, so one round's times can be compared."""
    def run(command):
        if callable(command):
            return command()
        argv, env, cwd = command
        subprocess.run(argv, env=env, cwd=cwd, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    for command in commands.values():
        run(command)
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(undisturbed(lambda: run(command)))
    return times


def paired(times: dict, ratio) -> float:
    """The median over rounds of ``ratio(round)``, ``round`` mapping each name to its time in that round:
    runs of one round are seconds apart, so a drift in the machine's load cancels out."""
    runs = len(next(iter(times.values())))
    return statistics.median(ratio({name: t[r] for name, t in times.items()}) for r in range(runs))


RETRIES = 3


def undisturbed(call) -> float:
    """Seconds of ``call()``; a run during which other processes took over 10% of a core is repeated
    (up to RETRIES times, after the machine has been quiet for a moment). This machine is shared."""
    for attempt in range(RETRIES + 1):
        with OtherLoad() as load:
            call()
        if load.other <= 0.1 * load.wall or attempt == RETRIES:
            return load.wall
        wait_for_quiet()
    raise AssertionError("unreachable")


def pdflatex_pass_command(tex: str, folder: pathlib.Path) -> tuple:
    """``(argv, env, cwd)`` of one pdflatex pass over ``tex`` with derive's own command line, wrapper
    and environment, in ``folder``."""
    from derive.io import texrun

    folder.mkdir()
    (folder / "doc.tex").write_text(tex, encoding="utf-8")
    (folder / "run.tex").write_text(texrun._WRAPPER, encoding="utf-8")
    return texrun._pdflatex_command(texrun.find_tex()), texrun._tex_environment(folder), folder


SYMPY, MD, PDF, PASS = ('python -c "import sympy"', "derive solve 2-2-2 -f md", "derive solve 2-2-2 -o x.pdf",
                         "one pdflatex pass of the 2-2-2 document")


def run_cli(settings: Settings) -> Section:
    import derive
    from derive.io.texrun import build_pdf_bytes

    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        work = pathlib.Path(folder)
        env = cli_environment(work / "pycache")
        spec_file = work / "8-8-8-8.json"
        spec_file.write_text(_json_spec(bench_symbolic.network_spec(8, [8, 8, 8])), encoding="utf-8")
        py, dr = sys.executable, [sys.executable, "-m", "derive"]
        tex = derive.solve("2-2-2").latex()
        commands = {
            'python -c "pass"': ([py, "-c", "pass"], env, work),
            SYMPY: ([py, "-c", "import sympy"], env, work),
            MD: ([*dr, "solve", "2-2-2", "-f", "md"], env, work),
            "derive solve 2-2-2 -f tex": ([*dr, "solve", "2-2-2", "-f", "tex"], env, work),
            PDF: ([*dr, "solve", "2-2-2", "-o", str(work / "x.pdf"), "--force"], env, work),
            "derive solve 8-8-8-8.json -f md": ([*dr, "solve", str(spec_file), "-f", "md"], env, work),
            PASS: pdflatex_pass_command(tex, work / "pdflatex"),
            "derive.io.texrun build of the same document (in this process)": lambda: build_pdf_bytes(tex),
        }
        times = time_commands(commands, settings.cli_runs)
        sheets = _worksheet_times(settings, env, work)
    lines = [
        f"Wall-clock seconds of fresh processes, as a user runs them: {settings.cli_runs} rounds after one "
        "warm-up run of each, every command once per round; a run during which other processes took over 10% "
        "of a core is repeated" + (" (not in this run: `--loaded` kept every run, whatever the load)"
                                   if RETRIES == 0 else "") + ". `python -m derive ...` runs with the byte-compiled modules kept (a private "
        "PYTHONPYCACHEPREFIX, since this machine sets PYTHONDONTWRITEBYTECODE) and Jinja's template cache "
        "warm. The pdflatex pass uses derive's own command line, wrapper and environment. The last column is "
        "the median over rounds of the time divided by that round's `import sympy`.",
        "",
        "| command | median / min / max | / import sympy |",
        "| --- | ---: | ---: |",
    ]
    for name, t in times.items():
        ratio = f"{paired({'a': t, 'b': times[SYMPY]}, lambda r: r['a'] / r['b']):.2f}x"
        lines.append(f"| `{name}` | {summary(t)} | {ratio} |")
    lines += ["", *sheets.lines]
    median = {name: statistics.median(t) for name, t in times.items()}
    md_ratio = paired(times, lambda r: r[MD] / r[SYMPY])
    pdf_ratio = paired(times, lambda r: r[PDF] / (1.5 * r[SYMPY] + r[PASS]))
    targets = [
        Target(f"`{MD}` in a fresh process under 1.5× `{SYMPY}`",
               f"{median[MD]:.2f} s vs {median[SYMPY]:.2f} s (paired: {md_ratio:.2f}×)", md_ratio < 1.5),
        Target(f"`{PDF}` under 1.5× import sympy + one pdflatex pass",
               f"{median[PDF]:.2f} s vs 1.5 × {median[SYMPY]:.2f} + {median[PASS]:.2f} = "
               f"{1.5 * median[SYMPY] + median[PASS]:.2f} s (paired: {pdf_ratio:.2f} of it)", pdf_ratio < 1),
        *sheets.targets,
    ]
    return Section("4. End to end, in fresh processes", lines, targets)


def _json_spec(spec: dict) -> str:
    """The spec as a JSON file's text; its two-decimal numbers print exactly as floats."""
    import json

    return json.dumps(spec, default=float, indent=1)


# The machine's own ceiling: the same CPU-bound loop in one process, then in two at once.
_CPU_LOOP = "s = 0\nfor i in range(12_000_000):\n    s += i * i"
_PHASES = textwrap.dedent("""
    import sys, time
    start = time.perf_counter()
    from derive.io import texrun
    from derive.cli import main
    marks = {}
    def timed(function):
        def run(*args, **kwargs):
            marks.setdefault("first", time.perf_counter())
            try:
                return function(*args, **kwargs)
            finally:
                marks["last"] = time.perf_counter()
        return run
    # derive.classroom.worksheet imports them when it builds the PDFs: TeX runs, then qpdf cuts
    texrun.compile_many, texrun.compile_marked = timed(texrun.compile_many), timed(texrun.compile_marked)
    assert main(sys.argv[1:]) == 0
    end = time.perf_counter()
    print(marks["first"] - start, marks["last"] - marks["first"], end - marks["last"])
""")


def cpu_loops(n: int) -> None:
    """``n`` processes of the same CPU-bound loop at once."""
    procs = [subprocess.Popen([sys.executable, "-c", _CPU_LOOP]) for _ in range(n)]
    for proc in procs:
        proc.wait()


def _worksheet_times(settings: Settings, env, work: pathlib.Path) -> Section:
    """``derive worksheet`` of ``pairs`` variants with one TeX run at a time, then two, and the
    machine's own two-process throughput in the same rounds."""
    base = [sys.executable, "-m", "derive", "worksheet", "2-2-2-exercise", "-n", str(settings.pairs),
            "--seed", "1", "--force", "--quiet"]
    commands = {f"--workers {w}": ([*base, "--out", str(work / f"sheets-{w}"), "--workers", str(w)], env, work)
                for w in (1, 2)}
    commands["CPU loop, one process"] = lambda: cpu_loops(1)
    commands["CPU loop, two processes at once"] = lambda: cpu_loops(2)
    times = time_commands(commands, settings.pair_runs)
    same = all((work / "sheets-1" / p.name).read_bytes() == p.read_bytes()
               for p in sorted((work / "sheets-2").glob("*.pdf")))
    seq, par = (statistics.median(times[f"--workers {w}"]) for w in (1, 2))
    speedup = paired(times, lambda r: r["--workers 1"] / r["--workers 2"])
    ceiling = paired(times, lambda r: 2 * r["CPU loop, one process"] / r["CPU loop, two processes at once"])
    rounds = [a / b for a, b in zip(times["--workers 1"], times["--workers 2"])]
    ceilings = [2 * a / b for a, b in zip(times["CPU loop, one process"], times["CPU loop, two processes at once"])]
    phases = {w: _worksheet_phases(base, w, env, work) for w in (1, 2)}
    lines = [
        f"`derive worksheet 2-2-2-exercise -n {settings.pairs} --seed 1` (a worksheet and a key per variant, "
        f"their .tex, variants.json, combined worksheets.pdf and keys.pdf: {2 * settings.pairs + 2} PDFs), "
        f"{settings.pair_runs} rounds after a warm-up, as above; identical PDFs from both: {same}. In the same "
        "rounds, the machine's own ceiling: a CPU-bound Python loop in one process, then in two at once "
        "(two cores give twice the work per second at best). Seconds.",
        "",
        "| command | median / min / max |",
        "| --- | ---: |",
        *(f"| `derive worksheet ... {name}` | {summary(t)} |" if name.startswith("--") else f"| {name} | {summary(t)} |"
          for name, t in times.items()),
        "",
        f"Speed-up of each round (`--workers 1` time over `--workers 2` time): "
        f"{', '.join(f'{r:.2f}x' for r in rounds)}; the machine's two-process throughput in the same rounds: "
        f"{', '.join(f'{r:.2f}x' for r in ceilings)}.",
        "",
        "Where a run's time goes (one more run of each, instrumented in its own process; before: Python "
        "start-up, drawing the variants and rendering the documents, one process whatever the workers): "
        + "; ".join(f"`--workers {w}`: {before:.2f} s before the first TeX run, {tex:.2f} s of TeX runs, "
                    f"{after:.2f} s after them" for w, (before, tex, after) in phases.items()) + ".",
    ]
    target = Target(f"{settings.pairs} worksheet+key pairs: parallel (2 workers) ≥ 1.8× faster than sequential",
                    f"{seq:.1f} s / {par:.1f} s (paired: {speedup:.2f}×; the machine's own two-process "
                    f"throughput in the same rounds: {ceiling:.2f}×)", speedup >= 1.8)
    return Section("", lines, [target])


def _worksheet_phases(base: list, workers: int, env, work: pathlib.Path) -> tuple[float, float, float]:
    """(Python before the TeX runs, the TeX runs, after them) of one ``derive worksheet`` run, in seconds."""
    argv = [sys.executable, "-c", _PHASES, *base[3:], "--out", str(work / f"sheets-{workers}"),
            "--workers", str(workers)]
    out = subprocess.run(argv, env=env, cwd=work, check=True, capture_output=True, text=True).stdout
    return tuple(float(x) for x in out.split())
