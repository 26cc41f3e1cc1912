"""The kept heap: glibc's allocator keeps freed memory while a run lasts.

``heap.kept`` sets glibc's mmap and trim thresholds when the outermost use
starts and sets the trim threshold to 64 MB when it ends; nested and
concurrent uses share one setting; elsewhere than glibc, or where the user
set glibc's own variables or ``TRIALSIM_KEEP_HEAP=0``, it does nothing.
"""

from __future__ import annotations

import platform
import threading

import pytest

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


def test_the_outermost_use_sets_the_thresholds_and_then_the_64_mb_trim(monkeypatch):
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


@pytest.mark.skipif(not (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"),
                    reason="glibc only")
def test_glibcs_mallopt_takes_both_settings(monkeypatch):
    for name in ("TRIALSIM_KEEP_HEAP", *heap._USER_SETTINGS):
        monkeypatch.delenv(name, raising=False)
    heap._glibc.cache_clear()
    try:
        mallopt = heap._glibc()
        assert mallopt is not None
        assert mallopt(heap.M_MMAP_THRESHOLD, heap.MMAP_THRESHOLD) == 1  # 1: accepted
        assert mallopt(heap.M_TRIM_THRESHOLD, 2 * heap.MMAP_THRESHOLD) == 1
    finally:
        heap._glibc.cache_clear()


@pytest.mark.parametrize("name, value", [("TRIALSIM_KEEP_HEAP", "0"),
                                         ("MALLOC_TRIM_THRESHOLD_", "131072"),
                                         ("MALLOC_MMAP_THRESHOLD_", "131072")])
def test_the_users_own_settings_leave_the_allocator_alone(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    heap._glibc.cache_clear()
    try:
        assert heap._glibc() is None
    finally:
        heap._glibc.cache_clear()


def test_elsewhere_than_glibc_nothing_is_called(monkeypatch):
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    with heap.kept():
        pass
    assert heap._depth == 0
