"""The metrics a curve or a solve reads from a result."""

from __future__ import annotations

from ..errors import ScenarioError
from ..mc import MonteCarloProbability
from .results import SimulationResult

__all__ = ["metric_of"]


def metric_of(result: SimulationResult, metric: str) -> MonteCarloProbability:
    """The Monte Carlo estimate of ``metric`` in a result.

    ``metric`` is ``"power"``, ``"power_benefit"``, ``"assurance"`` or
    ``"harm:<adverse event>"``.
    """
    if metric == "power":
        return result.power
    if metric == "power_benefit":
        return result.power_benefit
    if metric == "assurance":
        if result.assurance is None:
            raise ScenarioError("metric 'assurance' needs a prior: set pain.effect_prior to "
                                "'pooled' or 'predictive'")
        return result.assurance
    if metric == "conclusive" or metric.startswith("conclusive:"):
        if result.resolve is None:
            raise ScenarioError(f"metric {metric!r} needs a [meta_analysis] table")
        rule = metric[11:] or result.resolve.rules[0]
        if rule not in result.resolve.p_conclusive:
            raise ScenarioError(f"metric {metric!r}: rule {rule!r} is not among the scenario's "
                                f"rules {list(result.resolve.rules)}")
        return result.resolve.p_conclusive[rule]
    if metric.startswith("harm:"):
        name = metric[5:]
        if name not in result.adverse_events:
            known = ", ".join(result.adverse_events) or "none are defined"
            raise ScenarioError(f"metric {metric!r}: unknown adverse event {name!r}; "
                                f"defined: {known}")
        return result.adverse_events[name].p_harm_detected
    raise ScenarioError(f"metric = {metric!r}: must be 'power', 'power_benefit', 'assurance', "
                        "'harm:<adverse event>' or 'conclusive[:<rule>]'")
