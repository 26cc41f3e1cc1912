"""Variants of a scenario that features simulate beside it.

Each is built from the scenario's values; nothing mutates a scenario.
"""

from __future__ import annotations

from functools import lru_cache

from .scenario import Scenario

__all__ = ["first_period_equivalent", "without_dropout", "without_unblinding", "has_dropout"]


def first_period_equivalent(scenario: Scenario) -> Scenario:
    """A crossover analysed on period 1 alone is a parallel trial of its sequences."""
    design = scenario.design
    if design.kind != "crossover" or design.crossover_analysis != "first-period":
        return scenario
    data = scenario.to_dict()
    data["design"] = {k: data["design"][k] for k in ("arms", "allocation", "n_per_arm")}
    return Scenario.from_dict(data, source=scenario.source, evidence=scenario.evidence)


def has_dropout(scenario: Scenario) -> bool:
    """Whether any patient can lose the primary outcome (crossover washout included)."""
    return scenario.dropout.any or (scenario.design.kind == "crossover"
                                    and scenario.design.washout_dropout > 0)


@lru_cache(maxsize=64)
def without_dropout(scenario: Scenario) -> Scenario:
    """The scenario with nobody withdrawn (analysed as the hypothetical estimand)."""
    data = scenario.to_dict()
    data["dropout"] = {}
    if data["analysis"]["estimand"] == "composite":
        data["analysis"]["estimand"] = "hypothetical"
    if data["design"].get("kind") == "crossover":
        data["design"]["washout_dropout"] = 0.0
    return Scenario.from_dict(data, source=scenario.source, evidence=scenario.evidence)


@lru_cache(maxsize=64)
def without_unblinding(scenario: Scenario) -> Scenario:
    """The scenario without the expectancy shift (the same trials, blinded)."""
    if scenario.pain.unblinding_ae is None:
        return scenario
    data = scenario.to_dict()
    data["pain"] = {k: v for k, v in data["pain"].items()
                    if k not in ("unblinding_ae", "unblinding_shift")}
    return Scenario.from_dict(data, source=scenario.source, evidence=scenario.evidence)
