"""Scenario sweeps: grids of overrides run locally or on Dask, into a resumable store.

A sweep expands a :class:`~simulator.spec.scenario.SweepSpec` (Cartesian ``grid``
keys crossed with ``zip`` keys that vary together) into new, validated,
frozen scenarios; an invalid point is rejected before anything runs, with
the point named. Every point uses the same seed and the same chunk size, so
chunk ``i`` draws from the same stream at every point (common random
numbers): differences between points are not Monte Carlo noise.

Points run through joblib: loky processes on this machine, or a Dask cluster
through joblib's ``dask`` backend (a ``distributed.Client`` to a scheduler
address, or a ``LocalCluster`` started here). Results are the same on every
backend and for any number of workers.

Each finished point is one row of a :class:`~simulator.ops.store.ResultStore`
(JSON Lines, a CSV twin, a Parquet copy with pyarrow), which makes a sweep
resumable: points whose hash is already stored are skipped. A sweep holds the
store's lock while it runs (a second sweep on the same store is refused),
stores its run settings beside the rows, and refuses to resume a store
written with other settings, naming the one that differs.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .._lazy import joblib
from .._io import to_json
from .._version import __version__
from ..engine.dispatch import PathName
from ..engine.layout import default_block_size
from ..errors import ScenarioError
from ..planning.cost import processes
from ..planning.metric import Metric
from ..checks import check_flags
from ..planning.simulate import simulate_grid
from ..provenance import RunProvenance
from ..spec import Scenario, SweepSpec
from ..spec.sweep import BACKENDS
from .store import ResultStore
from .sweep_rows import metric_columns, result_row, row_columns, solve_columns
from .sweep_solve import check_solve, solve_row

__all__ = ["SweepPoint", "expand_sweep", "run_sweep", "result_row", "row_columns",
           "metric_columns", "solve_columns", "BACKENDS"]

log = logging.getLogger(__name__)

Backend = Literal["loky", "dask-local", "dask"]


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """One grid point: its override values and the scenario they make."""

    values: dict[str, Any]
    scenario: Scenario


def expand_sweep(base: Scenario, spec: SweepSpec) -> list[SweepPoint]:
    """Every point of the sweep as a validated scenario, in a fixed order.

    Raises
    ------
    ScenarioError
        For the first invalid point, naming its values and the field.
    """
    points = [SweepPoint(values=values, scenario=scenario)
              for values, scenario in spec.scenarios(base)]
    if not points:
        raise ScenarioError("the sweep has no points")
    return points


def _point_hash(scenario: Scenario, run: dict[str, Any]) -> str:
    data = scenario.to_dict()
    data.pop("sweep", None)
    payload = json.dumps({"scenario": data, "run": run}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def _run_point(scenario: Scenario, values: dict[str, Any], n_sims: int, seed: int,
               path: PathName, block_size: int, point_hash: str, version: str,
               solve: tuple[Metric, float, int | None] | None = None) -> dict[str, Any]:
    if solve is not None:  # the n per arm that reaches the target, not the power at n
        metric, target, n_max = solve
        row = solve_row(values, scenario, metric, target, n_sims=n_sims, seed=seed, path=path,
                        n_max=n_max)
    else:  # a row keeps the closed-form power, not the report's comparison runs
        result = simulate_grid(scenario, None, n_sims=n_sims, seed=seed, path=path,
                               block_size=block_size, comparisons=False)[0]
        row = result_row(values, result)
    row["scenario_hash"] = point_hash
    row["version"] = version
    return row


@contextlib.contextmanager
def _backend(backend: Backend, n_jobs: int, scheduler: str | None,
             workers: int | None) -> Iterator[int]:
    """joblib configured for the backend; yields the n_jobs to use."""
    if backend == "loky":
        yield n_jobs
        return
    from distributed import Client, LocalCluster  # there: _check_backend
    if backend == "dask":
        with Client(scheduler) as client, joblib.parallel_config(backend="dask"):
            log.info("dask scheduler %s", client.scheduler.address)
            yield -1
        return
    n = processes(workers or n_jobs)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster), \
            joblib.parallel_config(backend="dask"):
        yield -1


@dataclass(frozen=True, slots=True)
class _SweepPlan:
    """The validated points of a sweep and the run settings they share.

    Attributes
    ----------
    points : list of SweepPoint
        Every point, in sweep order.
    hashes : list of str
        Each point's identity in the store (its scenario and the run settings).
    n_sims, seed, block_size : int
        The same for every point (common random numbers).
    solve : tuple of (Metric, float, int or None) or None
        A solving sweep's metric, target and largest n per arm (None: the
        solver's default).
    """

    points: list[SweepPoint]
    hashes: list[str]
    n_sims: int
    seed: int
    block_size: int
    solve: tuple[Metric, float, int | None] | None = None


def _check_backend(backend: Backend, scheduler: str | None) -> None:
    """The backend is known and can start: ScenarioError naming what it lacks."""
    if backend not in BACKENDS:
        raise ScenarioError(f"backend = {backend!r}: must be one of {', '.join(BACKENDS)}")
    if backend == "dask" and not scheduler:  # the user's own argument first
        raise ScenarioError("backend 'dask' needs --scheduler tcp://HOST:PORT "
                            "(or use --backend dask-local)")
    if backend != "loky" and importlib.util.find_spec("distributed") is None:
        raise ScenarioError(f"backend {backend!r} needs the 'distributed' package: "
                            "pip install 'trialsim[dask]'")


def _plan_sweep(base: Scenario, spec: SweepSpec, *, n_sims: int | None, seed: int | None,
                path: PathName, backend: Backend, scheduler: str | None = None,
                solve: tuple[str, float, int | None] | None = None) -> _SweepPlan:
    """Check the settings, expand the points and fix one chunk size for all of them.

    Raises
    ------
    ScenarioError
        An unknown backend, an invalid point (named) or ``n_sims < 1``.
    """
    _check_backend(backend, scheduler)
    points = expand_sweep(base, spec)
    n_sims = base.simulation.n_sims if n_sims is None else int(n_sims)
    if n_sims < 1:
        raise ScenarioError(f"n_sims = {n_sims}: must be an integer >= 1")
    seed = base.seed if seed is None else int(seed)
    # One block size for every point (the smallest), so that block j draws from
    # the same stream at every point (common random numbers).
    block_size = min(default_block_size(p.scenario, path) for p in points)
    run: dict[str, Any] = {"n_sims": n_sims, "seed": seed, "path": path,
                           "block_size": block_size}
    solving = None
    if solve is not None:
        metric, target, n_max = solve
        solving = (check_solve(points, metric, target), float(target), n_max)
        run["solve"] = [str(solving[0]), solving[1]] + ([] if n_max is None else [n_max])
    hashes = [_point_hash(p.scenario, run) for p in points]
    return _SweepPlan(points=points, hashes=hashes, n_sims=n_sims, seed=seed,
                     block_size=block_size, solve=solving)


def _settings(base: Scenario, spec: SweepSpec, plan: _SweepPlan,
              path: PathName) -> dict[str, Any]:
    """The run settings stored beside a sweep's rows, as they read back from JSON."""
    scenario = base.to_dict()
    scenario.pop("sweep", None)
    digest = hashlib.sha256(json.dumps(scenario, sort_keys=True, default=str).encode())
    settings = {"n_sims": plan.n_sims, "seed": plan.seed, "path": path,
                "block_size": plan.block_size,
                "grid": {k: list(v) for k, v in spec.grid},
                "zip": {k: list(v) for k, v in spec.zip},
                "scenario": digest.hexdigest()[:20], "version": __version__}
    if plan.solve is not None:
        settings["solve"] = {"metric": str(plan.solve[0]), "target": plan.solve[1]}
        if plan.solve[2] is not None:
            settings["solve"]["n_max"] = plan.solve[2]
    return json.loads(to_json(settings))


