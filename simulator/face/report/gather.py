"""What a report shows, computed by the planning and ops layers: one call each.

:func:`gather_report` runs the scenario (power, harms, assurance, the runs
without dropout and without unblinding), a power curve around its n, the
other estimands, the review's update by one to several new trials, the
recruitment, and the interim design, each only where the scenario has it;
the report's sections read the :class:`ReportData` it returns and compute
nothing of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import ConvergenceError, ScenarioError
from ...ops.recruitment import RecruitmentResult, simulate_recruitment
from ...engine.kernel import staged
from ...planning.cost import estimated_seconds, timeline_seconds, workers
from ...planning.boundary_table import BoundaryTable, boundary_table, z_paths
from ...planning.curves import PowerCurve, conclusive_curves, power_curve
from ...planning.results import SimulationResult
from ...planning.simulate import simulate
from ...planning.solver import SampleSize, solve_sample_size
from ...planning.value import value_of_information
from ...planning.value_results import ValueResult
from ...provenance import RunProvenance
from ...spec import Scenario
from ...spec.schema import evolve
from ...spec.settings import ESTIMANDS
from ..progress import Progress

__all__ = ["ReportData", "gather_report", "report_seconds", "curve_sizes", "MAX_REVIEW_TRIALS"]

#: The review's update is shown for 1 .. this many new trials (or the scenario's, if more).
MAX_REVIEW_TRIALS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportData:
    """Everything a report shows.

    Attributes
    ----------
    scenario : Scenario
    result : SimulationResult
        The scenario at its own n, with closed forms and comparison runs.
    curve : PowerCurve
        Power (and harms, assurance) around the scenario's n.
    target : float or None
    size : SampleSize or None
        The n per arm for ``target`` power, when asked.
    unreachable : str or None
        Why ``target`` cannot be reached.
    estimands : dict of str to SimulationResult
        The scenario under each estimand it allows (its own included).
    estimands_refused : dict of str to str
        The estimands it does not allow, and why.
    review : dict of int to SimulationResult or None
        With ``[meta_analysis]``: the update by k new trials, k = 1 ...
    conclusive : dict of int to PowerCurve or None
        P(conclusive) over n per arm, per number of new trials.
    recruitment : RecruitmentResult or None
    boundaries : BoundaryTable or None
    z_paths : ndarray or None
        Simulated trials' z at each look (the boundaries figure).
    value : ValueResult or None
        With ``[decision]``: EVPI, EVSI and ENBS over the power curve's sizes.
    n_sims, seed : int
    provenance : RunProvenance
    overrides : dict
        The ``--set`` values.
    """

    scenario: Scenario
    result: SimulationResult
    curve: PowerCurve
    target: float | None = None
    size: SampleSize | None = None
    unreachable: str | None = None
    estimands: dict[str, SimulationResult] = field(default_factory=dict)
    estimands_refused: dict[str, str] = field(default_factory=dict)
    review: dict[int, SimulationResult] | None = None
    conclusive: dict[int, PowerCurve] | None = None
    recruitment: RecruitmentResult | None = None
    boundaries: BoundaryTable | None = None
    z_paths: np.ndarray | None = None
    value: ValueResult | None = None
    n_sims: int = 0
    seed: int = 0
    provenance: RunProvenance
    overrides: dict[str, Any] = field(default_factory=dict)


def curve_sizes(n: int, solved: int | None = None) -> list[int]:
    """The n per arm of the report's power curve: a quarter of n to twice n, and n.

    Examples
    --------
    >>> curve_sizes(135)
    [34, 68, 101, 135, 169, 202, 236, 270]
    """
    grid = {max(4, round(n * f)) for f in (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)}
    return sorted(grid | {n} | ({solved} if solved else set()))


def _estimands(scenario: Scenario, options: dict[str, Any], progress: Progress | None
               ) -> tuple[dict[str, SimulationResult], dict[str, str]]:
    """The scenario under each other estimand it allows (only with dropout: else they agree)."""
    runs: dict[str, SimulationResult] = {}
    refused: dict[str, str] = {}
    if scenario.dropout.rate == 0 and not scenario.dropout.after_ae:
        return runs, refused
    for name in ESTIMANDS:
        if name == scenario.analysis.estimand:
            continue
        try:
            variant = evolve(scenario, {"analysis.estimand": name})
        except ScenarioError as exc:
            refused[name] = str(exc).split(": ", 1)[-1]
            continue
        runs[name] = simulate(variant, closed_forms=False, comparisons=False,
                              progress=staged(progress, f"estimand {name}"), **options)
    return runs, refused


def _review(scenario: Scenario, options: dict[str, Any], progress: Progress | None):
    """The update by k = 1 .. K new trials, and P(conclusive) over n for each k.

    One pass of K trials per future (:func:`conclusive_curves`); the update
    by k trials at the scenario's n is its curve's point there (the grid
    holds n).
    """
    k_max = max(MAX_REVIEW_TRIALS, scenario.meta_analysis.new_trials)
    n = scenario.design.n_per_arm
    curves = conclusive_curves(evolve(scenario, {"meta_analysis.new_trials": k_max}),
                               curve_sizes(n), closed_forms=True, comparisons=False,
                               progress=staged(progress, "P(conclusive) over n"), **options)
    review = {k: c.points[c.n_per_arm.index(n)] for k, c in curves.items()}
    return review, curves


def report_seconds(scenario: Scenario, *, n_sims: int | None = None, n_jobs: int = 1,
                   target: float | None = None) -> float:
    """A rough estimate of :func:`gather_report`'s runs, one term per run it makes.

    The trial, the sample-size solve (about ten runs), the power curve, the
    other estimands, the review's one pass of K trials over the curve's sizes,
    the recruitment timelines and the value of information.
    """
    cost = {"n_sims": n_sims, "n_jobs": n_jobs}
    n = scenario.design.n_per_arm
    one = estimated_seconds(scenario, **cost)
    total = one + (10 * one if target is not None else 0.0)
    total += estimated_seconds(scenario, curve_sizes(n), **cost)
    if scenario.dropout.rate > 0 or scenario.dropout.after_ae:
        total += (len(ESTIMANDS) - 1) * estimated_seconds(scenario, closed_forms=False,
                                                          comparisons=False, **cost)
    if scenario.meta_analysis is not None:
        k_max = max(MAX_REVIEW_TRIALS, scenario.meta_analysis.new_trials)
        total += estimated_seconds(evolve(scenario, {"meta_analysis.new_trials": k_max}),
                                   curve_sizes(n), comparisons=False, **cost)
    if scenario.recruitment is not None:
        reps = max(2, min(1000, n_sims or scenario.simulation.n_sims))
        total += timeline_seconds(scenario, reps) / workers(n_jobs) + one
    if scenario.decision is not None:
        total += estimated_seconds(scenario, curve_sizes(n), closed_forms=False, **cost)
    return total


def gather_report(scenario: Scenario, *, n_sims: int | None = None, seed: int | None = None,
                  n_jobs: int = 1, target: float | None = None,
                  progress: Progress | None = None, provenance: RunProvenance,
                  overrides: Mapping[str, Any] | None = None) -> ReportData:
    """Run everything the report of ``scenario`` shows.

    Parameters
    ----------
    scenario : Scenario
    n_sims : int, optional
        Trials per run (per n for curves; replications of the recruitment,
        at most 1,000); default ``simulation.n_sims``.
    seed : int, optional
        Default ``scenario.seed``; every run uses it.
    n_jobs : int
    target : float, optional
        Also solve the n per arm for this power.
    progress : Progress, optional
        A bar with one stage per run.
    provenance : RunProvenance
    overrides : mapping, optional
        The ``--set`` values (for the inputs' sources).

    Returns
    -------
    ReportData
    """
    n_sims = scenario.simulation.n_sims if n_sims is None else int(n_sims)
    seed = scenario.seed if seed is None else int(seed)
    options = dict(n_sims=n_sims, seed=seed, n_jobs=n_jobs)
    result = simulate(scenario, progress=staged(progress, "the trial"), **options)
    size = unreachable = None
    if target is not None:
        try:
            size = solve_sample_size(scenario, target=target,
                                     progress=staged(progress, "sample size"), **options)
        except ConvergenceError as exc:
            unreachable = str(exc)
    curve = power_curve(scenario, curve_sizes(scenario.design.n_per_arm,
                                              size.n_per_arm if size else None),
                        closed_forms=True, progress=staged(progress, "power curve"), **options)
    estimands, refused = _estimands(scenario, options, progress)
    review = curves = recruitment = table = paths = None
    if scenario.meta_analysis is not None:
        review, curves = _review(scenario, options, progress)
    if scenario.recruitment is not None:
        recruitment = simulate_recruitment(scenario, n_reps=max(2, min(1000, n_sims)),
                                           seed=seed, n_jobs=n_jobs, n_power_sims=n_sims)
    if scenario.interim is not None:
        table, paths = boundary_table(scenario), z_paths(scenario, 20, seed)
    value = None
    if scenario.decision is not None:  # value needs [decision] (it says what else is missing)
        value = value_of_information(scenario, curve_sizes(scenario.design.n_per_arm),
                                     progress=staged(progress, "value of information"),
                                     **options)
    return ReportData(scenario=scenario, result=result, curve=curve, target=target, size=size,
                      unreachable=unreachable, estimands=estimands, estimands_refused=refused,
                      review=review, conclusive=curves, recruitment=recruitment,
                      boundaries=table, z_paths=paths, value=value, n_sims=n_sims, seed=seed,
                      provenance=provenance, overrides=dict(overrides or {}))
