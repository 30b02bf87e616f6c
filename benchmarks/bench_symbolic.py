"""How derive's chain rule scales, against differentiating the fully nested error with SymPy.

For fully connected sigmoid networks of growing size (random weights from a seeded generator)
it times

* derive: ``build_network`` + ``build_model``, i.e. every ∂E_total/∂p as named chain-rule
  quantities (deltas reused layer by layer) plus every updated value;
* naive SymPy: E_total written out as one nested expression of the inputs and parameters,
  then ``sympy.diff`` with respect to every parameter. A size is given up once its runs have
  used the time budget (60 s by default), and the table says so.

Every run happens in a fresh child process, so SymPy's cache does not carry over between runs.
It prints a Markdown table: median / min / max of several runs, the ratio, and derive's time
per parameter.

    python benchmarks/bench_symbolic.py            # all sizes (a few minutes)
    python benchmarks/bench_symbolic.py --quick    # sizes up to 16x5, 10 s naive budget (under a minute)
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import time
from decimal import Decimal

# (label, inputs, hidden and output layer widths)
SIZES = [
    ("2-2-2", 2, [2, 2]),
    ("3-3-3-3", 3, [3, 3, 3]),
    ("8-8-8-8", 8, [8, 8, 8]),
    ("16x5", 16, [16] * 5),
    ("32x6", 32, [32] * 6),
]
QUICK_SIZES = SIZES[:4]


def network_spec(n_inputs: int, widths: list[int], seed: int = 2024) -> dict:
    """A sigmoid network with shared biases and two-decimal random values, as a spec dict."""
    rng = random.Random(seed)

    def number(low: float, high: float) -> Decimal:
        return Decimal(f"{rng.uniform(low, high):.2f}")

    layers, fan_in = [], n_inputs
    for width in widths:
        layers.append({"units": width, "activation": "sigmoid", "bias": number(-1, 1),
                       "weights": [[number(-1, 1) for _ in range(fan_in)] for _ in range(width)]})
        fan_in = width
    return {"inputs": [number(0, 1) for _ in range(n_inputs)],
            "targets": [number(0, 1) for _ in range(fan_in)],
            "layers": layers, "loss": "half_sse", "learning_rate": Decimal("0.5")}


# ---------------------------------------------------------------- the two contenders (run in a child)

def time_derive(spec: dict, progress) -> float:
    """Seconds for derive to build every named quantity of the backward pass and the update."""
    from derive.engine.network import build_network
    from derive.spec import load_spec
    from derive.engine.symbolic import build_model

    validated = load_spec(spec)  # reading the spec is not part of the chain rule
    start = time.perf_counter()
    model = build_model(build_network(validated))
    elapsed = time.perf_counter() - start
    progress.value = len(model.chains)
    return elapsed


def time_naive(spec: dict, progress) -> float:
    """Seconds for plain SymPy to build the nested E_total and diff it w.r.t. every parameter."""
    import sympy as sp

    start = time.perf_counter()
    error, params = nested_error(spec)
    for p in params:
        sp.diff(error, p)
        progress.value += 1
    return time.perf_counter() - start


def nested_error(spec: dict):
    """E_total = Σ ½(t − o)² with every out written out in full: σ(z) = 1 / (1 + e^(−z))."""
    import sympy as sp

    values = [sp.Symbol(f"x{i + 1}") for i in range(len(spec["inputs"]))]
    params, counter = [], 0
    for index, layer in enumerate(spec["layers"], start=1):
        bias = sp.Symbol(f"b{index}")
        outs = []
        for row in layer["weights"]:
            weights = [sp.Symbol(f"w{counter + k + 1}") for k in range(len(row))]
            counter += len(row)
            params.extend(weights)
            net = sp.Add(*[w * v for w, v in zip(weights, values)]) + bias
            outs.append(1 / (1 + sp.exp(-net)))
        params.append(bias)
        values = outs
    targets = [sp.Symbol(f"t{j + 1}") for j in range(len(values))]
    return sp.Add(*[sp.Rational(1, 2) * (t - o) ** 2 for t, o in zip(targets, values)]), params


def _child(kind: str, spec: dict, progress, results) -> None:
    warm_up()
    results.put((time_derive if kind == "derive" else time_naive)(spec, progress))


def warm_up() -> None:
    """Pay SymPy's one-off costs (lazy imports on first use) before the clock starts, then empty its cache."""
    import sympy as sp
    from sympy.core.cache import clear_cache

    from derive.engine.network import build_network
    from derive.spec import load_spec
    from derive.engine.symbolic import build_model

    build_model(build_network(load_spec(network_spec(1, [1, 1], seed=0))))
    x = sp.Symbol("x")
    sp.diff(1 / (1 + sp.exp(-2 * x)), x)
    clear_cache()


