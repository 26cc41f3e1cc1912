"""From timelines to a :class:`RecruitmentResult`: summaries, costs and bands over time.

Means carry ``sd / sqrt(n_reps)``; quantiles an order-statistic standard
error; probabilities the binomial SE (see :mod:`simulator.mc`). The
quantities themselves are defined in :mod:`simulator.ops.recruitment`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...mc import DistributionSummary, MonteCarloMean, MonteCarloProbability
from ...planning.closed import completion_probabilities
from ...spec import RecruitmentSpec, Scenario
from .bands import TimeBands, count_at_most
from .deadline_power import power_at_deadline
from .interim_timing import interim_timing
from .model import DAYS_PER_MONTH
from .result import RecruitmentResult
from .timelines import RecruitmentTimelines
from .workdays import working_time

__all__ = ["summarise", "GRID_POINTS"]

GRID_POINTS = 121


def summarise(scenario: Scenario, path: str, root: np.random.SeedSequence,
              t: RecruitmentTimelines, deadline: float | None, power_seed: int,
              n_power_sims: int, n_jobs: int, pids: tuple[int, ...]) -> RecruitmentResult:
    """Summarise the timelines of a run into its result.

    Parameters
    ----------
    scenario : Scenario
    path : {"simpy", "vectorized"}
        The path that ran.
    root : SeedSequence
        The run's root seed (its entropy replays the run).
    t : RecruitmentTimelines
    deadline : float or None
        Months; None: no deadline outputs.
    power_seed, n_power_sims, n_jobs : int
        Of the power curve at the deadline.
    pids : tuple of int
        The processes that ran the replications.

    Returns
    -------
    RecruitmentResult
    """
    spec = scenario.recruitment
    full = t.months_to_full_enrolment
    last = t.months_to_last_outcome
    # the infusion phase: from the first opening to the last course end/withdrawal
    phase_days = (t.infusion_end_month - min(spec.site_open_months)) * DAYS_PER_MONTH
    mean = MonteCarloMean.from_samples
    trial_end = np.where(np.isfinite(last), np.maximum(last, t.infusion_end_month),
                         t.infusion_end_month)
    # bands over calendar time
    top = float(np.nanmax(np.concatenate([trial_end, full])))
    grid = np.linspace(0.0, top * 1.02, GRID_POINTS)
    return RecruitmentResult(
        scenario_name=scenario.name,
        path=path,
        n_reps=t.n_reps,
        seed_entropy=int(root.entropy),
        n_target=scenario.design.n_total,
        sites=spec.sites,
        chairs_per_site=spec.chairs_per_site,
        deadline_months=deadline,
        months_to_full_enrolment=DistributionSummary.from_samples(full),
        months_to_last_outcome=DistributionSummary.from_samples(last),
        notes=() if np.isfinite(last).any() else (
            "months_to_last_outcome is null: no patient had a primary outcome in any "
            "simulated trial",),
        rate_cv=spec.rate_cv,
        working_days_per_week=spec.working_days_per_week,
        n_screened=mean(t.n_screened),
        n_withdrawn_waiting=mean(t.withdrawn.sum(axis=1)),
        n_completed=mean(np.isfinite(t.outcome_month).sum(axis=1)),
        **_per_arm_outputs(scenario, t),
        mean_wait_days=mean(t.wait_days.mean(axis=1)),
        mean_number_waiting=mean(t.queue_area_days / phase_days),
        cost=_cost(scenario, t, trial_end),
        enrolment=TimeBands.from_matrix(grid, count_at_most(t.randomised_month, grid)),
        outcomes=TimeBands.from_matrix(grid, count_at_most(t.outcome_month, grid)),
        timelines=t,
        worker_pids=pids,
        **_chair_outputs(spec, t, grid),
        **_deadline_outputs(scenario, t, deadline, power_seed, n_power_sims, n_jobs),
        interim=None if scenario.interim is None else interim_timing(
            scenario, t, seed=power_seed, n_sims=n_power_sims, n_jobs=n_jobs),
    )


def _deadline_outputs(scenario: Scenario, t: RecruitmentTimelines, deadline: float | None,
                      power_seed: int, n_power_sims: int, n_jobs: int) -> dict[str, Any]:
    """The ``*_by_deadline`` and ``*_at_deadline`` fields (None without a deadline)."""
    if deadline is None:
        return dict(p_complete_by_deadline=None, n_randomized_by_deadline=None,
                    n_treated_by_deadline=None, n_completed_by_deadline=None,
                    power_at_deadline=None, assurance_at_deadline=None, power_seed=None,
                    n_per_arm_at_deadline={}, power_curve=None)
    mean = MonteCarloMean.from_samples
    d = t.by_deadline(deadline)
    at = power_at_deadline(scenario, d["n_treated_by_deadline"], power_seed, n_power_sims,
                           n_jobs)
    return dict(
        p_complete_by_deadline=MonteCarloProbability.from_counts(
            int(d["complete_by_deadline"].sum()), t.n_reps),
        n_randomized_by_deadline=mean(d["n_randomized_by_deadline"]),
        n_treated_by_deadline=mean(d["n_treated_by_deadline"]),
        n_completed_by_deadline=mean(d["n_completed_by_deadline"]),
        power_at_deadline=at.power, assurance_at_deadline=at.assurance, power_seed=power_seed,
        n_per_arm_at_deadline=at.n_per_arm, power_curve=at.curve)


def _per_arm_outputs(scenario: Scenario, t: RecruitmentTimelines) -> dict[str, Any]:
    """Primary outcomes per arm beside the power engine's expectation, and AE withdrawals."""
    has = np.isfinite(t.outcome_month)
    keep = completion_probabilities(scenario)
    return dict(
        arms=tuple(scenario.design.arms),
        n_completed_per_arm=tuple(MonteCarloMean.from_samples((has & (t.arm == a)).sum(axis=1))
                                  for a in range(len(keep))),
        expected_completed_per_arm=tuple(n * c for n, c in zip(scenario.design.group_sizes,
                                                                keep)),
        n_withdrawn_after_ae=MonteCarloMean.from_samples(t.withdrawn_after_ae.sum(axis=1)))


