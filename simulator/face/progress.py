"""The progress bar: one line on stderr, redrawn in place while trials run.

The planning and ops layers report ``progress(done, total)``: the kernel
after each task (after each block when it runs in this process), the solver
after each of its runs and during its first curve, a sweep after each point.
The bar shows what is being done (``stage``), the share, the count and the
time left.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress", "progress_line"]

#: Characters of the bar itself.
WIDTH = 24


class Progress:
    """A one-line progress bar on stderr.

    Called as ``progress(done, total)``; it draws
    ``stage [#########...............]  37 %  3,700/10,000 trials, 4.1 s left``.

    Parameters
    ----------
    unit : str
        What is counted (default ``"trials"``).
    stage : str
        What is being done, shown before the bar (default none).
    """

    def __init__(self, unit: str = "trials", stage: str = "") -> None:
        self.start = time.perf_counter()
        self.unit = unit
        self.label = stage
        self.shown = 0

    def stage(self, label: str, unit: str | None = None) -> None:
        """Start a new stage: its label, and the clock and bar from zero."""
        self.label = label
        self.unit = unit or self.unit
        self.start = time.perf_counter()

    def line(self, done: int, total: int) -> str:
        """The text of the bar for ``done`` of ``total`` units."""
        share = min(max(done / total, 0.0), 1.0) if total > 0 else 1.0
        filled = round(WIDTH * share)
        elapsed = time.perf_counter() - self.start
        eta = elapsed * (1 - share) / share if share > 0 else 0.0
        head = f"{self.label} " if self.label else ""
        return (f"  {head}[{'#' * filled}{'.' * (WIDTH - filled)}] {100 * share:3.0f} %  "
                f"{done:,}/{total:,} {self.unit}, {eta:5.1f} s left")

    def __call__(self, done: int, total: int) -> None:
        """Draw ``done`` of ``total`` units and the estimated time left."""
        text = self.line(done, total)
        pad = max(self.shown - len(text), 0)
        self.shown = len(text)
        sys.stderr.write("\r" + text + " " * pad)
        sys.stderr.flush()

    def close(self) -> None:
        """Blank the line."""
        sys.stderr.write("\r" + " " * max(self.shown, 60) + "\r")
        sys.stderr.flush()
        self.shown = 0


def progress_line(quiet: bool, unit: str = "trials") -> Progress | None:
    """A progress bar, or None when ``quiet`` or stderr is not a terminal.

    Parameters
    ----------
    quiet : bool
        The verb's ``--quiet`` flag.
    unit : str
        What is counted (default ``"trials"``).

    Returns
    -------
    Progress or None
    """
    return None if quiet or not sys.stderr.isatty() else Progress(unit)
