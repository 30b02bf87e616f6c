"""A worked solution of a large network (8-8-8-8, 216 parameters) in Markdown: collapsed, in a few seconds.

Run:  python benchmarks/bench_render.py [--repeats R]

A network this size is collapsed (a few parameters in full, "the others in the same way", the
summary table of every gradient). The target, from the project brief, is a few seconds at most
from spec to Markdown (``derive.solve(spec).markdown()`` in a warm process). This used to be an
assertion in the tests; a test may not assert a wall-clock time, so it is measured here.
"""

from __future__ import annotations

import argparse
import statistics
import time

import bench_symbolic  # the benchmarks folder is not a package: run this file from anywhere

import derive

TARGET_SECONDS = 5.0


def render_once(spec: dict) -> float:
    start = time.perf_counter()
    solution = derive.solve(spec)
    solution.markdown()
    assert solution.derivation.collapsed
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    spec = bench_symbolic.network_spec(8, [8, 8, 8])
    times = [render_once(spec) for _ in range(args.repeats)]
    median = statistics.median(times)
    print(f"8-8-8-8 worked solution in Markdown, {args.repeats} runs: median {median:.2f} s, "
          f"min {min(times):.2f} s, max {max(times):.2f} s; target under {TARGET_SECONDS:g} s: "
          f"{'met' if median < TARGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
