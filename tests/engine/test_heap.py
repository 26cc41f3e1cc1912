"""The kept heap: glibc's allocator keeps freed memory while a run lasts.

``heap.kept`` sets glibc's mmap and trim thresholds when the outermost use
starts and sets the trim threshold back when it ends; nested and concurrent
uses share one setting; elsewhere than glibc it does nothing. A run's
numbers do not depend on it.
"""

from __future__ import annotations

import platform
import threading

import numpy as np
from conftest import make_scenario

from simulator import simulate_grid
from simulator.engine import heap


class Recorder:
    """Stands in for glibc's mallopt and records its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return 1


KEEP = [(heap.M_MMAP_THRESHOLD, heap.MMAP_THRESHOLD), (heap.M_TRIM_THRESHOLD, 2**31 - 1)]
AFTER = [(heap.M_MMAP_THRESHOLD, heap.MMAP_THRESHOLD),
         (heap.M_TRIM_THRESHOLD, 2 * heap.MMAP_THRESHOLD)]


def test_the_outermost_use_sets_and_restores_the_thresholds(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(heap, "_glibc", lambda: rec)
    with heap.kept():
        assert rec.calls == KEEP
        with heap.kept():  # nested: nothing more
            pass
        assert rec.calls == KEEP
    assert rec.calls == KEEP + AFTER


def test_concurrent_uses_share_one_setting(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(heap, "_glibc", lambda: rec)
    inside, leave = threading.Barrier(3), threading.Event()

    def worker() -> None:
        with heap.kept():
            inside.wait()
            leave.wait()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()  # both threads are inside
    assert rec.calls == KEEP
    leave.set()
    for t in threads:
        t.join()
    assert rec.calls == KEEP + AFTER


def test_the_setting_is_restored_when_the_run_raises(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(heap, "_glibc", lambda: rec)
    try:
        with heap.kept():
            raise KeyError("x")
    except KeyError:
        pass
    assert rec.calls == KEEP + AFTER
    assert heap._depth == 0


def test_glibc_is_found_where_it_is_the_c_library():
    assert (heap._glibc() is not None) == (platform.system() == "Linux"
                                           and platform.libc_ver()[0] == "glibc")


def test_elsewhere_than_glibc_nothing_is_called(monkeypatch):
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    with heap.kept():
        pass
    assert heap._depth == 0


def test_a_run_gives_the_same_numbers_with_and_without_the_kept_heap(monkeypatch):
    s = make_scenario(**{"dropout.rate": 0.1, "pain.analysis": "ancova"})
    kept = simulate_grid(s, [20, 40, 60], n_sims=3000, seed=5, path="aggregate")
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    plain = simulate_grid(s, [20, 40, 60], n_sims=3000, seed=5, path="aggregate")
    for a, b in zip(kept, plain):
        assert a.power.value == b.power.value
        assert a.mean_estimate == b.mean_estimate
    assert np.isfinite([r.power.value for r in kept]).all()
