"""Freed memory kept in the process while a run lasts (glibc's allocator).

numpy allocates a new array for almost every intermediate result. glibc's
``malloc`` serves an array above its *mmap threshold* (128 KB at first,
raised to the largest array freed so far, up to 32 MB) with fresh pages from
the operating system, and gives the free memory at the top of its heap back
once there is more than its *trim threshold* (twice the mmap threshold). A
block of a run allocates and frees the same arrays as the block before it,
so with those defaults every block faults in (and the kernel zeroes) the
same pages again. A block of a 199-point aggregate curve (256 trials, arrays
of 199 x 256 values) took 8.2 ms with the defaults and 4.7 ms with the
memory kept; its draws alone 5.1 and 3.7 ms.

Inside :func:`kept`, allocations up to 32 MB come from the heap (glibc's
own ceiling for its dynamic threshold) and no free memory is trimmed. When
the outermost :func:`kept` ends, the trim threshold goes back to twice the
mmap threshold, 64 MB, so that free memory above that at the top of the
heap goes back to the operating system at the next ``free``. What stays
is lasting, for the whole process: glibc's dynamic threshold is off from
the first run on (any ``mallopt`` turns it off), and the thresholds stay
at 32 MB and 64 MB, the values that rule reaches after a 32 MB array is
freed. (``malloc_trim`` at the end of a run would hand back the rest, but
the next run would fault it in again: 3 ms a run, too much for a solve's
short runs.)

Nothing changes where the C library is not glibc, or where the user set
glibc's own ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_``
(their choice stands), or ``TRIALSIM_KEEP_HEAP=0``.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

__all__ = ["kept", "MMAP_THRESHOLD"]

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
#: Allocations up to this size come from the heap: glibc's DEFAULT_MMAP_THRESHOLD_MAX
#: on 64-bit systems, the most its dynamic threshold reaches by itself.
MMAP_THRESHOLD = 32 * 1024 * 1024
_KEEP_ALL = 2**31 - 1  # the largest trim threshold mallopt takes (2 GB): no trimming

_lock = threading.Lock()
_depth = 0


#: Environment variables that leave the allocator as it is.
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


@lru_cache(maxsize=1)
def _glibc():
    """glibc's ``mallopt``, or None on another C library (or where the allocator is
    the user's: see above)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    if os.environ.get("TRIALSIM_KEEP_HEAP") == "0" or any(
            name in os.environ for name in _USER_SETTINGS):
        return None
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols: glibc is loaded
    except (OSError, AttributeError):
        return None
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt


def _set(trim_threshold: int) -> None:
    mallopt = _glibc()
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(M_TRIM_THRESHOLD, trim_threshold)


@contextmanager
def kept() -> Iterator[None]:
    """Keep freed memory in the process until the outermost ``kept`` ends (see above).

    Nested and concurrent uses (threads) share one setting: the last to
    leave sets the trim threshold back to 64 MB. The numbers a run computes
    do not depend on it.
    """
    global _depth
    if _glibc() is None:
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            _set(_KEEP_ALL)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _set(2 * MMAP_THRESHOLD)
