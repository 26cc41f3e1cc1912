"""The calendar dates of a sequential trial's looks, and its expected time of stopping.

With ``[interim]``, look ``k`` analyses the first ``m_kj`` randomised
patients of each arm ``j`` (:func:`simulator.engine.looks.look_sizes`). It
can take place once every one of them has had their primary outcome fall
due: ``course_end + followup_months`` for a treated patient, whether or not
they dropped out (a patient who withdrew waiting for a chair does not delay
it). Per replication, the look's date is the latest of those dates.

Recruitment is independent of the outcomes, so the probability of stopping
at look ``k`` (efficacy or futility) comes from one run of the power engine
on the scenario, and the expected date of the end of the trial is
``sum_k P(stop at k) E[T_k]``; its standard error adds the replications'
error of each ``E[T_k]`` and the multinomial error of the ``P(stop at k)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...engine.looks import look_sizes
from ...mc import DistributionSummary, MonteCarloMean
from ...planning.simulate import simulate
from ...spec.scenario import Scenario
from .timelines import RecruitmentTimelines

__all__ = ["LookTiming", "InterimTiming", "interim_timing", "look_months"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LookTiming:
    """When one look can take place.

    Attributes
    ----------
    look : int
        1-based.
    group_sizes : tuple of int
        Patients per arm analysed.
    months : DistributionSummary
        Its date (months from the start), over replications.
    p_stop : float
        Probability that the trial stops at this look (the last: that it
        reaches it), from the power engine.
    """

    look: int
    group_sizes: tuple[int, ...]
    months: DistributionSummary
    p_stop: float

    def to_dict(self) -> dict[str, Any]:
        return {"look": self.look, "group_sizes": list(self.group_sizes),
                "months": self.months.to_dict(), "p_stop": self.p_stop}


@dataclass(frozen=True, slots=True, kw_only=True)
class InterimTiming:
    """The looks' dates and the expected date at which the sequential trial ends.

    Attributes
    ----------
    looks : tuple of LookTiming
    expected_stop_months : MonteCarloMean
        ``sum_k P(stop at k) E[T_k]``.
    months_saved : float
        Expected months saved against always running to the last look.
    n_sims : int
        Trials of the power-engine run behind ``p_stop``.
    """

    looks: tuple[LookTiming, ...]
    expected_stop_months: MonteCarloMean
    months_saved: float
    n_sims: int

    def to_dict(self) -> dict[str, Any]:
        return {"looks": [k.to_dict() for k in self.looks],
                **self.expected_stop_months.to_dict("expected_stop_months"),
                "months_saved": self.months_saved, "n_sims": self.n_sims}


def look_months(scenario: Scenario, t: RecruitmentTimelines) -> np.ndarray:
    """Per replication, the date of each look: shape (replications, looks)."""
    due = np.where(np.isfinite(t.course_end_month),
                   t.course_end_month + scenario.recruitment.followup_months,
                   t.randomised_month)
    looks = look_sizes(scenario, scenario.design.n_per_arm)
    out = np.zeros((t.n_reps, len(looks)))
    for j in range(len(scenario.design.arms)):
        in_arm = t.arm == j
        running = np.maximum.accumulate(np.where(in_arm, due, -np.inf), axis=1)
        count = np.cumsum(in_arm, axis=1)
        for k, sizes in enumerate(looks):
            at = np.argmax(count >= sizes[j], axis=1)  # the m-th patient of the arm
            out[:, k] = np.maximum(out[:, k], running[np.arange(t.n_reps), at])
    return out


def interim_timing(scenario: Scenario, t: RecruitmentTimelines, *, seed: int, n_sims: int,
                   n_jobs: int = 1) -> InterimTiming:
    """The looks' dates and the expected end of the trial (scenarios with ``[interim]``).

    Parameters
    ----------
    scenario : Scenario
    t : RecruitmentTimelines
    seed, n_sims, n_jobs
        Of the power-engine run that gives P(stop at each look).
    """
    months = look_months(scenario, t)
    part = simulate(scenario, n_sims=n_sims, seed=seed, n_jobs=n_jobs,
                    closed_forms=False, comparisons=False).parts["sequential"]
    futility = [f.value for f in part.futility] + [0.0]
    stops = [e.value + f for e, f in zip(part.efficacy, futility)]
    p = np.array(stops[:-1] + [1.0 - sum(stops[:-1])])  # the rest reach the last look
    means = months.mean(axis=0)
    ses = months.std(axis=0, ddof=1) / math.sqrt(t.n_reps) if t.n_reps > 1 \
        else np.zeros(len(means))
    expected = float(np.dot(p, means))
    multinomial = max(float(np.dot(p, means ** 2)) - expected ** 2, 0.0) / n_sims
    se = math.sqrt(float(np.dot(p ** 2, ses ** 2)) + multinomial)
    looks = tuple(LookTiming(look=k + 1, group_sizes=sizes,
                             months=DistributionSummary.from_samples(months[:, k]),
                             p_stop=float(p[k]))
                  for k, sizes in enumerate(look_sizes(scenario, scenario.design.n_per_arm)))
    return InterimTiming(looks=looks,
                         expected_stop_months=MonteCarloMean(value=expected, se=se,
                                                             n=t.n_reps),
                         months_saved=float(means[-1] - expected), n_sims=n_sims)
