"""Progress of long jobs, the one facility every stage uses: a bar on a terminal, else one summary line.

Off unless the command line turns it on (:func:`enable`), so the Python API and the tests stay
silent. A stage wraps a counted loop in :func:`task`; on a terminal each task draws a bar on
stderr, redrawn at most ten times a second; elsewhere (a log file, a pipe) nothing is drawn
and the command ends with one line saying what it did and how long it took (:func:`summary`),
when that was long enough to be worth saying.
"""

from __future__ import annotations

import contextlib
import sys
import time

__all__ = ["enable", "task", "paused", "summary", "SUMMARY_AFTER"]

SUMMARY_AFTER = 2.0  # seconds; a quicker command needs no summary
_REDRAW = 0.1
_WIDTH = 30


class _State:
    on = False
    stream = None
    started = 0.0
    done: list = []


def enable(on: bool = True, stream=None) -> None:
    """Turn progress on (or off) for this process, drawn on ``stream`` (default: stderr).

    >>> enable(False)
    """
    _State.on = on
    _State.stream = stream
    _State.started = time.monotonic()
    _State.done = []


class _Quiet:
    def advance(self, n: int = 1) -> None:
        pass

    def advance_to(self, count: int) -> None:
        pass


class _Bar:
    def __init__(self, label: str, total: int, stream):
        self.label, self.total, self.stream = label, total, stream
        self.count = 0
        self.tty = stream.isatty()
        self.last = 0.0

    def advance(self, n: int = 1) -> None:
        self.count += n
        now = time.monotonic()
        if self.tty and now - self.last >= _REDRAW:
            self.last = now
            self.draw()

    def advance_to(self, count: int) -> None:
        self.advance(count - self.count)

    def draw(self, end: str = "") -> None:
        filled = _WIDTH * min(self.count, self.total) // self.total
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {self.count}/{self.total}{end}")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.draw("\n")
        _State.done.append((self.label, self.total))

    def abort(self) -> None:
        if self.tty and self.last:
            self.stream.write("\n")  # end the bar's line, so the error starts on its own
            self.stream.flush()


@contextlib.contextmanager
def task(label: str, total: int):
    """A counted job: ``with task("TeX", 6) as bar: ... bar.advance()``; silent unless enabled.

    >>> with task("steps", 3) as bar:
    ...     for _ in range(3):
    ...         bar.advance()
    """
    if not _State.on or total <= 0:
        yield _Quiet()
        return
    bar = _Bar(label, total, _State.stream or sys.stderr)
    try:
        yield bar
    except BaseException:
        bar.abort()
        raise
    bar.finish()


@contextlib.contextmanager
def paused():
    """No task inside draws or counts: a loop of many small jobs shows one bar of its own instead.

    >>> with paused():
    ...     with task("values", 3) as bar:
    ...         type(bar).__name__
    '_Quiet'
    """
    was = _State.on
    _State.on = False
    try:
        yield
    finally:
        _State.on = was


def summary(command: str) -> str | None:
    """The closing line of a long command when stderr is not a terminal (a bar said it all there).

    >>> enable(False); summary("solve") is None
    True
    """
    stream = _State.stream or sys.stderr
    elapsed = time.monotonic() - _State.started
    if not _State.on or not _State.done or stream.isatty() or elapsed < SUMMARY_AFTER:
        return None
    return f"derive: {command} done in {elapsed:.1f} s ({'; '.join(_jobs(_State.done))})"


def _jobs(done: list) -> list[str]:
    """Each job once, in the order first met: a job run several times (one per online update) is summed.

    >>> _jobs([("values", 59), ("TeX", 2), ("values", 59)])
    ['values: 118 in 2 runs', 'TeX: 2']
    """
    totals, runs = {}, {}
    for label, total in done:
        totals[label] = totals.get(label, 0) + total
        runs[label] = runs.get(label, 0) + 1
    return [f"{label}: {totals[label]:,}" + (f" in {runs[label]:,} runs" if runs[label] > 1 else "")
            for label in totals]
