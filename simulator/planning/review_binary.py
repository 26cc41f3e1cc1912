"""A binary outcome's update: a meta-analysis of an adverse event's log risk ratios.

With ``meta_analysis.outcome`` naming an adverse event, the existing evidence
is on the log risk ratio scale (an RR entry of the evidence table, or a
pooled log RR and its SE), and each new trial adds its own log RR and SE,
active over placebo, from its event counts among all randomised patients
(:func:`simulator.analysis.twosample.log_risk_ratio`: 0.5 added to every
cell of a table with a zero cell). The new trials' true log RRs are
``centre + tau z_j`` around the event's log risk ratio (or a draw from its
prior), each trial's active risk ``placebo_risk exp(theta_j)`` (capped at 1).

The margin of the rules is ``ln(harm_margin)``: the update **shows harm** when
its CI lies above 0, and **rules out important harm** when it lies below
``ln(harm_margin)``. The required information is ``(z_{1-alpha/2} +
z_power)^2 / ln(harm_margin)^2`` on the log scale, and the RIS in
participants the TSA manual's binary formula at the event's placebo risk
(:func:`simulator.analysis.information_size.binary_information_size`).
A new trial's planned variance is the delta method's ``(1 - p1)/(n1 p1) +
(1 - p0)/(n0 p0)`` at the planned risks.
"""

from __future__ import annotations

import math

import numpy as np

from ..analysis.information_size import BinaryInformationSize, binary_information_size
from ..analysis.twosample import log_risk_ratio
from ..engine.sample import TrialSample
from ..models.parameters import log_risk_ratio_prior
from ..spec import AdverseEvent, Scenario
from ..spec.priors import NormalPrior

__all__ = ["binary_event", "binary_centre", "binary_variance", "binary_unit_sd",
           "binary_estimates", "binary_ris"]


def binary_event(scenario: Scenario) -> AdverseEvent:
    """The adverse event a binary update is about."""
    name = scenario.meta_analysis.outcome
    return next(ae for ae in scenario.adverse_events if ae.name == name)


def binary_centre(scenario: Scenario) -> tuple[float, NormalPrior | None]:
    """The log risk ratio the new trials centre on, and its prior (None when fixed)."""
    ae = binary_event(scenario)
    return math.log(ae.risk_ratio), log_risk_ratio_prior(ae)


def _risks(scenario: Scenario) -> tuple[float, float]:
    ae = binary_event(scenario)
    return ae.placebo_risk, min(ae.placebo_risk * ae.risk_ratio, 1.0 - 1e-12)


def binary_unit_sd(scenario: Scenario) -> float:
    """``sqrt(((1 - p1)/p1 + (1 - p0)/p0) / 2)``: so that ``2 sd^2 / n`` is the variance
    of a trial's log RR with n per arm (the continuous formulas' sigma)."""
    p0, p1 = _risks(scenario)
    return math.sqrt(((1 - p1) / p1 + (1 - p0) / p0) / 2)


def binary_variance(scenario: Scenario) -> float:
    """The planned variance of one new trial's log risk ratio (delta method)."""
    p0, p1 = _risks(scenario)
    n0, n1 = scenario.design.group_sizes
    return (1 - p1) / (n1 * p1) + (1 - p0) / (n0 * p0)


def binary_estimates(scenario: Scenario, sample: TrialSample,
                     sizes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Each new trial's log risk ratio and its SE, flat (trials,)."""
    placebo, active = sample.ae_counts[scenario.meta_analysis.outcome][:2]
    fit = log_risk_ratio(active, sizes[1], placebo, sizes[0])
    return fit.estimate, fit.se


def binary_ris(scenario: Scenario) -> BinaryInformationSize:
    """The TSA manual's information size to detect the harm margin at the placebo risk."""
    spec = scenario.meta_analysis
    return binary_information_size(binary_event(scenario).placebo_risk, 1 - spec.harm_margin,
                                   alpha=scenario.analysis.alpha, beta=1 - spec.power)
