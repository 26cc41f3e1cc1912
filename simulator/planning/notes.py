"""Warnings a reader of a result needs, in words."""

from __future__ import annotations

from ..spec.scenario import Scenario

__all__ = ["notes"]


def notes(scenario: Scenario) -> tuple[str, ...]:
    """The notes printed under a result, for the scenario's settings."""
    out = []
    if scenario.dropout.mechanism == "mnar" and scenario.dropout.rate > 0:
        out.append("dropout depends on the outcome (mnar): no analysis of the observed data "
                   "is unbiased for the hypothetical estimand; complete-case results are "
                   "biased (see bias)")
    if scenario.analysis.estimand == "treatment-policy-bocf":
        out.append("baseline observation carried forward breaks the analysis model's "
                   "equal-variance assumption; check ci_coverage")
    if scenario.design.kind == "crossover" and scenario.design.carryover != 0:
        out.append("carry-over biases the within-patient comparison by -carryover / 2")
    harmful = [scenario.pain.effect_of(j) for j in range(1, len(scenario.design.arms))
               if scenario.pain.effect_of(j) > 0]
    if harmful:
        what = ("the prior mean of the effect" if scenario.pain.effect_prior != "fixed"
                else "the true effect")
        out.append(f"{what} (+{max(harmful):g}) is harm, not benefit (negative = benefit): "
                   "power counts rejections in either direction, here mostly for harm; "
                   "power_benefit is the probability of showing a benefit")
    if scenario.interim is not None:
        out.append("interim analyses: power (and assurance) are the sequential trial's; the "
                   "estimate, its coverage, the MCID rows and the adverse-event table "
                   "describe every trial analysed at its maximum n (see the interim block "
                   "for the trial as run)")
    return tuple(out)
