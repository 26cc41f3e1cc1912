"""One dispatch from a design and a data path to the model, then to the analysis.

A model draws a block of trials on a size grid (:class:`~simulator.models.draw.Draw`,
moments and counts, no test); :func:`analyse_draw` runs the scenario's
analysis on it (the estimand's, the multiplicity's) and splits the result into
one :class:`~simulator.engine.sample.TrialSample` per size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from ..analysis.arms import analyse_arms, two_sample_analysis
from ..analysis.estimands import estimand_moments
from ..analysis.imputation import jump_to_reference
from ..models.aggregate import simulate_aggregate, simulate_aggregate_grid
from ..models.aggregate_looks import looks_supported, simulate_aggregate_looks
from ..models.crossover import simulate_crossover_grid
from ..models.draw import Draw
from ..models.parameters import TrialParameters
from ..models.patient import simulate_patient_grid, tiles
from ..models.withdrawal import needs_missing_path, simulate_missing_grid
from ..spec.scenario import Scenario
from .paths import PathName, choose_path
from .sample import SampleGrid, TrialSample, split_sizes

__all__ = ["PathName", "choose_path", "draw_sizes", "draws_in_tiles", "analyse_draw",
           "simulate_sizes", "simulate_trials"]

#: An internal path: every patient's full data (the withdrawal model), whatever
#: the scenario needs; a comparison run uses it to pair with a run that does.
FULL_DATA = "full-data"


def draw_sizes(scenario: Scenario, n_sims: int, rng: np.random.Generator, path: str,
               grid: Sequence[tuple[int, ...]], params: TrialParameters | None = None) -> Draw:
    """One block of trials at every grid size from the model the design and path need."""
    if scenario.design.kind == "crossover":
        return simulate_crossover_grid(scenario, n_sims, rng, grid, params)
    if _full_data(scenario, path):
        return simulate_missing_grid(scenario, n_sims, rng, grid, params)
    if path == "aggregate":
        if len(grid) == 1 and scenario.design.kind != "multiarm":
            return simulate_aggregate(scenario, n_sims, rng, params)
        if looks_supported(scenario, len(grid[0])):
            return simulate_aggregate_looks(scenario, n_sims, rng, grid, params)
        return simulate_aggregate_grid(scenario, n_sims, rng, grid, params)
    return simulate_patient_grid(scenario, n_sims, rng, grid, params)


def _full_data(scenario: Scenario, path: str) -> bool:
    """Whether :func:`draw_sizes` draws from the full-data (withdrawal) model."""
    return path == FULL_DATA or (path == "patient" and needs_missing_path(scenario))


def draws_in_tiles(scenario: Scenario, path: str) -> bool:
    """Whether :func:`draw_sizes` reaches the per-patient model (its last case) and its
    tiled draws (:func:`~simulator.models.patient.tiles`)."""
    return (path == "patient" and scenario.design.kind != "crossover"
            and not _full_data(scenario, path) and tiles(scenario))


def analyse_draw(draw: Draw, scenario: Scenario, rng: np.random.Generator,
                 grid: Sequence[tuple[int, ...]], n_sims: int) -> SampleGrid:
    """The scenario's analysis of a draw, one :class:`TrialSample` per grid size.

    ``rng`` is the draw's own stream, continued: jump-to-reference imputes
    from it.
    """
    spec, pain = scenario.analysis, scenario.pain
    test = spec.responder_test if pain.is_responder else spec.test
    if draw.patients is not None and spec.estimand == "treatment-policy-j2r":
        primary = jump_to_reference(draw.patients, rng, analysis=pain.analysis, test=test,
                                    imputations=spec.imputations, n_sims=n_sims)
        return split_sizes(primary, None, draw.completers, draw.ae_counts, len(grid))
    if draw.two_sample is not None:
        primary = two_sample_analysis(draw.analysis, spec.test, draw.two_sample)
        if primary.estimate.ndim == 2:  # every look at once (trials, sizes)
            # df has the shape of n (one per size without dropout): as a view
            primary = replace(primary, df=np.broadcast_to(primary.df, primary.estimate.shape))
            return split_sizes(primary, None, draw.completers, draw.ae_counts, len(grid))
        return SampleGrid.of([TrialSample(primary=primary, completers=draw.completers,
                                          ae_counts=draw.ae_counts)])
    arms = draw.arms
    if draw.patients is not None:
        arms = estimand_moments(spec.estimand, pain.responder_cutoff, draw.patients, n_sims)
    # One analysis of every size at once ((trials, sizes) arrays), then a copy per size.
    primary, comparisons = analyse_arms(draw.analysis, test, list(arms))
    return split_sizes(primary, comparisons, draw.completers, draw.ae_counts, len(grid),
                       ae_exposed=draw.ae_exposed)


def simulate_sizes(scenario: Scenario, n_sims: int, rng: np.random.Generator, path: str,
                   grid: Sequence[tuple[int, ...]], params: TrialParameters | None = None
                   ) -> SampleGrid:
    """One block of trials at every grid size, simulated and analysed."""
    draw = draw_sizes(scenario, n_sims, rng, path, grid, params)
    return analyse_draw(draw, scenario, rng, grid, n_sims)


def simulate_trials(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                    path: Literal["aggregate", "patient"],
                    params: TrialParameters | None = None) -> TrialSample:
    """Simulate and analyse one block of trials at the scenario's own size."""
    return simulate_sizes(scenario, n_sims, rng, path, [scenario.design.group_sizes], params)[0]
