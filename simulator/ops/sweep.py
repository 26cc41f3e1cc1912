"""Scenario sweeps: grids of overrides, a resumable result store, local or Dask execution.

A sweep expands a :class:`~simulator.scenario.SweepSpec` (Cartesian ``grid``
keys crossed with ``zip`` keys that vary together) into new, validated,
frozen scenarios; an invalid point is rejected before anything runs, with
the point named. Every point uses the same seed and the same chunk size, so
chunk ``i`` draws from the same stream at every point (common random
numbers): differences between points are not Monte Carlo noise.

Points run through joblib: loky processes on this machine, or a Dask cluster
through joblib's ``dask`` backend (a ``distributed.Client`` to a scheduler
address, or a ``LocalCluster`` started here). Results are the same on every
backend and for any number of workers.

The store is a JSON Lines file, one line per finished point, each written
with a single ``write`` on a file opened for appending, next to a CSV with
the same rows (and a Parquet copy, rewritten atomically, when pyarrow is
installed). On resume, lines that are incomplete (a process killed while
writing) are dropped, both files are rewritten atomically from the valid
lines, and points whose hash is already there are skipped: no point is lost,
duplicated or half-written.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import joblib

from .._io import append_once, write_atomic
from ..engine.dispatch import PathName
from ..engine.layout import default_chunk_size
from ..planning.simulate import simulate_grid
from ..errors import ScenarioError
from ..spec import Scenario, SweepSpec

__all__ = ["SweepPoint", "expand_sweep", "run_sweep", "ResultStore", "result_row", "BACKENDS"]

log = logging.getLogger(__name__)

BACKENDS = ("loky", "dask-local", "dask")
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
    grid_keys = [k for k, _ in spec.grid]
    zip_keys = [k for k, _ in spec.zip]
    zipped = list(zip(*(v for _, v in spec.zip))) if spec.zip else [()]
    points = []
    for combo in itertools.product(*(v for _, v in spec.grid), zipped):
        values = dict(zip(grid_keys, combo[:-1]))
        values.update(zip(zip_keys, combo[-1]))
        try:
            scenario = base.with_overrides(values)
        except ScenarioError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            raise ScenarioError(f"sweep point ({shown}): {exc}") from None
        points.append(SweepPoint(values=values, scenario=scenario))
    if not points:
        raise ScenarioError("the sweep has no points")
    return points


def _point_hash(scenario: Scenario, run: dict[str, Any]) -> str:
    data = scenario.to_dict()
    data.pop("sweep", None)
    payload = json.dumps({"scenario": data, "run": run}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def result_row(values: dict[str, Any], result) -> dict[str, Any]:
    """The flat row a sweep stores for one point."""
    d = result.to_dict()
    row: dict[str, Any] = dict(values)
    row.update({"n_per_arm": d["n_per_arm"], "n_total": d["n_total"],
                "power": d["power"], "power_se": d["power_se"],
                "power_benefit": d["power_benefit"], "power_benefit_se": d["power_benefit_se"],
                "analytic_power": d["analytic_power"]})
    if d["assurance"] is not None:
        row.update(assurance=d["assurance"], assurance_se=d["assurance_se"],
                   assurance_ceiling=d["assurance_ceiling"])
    for name, ae in d["adverse_events"].items():
        row[f"p_harm_{name}"] = ae["p_harm_detected"]
        row[f"p_harm_{name}_se"] = ae["p_harm_detected_se"]
    if "resolve" in d:
        row.update(p_conclusive=d["resolve"]["p_conclusive"],
                   p_conclusive_se=d["resolve"]["p_conclusive_se"])
    row.update(mean_estimate=d["mean_estimate"], bias=d["bias"],
               mean_completers=sum(d["mean_completers"]), n_sims=d["n_sims"], path=d["path"],
               seed_entropy=d["seed_entropy"])
    return row


class ResultStore:
    """Append-only JSON Lines store with a CSV twin, safe against interruption.

    Parameters
    ----------
    out : path
        The CSV file; the JSON Lines file has the same stem and ``.jsonl``.
    """

    def __init__(self, out: str | Path) -> None:
        self.csv = Path(out)
        self.jsonl = self.csv.with_suffix(".jsonl")
        self.rows: list[dict[str, Any]] = []

    @property
    def exists(self) -> bool:
        return self.jsonl.exists() or self.csv.exists()

    def load(self) -> list[dict[str, Any]]:
        """Read the complete rows and rewrite both files from them (drops a torn line)."""
        rows = []
        if self.jsonl.exists():
            text = self.jsonl.read_text(encoding="utf-8")
            for line in text.splitlines(keepends=True):
                if not line.endswith("\n"):
                    log.warning("%s: dropping an incomplete last line", self.jsonl)
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    log.warning("%s: dropping a corrupt line", self.jsonl)
                    continue
                if isinstance(row, dict) and "scenario_hash" in row:
                    rows.append(row)
        seen, unique = set(), []
        for row in rows:
            if row["scenario_hash"] not in seen:
                seen.add(row["scenario_hash"])
                unique.append(row)
        self.rows = unique
        self._rewrite()
        return list(unique)

    def done(self) -> set[str]:
        return {row["scenario_hash"] for row in self.rows}

    def append(self, row: dict[str, Any]) -> None:
        """Add one row: one ``write`` to each file, JSON Lines first."""
        self.csv.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(row, default=_json_default) + "\n"
        append_once(self.jsonl, line)
        columns = self._columns()
        self.rows.append(row)
        if columns != self._columns() or not self.csv.exists():
            self._rewrite()  # a new column: re-render the CSV (atomically)
        else:
            append_once(self.csv, _csv_lines([row], self._columns(), header=False))
            self._write_parquet()

    def _write_parquet(self) -> None:
        """A Parquet copy of the rows when pyarrow is installed (rewritten atomically)."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            return
        columns = self._columns()
        table = pa.table({c: [r.get(c) for r in self.rows] for c in columns})
        target = self.csv.with_suffix(".parquet")
        tmp = target.with_name(f".{target.name}.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, target)

    def _columns(self) -> list[str]:
        columns: dict[str, None] = {}
        for row in self.rows:
            columns.update(dict.fromkeys(row))
        tail = ("seed_entropy", "scenario_hash", "version")
        return [c for c in columns if c not in tail] + [c for c in tail if c in columns]

    def _rewrite(self) -> None:
        if not self.rows and not self.jsonl.exists():
            return
        write_atomic(self.jsonl, "".join(json.dumps(r, default=_json_default) + "\n"
                                          for r in self.rows))
        write_atomic(self.csv, _csv_lines(self.rows, self._columns(), header=True))
        self._write_parquet()


def _json_default(value: Any) -> Any:
    return float(value) if hasattr(value, "__float__") else str(value)


def _csv_lines(rows: Sequence[dict[str, Any]], columns: list[str], *, header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return buffer.getvalue()


def _run_point(scenario: Scenario, values: dict[str, Any], n_sims: int, seed: int,
               path: PathName, chunk_size: int, point_hash: str, version: str) -> dict[str, Any]:
    result = simulate_grid(scenario, None, n_sims=n_sims, seed=seed, path=path,
                           chunk_size=chunk_size)[0]
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
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ScenarioError(f"backend {backend!r} needs the 'distributed' package: "
                            "pip install 'trialsim[dask]'") from None
    if backend == "dask":
        if not scheduler:
            raise ScenarioError("backend 'dask' needs --scheduler tcp://HOST:PORT "
                                "(or use --backend dask-local)")
        with Client(scheduler) as client, joblib.parallel_config(backend="dask"):
            log.info("dask scheduler %s", client.scheduler.address)
            yield -1
        return
    n = workers or (n_jobs if n_jobs > 0 else os.cpu_count() or 1)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster), \
            joblib.parallel_config(backend="dask"):
        yield -1


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

    Returns
    -------
    list of dict
        All rows of the store, in point order.
    """
    from .._version import __version__

    if backend not in BACKENDS:
        raise ScenarioError(f"backend = {backend!r}: must be one of {', '.join(BACKENDS)}")
    points = expand_sweep(base, spec)
    n_sims = base.simulation.n_sims if n_sims is None else int(n_sims)
    if n_sims < 1:
        raise ScenarioError(f"n_sims = {n_sims}: must be an integer >= 1")
    seed = base.seed if seed is None else int(seed)
    # One chunk size for every point (the smallest budget-derived one), so that
    # chunk i draws from the same stream everywhere.
    chunk_size = min(default_chunk_size(p.scenario, n_sims, path) for p in points)
    run = {"n_sims": n_sims, "seed": seed, "path": path, "chunk_size": chunk_size}
    hashes = [_point_hash(p.scenario, run) for p in points]

    store = ResultStore(out)
    if store.exists and not resume:
        raise ScenarioError(f"{store.csv} (or {store.jsonl.name}) exists: pass --resume to "
                            "continue that sweep, or choose another --out")
    done: set[str] = set()
    if resume:
        store.load()
        done = store.done()
    todo = [(p, h) for p, h in zip(points, hashes) if h not in done]
    log.info("sweep: %d points, %d already done", len(points), len(points) - len(todo))
    finished = len(points) - len(todo)
    if progress is not None:
        progress(finished, len(points))
    with _backend(backend, n_jobs, scheduler, workers) as jobs:
        tasks = (joblib.delayed(_run_point)(p.scenario, p.values, n_sims, seed, path,
                                            chunk_size, h, __version__) for p, h in todo)
        for row in joblib.Parallel(n_jobs=jobs, return_as="generator")(tasks):
            store.append(row)
            finished += 1
            if progress is not None:
                progress(finished, len(points))
    order = {h: i for i, h in enumerate(hashes)}
    return sorted((r for r in store.rows if r["scenario_hash"] in order),
                  key=lambda r: order[r["scenario_hash"]])
