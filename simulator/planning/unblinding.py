"""Functional unblinding: the power of the drug alone, and the false-positive rate.

When patients who have an adverse event can guess their arm and report their
pain shifted by an expectancy bias (``pain.unblinding_shift``), the trial's
observed effect is the drug's plus that bias times the difference in the
event's risk between the arms. With the comparison runs of a report
(``comparisons=True``) this feature adds two passes on the run's own data
stream (paired with its trials, on the full-data model like them):

* ``blind``: the same trials without the expectancy shift: the power to show
  the drug's own effect, and the unblinding bias (the difference of the mean
  estimates);
* ``null-unblinded``: the same trials with no drug effect but the shift: how
  often the expectancy bias alone makes a trial significant (the
  false-positive rate; alpha when the arms' risks are equal).

A trial sized on the observed effect is sized on the bias too: the solver
sizes on the drug alone by default and reports the other beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine.dispatch import FULL_DATA
from ..engine.kernel import Pass
from ..mc import MonteCarloProbability
from ..spec.scenario import Scenario
from ..spec.schema import evolve
from ..spec.variants import without_unblinding
from .comparisons import EstimateCollector, reject_collector
from .plan import Plan, Point
from .primary import estimate_summary

__all__ = ["UnblindingPart", "Unblinding", "null_effect", "has_unblinding", "observed_effect"]


def has_unblinding(scenario: Scenario) -> bool:
    """Whether patients with an adverse event report their pain shifted."""
    return scenario.pain.unblinding_ae is not None


def observed_effect(scenario: Scenario) -> float:
    """The effect a trial sees: the drug's plus shift x (active - placebo risk of the event).

    (Two arms, the event's risk ratio at its point value.)
    """
    pain = scenario.pain
    if pain.unblinding_ae is None:
        return pain.effect
    ae = next(a for a in scenario.adverse_events if a.name == pain.unblinding_ae)
    return pain.effect + pain.unblinding_shift * ae.placebo_risk * (ae.risk_ratio - 1)


def null_effect(scenario: Scenario) -> Scenario:
    """The scenario with no drug effect (the expectancy shift kept)."""
    changes: dict[str, Any] = {"pain.effect": 0.0, "pain.effect_evidence": None,
                               "pain.effect_prior": "fixed"}
    if scenario.pain.arm_effects is not None:
        changes["pain.arm_effects"] = tuple(0.0 for _ in scenario.pain.arm_effects)
    return evolve(scenario, changes)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnblindingPart:
    """The drug's own power and the expectancy bias's false positives.

    Attributes
    ----------
    power_drug_alone : MonteCarloProbability
        Power of the same trials without the expectancy shift.
    false_positive_rate : MonteCarloProbability
        Rejection rate of the same trials with no drug effect but the shift.
    """

    power_drug_alone: MonteCarloProbability
    false_positive_rate: MonteCarloProbability

    def to_dict(self) -> dict[str, Any]:
        return {**self.power_drug_alone.to_dict("power_drug_alone"),
                **self.false_positive_rate.to_dict("false_positive_rate")}


class Unblinding:
    """The ``unblinding`` part and ``unblinding_bias`` (a report's, with unblinding)."""

    def passes(self, plan: Plan) -> list[Pass]:
        s = plan.scenario
        if not (plan.comparisons and has_unblinding(s)):
            return []
        return [Pass(name="blind", scenario=without_unblinding(s), path=FULL_DATA,
                     collectors=(reject_collector(s), EstimateCollector())),
                Pass(name="null-unblinded", scenario=null_effect(s), path=FULL_DATA,
                     collectors=(reject_collector(s),))]

    def collectors(self, plan: Plan) -> dict:
        return {}

    def summarise(self, point: Point) -> dict[str, Any]:
        blind = point.counts.get("blind")
        if blind is None:
            return {"unblinding_bias": None}
        prob = MonteCarloProbability.from_counts
        part = UnblindingPart(
            power_drug_alone=prob(blind["reject"], point.n_sims),
            false_positive_rate=prob(point.counts["null-unblinded"]["reject"], point.n_sims))
        mean, _ = estimate_summary(point)
        if mean is None or not blind["valid"]:
            return {"unblinding_bias": None, "parts": {"unblinding": part},
                    "notes": ("unblinding_bias is null: no trial could be analysed with or "
                              "without the unblinding",)}
        return {"unblinding_bias": mean - blind["sum_est"] / blind["valid"],
                "parts": {"unblinding": part}}
