"""Variants of a scenario that features simulate beside it.

Each is built from the scenario's values with
:func:`~simulator.spec.schema.evolve` (so it is validated like any other
scenario); nothing mutates a scenario, and nothing goes through a dict.
"""

from __future__ import annotations

from functools import lru_cache

from .design import Design
from .events import Dropout
from .scenario import Scenario
from .schema import evolve

__all__ = ["at_n", "first_period_equivalent", "without_dropout", "without_unblinding",
           "has_dropout"]


def at_n(scenario: Scenario, n_per_arm: int) -> Scenario:
    """The scenario with ``n_per_arm`` patients in the reference arm."""
    if n_per_arm == scenario.design.n_per_arm:
        return scenario
    return evolve(scenario, {"design.n_per_arm": int(n_per_arm)})


def first_period_equivalent(scenario: Scenario) -> Scenario:
    """A crossover analysed on period 1 alone is a parallel trial of its sequences."""
    design = scenario.design
    if design.kind != "crossover" or design.crossover_analysis != "first-period":
        return scenario
    return evolve(scenario, design=Design(arms=design.arms, allocation=design.allocation,
                                          n_per_arm=design.n_per_arm))


def has_dropout(scenario: Scenario) -> bool:
    """Whether any patient can lose the primary outcome (crossover washout included)."""
    return scenario.dropout.any or (scenario.design.kind == "crossover"
                                    and scenario.design.washout_dropout > 0)


@lru_cache(maxsize=64)
def without_dropout(scenario: Scenario) -> Scenario:
    """The scenario with nobody withdrawn (analysed as the hypothetical estimand)."""
    changes: dict = {"dropout": Dropout()}
    if scenario.analysis.estimand == "composite":
        changes["analysis.estimand"] = "hypothetical"
    if scenario.design.kind == "crossover":
        changes["design.washout_dropout"] = 0.0
    return evolve(scenario, changes)


@lru_cache(maxsize=64)
def without_unblinding(scenario: Scenario) -> Scenario:
    """The scenario without the expectancy shift (the same trials, blinded)."""
    if scenario.pain.unblinding_ae is None:
        return scenario
    return evolve(scenario, {"pain.unblinding_ae": None, "pain.unblinding_shift": 0.0})
