"""What a new trial costs and when its result is known, by its size.

With a ``[recruitment]`` table, the time to the result is the expected-rate
(fluid) approximation of the recruitment model: sites open at their opening
times and randomise ``rate_per_site_month * (1 - screen_failure)`` patients
a month each, so full enrolment of ``N`` patients is the ``T`` that solves
``r * sum_i max(0, T - open_i) = N``; the last patient's infusion course
(``sessions_per_patient`` working days) and ``followup_months`` follow. It
ignores the randomness of the Poisson-gamma arrivals and the chairs'
capacity (``trialsim recruit`` simulates both). The cost is the recruitment
table's: ``cost_per_patient`` and ``cost_per_infusion * sessions_per_patient``
per randomised patient, ``cost_per_site_month`` per month each opened site is
open until the result; plus the decision's ``trial_fixed_cost`` and
``trial_cost_per_patient``. Without ``[recruitment]`` the result is known
after ``decision.months_to_result`` (default 0) months at every size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spec import Scenario
from ..spec.recruitment import DAYS_PER_MONTH
from ..spec.variants import at_n

__all__ = ["TrialCost", "trial_cost"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialCost:
    """One new trial at one size: its patients, time to result and cost.

    Attributes
    ----------
    n_total : int
        Randomised patients.
    months_to_result : float
        From now until the primary outcome of the last patient.
    cost : float
        In the decision's unit.
    """

    n_total: int
    months_to_result: float
    cost: float


def _enrolment_months(opens: np.ndarray, rate: float, n: int) -> float:
    """The T with ``rate * sum_i max(0, T - open_i) = n`` (sites sorted by opening)."""
    opens = np.sort(opens)
    for j in range(1, opens.size + 1):  # j sites open: T = (n / rate + sum open) / j
        t = (n / rate + opens[:j].sum()) / j
        if j == opens.size or t <= opens[j]:
            return float(t)
    raise AssertionError("unreachable")


def trial_cost(scenario: Scenario, n_per_arm: int) -> TrialCost:
    """The cost and time to result of one trial with ``n_per_arm`` in the reference arm."""
    d = scenario.decision
    n_total = at_n(scenario, n_per_arm).design.n_total
    fixed = d.trial_fixed_cost + d.trial_cost_per_patient * n_total
    r = scenario.recruitment
    if r is None:
        months = 0.0 if d.months_to_result is None else d.months_to_result
        return TrialCost(n_total=n_total, months_to_result=months, cost=fixed)
    opens = np.asarray(r.site_open_months, dtype=float)
    full = _enrolment_months(opens, r.rate_per_site_month * (1.0 - r.screen_failure), n_total)
    course = r.sessions_per_patient / r.working_days_per_week * 7.0 / DAYS_PER_MONTH
    end = full + course + r.followup_months
    site_months = float(np.maximum(end - opens[opens < full], 0.0).sum())
    cost = (fixed + (r.cost_per_patient + r.cost_per_infusion * r.sessions_per_patient) * n_total
            + r.cost_per_site_month * site_months)
    return TrialCost(n_total=n_total, months_to_result=end, cost=cost)
