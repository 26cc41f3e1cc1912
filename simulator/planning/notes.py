"""Warnings a reader of a result needs, in words."""

from __future__ import annotations

from ..spec.evidence_checks import evidence_checks
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
    if scenario.interim is not None:
        out.append("interim analyses: power (and assurance) are the sequential trial's; the "
                   "estimate, its coverage, the MCID rows and the adverse-event table "
                   "describe every trial analysed at its maximum n (see the interim block "
                   "for the trial as run)")
    return tuple(out) + evidence_checks(scenario)
