"""Simulate a scenario: its trials, and the result with its Monte Carlo error.

The run is assembled from features (:mod:`simulator.planning.plan`): each
contributes passes and collectors to the engine's kernel and turns the
totals into its fields of the result. Closed forms and the comparison runs
of a report are computed only when asked for.

Reproducibility rule: trials come in blocks whose size depends only on the
memory one trial needs (see :mod:`simulator.engine.layout`); block ``j``
always draws from child ``j`` of ``SeedSequence(seed)``; block results are
combined in block order. So a seed gives the same numbers on 1 worker, 2,
any joblib backend, and any ``simulation.chunk_mb``.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..checks import check_flags
from ..engine.dispatch import PathName, choose_path
from ..engine.kernel import Pass, Totals, run
from ..engine.layout import Layout, bytes_per_trial
from ..engine.looks import run_grid
from ..errors import ScenarioError
from ..models.estimand_truth import estimand_truth
from ..models.truth import true_crossover_effect
from ..spec.bounds import N_SIMS, SEED, is_n_sims, is_seed
from ..spec.scenario import Scenario, require_scenario
from ..spec.variants import at_n, first_period_equivalent
from .assurance import Assurance
from .comparisons import Comparisons
from .harms import Harms
from .multiarm import MultiArm
from .notes import notes
from .plan import Feature, Plan, Point
from .primary import Primary
from .relevance import Relevance
from .resolve import Resolve
from .results import SimulationResult
from .sequential import Sequential
from .unblinding import Unblinding

__all__ = ["simulate", "simulate_grid", "planned", "data_path", "check_run", "checked_seed",
           "checked_sizes", "ProgressCallback", "FEATURES"]

ProgressCallback = Callable[[int, int], None]

#: The parts of a simulation result, in the order their fields are filled.
FEATURES: tuple[Feature, ...] = (Primary(), Harms(), Assurance(), MultiArm(), Comparisons(),
                                 Resolve(), Relevance(), Unblinding(), Sequential())


def simulate(
    scenario: Scenario,
    *,
    n_sims: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    path: PathName = "auto",
    progress: ProgressCallback | None = None,
    closed_forms: bool = True,
    comparisons: bool | None = None,
) -> SimulationResult:
    """Simulate many trials of a scenario and summarise their operating characteristics.

    Parameters
    ----------
    scenario : Scenario
    n_sims : int, optional
        Number of trials; default ``scenario.simulation.n_sims``.
    seed : int, optional
        Root seed; default ``scenario.seed``.
    n_jobs : int
        joblib workers (loky processes); the result does not depend on it.
    path : {"auto", "aggregate", "patient"}
        Data path; ``auto`` picks the aggregate path when it is exact.
    progress : callable, optional
        Called as ``progress(trials_done, trials_total)`` after each task (a run of blocks).
    closed_forms : bool
        Compute the closed forms beside the simulation (default True).
    comparisons : bool, optional
        Run the comparison runs of a report (power without dropout, the
        estimate without unblinding); default ``closed_forms``.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> from simulator import Scenario, simulate
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 100},
    ...                         "pain": {"effect": -1.0, "analysis": "followup"}})
    >>> r = simulate(s, n_sims=20_000, seed=1)
    >>> abs(r.power.value - r.analytic_power) < 4 * r.power.se
    True
    """
    return simulate_grid(scenario, None, n_sims=n_sims, seed=seed, n_jobs=n_jobs, path=path,
                         progress=progress, closed_forms=closed_forms,
                         comparisons=comparisons)[0]


def simulate_grid(
    scenario: Scenario,
    n_per_arm: Sequence[int] | None,
    *,
    n_sims: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    path: PathName = "auto",
    progress: ProgressCallback | None = None,
    closed_forms: bool = True,
    comparisons: bool | None = None,
    block_size: int | None = None,
    trial_prefixes: bool = False,
) -> list[SimulationResult]:
    """Simulate a scenario at several sample sizes on common random numbers.

    Every trial is simulated once at the largest ``n_per_arm``; each smaller
    size analyses the first patients of the same trial. Differences between
    sizes are therefore not Monte Carlo noise, and the whole grid costs about
    one evaluation at its largest size.

    Parameters
    ----------
    scenario : Scenario
    n_per_arm : sequence of int or None
        Sizes of the reference arm (other arms follow the allocation); None
        means the scenario's own ``design.n_per_arm``.
    n_sims, seed, n_jobs, path, progress
        As in :func:`simulate`.
    closed_forms : bool
        Compute the closed forms at each size (searches switch them off).
    comparisons : bool, optional
        Run the comparison runs of a report; default ``closed_forms``.
    block_size : int, optional
        Force the block size (trials per random stream) instead of deriving
        it from the memory one trial needs, so that several scenarios share
        the same random streams block by block (a sweep's common random
        numbers).
    trial_prefixes : bool
        With ``[meta_analysis]``: each result's ``resolve.by_trials`` also
        holds the update judged by the first ``k`` of each future's new
        trials, ``k = 1 .. new_trials`` (see :func:`~simulator.planning.curves.conclusive_curves`).

    Returns
    -------
    list of SimulationResult
        One per size, in increasing order of size.
    """
    n_sims, seed = check_run(scenario, n_sims, seed, n_jobs, block_size)
    check_flags(closed_forms=closed_forms, comparisons=comparisons,
                trial_prefixes=trial_prefixes)
    if progress is not None and not callable(progress):
        raise ScenarioError(f"progress = {progress!r}: must be a callable progress(done, "
                            "total), or None")
    first_period = (scenario.design.kind == "crossover"
                    and scenario.design.crossover_analysis == "first-period")
    scenario = first_period_equivalent(scenario)
    points, plan, passes = planned(scenario, n_per_arm, path=path, closed_forms=closed_forms,
                                   comparisons=comparisons, trial_prefixes=trial_prefixes)
    per_trial = max(bytes_per_trial(p.scenario, p.path,
                                    len(run_grid(plan.grid, p.scenario).sizes))
                    * p.trials_per_sim for p in passes)
    layout = Layout.of(n_sims, per_trial, scenario.simulation.chunk_mb, block=block_size)
    totals = run(passes, plan.grid, layout.tasks(), seed=seed, n_jobs=n_jobs,
                 progress=progress)
    return [_result(Point(scenario=p, counts=totals.at(g), n_sims=totals.n_sims, plan=plan),
                    totals, seed, first_period) for g, p in enumerate(points)]


def planned(scenario: Scenario, n_per_arm: Sequence[int] | None, *, path: PathName = "auto",
            closed_forms: bool = True, comparisons: bool | None = None,
            trial_prefixes: bool = False, truth: bool = True
            ) -> tuple[list[Scenario], Plan, list[Pass]]:
    """What :func:`simulate_grid` would run, without running it.

    ``truth=False`` leaves the estimand's value out of the plan (0): it can
    take a large simulated trial, and an estimate of the cost needs only the
    passes.

    Returns
    -------
    points : list of Scenario
        The scenario at each size, increasing.
    plan : Plan
    passes : list of Pass
        Every feature's passes, with the collectors of every feature.
    """
    scenario = first_period_equivalent(scenario)
    points = [at_n(scenario, n) for n in checked_sizes(scenario, n_per_arm)]
    plan = _plan(scenario, points, path, closed_forms,
                 closed_forms if comparisons is None else comparisons, trial_prefixes,
                 with_truth=truth)
    return points, plan, _passes(plan)


def checked_sizes(scenario: Scenario, n_per_arm: Sequence[int] | None) -> list[int]:
    """The sizes of a grid, increasing and distinct: the scenario's own when None.

    Raises
    ------
    ScenarioError
        Naming ``n_per_arm`` when it is not a non-empty sequence of integers
        (each size's range is then checked as ``design.n_per_arm``).
    """
    if n_per_arm is None:
        return [scenario.design.n_per_arm]
    values = (None if isinstance(n_per_arm, (str, bytes)) or not isinstance(n_per_arm, Iterable)
              else list(n_per_arm))
    if not values or any(isinstance(v, bool) or not isinstance(v, numbers.Integral)
                         for v in values):
        raise ScenarioError(f"n_per_arm = {n_per_arm!r}: must be one or more sizes per arm "
                            "(integers)")
    return sorted({int(v) for v in values})


def data_path(scenario: Scenario, path: PathName = "auto") -> str:
    """The data path a run of the scenario takes (``aggregate`` or ``patient``)."""
    return choose_path(first_period_equivalent(scenario), path)


def check_run(scenario: Scenario, n_sims, seed, n_jobs, block_size) -> tuple[int, int]:
    """A run's ``n_sims`` and ``seed`` (the scenario's when None), after checking them,
    ``n_jobs`` and ``block_size``; ScenarioError naming the argument otherwise."""
    require_scenario(scenario)
    n_sims = scenario.simulation.n_sims if n_sims is None else n_sims
    if not is_n_sims(n_sims):
        raise ScenarioError(f"n_sims = {n_sims!r}: {N_SIMS}")
    n_sims = int(n_sims)
    if (isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral)
            or n_jobs == 0):
        raise ScenarioError(f"n_jobs = {n_jobs!r}: must be a non-zero integer (-1 = all cores)")
    seed = checked_seed(scenario, seed)
    if block_size is not None and (isinstance(block_size, bool)
                                   or not isinstance(block_size, int) or block_size < 1):
        raise ScenarioError(f"block_size = {block_size!r}: must be an integer >= 1")
    return n_sims, seed


def checked_seed(scenario: Scenario, seed) -> int:
    """The root seed of a run: ``seed``, or the scenario's when None; ScenarioError
    naming it when it is not an integer >= 0 (what ``numpy.random.SeedSequence`` takes),
    or when ``scenario`` is not a Scenario."""
    require_scenario(scenario)
    seed = scenario.seed if seed is None else seed
    if not is_seed(seed):
        raise ScenarioError(f"seed = {seed!r}: {SEED}")
    return int(seed)


def _plan(scenario: Scenario, points: list[Scenario], path: PathName, closed_forms: bool,
          comparisons: bool, trial_prefixes: bool = False, with_truth: bool = True) -> Plan:
    largest = points[-1]
    if not with_truth:
        truth, truth_se = 0.0, 0.0
    elif scenario.design.kind == "crossover":
        truth, truth_se = true_crossover_effect(scenario.pain, scenario.design.period_effect), 0.0
    else:
        truth, truth_se = estimand_truth(scenario)
    return Plan(scenario=largest, path=choose_path(largest, path),
                grid=[p.design.group_sizes for p in points], truth=truth, truth_se=truth_se,
                closed_forms=closed_forms, comparisons=comparisons,
                trial_prefixes=trial_prefixes)


def _passes(plan: Plan) -> list[Pass]:
    """Every feature's passes, each with the collectors the features add to it."""
    passes = [p for f in FEATURES for p in f.passes(plan)]
    extra: dict[str, list] = {}
    for f in FEATURES:
        for name, collectors in f.collectors(plan).items():
            extra.setdefault(name, []).extend(collectors)
    return [dataclasses.replace(p, collectors=p.collectors + tuple(extra.get(p.name, ())))
            for p in passes]


def _result(point: Point, totals: Totals, seed: int, first_period: bool) -> SimulationResult:
    s = point.scenario
    fields: dict[str, Any] = dict(
        scenario_name=s.name, arms=s.design.arms, group_sizes=s.design.group_sizes,
        n_sims=totals.n_sims,
        design=s.design.kind if not first_period else "crossover-first-period",
        path=point.plan.path, analysis=s.pain.analysis, alpha=s.analysis.alpha,
        sided=s.analysis.sided, seed_entropy=seed,
        evidence=tuple(_evidence_summary(e) for e in s.evidence_used()),
        notes=notes(s), worker_processes=totals.worker_processes)
    parts: dict[str, Any] = {}
    for feature in FEATURES:
        summary = dict(feature.summarise(point))
        parts.update(summary.pop("parts", {}))
        fields["notes"] += tuple(summary.pop("notes", ()))
        fields.update(summary)
    return SimulationResult(**fields, parts=parts)


def _evidence_summary(entry) -> dict:
    return {"key": entry.key, "estimate": entry.estimate, "se": entry.se, "tag": entry.tag,
            "tags": list(entry.tags), "weak": entry.weak, "study": entry.study,
            "source": entry.source}
