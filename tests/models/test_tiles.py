"""Tiles of the per-patient path: drawing and summing a block a tile at a time
changes no number.

Where nobody can withdraw, the per-patient sampler draws an arm's follow-up
normals a tile of trials at a time and sums each tile while it is in cache
(:func:`simulator.models.patient._tiled_latent_moments`). A generator fills
an array in order and every sum is row by row, so the moments must be
exactly those of the whole block drawn at once and reduced afterwards,
which is the path every scenario with withdrawal takes. These tests force
that path (``tiles`` patched to False: still nobody withdraws, the
mask stays None) and compare, with tiles of 8 trials (many tiles, the last
one short) and of the whole block, over the model variants that tile.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import make_scenario

from simulator.models import patient
from simulator.models.parameters import TrialParameters
from simulator.models.patient import simulate_patient_grid

K = 203  # trials: not a multiple of any tile
NAUSEA = {"nausea": {"placebo_risk": 0.1, "risk_ratio": 2.0}}


def _draw(s, grid, params=None):
    rng = np.random.default_rng(7)
    if params == "per-trial":  # a true effect and AE risk per trial, as drawn from priors
        other = np.random.default_rng(8)
        params = TrialParameters(effect=other.normal(-1.0, 0.5, K),
                                 active_risk={"nausea": other.uniform(0.1, 0.4, K)})
    draw = simulate_patient_grid(s, K, rng, grid, params)
    after = rng.standard_normal(3)  # the stream continues where it would have
    arms = [[None if a is None else np.broadcast_to(a, draw.arms[0].mean_y.shape)
             for a in dataclasses.astuple(arm)] for arm in draw.arms]
    return arms, draw.completers, draw.ae_counts, after


@pytest.mark.parametrize("tile", [8 * 40, 10**9], ids=["8-trial-tiles", "one-tile"])
@pytest.mark.parametrize("grid", [[(40, 40)], [(20, 20), (40, 40)], [(13, 17), (30, 40)]],
                         ids=["one-size", "regular-grid", "uneven-grid"])
@pytest.mark.parametrize("overrides", [
    {"pain.analysis": "followup"},
    {"pain.analysis": "ancova"},
    {"pain.analysis": "change", "pain.inclusion_min": 4.0},
    {"pain.analysis": "ancova", "adverse_events": NAUSEA},
], ids=["followup", "ancova", "change-truncated", "ancova-per-trial-effect-ae"])
def test_tiles_give_the_numbers_of_the_whole_block(monkeypatch, overrides, grid, tile):
    s = make_scenario(**{"design.n_per_arm": 40, **overrides})
    assert patient.tiles(s)
    params = "per-trial" if "adverse_events" in overrides else None
    monkeypatch.setattr(patient, "TILE_VALUES", tile)
    tiled = _draw(s, grid, params)
    monkeypatch.setattr(patient, "tiles", lambda scenario: False)
    whole = _draw(s, grid, params)
    for arm_t, arm_w in zip(tiled[0], whole[0]):
        for a, b in zip(arm_t, arm_w):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_array_equal(a, b)
    for a, b in zip(tiled[1], whole[1]):
        np.testing.assert_array_equal(a, b)
    assert tiled[2].keys() == whole[2].keys()
    for name in tiled[2]:
        for a, b in zip(tiled[2][name], whole[2][name]):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(tiled[3], whole[3])


@pytest.mark.parametrize("grid", [[(150, 150)], [(50, 50), (150, 150)]], ids=["one-size", "grid"])
def test_tiles_of_a_large_block_give_its_numbers(monkeypatch, grid):
    """4,100 trials of 150 patients (arrays large enough for multithreaded
    BLAS; 4,100 is not a multiple of 8): tiles of 648 trials (the last one
    short) against the whole block, row sums that do not depend on the rows
    around them."""
    s = make_scenario(**{"design.n_per_arm": 150, "pain.analysis": "ancova"})
    draws = []
    for withdraw in (False, True):
        monkeypatch.setattr(patient, "tiles", lambda scenario, w=withdraw: not w)
        draw = simulate_patient_grid(s, 4100, np.random.default_rng(9), grid)
        draws.append([dataclasses.astuple(arm) for arm in draw.arms])
    for arm_t, arm_w in zip(*draws):
        for a, b in zip(arm_t, arm_w):
            if a is not None:
                np.testing.assert_array_equal(np.broadcast_to(a, np.shape(b)), b)


@pytest.mark.parametrize("n", [1, 7, 100, 150, 8191, 10**6])
def test_tile_rows_are_the_most_whole_multiples_of_8_within_the_tile(n):
    rows = patient._tile_rows(n)
    assert rows % 8 == 0 and rows >= 8
    assert rows == 8 or rows * n <= patient.TILE_VALUES < (rows + 8) * n


def test_withdrawal_after_an_adverse_event_stops_the_tiles():
    assert patient.tiles(make_scenario(adverse_events=NAUSEA))
    assert not patient.tiles(make_scenario(adverse_events=NAUSEA,
                                           **{"dropout.after_ae": {"nausea": 0.5}}))


@pytest.mark.parametrize("overrides, tiled", [
    ({}, True),
    ({"pain.analysis": "ancova"}, True),
    ({"adverse_events": NAUSEA}, True),
    ({"dropout.rate": 0.1}, False),
    ({"pain.bounded": True}, False),
    ({"pain.analysis": "responder30", "pain.bounded": True}, False),
    ({"analysis.estimand": "treatment-policy-j2r"}, False),  # the withdrawal model
    ({"design.kind": "crossover", "pain.analysis": "followup"}, False),
], ids=["followup", "ancova", "events", "dropout", "bounded", "responders", "j2r",
        "crossover"])
def test_only_runs_that_draw_in_tiles_get_the_tiled_footprint(overrides, tiled):
    """A block holds one (trials, patients) array when the follow-up is drawn in
    tiles (and then the grid sizes' summaries count), eight otherwise; only the
    per-patient model's tiled draws count."""
    from simulator.engine.dispatch import draws_in_tiles
    from simulator.engine.layout import bytes_per_trial

    s = make_scenario(**{"design.n_per_arm": 100, **overrides})
    assert draws_in_tiles(s, "patient") is tiled
    assert not draws_in_tiles(s, "full-data")
    from simulator.models.aggregate import summary_bytes_per_size

    arms = len(s.design.arms)
    for sizes in (1, 20):
        want = (8 * 100 + 64 * arms + summary_bytes_per_size(s) * sizes if tiled
                else 8 * 8 * 100 + 64 * arms)
        assert bytes_per_trial(s, "patient", sizes) == want
        assert bytes_per_trial(s, "full-data", sizes) == 8 * 8 * 100 + 64 * arms
