"""Scratch memory of the per-patient path: reused within an arena, never
changing a number.

The per-patient sampler draws its normals into buffers that the blocks of a
run share. These tests check the arena's contract (same memory for a slot
inside one arena, fresh memory outside, nested arenas share the outer one)
and that a draw into reused memory is exactly the draw into fresh memory:
for the samplers (untruncated and truncated baselines, bounded scores that
are made in place, responders) and for whole runs with and without an
arena, through blocks of different sizes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import make_scenario

from simulator.models.outcomes import draw_baseline_z
from simulator.models.patient import simulate_patient_grid
from simulator.models.scratch import arena, buffer


def test_a_slot_hands_out_the_same_memory_within_an_arena():
    with arena():
        a = buffer("zy", (4, 5))
        b = buffer("zy", (2, 5))  # smaller: a view of the same memory
        assert np.shares_memory(a, b) and b.flags.c_contiguous and b.shape == (2, 5)
        c = buffer("zx", (4, 5))  # another slot: other memory
        assert not np.shares_memory(a, c)
        d = buffer("zy", (8, 5))  # larger: grown
        assert d.shape == (8, 5) and not np.shares_memory(a, d)
        with arena():  # nested: the outer arena's memory
            assert np.shares_memory(buffer("zy", (8, 5)), d)


def test_outside_an_arena_every_buffer_is_fresh():
    a, b = buffer("zy", (3, 3)), buffer("zy", (3, 3))
    assert not np.shares_memory(a, b)
    with arena():
        inside = buffer("zy", (3, 3))
    assert not np.shares_memory(buffer("zy", (3, 3)), inside)  # the arena ended


@pytest.mark.parametrize("truncated", [False, True])
def test_baseline_draws_into_given_memory_are_the_same_numbers(truncated):
    pain = make_scenario(**({"pain.inclusion_min": 4.0} if truncated else {})).pain
    assert pain.truncated == truncated
    fresh = draw_baseline_z(np.random.default_rng(7), (50, 30), pain)
    out = np.full(2000, np.nan)[:1500].reshape(50, 30)
    given = draw_baseline_z(np.random.default_rng(7), (50, 30), pain, out=out)
    assert np.shares_memory(given, out)
    np.testing.assert_array_equal(given, fresh)


def _moments(draw):
    return [dataclasses.astuple(arm) for arm in draw.arms]


@pytest.mark.parametrize("overrides", [
    {"pain.analysis": "followup", "pain.bounded": False},
    {"pain.analysis": "ancova", "pain.bounded": False, "dropout.rate": 0.2},
    {"pain.analysis": "change", "pain.bounded": True},
    {"pain.analysis": "responder30", "pain.bounded": True, "pain.inclusion_min": 4.0},
], ids=["latent", "ancova-dropout", "bounded-change", "responders-truncated"])
def test_reused_memory_gives_the_numbers_of_fresh_memory(overrides):
    """Blocks of 300 then 100 trials in one arena (the second reuses and
    overwrites the first's memory) equal the same blocks drawn fresh; and the
    first block's results survive the second block's draws."""
    s = make_scenario(**{"design.n_per_arm": 40, **overrides})
    grids = [[(40, 40)], [(20, 20), (40, 40)]]
    for grid in grids:
        fresh = [_moments(simulate_patient_grid(s, k, np.random.default_rng(k), grid))
                 for k in (300, 100)]
        with arena():
            first = simulate_patient_grid(s, 300, np.random.default_rng(300), grid)
            kept = _moments(first)
            second = simulate_patient_grid(s, 100, np.random.default_rng(100), grid)
            reused = [_moments(first), _moments(second)]
        for got, want in zip(reused, fresh):
            for arm_got, arm_want in zip(got, want):
                for a, b in zip(arm_got, arm_want):
                    np.testing.assert_array_equal(a, b)
        assert all(np.array_equal(a, b) for x, y in zip(kept, reused[0])
                   for a, b in zip(x, y) if a is not None)
