"""What every benchmark goal shares: the sizes, the settings, the tables' rows and the timing helpers."""

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
