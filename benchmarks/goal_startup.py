"""Goal 6: start-up. ``derive --help``, ``--version``, ``examples`` and an error that needs no maths,
each in a fresh process, against a bare ``python -c pass`` that imports and runs argparse."""

from __future__ import annotations

from common import *  # noqa: F401,F403  (the sizes, settings and helpers)
from goal_cli import cli_environment  # noqa: E402

_ARGPARSE = "import argparse; argparse.ArgumentParser(prog='x').parse_args([])"
_LIMIT = 1.2  # the goal: within 1.2x of the bare start


def _once(argv, env, cwd) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # the error's exit status is not 0, by design
    return time.perf_counter() - start


def run_startup(settings: Settings) -> Section:
    runs = max(settings.cli_runs, 5)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        work = pathlib.Path(folder)
        env = cli_environment(work / "pycache")
        env["PYTHONPATH"] = str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", "")
        derive = [sys.executable, "-m", "derive"]
        commands = {
            'python -c "pass" + argparse': [sys.executable, "-c", _ARGPARSE],
            "`derive --help`": derive + ["--help"],
            "`derive --version`": derive + ["--version"],
            "`derive examples`": derive + ["examples"],
            "`derive solve missing.yaml` (an error: no such file)": derive + ["solve", "missing.yaml"],
        }
        for argv in commands.values():  # warm-up: byte-compiled modules written once
            _once(argv, env, work)
        times = {name: [] for name in commands}
        for _ in range(runs):  # interleaved rounds: one round's times are seconds apart
            for name, argv in commands.items():
                times[name].append(_once(argv, env, work))
    base = 'python -c "pass" + argparse'
    lines = [
        f"Wall-clock seconds of fresh processes (byte-compiled modules kept in a private pycache, as an "
        f"installed package has them), {runs} interleaved rounds after one warm-up run of each. The last "
        f"column is the median over rounds of the command's time divided by that round's bare start "
        f"(`python -c` importing argparse and parsing no arguments). None of these imports SymPy.",
        "",
        "| command | median / min / max | / bare start (median of rounds) |",
        "| --- | ---: | ---: |",
    ]
    targets_met, worst = True, 0.0
    for name, ts in times.items():
        ratio = statistics.median(t / b for t, b in zip(ts, times[base]))
        if name != base:
            worst = max(worst, ratio)
            targets_met &= ratio <= _LIMIT
        lines.append(f"| {name} | {summary(ts)} | {ratio:.2f}x |")
        print(lines[-1], flush=True)
    target = Target("`derive --help`, `--version`, `examples` and a no-maths error within 1.2× of a bare "
                    "`python -c pass` + argparse", f"worst {worst:.2f}×", targets_met)
    return Section("7. Start-up: commands that need no maths", lines, [target])
