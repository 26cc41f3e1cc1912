"""Targets no sample size can reach, refused before any simulation with the reason."""

from __future__ import annotations

import numpy as np

from ..errors import ConvergenceError, ScenarioError
from ..models.parameters import assurance_ceiling
from ..spec.scenario import Scenario
from ..spec.variants import at_n
from .metric import Metric
from .resolve_closed import closed_forms
from .unblinding import observed_effect

__all__ = ["check_target", "check_available", "check_reachable"]


def check_target(target: float, name: str = "target =") -> None:
    """Raise ScenarioError unless ``target`` is a probability in (0, 1), naming it ``name``."""
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target < 1:
        raise ScenarioError(f"{name} {target!r}: must be a probability in (0, 1)")


def check_available(scenario: Scenario, metric: Metric) -> None:
    """Raise ScenarioError when the scenario cannot be asked for ``metric`` at all.

    An adverse event it does not define, assurance without a prior of the
    effect, P(conclusive) without ``[meta_analysis]`` or with a rule that is
    not among its rules.
    """
    if metric.kind == "assurance" and assurance_ceiling(scenario.pain) is None:
        raise ScenarioError("metric 'assurance' needs a prior: set pain.effect_prior to "
                            "'pooled' or 'predictive'")
    if metric.kind == "conclusive":
        spec = scenario.meta_analysis
        if spec is None:
            raise ScenarioError(f"metric {str(metric)!r} needs a [meta_analysis] table")
        rule = metric.name or spec.rules[0]
        if rule not in spec.rules:
            raise ScenarioError(f"metric {str(metric)!r}: rule {rule!r} is not among the "
                                f"scenario's rules {list(spec.rules)}")
    if metric.kind == "harm":
        events = [ae.name for ae in scenario.adverse_events]
        if metric.name not in events:
            known = ", ".join(events) or "none are defined"
            raise ScenarioError(f"metric {str(metric)!r}: unknown adverse event "
                                f"{metric.name!r}; defined: {known}")


def check_reachable(scenario: Scenario, metric: Metric, target: float) -> None:
    """Raise ScenarioError when the metric or target cannot be asked for
    (:func:`check_available`), ConvergenceError when no n can reach the target,
    saying the ceiling."""
    pain, spec = scenario.pain, scenario.analysis
    check_target(target)
    check_available(scenario, metric)
    effect = observed_effect(scenario)
    if metric.kind in ("power", "power_benefit") and effect >= 0:
        ceiling = spec.alpha / spec.sided if effect > 0 or metric.kind == "power_benefit" \
            else spec.alpha
        why = ("is zero: the rejection rate stays at alpha" if effect == 0 else
               "is harm, not benefit (negative = benefit): a trial sized on it would be sized "
               "to show harm, and its power to show benefit stays below alpha / sided")
        if pain.unblinding_ae is not None:
            why = f"(with the expectancy bias of functional unblinding, {effect:+g}) " + why
        raise ConvergenceError(
            f"{metric} cannot reach {target:g}: pain.effect = {pain.effect:g} {why}; "
            f"the highest value reachable is about {ceiling:g} at any n")
    if metric.kind == "assurance":
        ceiling = assurance_ceiling(pain)
        if target >= ceiling:
            raise ConvergenceError(
                f"assurance cannot reach {target:g}: it is bounded by its ceiling "
                f"{ceiling:.4f}, the prior probability that the effect is a benefit; the "
                f"highest value reachable approaches {ceiling:.4f} as n grows")
    if metric.kind == "conclusive":
        _check_resolvable(scenario, metric, target)
    if metric.kind == "harm":
        name = metric.name
        ae = next(ae for ae in scenario.adverse_events if ae.name == name)
        if ae.risk_ratio <= 1 and ae.risk_ratio_prior == "fixed":
            raise ConvergenceError(
                f"P(harm detected) for {name} cannot reach {target:g}: risk_ratio = "
                f"{ae.risk_ratio:g} is no harm; the highest value reachable is about "
                f"{spec.alpha / spec.sided:g} at any n")


def _check_resolvable(scenario: Scenario, metric: Metric, target: float) -> None:
    """A target above the plateau that tau^2 sets cannot be reached by any n."""
    spec = scenario.meta_analysis
    rule = metric.name or spec.rules[0]
    closed = closed_forms(scenario)
    k = spec.new_trials
    trials = f"trial{'s' if k > 1 else ''}"
    advice = (f"at least k_min = {closed.k_min} new trials are needed to supply the "
              f"required information" + (
                  f" ({closed.n_per_arm_for_k[closed.k_min]} per arm each)"
                  if closed.k_min in closed.n_per_arm_for_k else ""))
    tau2 = 'fitted' if spec.tau2 is None else spec.tau2
    if rule == "ci-excludes-0" and closed.plateau is not None and closed.plateau < target:
        raise ConvergenceError(
            f"P(conclusive) with {k} new {trials} cannot reach {target:g}: with tau^2 = {tau2} "
            f"it plateaus at {closed.plateau:.4f} however large the {trials}; {advice}")
    if rule in closed.by_rule and rule != "ci-excludes-0":
        ceiling = max([closed.by_rule[rule]["plateau"]] + [
            closed_forms(at_n(scenario, n)).by_rule[rule]["p_conclusive"]
            for n in np.unique(np.geomspace(2, scenario.design.largest_n_per_arm(), 40)
                               .astype(int))])
        if ceiling < target:
            raise ConvergenceError(
                f"P({rule}) with {k} new {trials} cannot reach {target:g}: with tau^2 = {tau2} "
                f"its closed form (tau^2 fixed) is at most {ceiling:.4f} at any n per arm, and "
                f"{closed.by_rule[rule]['plateau']:.4f} as the {trials} "
                f"grow{'s' if k == 1 else ''} without bound")

