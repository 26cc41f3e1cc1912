"""One dispatch from a design and a data path to the model that simulates it."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..engine.sample import TrialSample
from ..errors import ScenarioError
from ..models.aggregate import (
    aggregate_unsupported,
    simulate_aggregate,
    simulate_aggregate_grid,
)
from ..models.crossover import simulate_crossover_grid
from ..models.parameters import TrialParameters
from ..models.patient import simulate_patient_grid
from ..spec.scenario import Scenario

__all__ = ["PathName", "choose_path", "simulate_trials", "simulate_sizes"]

PathName = Literal["auto", "aggregate", "patient"]


def choose_path(scenario: Scenario, path: PathName = "auto") -> Literal["aggregate", "patient"]:
    """The data path for a scenario.

    ``auto`` takes the aggregate path whenever it is exact for the scenario;
    forcing ``aggregate`` where it is not raises :class:`ScenarioError`.
    """
    reason = aggregate_unsupported(scenario)
    if path == "auto":
        return "patient" if reason else "aggregate"
    if path == "aggregate" and reason:
        raise ScenarioError(f"{scenario.source}: path 'aggregate' is not exact here: {reason}; "
                            "use path 'patient' or 'auto'")
    if path not in ("aggregate", "patient"):
        raise ScenarioError(f"path = {path!r}: must be one of 'auto', 'aggregate', 'patient'")
    return path


def simulate_trials(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                    path: Literal["aggregate", "patient"],
                    params: TrialParameters | None = None) -> TrialSample:
    """Simulate and analyse one chunk of trials on the given path.

    ``params`` gives the true effect and AE risks, per trial under a prior;
    default the scenario's point values.
    """
    return simulate_sizes(scenario, n_sims, rng, path, [scenario.design.group_sizes], params)[0]


def simulate_sizes(scenario: Scenario, n_sims: int, rng: np.random.Generator, path: str,
                   grid: list[tuple[int, ...]], params: TrialParameters | None = None
                   ) -> list[TrialSample]:
    """One chunk of trials at every grid size, on common random numbers."""
    if scenario.design.kind == "crossover":
        return simulate_crossover_grid(scenario, n_sims, rng, grid, params)
    if len(grid) == 1 and path == "aggregate" and scenario.design.kind != "multiarm":
        return [simulate_aggregate(scenario, n_sims, rng, params)]
    if path == "aggregate":
        return simulate_aggregate_grid(scenario, n_sims, rng, grid, params)
    return simulate_patient_grid(scenario, n_sims, rng, grid, params)
