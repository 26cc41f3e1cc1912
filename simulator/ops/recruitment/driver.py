"""The entry point: check the arguments, lay out the streams, run the replications.

The layout (one stream per replication on the simpy path, one per fixed-size
chunk on the vectorized path) never depends on ``n_jobs``, and chunks are
combined in order, so a seed gives identical timelines on any number of
joblib workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..._lazy import joblib
from ...engine.layout import chunk_layout
from ...errors import ScenarioError
from ...spec.bounds import MAX_PATIENT_REPLICATIONS
from ...spec.scenario import Scenario
from .checks import check_count, check_deadline, check_recruitment_scenario
from .model import RecruitmentModel
from .result import RecruitmentResult
from .simpy_path import run_simpy_chunk
from .summary import summarise
from .timelines import RecruitmentTimelines
from .vectorized import bytes_per_replication, run_vector_chunk

__all__ = ["simulate_recruitment", "RecruitmentPath", "DEFAULT_N_REPS", "SIMPY_CHUNK"]

RecruitmentPath = Literal["auto", "simpy", "vectorized"]
DEFAULT_N_REPS = 1000
SIMPY_CHUNK = 25  # replications per joblib task on the simpy path (fixed layout)

_PATH_CHOICES: dict[str, Callable[[Scenario], str]] = {
    "auto": lambda s: "vectorized" if s.recruitment.chairs_per_site is None else "simpy",
    "simpy": lambda s: "simpy",
    "vectorized": lambda s: "vectorized",
}


def simulate_recruitment(
    scenario: Scenario,
    *,
    n_reps: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    deadline_months: float | None = None,
    path: RecruitmentPath = "auto",
    n_power_sims: int | None = None,
) -> RecruitmentResult:
    """Simulate recruitment, infusion capacity and follow-up of a trial many times.

    Parameters
    ----------
    scenario : Scenario
        Needs a ``[recruitment]`` table; the target is ``design.n_total``.
    n_reps : int, optional
        Simulated trials; default 1000.
    seed : int, optional
        Root seed; default ``scenario.seed``.
    n_jobs : int
        joblib workers (loky processes); the result does not depend on it.
    deadline_months : float, optional
        End of recruitment for the deadline outputs; default
        ``recruitment.deadline_months``. With neither, they are None.
    path : {"auto", "simpy", "vectorized"}
        ``vectorized`` needs no capacity limit (no ``chairs_per_site``);
        ``auto`` uses it whenever it applies.
    n_power_sims : int, optional
        Simulated trials per n of the power curve behind
        ``power_at_deadline``; default ``simulation.n_sims``.

    Returns
    -------
    RecruitmentResult

    Raises
    ------
    ScenarioError
        No ``[recruitment]`` table, or a bad argument (named).

    Examples
    --------
    One site open from the start screening 2 patients a month, 20 to enrol:
    with the same rate at every site (``rate_cv = 0``) the time to full
    enrolment is Gamma(20, rate 2), mean 10 months.

    >>> from simulator import Scenario
    >>> from simulator.ops.recruitment import simulate_recruitment
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 10}, "pain": {"effect": -1.0},
    ...                         "recruitment": {"sites": 1, "rate_per_site_month": 2.0,
    ...                                         "rate_cv": 0.0}})
    >>> r = simulate_recruitment(s, n_reps=2000, seed=1)
    >>> abs(r.months_to_full_enrolment.mean - 10.0) < 4 * r.months_to_full_enrolment.mean_se
    True
    """
    a = _check_arguments(scenario, n_reps, seed, n_jobs, deadline_months, path, n_power_sims)
    model = RecruitmentModel.of(a.scenario)
    root = np.random.SeedSequence(a.seed)
    rep_root, vec_root, power_root = root.spawn(3)
    if a.path == "simpy":
        jobs = _simpy_jobs(model, rep_root, a.n_reps)
    else:
        jobs = _vector_jobs(model, vec_root, a.n_reps, a.scenario.simulation.chunk_mb)
    timelines, pids = _run_jobs(jobs, n_jobs)
    power_seed = int(power_root.generate_state(1, np.uint64)[0])
    return summarise(a.scenario, a.path, root, timelines, a.deadline, power_seed,
                     a.n_power_sims, n_jobs, pids)


def _run_jobs(jobs: Iterator[Any], n_jobs: int) -> tuple[RecruitmentTimelines, tuple[int, ...]]:
    """Run the tasks on joblib workers; their timelines in task order, and the processes."""
    parts, pids = [], set()
    for timelines, pid in joblib.Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
        parts.append(timelines)
        pids.add(pid)
    return RecruitmentTimelines.concatenate(parts), tuple(sorted(pids))


def _simpy_jobs(model: RecruitmentModel, rep_root: np.random.SeedSequence,
                n_reps: int) -> Iterator[Any]:
    """joblib tasks of ``SIMPY_CHUNK`` replications, one stream per replication."""
    seeds = rep_root.spawn(n_reps)
    return (joblib.delayed(run_simpy_chunk)(model, seeds[i:i + SIMPY_CHUNK])
            for i in range(0, n_reps, SIMPY_CHUNK))


def _vector_jobs(model: RecruitmentModel, vec_root: np.random.SeedSequence, n_reps: int,
                 chunk_mb: float) -> Iterator[Any]:
    """joblib tasks of memory-sized chunks, one stream per chunk."""
    chunks = chunk_layout(n_reps, bytes_per_replication(model), chunk_mb)
    return (joblib.delayed(run_vector_chunk)(model, k, s)
            for k, s in zip(chunks, vec_root.spawn(len(chunks))))


@dataclass(frozen=True, slots=True)
class _Arguments:
    """The checked arguments of :func:`simulate_recruitment`, defaults filled in."""

    scenario: Scenario
    n_reps: int
    seed: int
    path: str  # the path chosen: "simpy" or "vectorized"
    deadline: float | None
    n_power_sims: int


def _check_path(scenario: Scenario, path: Any) -> str:
    """The path that ``path`` chooses for the scenario."""
    if path not in _PATH_CHOICES:
        raise ScenarioError(f"path = {path!r}: must be one of "
                            f"{', '.join(repr(p) for p in _PATH_CHOICES)}")
    chosen = _PATH_CHOICES[path](scenario)
    if chosen == "vectorized" and scenario.recruitment.chairs_per_site is not None:
        raise ScenarioError(
            f"{scenario.source}: path 'vectorized' has no capacity limit, but [recruitment] "
            f"chairs_per_site = {scenario.recruitment.chairs_per_site}; use path 'simpy' or "
            "'auto'")
    return chosen


def _check_arguments(scenario: Any, n_reps: Any, seed: Any, n_jobs: Any, deadline_months: Any,
                     path: Any, n_power_sims: Any) -> _Arguments:
    """Check every argument once, naming it."""
    scenario = check_recruitment_scenario(scenario)
    n_reps = DEFAULT_N_REPS if n_reps is None else n_reps
    check_count("n_reps", n_reps, 2)
    if n_reps * scenario.design.n_total > MAX_PATIENT_REPLICATIONS:
        raise ScenarioError(
            f"n_reps = {n_reps}: {n_reps} replications x {scenario.design.n_total} patients "
            f"keep more than {MAX_PATIENT_REPLICATIONS:,} patient timelines; use at most "
            f"{MAX_PATIENT_REPLICATIONS // scenario.design.n_total} replications")
    seed = scenario.seed if seed is None else seed
    check_count("seed", seed, 0)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ScenarioError(f"n_jobs = {n_jobs!r}: must be a non-zero integer (-1 = all cores)")
    chosen = _check_path(scenario, path)
    deadline = check_deadline(scenario.recruitment.deadline_months if deadline_months is None
                              else deadline_months)
    n_power_sims = scenario.simulation.n_sims if n_power_sims is None else n_power_sims
    check_count("n_power_sims", n_power_sims, 2)
    return _Arguments(scenario=scenario, n_reps=int(n_reps), seed=int(seed), path=chosen,
                      deadline=deadline, n_power_sims=int(n_power_sims))
