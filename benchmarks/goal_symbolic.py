"""Goal 1: symbolic gradients, derive's named chain rule against naive SymPy."""

from __future__ import annotations

from common import *  # noqa: F401,F403  (the sizes, settings and helpers)

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