def measure(kind: str, spec: dict, runs: int, budget: float) -> tuple[list[float], str | None]:
    """Up to ``runs`` timings, each in a fresh process; stops when ``budget`` seconds are used up."""
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    times, used = [], 0.0
    for _ in range(runs):
        progress, results = context.Value("l", 0), context.Queue()
        child = context.Process(target=_child, args=(kind, spec, progress, results), daemon=True)
        child.start()
        started = time.perf_counter()
        child.join(None if budget == float("inf") else max(budget - used, 0.01))
        used += time.perf_counter() - started
        if child.is_alive():
            child.terminate()
            child.join()
            return times, f"gave up after {budget:.0f} s ({progress.value} parameters differentiated in the last run)"
        times.append(results.get(timeout=5))
    return times, None


# ---------------------------------------------------------------- report

def summary(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} / {min(times):.3f} / {max(times):.3f}"


def count_parameters(spec: dict) -> int:
    return sum(len(layer["weights"]) * len(layer["weights"][0]) + 1 for layer in spec["layers"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 16x5, 3 runs, a 10 s naive budget")
    parser.add_argument("--runs", type=int, help="runs per size (default 5, quick 3)")
    parser.add_argument("--budget", type=float, help="seconds allowed for the naive runs of one size (default 60)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the random weights")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    runs = args.runs or (3 if args.quick else 5)
    budget = args.budget or (10.0 if args.quick else 60.0)

    print(f"Sigmoid networks, half squared error, shared biases; seed {args.seed}; {runs} runs per size, "
          f"each in a fresh process; naive budget {budget:.0f} s per size. Times in seconds.\n")
    print("| network | parameters | derive median / min / max | naive SymPy median / min / max "
          "| naive / derive | derive per parameter |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    too_big = None  # the first size the naive approach gave up on: larger ones are not tried
    for label, n_inputs, widths in sizes:
        spec = network_spec(n_inputs, widths, args.seed)
        n_params = count_parameters(spec)
        ours, _ = measure("derive", spec, runs, budget=float("inf"))
        if too_big:
            naive, gave_up = [], f"not tried ({too_big} already took over {budget:.0f} s)"
        else:
            naive, gave_up = measure("naive", spec, runs, budget)
            if gave_up:
                too_big = label
        ours_median = statistics.median(ours)
        if too_big and too_big != label:
            naive_text, ratio = gave_up, "n/a"
        elif naive and not gave_up:
            naive_text, ratio = summary(naive), f"{statistics.median(naive) / ours_median:,.0f}x"
        elif naive:
            naive_text = f"{summary(naive)} ({len(naive)} runs, then {gave_up})"
            ratio = f"{statistics.median(naive) / ours_median:,.0f}x"
        else:
            naive_text, ratio = gave_up, f"> {budget / ours_median:,.0f}x"
        print(f"| {label} | {n_params} | {summary(ours)} | {naive_text} | {ratio} "
              f"| {ours_median / n_params * 1e6:,.0f} µs |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
