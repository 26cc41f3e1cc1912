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
mmap threshold: the state glibc's dynamic rule puts the allocator in after
freeing a 32 MB array, so afterwards free memory above 64 MB at the top of
the heap goes back to the operating system at the next ``free``, as it
would. (``malloc_trim`` at the end of a run would hand back the rest, but
the next run would fault it in again: 3 ms a run, too much for a solve's
short runs.) Where the C library is not glibc, nothing changes.
"""

from __future__ import annotations

import ctypes
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


@lru_cache(maxsize=1)
def _glibc():
    """glibc's ``mallopt``, or None on another C library."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
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
    leave restores it. The numbers a run computes do not depend on it.
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
