"""Goal 2: the compiled gradient against hand NumPy, PyTorch and JAX; compile time; exact values of 32x6."""

from __future__ import annotations

from common import *  # noqa: F401,F403  (the sizes, settings and helpers)

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
            walls, cpus = [], []
            for _ in range(VALUES_RUNS):
                wall, cpu = time.perf_counter(), time.process_time()
                derive.load(spec).values()
                cpus.append(time.process_time() - cpu)
                walls.append(time.perf_counter() - wall)
            results[label].update(values=statistics.median(cpus), values_wall=statistics.median(walls))
        cell = lambda name: summary(times[name], 1e6, 1) if name in times else "not measured"
        lines.append(f"| {label} | {len(names):,} | {cell('auto')} ({backend}) | {summary(compiles)} "
                     f"| {cell('scalar')} | {cell('vector')} | {cell('numpy')} | {cell('torch')} | {cell('jax')} "
                     f"| {times_text(ratio)} ({best}) |")
        print(lines[-1], flush=True)
    return Section("2. Numeric gradients and one update: derive against NumPy, PyTorch and JAX", lines,
                   _numeric_targets(results))


VALUES_RUNS = 3  # derive.load(32x6).values() a few times: its median, CPU and wall clock


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
        Target(f"`derive.load(...).values()` of 32x6 under 1 s (median of {VALUES_RUNS} runs: CPU s of this "
               "process, the machine being shared; wall clock beside it)",
               f"{big['values']:.2f} s CPU ({big['values_wall']:.2f} s wall)" if big else "not measured",
               (big["values"] < 1.0) if big else None),
    ]
