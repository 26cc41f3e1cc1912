"""Every simulated patient of every replication: the raw output of both paths."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["RecruitmentTimelines"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RecruitmentTimelines:
    """Every simulated patient of every replication (times in months, waits in days).

    Patients are in randomisation order along the last axis; replications on
    axis 0.

    Attributes
    ----------
    randomised_month : ndarray (R, n)
        Randomisation times, increasing along each row.
    site : ndarray (R, n)
        Index of the randomising site.
    arm : ndarray of int8 (R, n)
        Arm (sequence) index, ``design.arms`` order.
    start_month : ndarray (R, n)
        First infusion session (NaN: withdrew while waiting).
    course_end_month : ndarray (R, n)
        End of the infusion course (NaN: withdrew while waiting).
    wait_days : ndarray (R, n)
        Randomisation to first session, or to withdrawal.
    withdrawn : ndarray of bool (R, n)
        Withdrew after waiting ``max_wait_days`` for a chair.
    withdrawn_after_ae : ndarray of bool (R, n)
        Treated, then withdrew after an adverse event (no primary outcome).
    outcome_month : ndarray (R, n)
        Primary outcome time (NaN: withdrawn, or dropped out in follow-up).
    n_screened : ndarray (R,)
        Patients screened up to the last randomisation.
    queue_area_days : ndarray (R,)
        Integral over time (days) of the number waiting for a first session,
        all sites (with chairs, from simpy's queues and the slots held until
        the next working day).
    busy_area_days : ndarray (R,)
        Integral over working time (working days) of the slots in use, all
        sites.
    infusion_end_month : ndarray (R,)
        End of the infusion phase: the last course end or withdrawal.
    """

    randomised_month: np.ndarray
    site: np.ndarray
    arm: np.ndarray
    start_month: np.ndarray
    course_end_month: np.ndarray
    wait_days: np.ndarray
    withdrawn: np.ndarray
    withdrawn_after_ae: np.ndarray
    outcome_month: np.ndarray
    n_screened: np.ndarray
    queue_area_days: np.ndarray
    busy_area_days: np.ndarray
    infusion_end_month: np.ndarray

    @property
    def n_reps(self) -> int:
        """Replications (simulated trials)."""
        return self.randomised_month.shape[0]

    @property
    def months_to_full_enrolment(self) -> np.ndarray:
        """Per replication: the last (target-th) randomisation."""
        return self.randomised_month[:, -1]

    @property
    def months_to_last_outcome(self) -> np.ndarray:
        """Per replication: the last primary outcome observed (NaN: none)."""
        x = self.outcome_month
        ok = np.isfinite(x)
        return np.where(ok.any(axis=1), np.where(ok, x, -np.inf).max(axis=1), np.nan)

    def by_deadline(self, deadline: float) -> dict[str, np.ndarray]:
        """Per replication: what the trial has reached by ``deadline`` (months).

        Returns
        -------
        dict of str to ndarray, shape (R,)
            ``complete_by_deadline`` (bool) and the counts
            ``n_randomized_by_deadline``, ``n_treated_by_deadline`` (randomised
            and not withdrawn) and ``n_completed_by_deadline`` (primary
            outcome observed).
        """
        randomised = self.randomised_month <= deadline
        return {
            "complete_by_deadline": self.months_to_full_enrolment <= deadline,
            "n_randomized_by_deadline": randomised.sum(axis=1),
            "n_treated_by_deadline": (randomised & ~self.withdrawn).sum(axis=1),
            "n_completed_by_deadline": (self.outcome_month <= deadline).sum(axis=1),
        }

    @classmethod
    def concatenate(cls, parts: Sequence[RecruitmentTimelines]) -> RecruitmentTimelines:
        """The replications of ``parts``, in order, as one set of timelines."""
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in dataclasses.fields(cls)})

    def equals(self, other: RecruitmentTimelines) -> bool:
        """Element-wise identity of every array (NaN equal to NaN)."""
        return all(np.array_equal(getattr(self, f.name), getattr(other, f.name), equal_nan=True)
                   for f in dataclasses.fields(self))
