"""The bytes a trial is budgeted (engine.layout.bytes_per_trial) cover its measured peak.

Block sizes, and so the random streams, come from a rule for the bytes one
trial needs on its path. The rule must not under-count: these tests run one
block under ``tracemalloc`` (numpy reports its arrays to it) and compare
the peak with the rule's bytes for that block, on each path and on the
cases the rule was built from, with the block the layout gives (a block's
fixed costs, such as the per-patient path's 512 KB tile, are small next to
its 32 MB budget, not next to a small block's).
"""

from __future__ import annotations

import tracemalloc

import pytest
from conftest import make_scenario

from simulator import simulate_grid
from simulator.engine.dispatch import draws_in_tiles
from simulator.engine.layout import BLOCK_BYTES, block_size, bytes_per_trial

AES = {"nausea": {"placebo_risk": 0.1, "risk_ratio": 2.0},
       "psych": {"placebo_risk": 0.1, "risk_ratio": 3.0},
       "any": {"placebo_risk": 0.5, "risk_ratio": 1.5}}


def block_peak(s, sizes: list[int], path: str) -> tuple[int, int]:
    """The layout's block size for a grid, and the peak bytes of one such block."""
    k = block_size(bytes_per_trial(s, path, len(sizes)))
    # every comparison run (their passes hold memory too), no closed forms (slow, not memory)
    options = dict(path=path, closed_forms=False, comparisons=True)
    simulate_grid(s, sizes, n_sims=64, seed=1, **options)  # warm caches
    tracemalloc.start()
    try:
        simulate_grid(s, sizes, n_sims=k, seed=2, **options)
        return k, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("path, overrides, sizes", [
    ("aggregate", {"pain.analysis": "followup"}, list(range(2, 201))),
    ("aggregate", {"pain.analysis": "followup", "dropout.rate": 0.1, "analysis.test": "welch"},
     list(range(10, 201))),
    ("aggregate", {"pain.analysis": "ancova", "dropout.rate": 0.1, "adverse_events": AES},
     list(range(10, 201))),
    ("patient", {"pain.analysis": "followup"}, [200]),
    ("patient", {"pain.analysis": "ancova"}, [37, 101, 200]),
    ("patient", {"pain.analysis": "ancova"}, list(range(10, 201, 10))),
], ids=["agg-followup-199", "agg-welch-dropout", "agg-ancova-dropout-aes", "patient-tiled-one",
        "patient-tiled-uneven-baseline", "patient-tiled-20"])
def test_a_blocks_peak_memory_is_within_its_budget(path, overrides, sizes):
    s = make_scenario(**{"design.n_per_arm": 200, **overrides})
    if path == "patient":
        assert draws_in_tiles(s, path) == ("pain.bounded" not in overrides)
    k, peak = block_peak(s, sizes, path)
    budget = bytes_per_trial(s, path, len(sizes)) * k
    assert peak <= budget, f"block of {k:,}: peak {peak:,} bytes > budget {budget:,}"


def test_a_flagship_like_block_fits_the_32_mb_budget():
    """Bounded scores, dropout and three adverse events, 20 sizes: the rule of
    eight (trials, patients) arrays counts 10 % less than the measured peak
    (29.2 MB against 26.5 MB for 2,048 trials of 200 per arm), but blocks are
    powers of two, so the block stays within the fixed 32 MB. (A ninth array
    would change the blocks, and so the numbers, of flagship solves.)"""
    s = make_scenario(**{"design.n_per_arm": 200, "pain.analysis": "ancova",
                         "dropout.rate": 0.1, "pain.bounded": True, "adverse_events": AES})
    k, peak = block_peak(s, list(range(10, 201, 10)), "patient")
    assert peak <= BLOCK_BYTES, f"block of {k:,}: peak {peak:,} bytes > {BLOCK_BYTES:,}"
