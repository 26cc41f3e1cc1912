"""What a simulation is asked for, and the protocol of the features that answer it.

A :class:`Plan` describes one run: the scenario at the grid's largest size,
the data path, the grid, the estimand's true value, and which optional parts
were asked for (closed forms, comparison runs). A :class:`Feature`
contributes passes (and collectors to passes other features define) to the
run, and turns the totals at each grid size into fields of the result.
Adding a statistic is one feature module: the engine does not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..engine.kernel import Collector, Pass
from ..spec.scenario import Scenario

__all__ = ["Plan", "Point", "Feature"]


@dataclass(frozen=True, slots=True)
class Plan:
    """One run of a scenario over a size grid.

    Attributes
    ----------
    scenario : Scenario
        At the grid's largest size (what the passes simulate).
    path : str
        The data path of the scenario's own trials.
    grid : list of tuple of int
        Patients per arm at each size, increasing.
    truth, truth_se : float
        The estimand's true value and its Monte Carlo error.
    closed_forms : bool
        Compute the closed forms beside the simulation.
    comparisons : bool
        Run the comparison passes of a report (without dropout, without
        unblinding).
    trial_prefixes : bool
        With ``[meta_analysis]``: also judge the update by each future's first
        ``k`` new trials, for every ``k`` below ``new_trials`` (the curves for
        1 .. K new trials from one pass over the same futures).
    """

    scenario: Scenario
    path: str
    grid: list[tuple[int, ...]]
    truth: float
    truth_se: float
    closed_forms: bool
    comparisons: bool
    trial_prefixes: bool = False


@dataclass(frozen=True, slots=True)
class Point:
    """The totals of a run at one grid size.

    Attributes
    ----------
    scenario : Scenario
        The scenario at this size.
    counts : mapping of str to mapping
        Per pass that ran, its collectors' totals by name.
    n_sims : int
    plan : Plan
    """

    scenario: Scenario
    counts: Mapping[str, Mapping[str, Any]]
    n_sims: int
    plan: Plan

    def main(self, name: str) -> Any:
        """A total of the main pass."""
        return self.counts["main"][name]


class Feature(Protocol):
    """A part of a simulation result, with the passes and collectors it needs."""

    def passes(self, plan: Plan) -> list[Pass]:
        """Passes this feature defines (none if it only collects)."""
        ...

    def collectors(self, plan: Plan) -> dict[str, list[Collector]]:
        """Collectors to add to passes by name (ignored where the pass does not run)."""
        ...

    def summarise(self, point: Point) -> dict[str, Any]:
        """Fields of :class:`~simulator.planning.results.SimulationResult`.

        ``parts`` (result parts by name) and ``notes`` (why a quantity is
        null, in words) are added to the result's, not replaced.
        """
        ...
