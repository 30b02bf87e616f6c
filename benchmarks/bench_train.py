"""10,000 training steps of the 2-2-2 network: derive's compiled loop vs NumPy vs PyTorch.

Run:  python benchmarks/bench_train.py [--steps N] [--repeats R]

Each contender runs the same full-batch SGD (η = 0.5, fixed biases) from the same weights; the
script checks that all three end at the same error, then prints the median, min and max time of
R runs and the ratios. derive is timed twice: the loop alone (model built and compiled once,
outside the timing, as the NumPy and PyTorch loops need no setup) and end to end
(``derive.engine.train.train`` on a fresh spec: model, lambdify, loop and the final exact outputs).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import derive
from bench_numeric import torch_sgd_run
from derive.engine.train import _float_loop, train


def derive_loop(problem, steps: int) -> float:
    history, _ = _float_loop(problem, steps, {steps})
    return history[-1]


def derive_end_to_end(steps: int) -> float:
    return train("2-2-2", steps).loss


def numpy_loop(steps: int) -> float:
    """The textbook algorithm written by hand with NumPy arrays (the usual tutorial code)."""
    x = np.array([0.05, 0.10])
    t = np.array([0.01, 0.99])
    w1 = np.array([[0.15, 0.20], [0.25, 0.30]])
    w2 = np.array([[0.40, 0.45], [0.50, 0.55]])
    b1, b2, eta = 0.35, 0.60, 0.5
    for _ in range(steps):
        h = 1.0 / (1.0 + np.exp(-(w1 @ x + b1)))
        o = 1.0 / (1.0 + np.exp(-(w2 @ h + b2)))
        delta_o = (o - t) * o * (1.0 - o)
        delta_h = (w2.T @ delta_o) * h * (1.0 - h)
        w2 -= eta * np.outer(delta_o, h)
        w1 -= eta * np.outer(delta_h, x)
    h = 1.0 / (1.0 + np.exp(-(w1 @ x + b1)))
    o = 1.0 / (1.0 + np.exp(-(w2 @ h + b2)))
    return float(0.5 * np.sum((t - o) ** 2))


def torch_loop(steps: int) -> float:
    import torch

    x = torch.tensor([0.05, 0.10], dtype=torch.float64)
    t = torch.tensor([0.01, 0.99], dtype=torch.float64)
    w1 = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w1, w2], lr=0.5)

    def loss():
        h = torch.sigmoid(w1 @ x + 0.35)
        return 0.5 * ((t - torch.sigmoid(w2 @ h + 0.60)) ** 2).sum()

    return torch_sgd_run(torch, optimizer, loss, steps)


def measure(call, repeats: int) -> tuple[list[float], float]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return times, result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    problem = derive.load("2-2-2")
    derive_loop(problem, 1)  # build the model and compile it once; the loop timing excludes that
    contenders = {
        "derive (compiled loop)": lambda: derive_loop(problem, args.steps),
        "derive (end to end)": lambda: derive_end_to_end(args.steps),
        "NumPy (hand-written)": lambda: numpy_loop(args.steps),
        "PyTorch (autograd + SGD)": lambda: torch_loop(args.steps),
    }
    results = {}
    for name, call in contenders.items():
        results[name] = measure(call, args.repeats)
    losses = {name: loss for name, (_, loss) in results.items()}
    reference = losses["NumPy (hand-written)"]
    for name, loss in losses.items():
        assert abs(loss - reference) <= 1e-12 * max(1.0, abs(reference)), (name, loss, reference)
    print(f"{args.steps} steps of the 2-2-2 network, {args.repeats} runs each "
          f"(final error {reference:.10f} for all)")
    print(f"{'':26} {'median':>10} {'min':>10} {'max':>10}")
    for name, (times, _) in results.items():
        print(f"{name:26} {_ms(statistics.median(times))} {_ms(min(times))} {_ms(max(times))}")
    loop = statistics.median(results["derive (compiled loop)"][0])
    for name in ("NumPy (hand-written)", "PyTorch (autograd + SGD)"):
        other = statistics.median(results[name][0])
        print(f"derive loop is {other / loop:.1f}x faster than {name}")
    end = statistics.median(results["derive (end to end)"][0])
    print(f"derive end to end is {statistics.median(results['NumPy (hand-written)'][0]) / end:.1f}x "
          f"faster than NumPy")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}ms"


if __name__ == "__main__":
    main()
