"""The recruitment model's numbers, in days: everything one replication needs.

Recruitment dates and outputs are in months (``DAYS_PER_MONTH`` days each);
inside the simulation time runs in days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...planning.closed import ae_withdrawal_probabilities, completion_probabilities
from ...spec.recruitment import DAYS_PER_MONTH
from ...spec.scenario import Scenario

__all__ = ["DAYS_PER_MONTH", "RecruitmentModel"]


@dataclass(frozen=True, slots=True)
class RecruitmentModel:
    """Everything a replication needs (picklable, days).

    Attributes
    ----------
    n_target : int
        Randomisations to reach, ``design.n_total``.
    open_day : tuple of float
        Each site's opening day.
    screen_rate_day : float
        Mean patients screened per open site per day.
    rate_cv : float
        Coefficient of variation of the sites' rates (gamma; 0 = all equal).
    screen_failure : float
        Probability that a screened patient is not randomised.
    slots : int or None
        Daily infusion slots per site; None = no capacity limit.
    sessions : int
        Sessions a course has (one a working day).
    working_days : int
        Working days a week (7: infusions every day).
    followup_days : float
        From the end of the course to the primary outcome.
    max_wait_days : float or None
        Longest wait for a slot before withdrawing; None = no limit.
    arm_sizes : tuple of int
        Patients randomised to each arm (sequence), ``design.group_sizes``.
    ae_withdrawal : tuple of float
        Per arm: probability that a treated patient withdraws after an
        adverse event (the power engine's, from ``dropout.after_ae``).
    completion : tuple of float
        Per arm: probability that a treated patient has a primary outcome,
        the power engine's :func:`~simulator.planning.closed.completion_probabilities`
        (``dropout.rate`` and the withdrawal after adverse events).
    """

    n_target: int
    open_day: tuple[float, ...]
    screen_rate_day: float  # mean screened per open site per day
    rate_cv: float
    screen_failure: float
    slots: int | None  # per site; None = no capacity limit
    sessions: int
    working_days: int
    followup_days: float
    max_wait_days: float | None
    arm_sizes: tuple[int, ...]
    ae_withdrawal: tuple[float, ...]
    completion: tuple[float, ...]

    @classmethod
    def of(cls, scenario: Scenario) -> RecruitmentModel:
        """The model of a scenario with a ``[recruitment]`` table."""
        r = scenario.recruitment
        slots = None
        if r.chairs_per_site is not None:
            slots = r.chairs_per_site * int(math.floor(r.hours_per_day / r.session_hours + 1e-9))
        return cls(
            n_target=scenario.design.n_total,
            open_day=tuple(o * DAYS_PER_MONTH for o in r.site_open_months),
            screen_rate_day=r.rate_per_site_month / DAYS_PER_MONTH,
            rate_cv=r.rate_cv,
            screen_failure=r.screen_failure,
            slots=slots,
            sessions=r.sessions_per_patient,
            working_days=r.working_days_per_week,
            followup_days=r.followup_months * DAYS_PER_MONTH,
            max_wait_days=r.max_wait_days,
            arm_sizes=tuple(scenario.design.group_sizes),
            ae_withdrawal=ae_withdrawal_probabilities(scenario),
            completion=completion_probabilities(scenario),
        )
