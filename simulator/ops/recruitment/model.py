"""The recruitment model's numbers, in days: everything one replication needs.

Recruitment dates and outputs are in months (``DAYS_PER_MONTH`` days each);
inside the simulation time runs in days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...spec.scenario import Scenario

__all__ = ["DAYS_PER_MONTH", "RecruitmentModel"]

DAYS_PER_MONTH = 30.4375


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
        Patients screened per open site per day.
    screen_failure : float
        Probability that a screened patient is not randomised.
    slots : int or None
        Daily infusion slots per site; None = no capacity limit.
    course_days : float
        Days a patient holds a slot (``sessions_per_patient``).
    followup_days : float
        From the end of the course to the primary outcome.
    max_wait_days : float or None
        Longest wait for a slot before withdrawing; None = no limit.
    dropout : float
        Probability that a treated patient has no primary outcome.
    """

    n_target: int
    open_day: tuple[float, ...]
    screen_rate_day: float  # screened per open site per day
    screen_failure: float
    slots: int | None  # per site; None = no capacity limit
    course_days: float
    followup_days: float
    max_wait_days: float | None
    dropout: float

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
            screen_failure=r.screen_failure,
            slots=slots,
            course_days=float(r.sessions_per_patient),
            followup_days=r.followup_months * DAYS_PER_MONTH,
            max_wait_days=r.max_wait_days,
            dropout=scenario.dropout.rate,
        )
