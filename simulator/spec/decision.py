"""The decision the next trial informs: adopt the drug or not, and what each is worth.

The ``[decision]`` table of a scenario (see ``docs/scenarios.md`` and
``docs/value.md``). Two options: adopt the active treatment for the
indication, or not. The incremental net benefit of adopting, per treated
patient, in the one unit ``unit`` that the user names, is

    INB = -value_per_point * effect
          - sum_e event_weights[e] * (active risk of e - placebo risk of e)
          - treatment_cost

where ``effect`` is the true effect on the 0-10 NRS (negative = benefit) and
the risks are the adverse events' true risks. Not adopting is worth 0.
Every weight is the user's value judgement; the docs say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .bounds import AMOUNT, MAX_AMOUNT, MONTHS, is_amount, is_months, is_real
from .schema import check_fields, fail, number, text

__all__ = ["DecisionSpec"]



@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionSpec:
    """Adopt the drug or not: the net benefit, the population and the trial's cost.

    Attributes
    ----------
    unit : str
        The unit of every value and cost (a currency, or QALYs valued at a
        threshold); it only labels the outputs.
    value_per_point : float
        The value of one NRS point less pain per treated patient (over the
        benefit period the user has in mind), in ``unit``. A value judgement.
    event_weights : tuple of (str, float)
        The disvalue (cost) of one adverse event per treated patient, by the
        adverse event's name (the file gives a table ``{ name = weight }``);
        events not named weigh 0. Value judgements.
    treatment_cost : float
        The cost of treating one patient (drug, administration), in ``unit``.
    population_per_year : float
        Patients a year whom the decision affects.
    horizon_years : float
        Years the decision stands (from the time the decision is taken).
    discount_rate : float
        Yearly discount rate of future benefits, in [0, 1).
    months_to_result : float or None
        Months from now until the new trial's result is known, when the
        scenario has no ``[recruitment]`` table (which gives it per n
        otherwise); default 0.
    trial_fixed_cost : float
        Fixed cost of one new trial (set-up, regulatory), in ``unit``.
    trial_cost_per_patient : float
        Cost per randomised patient, in ``unit``, added to the
        ``[recruitment]`` table's costs when there is one.
    """

    unit: str = text("currency units")
    value_per_point: float = number(check=is_amount, allowed=AMOUNT)
    event_weights: tuple[tuple[str, float], ...] = ()
    treatment_cost: float = number(0.0, check=is_amount, allowed=AMOUNT)
    population_per_year: float = number(
        check=lambda v: 0 < v <= MAX_AMOUNT,
        allowed=f"must be a number in (0, {MAX_AMOUNT:g}] (patients per year)")
    horizon_years: float = number(10.0, check=lambda v: 0 < v <= 200,
                                  allowed="must be a number in (0, 200] (years)")
    discount_rate: float = number(0.035, check=lambda v: 0 <= v < 1,
                                  allowed="must be in [0, 1) (per year)")
    months_to_result: float | None = number(
        None, optional=True, check=is_months, allowed=MONTHS)
    trial_fixed_cost: float = number(0.0, check=is_amount, allowed=AMOUNT)
    trial_cost_per_patient: float = number(0.0, check=is_amount, allowed=AMOUNT)

    def __post_init__(self) -> None:
        check_fields(self, "decision")
        weights = self.event_weights
        if not isinstance(weights, (tuple, list)) or not all(
                isinstance(p, (tuple, list)) and len(p) == 2 and isinstance(p[0], str)
                and is_real(p[1]) and is_amount(p[1]) for p in weights):
            raise fail("[decision] event_weights", weights,
                       f"must be a table {{ adverse event name = weight in [0, {MAX_AMOUNT:g}] }}")
        names = [p[0] for p in weights]
        if len(set(names)) != len(names):
            raise fail("[decision] event_weights", weights, "names each event once")
        object.__setattr__(self, "event_weights",
                           tuple((str(n), float(w)) for n, w in weights))

    def weight_of(self, event: str) -> float:
        """The weight of one adverse event (0 when it is not named)."""
        return dict(self.event_weights).get(event, 0.0)

    @property
    def annuity(self) -> float:
        """Discounted patient-years per patient a year over the horizon.

        ``sum_{t=0}^{H-1} (1 + r)^-t`` for a whole number of years ``H``,
        the yearly patients treated at the start of each year; a fractional
        last year counts its fraction. With ``r = 0`` it is ``H``.
        """
        whole = math.floor(self.horizon_years)
        r = self.discount_rate
        total = sum((1.0 + r) ** -t for t in range(whole))
        return total + (self.horizon_years - whole) * (1.0 + r) ** -whole

    @property
    def population(self) -> float:
        """The discounted population the decision affects: ``population_per_year * annuity``."""
        return self.population_per_year * self.annuity

    def discount(self, months: float) -> float:
        """The discount factor ``(1 + r)^-(months / 12)`` of a benefit ``months`` away."""
        return (1.0 + self.discount_rate) ** (-months / 12.0)
