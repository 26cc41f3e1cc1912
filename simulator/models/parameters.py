"""True parameters of simulated trials: fixed, or drawn from a prior per trial.

Conditional power simulates every trial at the scenario's point values;
assurance gives each trial its own true effect (and adverse-event risk
ratios) drawn from the prior, one draw per trial, vectorized.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..spec import AdverseEvent, Pain, Scenario
from ..spec.priors import NormalPrior

__all__ = ["TrialParameters", "effect_prior", "log_risk_ratio_prior", "has_prior",
           "assurance_ceiling"]


def effect_prior(pain: Pain) -> NormalPrior | None:
    """The distribution of a trial's true effect (None when it is fixed)."""
    sd = pain.prior_sd
    return None if sd is None else NormalPrior(mean=pain.effect, sd=sd)


def log_risk_ratio_prior(ae: AdverseEvent) -> NormalPrior | None:
    """The distribution of a trial's true log risk ratio (None when fixed)."""
    if ae.risk_ratio_prior == "fixed":
        return None
    return NormalPrior(mean=math.log(ae.risk_ratio), sd=ae.log_rr_sd)


def has_prior(scenario: Scenario) -> bool:
    """Whether any true parameter is drawn per trial (so assurance is reported)."""
    return scenario.pain.effect_prior != "fixed" or any(
        ae.risk_ratio_prior != "fixed" for ae in scenario.adverse_events)


def assurance_ceiling(pain: Pain) -> float | None:
    """Prior probability that the true effect lies in the benefit direction.

    Assurance cannot exceed it (Grieve: "assurance is also bounded by the
    prior probability that the treatment effect is positive"). For responder
    analyses the benefit direction of the latent pain effect is the same.
    """
    prior = effect_prior(pain)
    return None if prior is None else prior.probability_below(0.0)


@dataclass(frozen=True, slots=True)
class TrialParameters:
    """True effect and active-arm AE risks, scalars or one value per trial.

    Attributes
    ----------
    effect : float or ndarray
        True effect on the latent follow-up score (NRS points).
    active_risk : dict of str to float or ndarray
        Probability of each adverse event on the active arm.
    tau2 : ndarray or None
        The review's update: the between-study variance of each simulated
        future when it is drawn (one value per future, not per trial).
    """

    effect: float | np.ndarray
    active_risk: dict[str, float | np.ndarray]
    tau2: np.ndarray | None = None

    def effect_of(self, scenario: Scenario, arm: int):
        """True effect of arm ``arm`` against the reference (0 for the reference)."""
        if arm == 0:
            return 0.0
        if scenario.pain.arm_effects is not None:
            return scenario.pain.effect_of(arm)
        return self.effect

    def risks_of(self, scenario: Scenario, arm: int) -> dict[str, float | np.ndarray]:
        """Probability of each adverse event in arm ``arm``."""
        if arm == 0:
            return {ae.name: ae.placebo_risk for ae in scenario.adverse_events}
        return {ae.name: ae.risk_of(arm) if ae.arm_risk_ratios is not None
                else self.active_risk[ae.name] for ae in scenario.adverse_events}

    @classmethod
    def fixed(cls, scenario: Scenario) -> TrialParameters:
        """The scenario's point values for every trial."""
        return cls(effect=scenario.pain.effect,
                   active_risk={ae.name: ae.active_risk for ae in scenario.adverse_events})

    @classmethod
    def draw(cls, scenario: Scenario, n_sims: int, rng: np.random.Generator) -> TrialParameters:
        """One draw per trial from each prior (point values where there is none).

        A drawn active risk above 1 is capped at 1.
        """
        prior = effect_prior(scenario.pain)
        effect = scenario.pain.effect if prior is None else prior.sample(rng, n_sims)
        risks: dict[str, float | np.ndarray] = {}
        for ae in scenario.adverse_events:
            lrr = log_risk_ratio_prior(ae)
            if lrr is None:
                risks[ae.name] = ae.active_risk
            else:
                risks[ae.name] = np.minimum(ae.placebo_risk * np.exp(lrr.sample(rng, n_sims)), 1.0)
        return cls(effect=effect, active_risk=risks)