def _site_months(spec: RecruitmentSpec, full: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Per replication: months sites were open until ``end``, sites opened before ``full``."""
    opens = np.sort(np.asarray(spec.site_open_months))
    cum = np.concatenate([[0.0], np.cumsum(opens)])
    opened = np.searchsorted(opens, full, side="left")
    return opened * end - cum[opened]


def _cost(scenario: Scenario, t: RecruitmentTimelines,
          trial_end: np.ndarray) -> DistributionSummary | None:
    """Total cost per replication, when any unit cost is given."""
    spec = scenario.recruitment
    if not (spec.cost_per_patient or spec.cost_per_site_month or spec.cost_per_infusion):
        return None
    site_months = _site_months(spec, t.months_to_full_enrolment, trial_end)
    treated = ~t.withdrawn
    total = (spec.cost_per_patient * scenario.design.n_total
             + spec.cost_per_infusion * spec.sessions_per_patient * treated.sum(axis=1)
             + spec.cost_per_site_month * site_months)
    return DistributionSummary.from_samples(total)


def _chair_utilisation(spec: RecruitmentSpec, t: RecruitmentTimelines) -> np.ndarray:
    """Per replication: session hours over chair opening hours, sites opened in time.

    Opening hours count working days only, from each site's opening (if
    before full enrolment) to the end of the infusion phase.
    """
    w = spec.working_days_per_week
    opens = np.asarray(spec.site_open_months) * DAYS_PER_MONTH
    opened = opens[None, :] < (t.months_to_full_enrolment * DAYS_PER_MONTH)[:, None]
    end = working_time(t.infusion_end_month * DAYS_PER_MONTH, w)
    working_days_open = np.where(opened, end[:, None] - working_time(opens, w)[None, :],
                                 0.0).sum(axis=1)
    hours_open = working_days_open * spec.chairs_per_site * spec.hours_per_day
    return t.busy_area_days * spec.session_hours / hours_open


def _chair_outputs(spec: RecruitmentSpec, t: RecruitmentTimelines,
                   grid: np.ndarray) -> dict[str, Any]:
    """Chair utilisation overall and over time, and its ceiling (None without chairs)."""
    if spec.chairs_per_site is None:
        return dict(utilisation=None, utilisation_ceiling=None, chair_utilisation=None)
    per_day = math.floor(spec.hours_per_day / spec.session_hours + 1e-9)
    ceiling = per_day * spec.session_hours / spec.hours_per_day
    busy = count_at_most(t.start_month, grid) - count_at_most(t.course_end_month, grid)
    opens = np.sort(np.asarray(spec.site_open_months))
    open_now = np.minimum(np.searchsorted(opens, grid, side="right")[None, :],
                          np.searchsorted(opens, t.months_to_full_enrolment,
                                          side="left")[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        util = np.where(open_now > 0, busy * spec.session_hours
                        / (open_now * spec.chairs_per_site * spec.hours_per_day), np.nan)
    return dict(utilisation=TimeBands.from_matrix(grid, util), utilisation_ceiling=ceiling,
                chair_utilisation=MonteCarloMean.from_samples(_chair_utilisation(spec, t)))