def _refuse_to_overwrite(store: ResultStore, resume: bool) -> None:
    """A store there without ``resume``, or files there that are not a store."""
    if store.exists and not resume:
        raise ScenarioError(f"{store.csv} (or {store.jsonl.name}, {store.meta.name}) exists: "
                            "pass --resume to continue that sweep, or choose another --out")
    if resume:
        store.check_resumable()


def _open_store(store: ResultStore, resume: bool, settings: dict[str, Any]) -> set[str]:
    """With the lock held: refuse to overwrite (again: another sweep may have written
    since), check a resumed store's settings, store this run's; the hashes already done."""
    _refuse_to_overwrite(store, resume)
    if resume:
        store.check_settings(settings)  # before load() rewrites anything
        store.load()
        store.check_settings(settings)  # a store without a settings file: its rows
    store.write_settings(settings)
    return store.done() if resume else set()


def _run_points(store: ResultStore, plan: _SweepPlan, done: set[str], path: PathName,
                backend: Backend, n_jobs: int, scheduler: str | None, workers: int | None,
                progress: Callable[[int, int], None] | None) -> None:
    """Run the points not done yet, appending each row as it finishes."""
    todo = [(p, h) for p, h in zip(plan.points, plan.hashes) if h not in done]
    total = len(plan.points)
    log.info("sweep: %d points, %d already done", total, total - len(todo))
    finished = total - len(todo)
    if progress is not None:
        progress(finished, total)
    with _backend(backend, n_jobs, scheduler, workers) as jobs:
        tasks = (joblib.delayed(_run_point)(p.scenario, p.values, plan.n_sims, plan.seed, path,
                                            plan.block_size, h, __version__, plan.solve)
                 for p, h in todo)
        for row in joblib.Parallel(n_jobs=jobs, return_as="generator")(tasks):
            store.append(row)
            finished += 1
            if progress is not None:
                progress(finished, total)


