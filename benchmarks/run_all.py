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
* ``memory``: peak resident memory of the largest network, symbolic and compiled.

Each contender is measured in the same run as its baseline, runs interleaved where the machine's
load could drift between them; tables give the median, min and max.
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_symbolic  # noqa: E402  (the benchmarks folder is not a package)

# "a-b-c" counts the input layer, as the tutorials write it: 16x5 is 16 inputs and 4 layers of 16,
# 32x6 is 32 inputs and 5 layers of 32 (5,125 parameters with one bias per layer).
SIZES = [
    ("2-2-2", 2, [2, 2]),
    ("3-3-3-3", 3, [3, 3, 3]),
    ("8-8-8-8", 8, [8, 8, 8]),
    ("16x5", 16, [16] * 4),
    ("32x6", 32, [32] * 5),
]
QUICK_SIZES = ("2-2-2", "3-3-3-3", "8-8-8-8")
ROWS = ("symbolic", "numeric", "train", "cli", "pdfs", "memory")


@dataclass
class Settings:
    quick: bool
    sizes: list
    runs: int
    budget: float
    steps: int
    cli_runs: int
    pairs: int
    pair_runs: int


@dataclass
class Target:
    text: str
    measured: str
    met: bool | None  # None: not measured in this run


@dataclass
class Section:
    title: str
    lines: list[str]
    targets: list[Target] = field(default_factory=list)


# ---------------------------------------------------------------- timing helpers

def summary(times: list[float], scale: float = 1.0, digits: int = 3) -> str:
    """``median / min / max`` of ``times`` (times ``scale``)."""
    return " / ".join(f"{value * scale:,.{digits}f}" for value in (statistics.median(times), min(times), max(times)))


# ---------------------------------------------------------------- other processes on the machine

def system_busy() -> float:
    """CPU seconds all processes have used since boot, summed over cores (``/proc/stat``; 0 elsewhere)."""
    try:
        fields = [int(x) for x in pathlib.Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait


def own_cpu() -> float:
    """CPU seconds of this process and of its finished children (TeX runs and fresh processes included)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


class OtherLoad:
    """CPU seconds that other processes on the machine used while the ``with`` block ran."""

    def __enter__(self):
        self.busy, self.own, self.start = system_busy(), own_cpu(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.start
        self.other = max(0.0, (system_busy() - self.busy) - (own_cpu() - self.own))

    def text(self) -> str:
        return f"{self.other:.1f} CPU s over {self.wall:.0f} s ({100 * self.other / max(self.wall, 1e-9):.0f}% of a core)"


def wait_for_quiet(window: float = 3.0, limit: float = 300.0) -> None:
    """Wait (at most ``limit`` s) until other processes used under 10% of a core for ``window`` s."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        with OtherLoad() as load:
            time.sleep(window)
        if load.other < 0.1 * window:
            return


def times_text(ratio: float) -> str:
    """A ratio with the digits that matter: 750x, 3.7x, 0.04x."""
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.1f}x" if ratio >= 1 else f"{ratio:.2g}x"


def verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


# ---------------------------------------------------------------- 1. symbolic gradients

