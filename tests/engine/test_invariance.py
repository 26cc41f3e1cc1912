"""The numbers do not depend on how the work is split (in the manner of scipy's test_batch).

A run's trials come in blocks, each with its own random stream; the memory
budget (``simulation.chunk_mb``) only groups blocks into tasks, and workers
only run tasks. So ``chunk_mb``, ``n_jobs`` and the joblib backend must leave
every number of every result exactly as it is. The runs force small blocks
(``block_size``) so that every case spans several blocks cheaply, and each
test checks that the settings really changed the split, so that it cannot
pass vacuously.
"""

from __future__ import annotations

import joblib
import pytest
from conftest import ROOT

from simulator import load_scenario, power_curve, simulate_grid
from simulator.engine.layout import Layout
from simulator.spec import evolve

BLOCK = 128
SCENARIOS = {
    "aggregate": ("ketamine_iv_resolve.toml", {"pain.effect_prior": "fixed"}, 1_000),
    "patient-prior-ae": ("ketamine_iv_assurance.toml", {}, 1_000),
    "futures": ("ketamine_iv_resolve.toml", {"meta_analysis.new_trials": 2}, 800),
    "crossover": ("dextromethorphan_crossover.toml", {}, 1_000),
    "multiarm": ("ketamine_oral_doses.toml", {}, 600),
    "j2r": ("ketamine_iv_parallel.toml", {"analysis.estimand": "treatment-policy-j2r",
                                          "analysis.imputations": 3}, 400),
}


def numbers(result) -> dict:
    return {k: v for k, v in result.to_dict().items() if k != "worker_processes"}


def run(scenario, n_sims: int, **kwargs):
    return simulate_grid(scenario, None, n_sims=n_sims, seed=3, block_size=BLOCK, **kwargs)[0]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_chunk_mb_and_workers_do_not_change_the_numbers(name):
    file, overrides, n_sims = SCENARIOS[name]
    base = load_scenario(ROOT / "scenarios" / file, overrides)
    small = evolve(base, {"simulation.chunk_mb": 1.0})
    large = evolve(base, {"simulation.chunk_mb": 4096.0})
    reference = numbers(run(large, n_sims))
    assert numbers(run(small, n_sims)) == reference
    two = run(small, n_sims, n_jobs=2)
    assert numbers(two) == reference
    # the split did change: one block per task against all blocks in one task
    per_trial = 10_000  # at least what a trial of any of these scenarios takes
    assert len(Layout.of(n_sims, per_trial, 1.0, block=BLOCK).tasks()) > 1
    assert len(Layout.of(n_sims, per_trial, 4096.0, block=BLOCK).tasks()) == 1
    if name not in ("aggregate", "futures"):  # aggregate tasks are too quick to share
        assert two.worker_processes == 2  # the run really went through two processes


@pytest.mark.parametrize("backend", ["sequential", "threading", "loky"])
def test_the_joblib_backend_does_not_change_a_curve(backend):
    s = load_scenario(ROOT / "scenarios" / "ketamine_iv_parallel.toml",
                      {"simulation.chunk_mb": 1.0})
    reference = power_curve(s, [40, 80, 135], n_sims=5_000, seed=9)
    with joblib.parallel_config(backend=backend):
        curve = power_curve(s, [40, 80, 135], n_sims=5_000, seed=9, n_jobs=2)
    assert [numbers(p) for p in curve.points] == [numbers(p) for p in reference.points]


def test_blocks_follow_the_memory_of_a_trial_not_the_budget():
    small = Layout.of(100_000, 8768, 1.0)
    large = Layout.of(100_000, 8768, 4096.0)
    assert small.blocks() == large.blocks() and small.block == 2048
    assert small.blocks_per_task == 1 and large.blocks_per_task == 32
    assert [n for task in large.tasks() for _, n in task] == large.blocks()
    assert Layout.of(100_000, 512, 64).block == 8_192  # capped by MAX_BLOCK (cache)
    assert Layout.of(5, 10**9, 64).blocks() == [1] * 5
