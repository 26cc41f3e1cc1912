"""When will the review be settled? The update's calendar date, and P(settled by a date).

The model
---------
Each future of ``trialsim resolve`` adds ``k = meta_analysis.new_trials`` new
trials of the scenario's design. With a ``[recruitment]`` table, each new
trial recruits on its own, at the same time as the others, as
:func:`~simulator.ops.recruitment.simulate_recruitment` simulates it (sites
opening, Poisson-gamma screening, infusion chairs, follow-up); the review is
updated ``meta_analysis.analysis_lag_months`` after the last primary outcome
of the last of the k trials:

    D = max_j (last primary outcome of trial j) + lag      (months from the start)

So ``P(update by t) = P(D <= t)``, estimated from ``n_reps`` futures of k
independent recruitment timelines each. In the model a trial's dates do not
depend on its results (it recruits to its full n whatever its patients
report), so the update is settled by ``t`` with probability

    P(settled by t) = P(settled) x P(D <= t),

the two factors from independent simulations (``P(settled)`` is the headline
rule of the resolve run), with the delta-method SE
``sqrt(q^2 se_p^2 + p^2 se_q^2 + se_p^2 se_q^2)`` (exact for a product of
independent estimates). A future that does not settle is never settled by
its update, so ``P(settled by t)`` levels off at ``P(settled)``; the median
date at which the review is settled is ``F_D^{-1}(1 / (2 P(settled)))`` when
``P(settled) >= 1/2`` and does not exist otherwise.

The grid: for each n per arm of a ``--n`` curve (its P(settled) at k new
trials) and each number of sites (opening evenly over the scenario's ramp),
the same with that trial's recruitment.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..mc import Z95, DistributionSummary, MonteCarloProbability
from ..planning.review_run import ReviewReport
from ..spec.bounds import HORIZON, is_horizon
from ..spec.recruitment import DAYS_PER_MONTH, MAX_SITES, even_ramp
from ..spec.scenario import Scenario
from ..spec.schema import evolve
from .recruitment import simulate_recruitment

__all__ = ["SettleCell", "SettleTime", "settle_time", "update_dates", "with_sites"]

_CURVE_POINTS = 41


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleCell:
    """One trial size and number of sites: when the review is updated and settled.

    Attributes
    ----------
    n_per_arm, sites : int
    p_settled : MonteCarloProbability
        P(the update is settled), from the resolve run at this n.
    update_months : DistributionSummary
        The update's date D, months from the start.
    p_update_by, p_settled_by : MonteCarloProbability or None
        P(D <= by) and P(settled by ``by``), when a date is asked about.
    median_settled_months : float or None
        The median date at which the review is settled (None when P(settled) < 1/2).
    """

    n_per_arm: int
    sites: int
    p_settled: MonteCarloProbability
    update_months: DistributionSummary
    p_update_by: MonteCarloProbability | None
    p_settled_by: MonteCarloProbability | None
    median_settled_months: float | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {"n_per_arm": self.n_per_arm, "sites": self.sites,
                **self.p_settled.to_dict("p_settled"),
                "update_months": self.update_months.to_dict(),
                **_optional(self.p_update_by, "p_update_by"),
                **_optional(self.p_settled_by, "p_settled_by"),
                "median_settled_months": self.median_settled_months}


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleTime:
    """When the review is settled (see the module notes).

    Attributes
    ----------
    rule : str
        The headline rule ("settled" by default) whose P(settled) is used.
    new_trials : int
    n_reps : int
        Futures of recruitment (each of ``new_trials`` timelines).
    analysis_lag_months : float
    start_date : str or None
        The calendar date of month 0.
    by_months : float or None
        The date asked about.
    cell : SettleCell
        The scenario's own design.
    months : tuple of float
        The time axis of ``curve`` (months from the start).
    curve : tuple of float
        P(settled by t) at each of ``months``, for the scenario's design.
    grid : tuple of SettleCell
        By n per arm and number of sites (empty when none was asked for).
    """

    rule: str
    new_trials: int
    n_reps: int
    analysis_lag_months: float
    start_date: str | None
    by_months: float | None
    cell: SettleCell
    months: tuple[float, ...]
    curve: tuple[float, ...]
    grid: tuple[SettleCell, ...] = ()

    def date_of(self, months: float | None) -> str | None:
        """The calendar date ``months`` after ``start_date`` (None without one, or beyond
        the year 9999, which no date can write)."""
        if months is None or self.start_date is None or not math.isfinite(months):
            return None
        try:
            day = date.fromisoformat(self.start_date) + timedelta(days=months * DAYS_PER_MONTH)
        except OverflowError:
            return None
        return day.isoformat()

    def to_dict(self) -> dict[str, Any]:
        """The ``settle_time`` block of ``trialsim resolve --json``."""
        return {"rule": self.rule, "new_trials": self.new_trials, "n_reps": self.n_reps,
                "analysis_lag_months": self.analysis_lag_months,
                "start_date": self.start_date, "by_months": self.by_months,
                "by_date": self.date_of(self.by_months), **self.cell.to_dict(),
                "median_settled_date": self.date_of(self.cell.median_settled_months),
                "curve": {"months": list(self.months), "p_settled_by": list(self.curve)},
                "grid": [c.to_dict() for c in self.grid],
                **({} if self.months else {"notes": [
                    "update_months and the curve are empty (null): in no future did a new "
                    "trial have a patient with a primary outcome, so no update has a date"]})}


def _optional(p: MonteCarloProbability | None, name: str) -> dict[str, Any]:
    return {name: None, f"{name}_se": None} if p is None else {name: p.value,
                                                                f"{name}_se": p.se}


def update_dates(scenario: Scenario, new_trials: int, n_reps: int, seed: int,
                 n_jobs: int = 1) -> np.ndarray:
    """The update's date D of ``n_reps`` futures (months), k timelines each.

    Parameters
    ----------
    scenario : Scenario
        With ``[recruitment]`` and ``[meta_analysis]``.
    new_trials : int
        k: trials recruiting at the same time, each on its own.
    n_reps : int
    seed : int
    n_jobs : int

    Returns
    -------
    ndarray, shape (n_reps,)
        NaN where a trial has no primary outcome at all.
    """
    quiet = evolve(scenario, {"recruitment.deadline_months": None})
    result = simulate_recruitment(quiet, n_reps=n_reps * new_trials, seed=seed, n_jobs=n_jobs)
    last = result.timelines.months_to_last_outcome.reshape(n_reps, new_trials)
    return last.max(axis=1) + scenario.meta_analysis.analysis_lag_months


def _product(p: MonteCarloProbability, q: MonteCarloProbability) -> MonteCarloProbability:
    """The product of two independent estimates, with its exact SE."""
    value = p.value * q.value
    se = math.sqrt(q.value ** 2 * p.se ** 2 + p.value ** 2 * q.se ** 2 + p.se ** 2 * q.se ** 2)
    return MonteCarloProbability(value=value, se=se,
                                 ci=(max(0.0, value - Z95 * se), min(1.0, value + Z95 * se)),
                                 n_sims=min(p.n_sims, q.n_sims))


def _cell(dates: np.ndarray, p_settled: MonteCarloProbability, n_per_arm: int, sites: int,
          by: float | None) -> SettleCell:
    finite = np.where(np.isfinite(dates), dates, np.inf)
    p_update = p_settled_by = None
    if by is not None:
        p_update = MonteCarloProbability.from_counts(int((finite <= by).sum()), dates.size)
        p_settled_by = _product(p_settled, p_update)
    median = None
    if p_settled.value >= 0.5:
        level = min(1.0, 0.5 / p_settled.value)
        median = float(np.quantile(finite, level)) if level < 1 else float(finite.max())
        median = median if math.isfinite(median) else None
    return SettleCell(n_per_arm=n_per_arm, sites=sites, p_settled=p_settled,
                      update_months=DistributionSummary.from_samples(dates),
                      p_update_by=p_update, p_settled_by=p_settled_by,
                      median_settled_months=median)


def with_sites(scenario: Scenario, sites: int) -> Scenario:
    """The scenario with ``sites`` sites opening evenly over its ramp."""
    spec = scenario.recruitment
    if sites == spec.sites:
        return scenario
    ramp = spec.opening_ramp
    if ramp is None:
        raise ScenarioError(f"--sites {sites}: the scenario's sites do not open evenly over a "
                            "ramp, so another number of sites has no opening times; give "
                            "[recruitment] site_open_months as one number (a ramp)")
    return evolve(scenario, {"recruitment.sites": sites,
                             "recruitment.site_open_months": even_ramp(ramp, sites)})


def settle_time(report: ReviewReport, *, sites: Sequence[int] | None = None,
                by_months: float | None = None, n_reps: int = 1000, seed: int | None = None,
                n_jobs: int = 1) -> SettleTime:
    """When the review is settled: the update's date and P(settled by a date).

    Parameters
    ----------
    report : ReviewReport
        A resolve run of a scenario with ``[recruitment]``; its ``curves``
        (``--n``), if any, give the grid's sizes.
    sites : sequence of int, optional
        Numbers of sites for the grid (default the scenario's).
    by_months : float, optional
        The date asked about (default ``meta_analysis.settled_by_months``).
    n_reps : int
        Futures of recruitment per cell.
    seed : int, optional
        Default the scenario's seed; every cell uses the same.
    n_jobs : int

    Returns
    -------
    SettleTime

    Raises
    ------
    ScenarioError
        Without ``[recruitment]``, or with a bad argument (named).
    """
    if not isinstance(report, ReviewReport):
        raise ScenarioError(f"report = {report!r:.60}: must be the ReviewReport of "
                            "resolve_review")
    if sites is not None and (isinstance(sites, (str, bytes)) or not all(
            isinstance(k, numbers.Integral) and not isinstance(k, bool) and 1 <= k <= MAX_SITES
            for k in sites) or not list(sites)):
        raise ScenarioError(f"sites = {sites!r}: must be one or more numbers of sites "
                            f"(integers in [1, {MAX_SITES}])")
    scenario = report.scenario
    if scenario.recruitment is None:
        raise ScenarioError(f"{scenario.source}: [recruitment]: required for the date the "
                            "review is settled (the new trials' recruitment)")
    if isinstance(n_reps, bool) or not isinstance(n_reps, int) or n_reps < 2:
        raise ScenarioError(f"n_reps = {n_reps!r}: must be an integer >= 2")
    meta = scenario.meta_analysis
    by = meta.settled_by_months if by_months is None else by_months
    if by is not None and not is_horizon(by):
        raise ScenarioError(f"by_months = {by!r}: {HORIZON}")
    seed = scenario.seed if seed is None else seed
    res, k = report.result.resolve, meta.new_trials
    dates = update_dates(scenario, k, n_reps, seed, n_jobs)
    cell = _cell(dates, res.p_conclusive[res.rules[0]], scenario.design.n_per_arm,
                 scenario.recruitment.sites, by)
    months, curve = _curve(dates, cell.p_settled.value)
    return SettleTime(rule=res.rules[0], new_trials=k, n_reps=n_reps,
                      analysis_lag_months=meta.analysis_lag_months,
                      start_date=meta.start_date, by_months=by, cell=cell, months=months,
                      curve=curve, grid=_grid(report, sites, by, n_reps, seed, n_jobs))


def _curve(dates: np.ndarray, p_settled: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """P(settled by t) on an even time axis up to the latest update (none when no future
    had an update date: no new trial had a patient with a primary outcome)."""
    finite = np.sort(dates[np.isfinite(dates)])
    if finite.size == 0:
        return (), ()
    months = np.linspace(0.0, float(finite[-1]) * 1.05, _CURVE_POINTS)
    share = np.searchsorted(finite, months, side="right") / dates.size
    return tuple(float(m) for m in months), tuple(float(p_settled * q) for q in share)


def _grid(report: ReviewReport, sites: Sequence[int] | None, by: float | None, n_reps: int,
          seed: int, n_jobs: int) -> tuple[SettleCell, ...]:
    scenario = report.scenario
    k = scenario.meta_analysis.new_trials
    sizes: dict[int, MonteCarloProbability] = {}
    if report.curves is not None:
        for point in report.curves[k].points:
            sizes[point.n_per_arm] = point.resolve.p_conclusive[point.resolve.rules[0]]
    if not sizes and not sites:
        return ()
    if not sizes:
        res = report.result.resolve
        sizes = {scenario.design.n_per_arm: res.p_conclusive[res.rules[0]]}
    cells = []
    for n, p_settled in sizes.items():
        for s in (sites or (scenario.recruitment.sites,)):
            variant = with_sites(evolve(scenario, {"design.n_per_arm": n}), s)
            cells.append(_cell(update_dates(variant, k, n_reps, seed, n_jobs), p_settled, n, s,
                               by))
    return tuple(cells)

