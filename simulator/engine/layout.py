"""Chunk layout: how many simulated trials go into each task.

The layout depends on the number of trials, the scenario and its memory
budget, never on the number of workers, so a seed gives the same numbers on
1 worker, 2, or any joblib backend.
"""

from __future__ import annotations

from ..models.aggregate import AGGREGATE_BYTES_PER_TRIAL
from ..models.patient import patient_bytes_per_trial
from ..spec.scenario import Scenario
from ..spec.variants import first_period_equivalent
from .dispatch import PathName, choose_path

__all__ = ["MAX_CHUNK", "chunk_layout", "fixed_chunks", "bytes_per_trial",
           "default_chunk_size"]

MAX_CHUNK = 1 << 16


def chunk_layout(n_sims: int, bytes_per_trial: int, budget_mb: float) -> list[int]:
    """Split ``n_sims`` trials into chunks that fit the memory budget.

    Every chunk but the last has the same size, at most ``MAX_CHUNK``.
    """
    per_chunk = int(budget_mb * 1e6 // max(bytes_per_trial, 1))
    size = max(1, min(MAX_CHUNK, per_chunk, n_sims))
    return fixed_chunks(n_sims, size)


def fixed_chunks(n_sims: int, size: int) -> list[int]:
    """``n_sims`` trials in chunks of ``size`` (the last one smaller)."""
    full, rest = divmod(n_sims, size)
    return [size] * full + ([rest] if rest else [])


def bytes_per_trial(scenario: Scenario, path: str, n_sizes: int = 1) -> int:
    """Peak bytes one simulated trial of a scenario needs on a data path.

    The aggregate path holds a few numbers per trial and grid size; the
    per-patient paths hold arrays over the largest arm.
    """
    if path == "aggregate":
        return AGGREGATE_BYTES_PER_TRIAL * n_sizes
    return patient_bytes_per_trial(scenario)


def default_chunk_size(scenario: Scenario, n_sims: int, path: PathName = "auto") -> int:
    """The chunk size :func:`simulate` would use for a scenario (its memory budget)."""
    scenario = first_period_equivalent(scenario)
    per_trial = bytes_per_trial(scenario, choose_path(scenario, path))
    if scenario.meta_analysis is not None:
        per_trial *= scenario.meta_analysis.new_trials
    return chunk_layout(n_sims, per_trial, scenario.simulation.chunk_mb)[0]
