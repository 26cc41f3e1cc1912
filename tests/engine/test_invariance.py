"""The numbers do not depend on how the work is split (in the manner of scipy's test_batch).

A run's trials come in blocks, each with its own random stream; the memory
budget (``simulation.chunk_mb``) only groups blocks into tasks, and workers
only run tasks. So ``chunk_mb``, ``n_jobs`` and the joblib backend must leave
every number of every result exactly as it is. Each test also checks that
the settings really did change the split, so that it cannot pass vacuously.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import pytest

from simulator import load_scenario, power_curve, simulate
from simulator.engine.layout import Layout, bytes_per_trial
from simulator.spec import evolve

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "aggregate": ("ketamine_iv_resolve.toml", {"pain.effect_prior": "fixed"}, 70_000),
    "patient-prior-ae": ("ketamine_iv_assurance.toml", {}, 5_000),
    "futures": ("ketamine_iv_resolve.toml", {"meta_analysis.new_trials": 2}, 5_000),
    "crossover": ("dextromethorphan_crossover.toml", {}, 5_000),
    "multiarm": ("ketamine_oral_doses.toml", {}, 3_000),
    "j2r": ("ketamine_iv_parallel.toml", {"analysis.estimand": "treatment-policy-j2r",
                                          "analysis.imputations": 3}, 1_500),
}


def numbers(result) -> dict:
    return {k: v for k, v in result.to_dict().items() if k != "worker_processes"}


def tasks(scenario, n_sims: int) -> int:
    path = "aggregate" if scenario.pain.effect_prior == "fixed" and not scenario.pain.bounded \
        else "patient"
    per_trial = bytes_per_trial(scenario, path) * (
        scenario.meta_analysis.new_trials if scenario.meta_analysis else 1)
    return len(Layout.of(n_sims, per_trial, scenario.simulation.chunk_mb).tasks())


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_chunk_mb_and_workers_do_not_change_the_numbers(name):
    file, overrides, n_sims = SCENARIOS[name]
    base = load_scenario(ROOT / "scenarios" / file, overrides)
    small = evolve(base, {"simulation.chunk_mb": 1.0})
    large = evolve(base, {"simulation.chunk_mb": 4096.0})
    reference = numbers(simulate(large, n_sims=n_sims, seed=3))
    assert numbers(simulate(small, n_sims=n_sims, seed=3)) == reference
    two = simulate(small, n_sims=n_sims, seed=3, n_jobs=2)
    assert numbers(two) == reference
    if name in ("aggregate", "patient-prior-ae"):
        assert tasks(small, n_sims) > tasks(large, n_sims) >= 1  # the split did change
        assert two.worker_processes == 2  # and really went through two processes


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
    assert Layout.of(100_000, 512, 64).block == 32_768
    assert Layout.of(5, 10**9, 64).blocks() == [1] * 5
