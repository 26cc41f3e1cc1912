"""The result of a recruitment simulation: summaries, bands over time and timelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ...mc import (DistributionSummary, MonteCarloMean, MonteCarloProbability, mean_dict,
                   probability_dict)
from ...planning.curves import PowerCurve
from .bands import TimeBands
from .interim_timing import InterimTiming
from .timelines import RecruitmentTimelines

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["RecruitmentResult"]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RecruitmentResult:
    """Recruitment, capacity, timelines, costs and power at the deadline.

    Attributes
    ----------
    scenario_name : str
    path : {"simpy", "vectorized"}
    n_reps : int
        Simulated trials (replications).
    seed_entropy : int
        Entropy of the root ``SeedSequence``; replays the run.
    n_target : int
        Target enrolment, ``design.n_total``.
    sites : int
        Recruiting sites.
    chairs_per_site : int or None
        Infusion chairs per site (None: no capacity limit).
    deadline_months : float or None
        End of recruitment used for the deadline outputs.
    months_to_full_enrolment, months_to_last_outcome : DistributionSummary
        Months from the start to the target-th randomisation, and to the last
        primary outcome observed.
    p_complete_by_deadline : MonteCarloProbability or None
        P(target enrolment reached by the deadline).
    n_randomized_by_deadline : MonteCarloMean or None
        Mean patients randomised by the deadline (withdrawn ones included).
    n_treated_by_deadline, n_completed_by_deadline : MonteCarloMean or None
        Mean patients randomised and not withdrawn (treated), and with a
        primary outcome observed, by the deadline.
    rate_cv : float
        Coefficient of variation of the sites' screening rates (0: Poisson).
    working_days_per_week : int
        Days a week with infusions.
    n_screened, n_withdrawn_waiting, n_completed : MonteCarloMean
        Whole trial: patients screened, withdrawn while waiting for a chair,
        with a primary outcome.
    arms : tuple of str
        The arms (sequences), ``design.arms``.
    n_completed_per_arm : tuple of MonteCarloMean
        Whole trial: patients with a primary outcome, per arm.
    expected_completed_per_arm : tuple of float
        What the power engine expects per arm: ``n`` times its completion
        probability (``dropout.rate`` and ``dropout.after_ae``); the timeline
        agrees within Monte Carlo error when nobody withdraws waiting.
    n_withdrawn_after_ae : MonteCarloMean
        Whole trial: treated patients withdrawn after an adverse event.
    chair_utilisation : MonteCarloMean or None
        Share of chair opening hours used (None without chairs).
    mean_wait_days, mean_number_waiting : MonteCarloMean
        Wait for a first session (days) and time-average number waiting.
    cost : DistributionSummary or None
        Total cost, when any unit cost is given.
    power_at_deadline, assurance_at_deadline : MonteCarloMean or None
        Power (assurance, with a prior) at the n reached by the deadline,
        averaged over replications (see :mod:`simulator.ops.recruitment`
        for the SE).
    power_seed : int or None
        The seed of the power curve.
    power_curve : PowerCurve or None
        The curve at the distinct n per arm reached.
    n_per_arm_at_deadline : dict of int to int
        How many replications reached each n per arm by the deadline.
    enrolment, outcomes : TimeBands
        Patients randomised, and primary outcomes observed, over time.
    utilisation : TimeBands or None
        Chair utilisation over time (sites open at that time).
    utilisation_ceiling : float or None
        ``floor(H / h) h / H``: the most the chairs can be used.
    timelines : RecruitmentTimelines
        Every simulated patient.
    worker_pids : tuple of int
        The processes that ran the replications.
    interim : InterimTiming or None
        With ``[interim]``: each look's date and the expected end of the
        sequential trial (:mod:`.interim_timing`).
    notes : tuple of str
        Why a summary is None (null in JSON), e.g. that no patient had a
        primary outcome.
    """

    scenario_name: str
    path: str
    n_reps: int
    seed_entropy: int
    n_target: int
    sites: int
    chairs_per_site: int | None
    deadline_months: float | None
    months_to_full_enrolment: DistributionSummary
    months_to_last_outcome: DistributionSummary
    p_complete_by_deadline: MonteCarloProbability | None
    n_randomized_by_deadline: MonteCarloMean | None
    n_treated_by_deadline: MonteCarloMean | None
    n_completed_by_deadline: MonteCarloMean | None
    rate_cv: float
    working_days_per_week: int
    n_screened: MonteCarloMean
    n_withdrawn_waiting: MonteCarloMean
    n_completed: MonteCarloMean
    arms: tuple[str, ...]
    n_completed_per_arm: tuple[MonteCarloMean, ...]
    expected_completed_per_arm: tuple[float, ...]
    n_withdrawn_after_ae: MonteCarloMean
    chair_utilisation: MonteCarloMean | None
    mean_wait_days: MonteCarloMean
    mean_number_waiting: MonteCarloMean
    cost: DistributionSummary | None
    power_at_deadline: MonteCarloMean | None
    assurance_at_deadline: MonteCarloMean | None
    power_seed: int | None
    n_per_arm_at_deadline: dict[int, int]
    power_curve: PowerCurve | None = field(default=None, compare=False, repr=False)
    enrolment: TimeBands = field(compare=False, repr=False)
    outcomes: TimeBands = field(compare=False, repr=False)
    utilisation: TimeBands | None = field(default=None, compare=False, repr=False)
    utilisation_ceiling: float | None = None
    timelines: RecruitmentTimelines = field(compare=False, repr=False)
    worker_pids: tuple[int, ...] = field(default=(), compare=False, repr=False)
    interim: InterimTiming | None = None
    notes: tuple[str, ...] = ()

    @property
    def worker_processes(self) -> int:
        """Distinct processes that ran the replications."""
        return len(self.worker_pids)

    # -- derived queries -----------------------------------------------------
    def p_complete_by(self, month: float) -> MonteCarloProbability:
        """P(target enrolment reached by ``month``)."""
        done = int((self.timelines.months_to_full_enrolment <= month).sum())
        return MonteCarloProbability.from_counts(done, self.n_reps)

    def n_randomized_by(self, month: float) -> MonteCarloMean:
        """Mean patients randomised by ``month``."""
        return MonteCarloMean.from_samples((self.timelines.randomised_month <= month).sum(axis=1))

    def per_replication(self) -> dict[str, np.ndarray]:
        """One value per replication for each summary (the rows of :meth:`to_frame`)."""
        t = self.timelines
        out = {
            "months_to_full_enrolment": t.months_to_full_enrolment,
            "months_to_last_outcome": t.months_to_last_outcome,
            "n_screened": t.n_screened,
            "n_withdrawn_waiting": t.withdrawn.sum(axis=1),
            "n_withdrawn_after_ae": t.withdrawn_after_ae.sum(axis=1),
            "n_completed": np.isfinite(t.outcome_month).sum(axis=1),
            "mean_wait_days": t.wait_days.mean(axis=1),
        }
        if self.deadline_months is not None:
            out.update(t.by_deadline(self.deadline_months))
        return out

    def to_frame(self) -> pd.DataFrame:
        """:meth:`per_replication` as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.per_replication())

    def __repr__(self) -> str:
        p = self.p_complete_by_deadline
        return (f"RecruitmentResult(scenario={self.scenario_name!r}, sites={self.sites}, "
                f"n_reps={self.n_reps}, median_months_to_full_enrolment="
                f"{self.months_to_full_enrolment.q50:.1f}, p_complete_by_deadline="
                f"{'None' if p is None else f'{p.value:.3f}'})")

    def summary(self) -> str:
        """Time to full enrolment, the deadline, chairs and power at the deadline, in words."""
        m = self.months_to_full_enrolment
        lines = [f"{self.scenario_name}: {self.n_target} patients at {self.sites} sites; "
                 f"full enrolment after {m.q50:.1f} months (median; 5-95 %: {m.q05:.1f} to "
                 f"{m.q95:.1f})"]
        if self.p_complete_by_deadline is not None:
            lines.append(f"P(complete by {self.deadline_months:g} months) "
                         f"{self.p_complete_by_deadline.value:.3f} "
                         f"(SE {self.p_complete_by_deadline.se:.3f})")
        if self.chair_utilisation is not None:
            lines.append(f"chair utilisation {self.chair_utilisation.value:.3f}, mean wait "
                         f"{self.mean_wait_days.value:.1f} days")
        if self.power_at_deadline is not None:
            lines.append(f"power at the deadline {self.power_at_deadline.value:.3f} "
                         f"(SE {self.power_at_deadline.se:.3f})")
        lines.append(f"{self.n_reps:,} simulated trials ({self.path}), seed "
                     f"{self.seed_entropy}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the ``trialsim recruit --json`` output; ``notes``
        only when there are any)."""
        return {
            "scenario": self.scenario_name,
            "path": self.path,
            "n_reps": self.n_reps,
            "seed_entropy": self.seed_entropy,
            "n_target": self.n_target,
            "sites": self.sites,
            "chairs_per_site": self.chairs_per_site,
            "deadline_months": self.deadline_months,
            "rate_cv": self.rate_cv,
            "working_days_per_week": self.working_days_per_week,
            "months_to_full_enrolment": self.months_to_full_enrolment.to_dict(),
            "months_to_last_outcome": self.months_to_last_outcome.to_dict(),
            **probability_dict("p_complete_by_deadline", self.p_complete_by_deadline),
            **mean_dict("n_randomized_by_deadline", self.n_randomized_by_deadline),
            **mean_dict("n_treated_by_deadline", self.n_treated_by_deadline),
            **mean_dict("n_completed_by_deadline", self.n_completed_by_deadline),
            **mean_dict("n_screened", self.n_screened),
            **mean_dict("n_withdrawn_waiting", self.n_withdrawn_waiting),
            **mean_dict("n_completed", self.n_completed),
            "n_completed_per_arm": {a: m.value for a, m in zip(self.arms,
                                                               self.n_completed_per_arm)},
            "n_completed_per_arm_se": {a: m.se for a, m in zip(self.arms,
                                                               self.n_completed_per_arm)},
            "expected_completed_per_arm": dict(zip(self.arms, self.expected_completed_per_arm)),
            **mean_dict("n_withdrawn_after_ae", self.n_withdrawn_after_ae),
            **mean_dict("chair_utilisation", self.chair_utilisation),
            "utilisation_ceiling": self.utilisation_ceiling,
            **mean_dict("mean_wait_days", self.mean_wait_days),
            **mean_dict("mean_number_waiting", self.mean_number_waiting),
            "cost": None if self.cost is None else self.cost.to_dict(),
            **mean_dict("power_at_deadline", self.power_at_deadline),
            **mean_dict("assurance_at_deadline", self.assurance_at_deadline),
            "power_seed": self.power_seed,
            "n_per_arm_at_deadline": {str(k): v for k, v in self.n_per_arm_at_deadline.items()},
            "interim": None if self.interim is None else self.interim.to_dict(),
            **({"notes": list(self.notes)} if self.notes else {}),
        }