def run_symbolic(settings: Settings) -> Section:
    lines = [
        f"Every ∂E/∂p and every updated value of fully connected sigmoid networks (half squared error, one "
        f"bias per layer, two-decimal random values, seed 2024). Sizes count the input layer: 16x5 is 16 "
        f"inputs and four layers of 16, 32x6 is 32 inputs and five layers of 32. derive: `build_network` + `build_model` "
        f"(named chain-rule quantities, deltas reused layer by layer). Naive SymPy: E written out as one "
        f"nested expression of inputs and parameters, then `sympy.diff` for each parameter. Each run in a "
        f"fresh process (SymPy's cache empty); {settings.runs} runs per size; a size's naive runs are "
        f"stopped after {settings.budget:.0f} s in all and larger sizes are then not tried. Seconds.",
        "",
        "| network | parameters | derive median / min / max | naive SymPy median / min / max | naive / derive "
        "| derive per parameter |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    import derive.engine.symbolic  # noqa: F401  (imported once here, so each forked run starts warm)

    results, too_big = {}, None
    for label, n_inputs, widths in settings.sizes:
        spec = bench_symbolic.network_spec(n_inputs, widths)
        n_params = bench_symbolic.count_parameters(spec)
        ours, _ = bench_symbolic.measure("derive", spec, settings.runs, budget=float("inf"))
        ours_median = statistics.median(ours)
        if too_big:
            naive, naive_text, ratio = [], f"not tried ({too_big} took over {settings.budget:.0f} s)", "n/a"
            lower = None
        else:
            naive, gave_up = bench_symbolic.measure("naive", spec, settings.runs, settings.budget)
            naive_text, ratio, lower = _naive_cells(naive, gave_up, ours_median, settings.budget)
            too_big = label if gave_up else None
        results[label] = {"derive": ours_median, "params": n_params, "ratio": _ratio_value(naive, ours_median, lower)}
        lines.append(f"| {label} | {n_params:,} | {summary(ours)} | {naive_text} | {ratio} "
                     f"| {ours_median / n_params * 1e6:,.0f} µs |")
        print(lines[-1], flush=True)
    return Section("1. Symbolic gradients: derive against naive SymPy", lines, _symbolic_targets(results))


def _naive_cells(naive, gave_up, ours_median, budget):
    """(naive column, ratio column, ratio lower bound or None) of one size."""
    if not gave_up:
        return summary(naive), f"{statistics.median(naive) / ours_median:,.0f}x", None
    if naive:
        text = f"{summary(naive)} ({len(naive)} runs, then {gave_up})"
        return text, f"{statistics.median(naive) / ours_median:,.0f}x", None
    lower = budget / ours_median
    return f"stopped: {gave_up}", f"> {lower:,.0f}x", lower


def _ratio_value(naive, ours_median, lower):
    if lower is not None:
        return ("more than", lower)
    if naive:
        return ("", statistics.median(naive) / ours_median)
    return None


def _symbolic_targets(results: dict) -> list[Target]:
    targets = []
    mid = results.get("8-8-8-8")
    ratio = mid and mid["ratio"]
    targets.append(Target("Symbolic gradients ≥ 300× faster than naive SymPy at 8-8-8-8",
                          f"{ratio[0]} {ratio[1]:,.0f}×".strip() if ratio else "not measured",
                          (ratio[1] >= 300) if ratio else None))
    big = results.get("32x6")
    targets.append(Target("32x6 (5,125 parameters) in under 2 s",
                          f"{big['derive']:.2f} s" if big else "not measured",
                          (big["derive"] < 2.0) if big else None))
    if mid and big:
        rise = (big["derive"] / big["params"]) / (mid["derive"] / mid["params"])
        targets.append(Target("Time per parameter rises < 2× from 8-8-8-8 to 32x6", f"{rise:.2f}×", rise < 2))
    else:
        targets.append(Target("Time per parameter rises < 2× from 8-8-8-8 to 32x6", "not measured", None))
    return targets


# ---------------------------------------------------------------- 2. numeric gradients

def run_numeric(settings: Settings) -> Section:
    import numpy as np
    import torch

    import bench_numeric as bn
    import derive
    from derive.engine.compiled import VECTOR_FROM, compile_gradient

    torch.set_num_threads(1)
    jax = bn.jax_or_none()
    lines = [
        "Loss, every gradient and every updated parameter in float64, for the same networks. derive: "
        "`compile_gradient` with `backend=\"auto\"` (the backend it picks in brackets; from "
        f"{VECTOR_FROM} parameters × examples per layer on, the vectorised NumPy code), and both backends forced; each "
        "called as its raw compiled function on its own argument list / array. Compile: `compile_gradient` of "
        "a freshly loaded spec (for the scalar backend this includes building the symbolic model). NumPy: the "
        "textbook backward pass written by hand with arrays. PyTorch: leaf tensors, autograd `backward()`, "
        "then w − η·grad (CPU, 1 thread). JAX: `jit` of `value_and_grad` plus the update (CPU, float64"
        + ("" if jax else "; **not installed**, so not measured") + "). All agree to 1e-9. CPU µs per call "
        f"(this process's CPU time, {settings.runs} interleaved rounds; the machine is shared, see the note "
        "at the top), median / min / max; the last column is the median over rounds of the best rival's "
        "time divided by derive's (auto), > 1 when derive is faster.",
        "",
        "| network | parameters | derive auto (µs) | compile auto (s) | derive scalar (µs) | derive vector (µs) "
        "| NumPy by hand (µs) | PyTorch (µs) | JAX jit (µs) | best rival / derive |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    results = {}
    for label, n_inputs, widths in settings.sizes:
        spec = bench_symbolic.network_spec(n_inputs, widths)
        compiles, backend = [], None
        while len(compiles) < settings.runs and sum(compiles) < 5.0:
            problem = derive.load(spec)
            start = time.perf_counter()
            grad = compile_gradient(problem)
            compiles.append(time.perf_counter() - start)
        backend = grad.backend
        numpy_net = bn.NumpyNet(problem.network, np)
        rivals = {"numpy": numpy_net, "torch": bn.TorchNet(numpy_net, torch)}
        if jax:
            rivals["jax"] = bn.JaxNet(numpy_net, jax)
        calls = {"auto": _raw_call(grad)}
        for forced in ("scalar", "vector"):
            if forced != backend and (forced == "vector" or len(problem.parameter_names) <= 1100):
                calls[forced] = _raw_call(compile_gradient(problem, backend=forced))
        result = grad()
        names = list(result.gradients)
        bn.check_agree([result.loss, *result.gradients.values(), *(result.updated[n] for n in names)],
                       rivals.values())
        calls.update({name: net.step for name, net in rivals.items()})
        with np.errstate(all="ignore"):
            times = bn.rounds(calls, settings.runs)
        times.setdefault(backend, times["auto"])
        best = min(rivals, key=lambda r: statistics.median(times[r]))
        ratio = bn.paired_ratio(times, best, "auto")
        results[label] = {"ratio": ratio, "best": best, "numpy": bn.paired_ratio(times, "numpy", "auto"),
                          "compile": statistics.median(compiles), "backend": backend}
        if label == "32x6":  # exact values of every quantity, from a fresh load (the model built too)
            start = time.perf_counter()
            derive.load(spec).values()
            results[label]["values"] = time.perf_counter() - start
        cell = lambda name: summary(times[name], 1e6, 1) if name in times else "not measured"
        lines.append(f"| {label} | {len(names):,} | {cell('auto')} ({backend}) | {summary(compiles)} "
                     f"| {cell('scalar')} | {cell('vector')} | {cell('numpy')} | {cell('torch')} | {cell('jax')} "
                     f"| {times_text(ratio)} ({best}) |")
        print(lines[-1], flush=True)
    return Section("2. Numeric gradients and one update: derive against NumPy, PyTorch and JAX", lines,
                   _numeric_targets(results))


def _raw_call(grad):
    """derive's compiled function on its own arguments, as the training loop calls it (the loop sets
    NumPy's errstate once around all its steps, so the rounds run inside one errstate too)."""
    args = grad.arguments()
    f = grad.function
    return lambda: f(*args)


def _numeric_targets(results: dict) -> list[Target]:
    every = [f"{label} {r['ratio']:.2f}× ({r['best']})" for label, r in results.items()]
    slowest = min((r["ratio"] for r in results.values()), default=None)
    tiny, big = results.get("2-2-2"), results.get("32x6")
    return [
        Target("Compiled gradient at least as fast as the best of NumPy, PyTorch and JAX at every size "
               "(best rival's time / derive's)", "; ".join(every) or "not measured",
               None if slowest is None else slowest >= 1.0),
        Target("2-2-2 compiled gradient ≥ 5× faster than hand NumPy",
               f"{tiny['numpy']:.1f}×" if tiny else "not measured", (tiny["numpy"] >= 5) if tiny else None),
        Target("Compiling the 32x6 gradient under 0.5 s",
               f"{big['compile']:.3f} s ({big['backend']})" if big else "not measured",
               (big["compile"] < 0.5) if big else None),
        Target("`derive.load(...).values()` of 32x6 under 1 s (wall clock, one run)",
               f"{big['values']:.2f} s" if big else "not measured", (big["values"] < 1.0) if big else None),
    ]


# ---------------------------------------------------------------- 3. training

def run_train(settings: Settings) -> Section:
    import bench_train
    import derive

    problem = derive.load("2-2-2")
    bench_train.derive_loop(problem, 1)  # model built and compiled once, outside the timing
    steps = settings.steps
    calls = {
        "derive (compiled loop)": lambda: bench_train.derive_loop(problem, steps),
        "derive (end to end: spec, model, compile, loop)": lambda: bench_train.derive_end_to_end(steps),
        "NumPy (hand-written)": lambda: bench_train.numpy_loop(steps),
        "PyTorch (autograd + SGD)": lambda: bench_train.torch_loop(steps),
    }
    times, losses = {name: [] for name in calls}, {}
    for _ in range(settings.runs):
        for name, call in calls.items():
            start = time.process_time()  # CPU time: the machine is shared
            losses[name] = call()
            times[name].append(time.process_time() - start)
    reference = losses["NumPy (hand-written)"]
    assert all(abs(loss - reference) <= 1e-12 * max(1.0, abs(reference)) for loss in losses.values()), losses
    loop = statistics.median(times["derive (compiled loop)"])
    lines = [
        f"{steps:,} full-batch SGD steps of the 2-2-2 network (η = 0.5, biases fixed) from the same weights; "
        f"all end at E = {reference:.10f}. {settings.runs} runs each, interleaved. CPU seconds of this process.",
        "",
        "| contender | median / min / max | time / derive loop |",
        "| --- | ---: | ---: |",
    ]
    for name, t in times.items():
        lines.append(f"| {name} | {summary(t)} | {statistics.median(t) / loop:.1f}x |")
    ratio = statistics.median(a / b for a, b in zip(times["NumPy (hand-written)"], times["derive (compiled loop)"]))
    target = Target(f"{steps:,} steps of 2-2-2 ≥ 8× faster than a hand-written NumPy loop",
                    f"{ratio:.1f}× faster", ratio >= 8)
    if any(label == "32x6" for label, _, _ in settings.sizes):
        big_lines, big_target = _train_large(settings)
    else:
        big_lines, big_target = [], Target(f"{LARGE_STEPS:,} steps of 32x6 within 1.2× of a hand-written NumPy loop",
                                           "not measured", None)
    return Section(f"3. Training: {steps:,} steps of the 2-2-2 network; {LARGE_STEPS:,} of 32x6", lines + big_lines,
                   [target, big_target])


LARGE_STEPS = 1000


def _train_large(settings: Settings) -> tuple[list[str], Target]:
    """1,000 SGD steps of the 32x6 network: derive's loop (auto backend) against hand NumPy and PyTorch,
    CPU seconds in paired rounds."""
    import numpy as np
    import torch

    import bench_numeric as bn
    import bench_train
    import derive

    spec = bench_symbolic.network_spec(32, [32] * 5)
    problem = derive.load(spec)
    bench_train.derive_loop(problem, 1)  # compiled once, outside the timing
    backend = problem.__dict__["_compiled_gradients"][None, "auto"].backend
    steps, losses = (LARGE_STEPS // 10 if settings.quick else LARGE_STEPS), {}

    def timed(name, call):
        def run():
            losses[name] = call()
        return run

    calls = {
        f"derive (compiled loop, {backend})": timed("derive", lambda: bench_train.derive_loop(problem, steps)),
        "NumPy (hand-written)": timed("numpy", lambda: bn.NumpyNet(problem.network, np).train(steps)),
        "PyTorch (autograd + SGD, 1 thread)": timed("torch", lambda: bn.torch_train(
            bn.NumpyNet(problem.network, np), torch, steps)),
    }
    times = {name: [] for name in calls}
    for _ in range(settings.runs):
        for name, call in calls.items():
            start = time.process_time()
            call()
            times[name].append(time.process_time() - start)
    assert all(abs(loss - losses["numpy"]) <= 1e-9 for loss in losses.values()), losses
    ours = next(iter(calls))
    lines = ["", f"{steps:,} full-batch SGD steps of the 32x6 network (5,125 parameters, η = 0.5) from the same "
             f"weights; all end at E = {losses['numpy']:.10f}. CPU seconds of this process, {settings.runs} "
             "interleaved rounds. The last column is the median over rounds of the time divided by derive's.",
             "", "| contender | median / min / max | time / derive loop |", "| --- | ---: | ---: |"]
    for name, t in times.items():
        lines.append(f"| {name} | {summary(t)} | {bn.paired_ratio(times, name, ours):.2f}x |")
    ratio = bn.paired_ratio(times, ours, "NumPy (hand-written)")
    target = Target(f"{steps:,} steps of 32x6 within 1.2× of a hand-written NumPy loop",
                    f"{ratio:.2f}× NumPy's time", ratio <= 1.2)
    return lines, target


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
        "of a core is repeated. `python -m derive ...` runs with the byte-compiled modules kept (a private "
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


# ---------------------------------------------------------------- 6. memory

_MEMORY_CHILD = textwrap.dedent("""
    import resource, sys
    sys.path.insert(0, {here!r})
    import bench_symbolic
    from derive.engine.compiled import CompiledGradient
    from derive.engine.network import build_network
    from derive.spec import load_spec
    from derive.engine.symbolic import build_model
    stage = {stage!r}
    if stage != "import":
        model = build_model(build_network(load_spec(bench_symbolic.network_spec({n_inputs}, {widths}))))
    if stage == "compiled":
        CompiledGradient(model)()
    try:  # this process's own peak: ru_maxrss would also count its parent's, as Linux keeps it across exec
        print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))
    except OSError:
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def run_memory(settings: Settings) -> Section:
    label, n_inputs, widths = settings.sizes[-1]
    stages = {"import": "Python + SymPy + derive imported", "symbolic": f"{label}: symbolic model built",
              "compiled": f"{label}: model + CompiledGradient compiled and called once"}
    peaks = {}
    for stage in stages:
        code = _MEMORY_CHILD.format(here=str(HERE), stage=stage, n_inputs=n_inputs, widths=widths)
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        peaks[stage] = int(out.split()[-1]) / 1024  # KiB
    lines = [
        "Peak resident memory of a fresh process at the end of each stage (its `VmHWM`; "
        "`ru_maxrss` on Linux would include the benchmark's own peak, which it inherits across exec).",
        "",
        "| stage | peak RSS (MiB) |",
        "| --- | ---: |",
        *(f"| {text} | {peaks[stage]:,.0f} |" for stage, text in stages.items()),
    ]
    return Section("6. Peak memory of the largest case", lines)


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


def report(sections: list[Section], settings: Settings, header: list[str], seconds: float) -> str:
    command = "python benchmarks/run_all.py" + (" --quick" if settings.quick else "")
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
    args = parser.parse_args(argv)
    rows = args.only.split(",") if args.only else list(ROWS)
    unknown = [row for row in rows if row not in ROWS]
    if unknown:
        parser.error(f"unknown row(s) {', '.join(unknown)}; choose from {', '.join(ROWS)}")
    settings = settings_from(args)
    started = time.perf_counter()
    header = machine()
    # Forking the symbolic runs' children comes first, before PyTorch starts its threads.
    runners = {"symbolic": run_symbolic, "numeric": run_numeric, "train": run_train, "cli": run_cli,
               "pdfs": run_pdfs, "memory": run_memory}
    sections = []
    for row in ROWS:
        if row in rows:
            print(f"== {row}", flush=True)
            with OtherLoad() as load:
                section = runners[row](settings)
            section.lines += ["", f"Other processes on the machine during this section: {load.text()}."]
            sections.append(section)
    text = report(sections, settings, header, time.perf_counter() - started)
    pathlib.Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
