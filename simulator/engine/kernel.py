"""The kernel: passes over blocks of simulated trials, and collectors that count.

A **pass** simulates one scenario (a variant, for a comparison) on one named
random stream, optionally with true parameters drawn per trial, and hands
each grid size's analysed trials to its **collectors**. A collector returns
counts or sums (a mapping of names to numbers or arrays) that add up across
blocks. :func:`run` runs every pass on every block (blocks grouped in tasks,
through joblib) and adds the counts in block order, so the totals depend
neither on the number of workers nor on how blocks are grouped into tasks.
The kernel knows no feature: planning contributes the passes and collectors
and turns the totals into results.

A collector with a ``grid(sample, chunk)`` method counts every grid size of
a block in one call, on the sizes' samples stacked
(:meth:`~simulator.engine.sample.SampleGrid.stack`: each array with a
leading size axis), where a run has more than
one size and no interim looks: a 200-point curve then costs one collector
call per block, not 200.

A scenario with ``[interim]`` is simulated at every grid size's looks too
(:mod:`simulator.engine.looks`): a collector hands over the grid size's
last look, as without looks, unless it is marked ``per_look = True``; then it
gets the list of every look's analysed trials (the same trials, in order).

Streams are named children of the block's ``SeedSequence``: ``data`` is block
``j``'s own child ``(j,)``, ``prior`` is ``(j, 1)`` and ``futures`` ``(j, 2)``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .._lazy import joblib
from ..models.parameters import TrialParameters
from ..models.scratch import arena
from ..spec.scenario import Scenario
from . import heap
from .dispatch import simulate_sizes
from .looks import run_grid
from .sample import TrialSample
from .workers import loky_workers_exit_with_parent

__all__ = ["STREAMS", "stream", "ChunkContext", "Collector", "Pass", "Totals", "run", "staged"]

#: The spawn-key suffix of each named stream under a block's key.
STREAMS: dict[str, tuple[int, ...]] = {"data": (), "prior": (1,), "futures": (2,)}

Counts = dict[str, Any]
ProgressCallback = Callable[[int, int], None]


def staged(progress: ProgressCallback | None, label: str) -> ProgressCallback | None:
    """``progress``, told that a new stage of the work starts, where it can show one.

    A callback with a ``stage(label)`` method (the CLI's progress bar) shows the
    label and counts the stage from zero; any other is returned as it is.
    """
    stage = getattr(progress, "stage", None)
    if stage is not None:
        stage(label)
    return progress
ParamsDraw = Callable[[np.random.Generator, int], TrialParameters]


def stream(entropy: int, block: int, name: str) -> np.random.Generator:
    """The generator of the named stream of block ``block``."""
    return np.random.default_rng(
        np.random.SeedSequence(entropy, spawn_key=(block,) + STREAMS[name]))


@dataclass(frozen=True, slots=True)
class ChunkContext:
    """What a collector knows besides the analysed trials.

    Attributes
    ----------
    n_sims : int
        Simulations in the block (each may hold several trials).
    sizes : tuple of int
        Patients per arm at this grid size.
    index : int
        The grid size's position.
    params : TrialParameters or None
        The true parameters the pass drew for its trials.
    looks : tuple of tuple of int
        Patients per arm at each look (``(sizes,)`` without interim looks).
    grid : tuple of tuple of int
        In a ``grid`` call: patients per arm at every size (``index`` is -1).
    """

    n_sims: int
    sizes: tuple[int, ...]
    index: int
    params: TrialParameters | None
    looks: tuple[tuple[int, ...], ...] = ()
    grid: tuple[tuple[int, ...], ...] = ()


class Collector(Protocol):
    """Counts from one grid size's analysed trials of one block.

    A collector with a true ``per_look`` attribute is called with the list of
    every look's :class:`TrialSample` instead of the last one. One with a
    ``grid`` method may be called once for every size instead (see above).
    """

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Pass:
    """One simulation of every block, and what is collected from it.

    Attributes
    ----------
    name : str
        Unique within a run; the totals are keyed by it.
    scenario : Scenario
        The scenario (at the grid's largest size) this pass simulates.
    path : str
        The data path (``aggregate``, ``patient``, or the full-data model).
    collectors : tuple of Collector
    stream : str
        The named stream the data come from (see :data:`STREAMS`).
    params : callable or None
        ``params(rng, n)`` draws the true parameters of ``n`` simulations.
    params_stream : str or None
        The stream ``params`` draws from; None: the data stream, before the
        data.
    trials_per_sim : int
        Trials simulated per simulation (k new trials per future).
    """

    name: str
    scenario: Scenario
    path: str
    collectors: tuple[Collector, ...]
    stream: str = "data"
    params: ParamsDraw | None = None
    params_stream: str | None = None
    trials_per_sim: int = 1


@dataclass(frozen=True, slots=True)
class Totals:
    """The counts of a run, added over blocks in block order.

    Attributes
    ----------
    n_sims : int
    counts : dict of str to list of dict
        Per pass, per grid size, each collector's totals by name.
    worker_processes : int
        Distinct processes that ran tasks.
    """

    n_sims: int
    counts: dict[str, list[Counts]]
    worker_processes: int

    def at(self, index: int) -> dict[str, Counts]:
        """Every pass's totals at one grid size (an empty dict for a pass not run)."""
        return {name: per_size[index] for name, per_size in self.counts.items()}


@dataclass(slots=True)
class BlockCounts:
    """One pass's counts from one block: per grid size, and over every size at once.

    ``per_size`` holds the counts of collectors called size by size;
    ``grid`` those of collectors that count every size in one call (arrays
    with a leading size axis), kept whole so that blocks add as arrays.
    """

    per_size: list[Counts]
    grid: dict[str, np.ndarray]

    def add(self, other: BlockCounts) -> BlockCounts:
        """These counts plus another block's (in block order: self first)."""
        per_size = (self.per_size if not any(other.per_size)  # only grid collectors
                    else [_add(t, c) for t, c in zip(self.per_size, other.per_size)])
        return BlockCounts(per_size, {k: v + other.grid[k] for k, v in self.grid.items()})

    def sizes(self) -> list[Counts]:
        """Every grid size's counts, the grid collectors' split by size."""
        split = {k: v.tolist() if v.ndim == 1 else v for k, v in self.grid.items()}
        return [{**counts, **{k: v[g] for k, v in split.items()}}
                for g, counts in enumerate(self.per_size)]


def _run_pass(p: Pass, grid: list[tuple[int, ...]], n: int, entropy: int, block: int
              ) -> BlockCounts:
    rng = stream(entropy, block, p.stream)
    params = None
    if p.params is not None:
        source = rng if p.params_stream is None else stream(entropy, block, p.params_stream)
        params = p.params(source, n)
    sizes = run_grid(grid, p.scenario)
    samples = simulate_sizes(p.scenario, n * p.trials_per_sim, rng, p.path, sizes.sizes, params)
    out = BlockCounts([{} for _ in grid], {})
    by_grid = len(grid) > 1 and p.scenario.interim is None
    stacked = None
    for collect in p.collectors:
        if by_grid and hasattr(collect, "grid"):
            if stacked is None:
                stacked = samples.stack([picks[-1] for picks in sizes.picks])
            ctx = ChunkContext(n_sims=n, sizes=grid[-1], index=-1, params=params,
                               grid=tuple(grid))
            out.grid.update((name, np.asarray(values))
                            for name, values in collect.grid(stacked, ctx).items())
            continue
        for g, picks in enumerate(sizes.picks):
            ctx = ChunkContext(n_sims=n, sizes=grid[g], index=g, params=params,
                               looks=tuple(sizes.sizes[i] for i in picks))
            if getattr(collect, "per_look", False):
                out.per_size[g].update(collect([samples[i] for i in picks], ctx))
            else:
                out.per_size[g].update(collect(samples[picks[-1]], ctx))
    return out


def _run_task(passes: Sequence[Pass], grid: list[tuple[int, ...]],
              blocks: Sequence[tuple[int, int]], entropy: int
              ) -> tuple[list[dict[str, BlockCounts]], int]:
    """Each block's counts, per pass (added by the caller, in order)."""
    with heap.kept(), arena():  # the blocks reuse their memory (see heap, models.scratch)
        return [{p.name: _run_pass(p, grid, n, entropy, j) for p in passes}
                for j, n in blocks], os.getpid()


def _add(total: Counts | None, counts: Counts) -> Counts:
    if total is None:
        return dict(counts)
    return {k: total[k] + v for k, v in counts.items()}


def run(passes: Sequence[Pass], grid: list[tuple[int, ...]],
        tasks: Sequence[Sequence[tuple[int, int]]], *, seed: int, n_jobs: int = 1,
        progress: ProgressCallback | None = None) -> Totals:
    """Run every pass on every block and add the collectors' counts in block order.

    Parameters
    ----------
    passes : sequence of Pass
    grid : list of tuple of int
        Patients per arm at each grid size, increasing.
    tasks : sequence of sequence of (int, int)
        Each task's blocks as (block index, simulations), the blocks in order
        (see :class:`~simulator.engine.layout.Layout`).
    seed : int
        Entropy of the root ``SeedSequence``; block ``j`` draws from its child ``j``.
    n_jobs : int
        joblib workers.
    progress : callable, optional
        ``progress(done, total)`` after each task; in this process
        (``n_jobs=1``), after each block (the tasks are split into their
        blocks: the numbers do not depend on the tasks).
    """
    names = [p.name for p in passes]
    if len(set(names)) != len(names):
        raise ValueError(f"pass names must be distinct: {names}")
    if progress is not None and n_jobs == 1:
        tasks = [[block] for task in tasks for block in task]
    totals: dict[str, BlockCounts] = {}
    pids: set[int] = set()
    done, total = 0, sum(n for task in tasks for _, n in task)
    # One worker runs in this process, without joblib's set-up (a solve makes
    # many small runs). Parallel reads the joblib configuration when it is
    # made, so it is made inside the context that sets the workers' initializer.
    context = contextlib.nullcontext() if n_jobs == 1 else loky_workers_exit_with_parent()
    # In this process, the kept heap and the scratch arena last the whole run, not one task.
    with context, heap.kept(), arena():
        if n_jobs == 1:
            results = (_run_task(passes, grid, task, seed) for task in tasks)
        else:
            jobs = (joblib.delayed(_run_task)(passes, grid, task, seed) for task in tasks)
            results = joblib.Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
        for (blocks, pid), task in zip(results, tasks):
            for counts in blocks:
                for name, block in counts.items():
                    totals[name] = totals[name].add(block) if name in totals else block
            pids.add(pid)
            done += sum(n for _, n in task)
            if progress is not None:
                progress(done, total)
    counts = {p.name: totals[p.name].sizes() if p.name in totals else [{} for _ in grid]
              for p in passes}
    return Totals(n_sims=total, counts=counts, worker_processes=len(pids))