def run_sweep(
    base: Scenario,
    spec: SweepSpec,
    out: str | Path,
    *,
    n_sims: int | None = None,
    seed: int | None = None,
    path: PathName = "auto",
    n_jobs: int = 1,
    backend: Backend = "loky",
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
    provenance: RunProvenance | None = None,
    target: float | None = None,
    metric: str = "power",
    n_max: int | None = None,
) -> list[dict[str, Any]]:
    """Run every point of a sweep, appending one row per point to ``out``.

    Parameters
    ----------
    base : Scenario
    spec : SweepSpec
    out : path
        CSV file (a ``.jsonl`` twin is written beside it).
    n_sims, seed, path
        As in :func:`simulator.simulate`; the same for every point.
    n_jobs : int
        Workers for the loky backend (points run in parallel).
    backend : {"loky", "dask-local", "dask"}
    scheduler : str, optional
        Dask scheduler address (``tcp://HOST:PORT``) for ``backend="dask"``.
    workers : int, optional
        Workers of the LocalCluster for ``backend="dask-local"``.
    resume : bool
        Continue a sweep whose store exists, skipping points already done.
    progress : callable, optional
        ``progress(points_done, points_total)``.
    provenance : RunProvenance, optional
        Written at the top of the CSV and beside the stored settings.
    target : float, optional
        Solve, at every point, the n per arm at which ``metric`` reaches
        this target (see :mod:`simulator.ops.sweep_solve`) instead of
        simulating the point's own n.
    metric : str
        The metric of ``target`` (default ``"power"``).
    n_max : int, optional
        With ``target``: the largest n per arm a point's solve tries (default
        that of :func:`~simulator.planning.solver.solve_sample_size`); a point
        that does not reach the target by it is unreachable.

    Returns
    -------
    list of dict
        All rows of the store, in point order.

    Raises
    ------
    ScenarioError
        Before any point runs: an invalid point or setting, a store that
        exists without ``resume``, a store another process is writing (its
        lock is held), or, with ``resume``, a store written with other
        settings (n_sims, seed, path, chunk size, grid, zip, scenario or
        trialsim version).
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ScenarioError(f"n_jobs = {n_jobs!r}: must be a non-zero integer (-1 = all cores)")
    if progress is not None and not callable(progress):
        raise ScenarioError(f"progress = {progress!r}: must be a callable progress(done, "
                            "total), or None")
    check_flags(resume=resume)
    plan = _plan_sweep(base, spec, n_sims=n_sims, seed=seed, path=path, backend=backend,
                       scheduler=scheduler,
                       solve=None if target is None else (metric, target, n_max))
    settings = _settings(base, spec, plan, path)
    store = ResultStore(out, provenance)
    _refuse_to_overwrite(store, resume)  # before the lock file is made
    with store.locked():
        done = _open_store(store, resume, settings)
        try:
            _run_points(store, plan, done, path, backend, n_jobs, scheduler, workers, progress)
        finally:
            store.finish()  # the Parquet copy, also of an interrupted sweep's rows
    order = {h: i for i, h in enumerate(plan.hashes)}
    return sorted((r for r in store.rows if r["scenario_hash"] in order),
                  key=lambda r: order[r["scenario_hash"]])
