"""The decision model of ``[decision]``: net benefit, EVPI and EVPPI from the priors.

Adopting the drug is worth, per treated patient, the incremental net
benefit (:func:`net_benefit`)

    INB = -value_per_point * effect - sum_e w_e (risk_e - placebo_risk_e) - treatment_cost

and not adopting 0. The uncertain parameters are the true pain effect
(``pain.effect_prior``, normal) and each adverse event's risk ratio
(``risk_ratio_prior``, log-normal); the active risk is ``min(p0 RR, 1)``
as in the engine. INB is linear in the effect and in each risk, and the
parameters are independent, so

* the prior mean of INB is exact (:func:`expected_risk`: the mean of a
  capped log-normal);
* EVPI = E[max(INB, 0)] - max(E INB, 0) is the unit normal loss integral
  ``sigma L(|mu| / sigma)`` when only the effect is uncertain
  (:func:`normal_evpi`), a Monte Carlo mean over the priors otherwise;
* the EVPPI of the effect is that closed form with
  ``sigma = value_per_point * prior SD`` (E[INB | effect] is normal); the
  EVPPI of a risk ratio is a one-dimensional Monte Carlo mean over its prior
  (E[INB | RR] is exact by linearity: no nested simulation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._lazy import special
from ..errors import ScenarioError
from ..mc import MonteCarloMean
from ..models.parameters import effect_prior, log_risk_ratio_prior
from ..spec import AdverseEvent, Scenario
from ..spec.decision import DecisionSpec

__all__ = ["net_benefit", "expected_risk", "prior_mean_inb", "normal_evpi",
           "ParameterValue", "evpi", "evppi", "uncertain_events", "check_decision",
           "EVPI_DRAWS"]

#: Monte Carlo draws of EVPI and of an adverse event's EVPPI (where not closed).
EVPI_DRAWS = 1 << 20


def check_decision(scenario: Scenario) -> DecisionSpec:
    """The scenario's ``[decision]``, or a ScenarioError saying what is missing."""
    if scenario.decision is None:
        raise ScenarioError(f"{scenario.source}: [decision]: missing; value of information "
                            "needs the decision table (see docs/value.md)")
    if effect_prior(scenario.pain) is None and not uncertain_events(scenario):
        raise ScenarioError(f"{scenario.source}: [pain] effect_prior = 'fixed': nothing is "
                            "uncertain; set pain.effect_prior ('pooled' or 'predictive') or "
                            "a weighted adverse event's risk_ratio_prior")
    return scenario.decision


def uncertain_events(scenario: Scenario) -> tuple[AdverseEvent, ...]:
    """The adverse events with a risk-ratio prior and a non-zero weight."""
    d = scenario.decision
    return tuple(ae for ae in scenario.adverse_events if ae.risk_ratio_prior != "fixed"
                 and d is not None and d.weight_of(ae.name) > 0)


def net_benefit(scenario: Scenario, effect, active_risk) -> np.ndarray | float:
    """INB of adopting, per treated patient, at true values (arrays broadcast).

    Parameters
    ----------
    scenario : Scenario
        With ``[decision]``.
    effect : float or ndarray
        True effect (NRS points, negative = benefit).
    active_risk : mapping of str to float or ndarray
        True active-arm risk of each adverse event.
    """
    d = scenario.decision
    inb = -d.value_per_point * np.asarray(effect, dtype=float) - d.treatment_cost
    for ae in scenario.adverse_events:
        w = d.weight_of(ae.name)
        if w:
            inb = inb - w * (np.asarray(active_risk[ae.name], dtype=float) - ae.placebo_risk)
    return inb


def expected_risk(ae: AdverseEvent) -> float:
    """E[min(p0 RR, 1)] over the risk ratio's log-normal prior (p0 RR when fixed).

    With ``X = log RR ~ N(m, s^2)`` and ``c = -log p0``:
    ``p0 e^(m + s^2/2) Phi((c - m - s^2) / s) + 1 - Phi((c - m) / s)``.
    """
    prior = log_risk_ratio_prior(ae)
    if prior is None or prior.sd == 0:
        rr = ae.risk_ratio if prior is None else math.exp(prior.mean)
        return min(ae.placebo_risk * rr, 1.0)
    m, s, c = prior.mean, prior.sd, -math.log(ae.placebo_risk)
    below = ae.placebo_risk * math.exp(m + s * s / 2) * special.ndtr((c - m - s * s) / s)
    return float(below + special.ndtr(-(c - m) / s))


