"""Worker processes that exit with trialsim.

``n_jobs > 1`` runs tasks (and sweep points, recruitment replications) on
joblib's loky processes. When trialsim is killed (SIGKILL, or SIGTERM, whose
default action is the same), loky's workers are orphaned and stay alive,
idle, until loky's idle timeout (300 s), holding their memory. Here every
loky worker trialsim starts (the command line wraps each verb, the engine
each run on the default backend) runs a small daemon thread from its
initializer that watches its parent process and ends the worker as soon as
the parent is gone (the worker is re-parented, so ``os.getppid()`` changes).
This works for every signal, including SIGKILL, which no handler can catch,
and does not depend on the thread that started the worker (as
``prctl(PR_SET_PDEATHSIG)`` would). The workers' exit also closes loky's
resource tracker, which then removes the shared-memory folders.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator

from .._lazy import joblib


__all__ = ["exit_with_parent", "workers_exit_with_parent", "loky_workers_exit_with_parent"]

#: Seconds between two looks at the parent process.
POLL_S = 0.2


def _watch_parent(parent: int) -> None:
    """End this process as soon as its parent is no longer ``parent``."""
    while os.getppid() == parent:
        time.sleep(POLL_S)
    os._exit(1)


def exit_with_parent(parent: int) -> None:
    """A loky worker's initializer: end the worker when process ``parent`` ends.

    Parameters
    ----------
    parent : int
        The PID of the process that started the worker.
    """
    if os.getppid() != parent:  # the parent died while this worker started
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="trialsim-exit-with-parent").start()


@contextlib.contextmanager
def workers_exit_with_parent() -> Iterator[None]:
    """joblib configured so that the loky workers started inside exit with this process.

    Yields
    ------
    None
        Inside, ``joblib.Parallel`` uses loky with :func:`exit_with_parent`
        as the workers' initializer (a nested ``parallel_config``, such as a
        sweep's Dask backend, still takes precedence).
    """
    with joblib.parallel_config(backend="loky", initializer=exit_with_parent,
                                initargs=(os.getpid(),)):
        yield


@contextlib.contextmanager
def loky_workers_exit_with_parent() -> Iterator[None]:
    """:func:`workers_exit_with_parent`, when the active joblib backend is loky.

    Any other backend configured by the caller (threading, sequential, Dask)
    is left as it is.
    """
    backend, _ = joblib.parallel.get_active_backend()
    if type(backend).__name__ != "LokyBackend":
        yield
        return
    with workers_exit_with_parent():
        yield
