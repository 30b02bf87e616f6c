"""Goal 3: training loops, derive's compiled loop against NumPy and PyTorch."""

from __future__ import annotations

from common import *  # noqa: F401,F403  (the sizes, settings and helpers)

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