def prior_mean_inb(scenario: Scenario) -> float:
    """E[INB] over the priors, exact."""
    risks = {ae.name: expected_risk(ae) for ae in scenario.adverse_events}
    return float(net_benefit(scenario, scenario.pain.effect, risks))


def normal_evpi(mean: float, sd: float) -> float:
    """E[max(X, 0)] - max(E X, 0) for X ~ N(mean, sd^2): ``sd L(|mean| / sd)``.

    ``L(z) = phi(z) - z (1 - Phi(z))`` is the unit normal loss integral.

    Examples
    --------
    >>> round(normal_evpi(0.0, 1.0), 6)  # 1 / sqrt(2 pi)
    0.398942
    """
    if sd == 0:
        return 0.0
    z = abs(mean) / sd
    phi = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return float(sd * (phi - z * special.ndtr(-z)))


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterValue:
    """EVPI or the EVPPI of one parameter, per treated patient and for the population.

    Attributes
    ----------
    parameter : str
        ``all`` (EVPI), ``pain.effect`` or ``adverse_events.<name>.risk_ratio``.
    per_patient : float
        In the decision's unit.
    se : float
        Monte Carlo SE (0 for a closed form).
    method : str
        ``closed form (unit normal loss integral)`` or ``Monte Carlo, N draws``.
    population : float
        ``per_patient * decision.population`` (discounted over the horizon).
    """

    parameter: str
    per_patient: float
    se: float
    method: str
    population: float

    def to_dict(self) -> dict:
        """The value as JSON-ready fields."""
        return {"parameter": self.parameter, "per_patient": self.per_patient, "se": self.se,
                "method": self.method, "population": self.population}


def _value(scenario: Scenario, name: str, values: np.ndarray | float, se: float,
           method: str) -> ParameterValue:
    v = float(values)
    return ParameterValue(parameter=name, per_patient=v, se=se, method=method,
                          population=v * scenario.decision.population)


def _mc(scenario: Scenario, name: str, inb: np.ndarray, mean: float) -> ParameterValue:
    gain = MonteCarloMean.from_samples(np.maximum(inb, 0.0) - max(mean, 0.0))
    return _value(scenario, name, gain.value, gain.se, f"Monte Carlo, {gain.n} draws")


def evpi(scenario: Scenario, seed: int) -> ParameterValue:
    """The expected value of perfect information about every uncertain parameter."""
    mean, events = prior_mean_inb(scenario), uncertain_events(scenario)
    prior = effect_prior(scenario.pain)
    if not events:
        sd = 0.0 if prior is None else scenario.decision.value_per_point * prior.sd
        return _value(scenario, "all", normal_evpi(mean, sd), 0.0,
                      "closed form (unit normal loss integral)")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    effect = scenario.pain.effect if prior is None else prior.sample(rng, EVPI_DRAWS)
    risks = {ae.name: expected_risk(ae) for ae in scenario.adverse_events}
    for ae in events:
        lrr = log_risk_ratio_prior(ae)
        risks[ae.name] = np.minimum(ae.placebo_risk * np.exp(lrr.sample(rng, EVPI_DRAWS)), 1.0)
    return _mc(scenario, "all", net_benefit(scenario, effect, risks), mean)


def evppi(scenario: Scenario, seed: int) -> tuple[ParameterValue, ...]:
    """The EVPPI of the effect and of each weighted adverse event's risk ratio."""
    mean, out = prior_mean_inb(scenario), []
    prior = effect_prior(scenario.pain)
    if prior is not None:
        out.append(_value(scenario, "pain.effect",
                          normal_evpi(mean, scenario.decision.value_per_point * prior.sd), 0.0,
                          "closed form (unit normal loss integral)"))
    for i, ae in enumerate(uncertain_events(scenario)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(8, i)))
        lrr = log_risk_ratio_prior(ae)
        risk = np.minimum(ae.placebo_risk * np.exp(lrr.sample(rng, EVPI_DRAWS)), 1.0)
        w = scenario.decision.weight_of(ae.name)
        out.append(_mc(scenario, f"adverse_events.{ae.name}.risk_ratio",
                       mean - w * (risk - expected_risk(ae)), mean))
    return tuple(out)
