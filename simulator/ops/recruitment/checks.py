"""Argument checks of :func:`.driver.simulate_recruitment` and :func:`.solve.solve_recruitment`.

Each names the argument, its value and what is allowed (``ScenarioError``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import ScenarioError
from ...spec.bounds import MAX_MONTHS
from ...spec.scenario import Scenario

__all__ = ["check_count", "check_deadline", "check_recruitment_scenario"]


def check_count(name: str, value: Any, least: int) -> int:
    """An integer (not a bool) at least ``least``, or a ScenarioError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ScenarioError(f"{name} = {value!r}: must be an integer >= {least}")
    return int(value)


def check_deadline(deadline: Any) -> float | None:
    """None, or a number of months in (0, MAX_MONTHS]."""
    if deadline is not None and (isinstance(deadline, bool)
                                 or not isinstance(deadline, (int, float, np.floating))
                                 or not 0 < deadline <= MAX_MONTHS):
        raise ScenarioError(f"deadline_months = {deadline!r}: must be a number of months in "
                            f"(0, {MAX_MONTHS:g}]")
    return None if deadline is None else float(deadline)


def check_recruitment_scenario(scenario: Any) -> Scenario:
    """A Scenario with a ``[recruitment]`` table."""
    if not isinstance(scenario, Scenario):
        raise ScenarioError(f"scenario = {scenario!r}: must be a Scenario")
    if scenario.recruitment is None:
        raise ScenarioError(f"{scenario.source}: [recruitment]: required to simulate "
                            "recruitment (sites, rate_per_site_month, ...)")
    return scenario
