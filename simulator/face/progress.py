"""The progress line: one line on stderr, rewritten in place while trials run."""

from __future__ import annotations

import sys
import time

__all__ = ["Progress", "progress_line"]


class Progress:
    """A one-line progress indicator on stderr.

    Called as ``progress(done, total)`` by the planning and ops layers; it
    shows how many units are done, the share and the time left.

    Parameters
    ----------
    unit : str
        What is counted (default ``"trials"``).
    """

    def __init__(self, unit: str = "trials") -> None:
        self.start = time.perf_counter()
        self.unit = unit

    def __call__(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` units and the estimated time left."""
        elapsed = time.perf_counter() - self.start
        eta = elapsed * (total - done) / done if done else 0.0
        sys.stderr.write(f"\r  {done:,}/{total:,} {self.unit} ({100 * done / max(total, 1):3.0f} %), "
                         f"{eta:5.1f} s left ")
        sys.stderr.flush()

    def close(self) -> None:
        """Blank the line."""
        sys.stderr.write("\r" + " " * 60 + "\r")
        sys.stderr.flush()


def progress_line(quiet: bool, unit: str = "trials") -> Progress | None:
    """A progress line, or None when ``quiet`` or stderr is not a terminal.

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
