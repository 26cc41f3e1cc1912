"""Cost of EVSI (``trialsim value``) relative to one ``resolve`` run on the same futures.

Run from the repository root::

    python benchmarks/bench_value.py          # full run (20,000 futures)
    python benchmarks/bench_value.py --quick  # smoke run (4,000 futures)

``value_of_information`` adds one pass to the engine (the assurance pass's
streams, k trials per future) and then fits the regression at each size,
computes EVPI and EVPPI and bootstraps the argmax of ENBS. ``resolve``
(``simulate`` of a scenario with ``[meta_analysis]``) simulates the same
number of futures of k new trials and updates the meta-analysis of each.
Scenario: ``scenarios/ketamine_iv_resolve.toml`` (IV ketamine, predictive
prior, the review's update by the TSA, settled, CI and MCID rules) with a
``[decision]`` table added; ``n_sims`` futures, one worker, seed 7.

What is measured:

1. **EVSI at one size, k = 1 and k = 3** (aggregate path):
   ``time(value_of_information(s, [114], trials=k))`` over
   ``time(simulate(s with new_trials = k, closed_forms=False,
   comparisons=False))``; target <= 1.5x (one size needs no bootstrap).
2. **EVSI over eight sizes** (``n`` 30..240 per arm, k = 1):
   ``value_of_information(..., bootstraps=0)`` over ``power_curve`` of the
   resolve scenario at the same sizes; target <= 1.5x. Then the same with
   the Monte Carlo range of the optimal n (200 bootstrap resamples, each
   refitting the regression at every size), for information: its cost is
   the resamples', not the simulation's.
3. **The worked example** ``scenarios/ketamine_iv_value.toml`` (bounded
   scores, inclusion range, dropout: the per-patient path) with the
   review's ``[meta_analysis]`` added, at 135 per arm and over eight sizes
   (bootstraps=0); target <= 1.5x.

On a loaded machine a multi-threaded BLAS makes the bootstrap's small matrix
products much slower: run with ``OPENBLAS_NUM_THREADS=1`` (printed below).

Each timing is the best of 3 after an untimed warm-up call; the script
prints PASS/FAIL and always exits 0.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import load_scenario, simulate  # noqa: E402
from simulator.planning.curves import power_curve  # noqa: E402
from simulator.planning.value import value_of_information  # noqa: E402
from simulator.spec.schema import evolve  # noqa: E402

TARGET = 1.5
DECISION = {"decision.value_per_point": 1000.0, "decision.treatment_cost": 1500.0,
            "decision.population_per_year": 3000, "decision.trial_cost_per_patient": 2000.0}


def best_of(fn, repeats: int = 3) -> float:
    """Best wall time of ``repeats`` calls after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def report(label: str, value_s: float, resolve_s: float, gated: bool = True) -> None:
    ratio = value_s / resolve_s
    verdict = ("(target <= %gx) %s" % (TARGET, "PASS" if ratio <= TARGET else "FAIL")
               if gated else "(for information: the resamples' cost)")
    print(f"{label:<44} value {value_s:7.3f} s  resolve {resolve_s:7.3f} s  "
          f"ratio {ratio:5.2f}x {verdict}")


def _pair(label, scenario, grid, n_sims, gated: bool = True, **value_kw) -> None:
    v = best_of(lambda: value_of_information(scenario, grid, n_sims=n_sims, seed=7,
                                             **value_kw))
    if len(grid) == 1:
        r = best_of(lambda: simulate(scenario.with_overrides({"design.n_per_arm": grid[0]}),
                                     n_sims=n_sims, seed=7, closed_forms=False,
                                     comparisons=False))
    else:
        r = best_of(lambda: power_curve(scenario, grid, n_sims=n_sims, seed=7))
    report(label, v, r, gated)


def main(quick: bool) -> None:
    n_sims = 4_000 if quick else 20_000
    base = load_scenario(ROOT / "scenarios" / "ketamine_iv_resolve.toml").with_overrides(DECISION)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"bench_value: {n_sims:,} futures, one worker, seed 7, "
          f"OPENBLAS_NUM_THREADS={threads}")
    for k in (1, 3):
        s = evolve(base, {"meta_analysis.new_trials": k})
        _pair(f"1. EVSI, one size (114 per arm), k = {k}", s, [114], n_sims, trials=k)
    grid = list(range(30, 241, 30))
    _pair("2. EVSI, eight sizes (30..240), k = 1", base, grid, n_sims, bootstraps=0)
    _pair("   with the argmax range (200 resamples)", base, grid, n_sims, gated=False)
    worked = load_scenario(ROOT / "scenarios" / "ketamine_iv_value.toml").with_overrides(
        {"meta_analysis.evidence": "ketamine-iv/pain/immediate"})
    _pair("3. worked example (patient path), 135 per arm", worked, [135], n_sims)
    _pair("   eight sizes (30..240)", worked, grid, n_sims, bootstraps=0)


if __name__ == "__main__":
    main("--quick" in sys.argv[1:])
