"""A three-arm Dunnett solve against one run at its answer.

Run ``python benchmarks/bench_dunnett.py [--quick]``. In one process, for

* **(a)** ``scenarios/ketamine_oral_doses.toml``: placebo and two oral doses,
  bounded NRS, ANCOVA, 11 % dropout, Dunnett (the per-patient path);
* **(b)** a three-arm normal-model scenario: sd 2.5, effects -0.5 and -1.0,
  follow-up t-test, 11 % dropout, Dunnett (the aggregate path),

it times ``solve_sample_size(s, target=0.9, n_sims=K)`` (what ``trialsim
size`` computes) and one run at its answer, ``simulate(at_n(s, n*),
n_sims=K)`` with its default arguments (what ``trialsim run`` computes).
With dropout every trial has its own df, and each df needs a Dunnett
critical value; both calls start with the critical values' caches emptied,
as a fresh process does (the ratio with the caches warm is printed too), and
the number of critical values solved (root-finds; the rest are interpolated
over df) is printed. Target: the solve at most 10x the run.

Each timing is the best of 3, the two calls alternated, after a warm-up; the
script reports and exits 0. ``--quick`` (2,000 trials) is a smoke run only:
the solver runs the trials its precision needs whatever ``n_sims`` is, so
its ratio to a small run is not the acceptance figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import Scenario, load_scenario, simulate, solve_sample_size  # noqa: E402
from simulator.analysis import dunnett  # noqa: E402
from simulator.spec.variants import at_n  # noqa: E402

TARGET = 10.0
NORMAL = {"design": {"kind": "multiarm", "arms": ["placebo", "low", "high"], "n_per_arm": 100},
          "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup",
                   "arm_effects": {"low": -0.5, "high": -1.0}},
          "dropout": {"rate": 0.11}}


def empty_caches() -> None:
    for cached in (dunnett.critical, dunnett._octave, dunnett._scale_nodes, dunnett._z_nodes):
        cached.cache_clear()


def timed(fn, cold: bool):
    if cold:
        empty_caches()
    before = dunnett.critical.cache_info().misses
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out, dunnett.critical.cache_info().misses - before


def measure(name: str, s: Scenario, n_sims: int) -> None:
    answer = solve_sample_size(s, target=0.9, n_sims=n_sims, seed=1)  # warm-up
    n_star = answer.n_per_arm
    calls = {"solve": lambda: solve_sample_size(s, target=0.9, n_sims=n_sims, seed=1),
             "run": lambda: simulate(at_n(s, n_star), n_sims=n_sims, seed=2)}
    for cold in (True, False):
        best = dict.fromkeys(calls, float("inf"))
        roots = {}
        for _ in range(3):
            for key, fn in calls.items():
                t, _, solved = timed(fn, cold)
                best[key], roots[key] = min(best[key], t), solved
        ratio = best["solve"] / best["run"]
        state = "caches empty" if cold else "caches warm "
        verdict = f"target <= {TARGET:g}x: {'PASS' if ratio <= TARGET else 'FAIL'}" if cold else ""
        print(f"  {name}, {state}: solve {best['solve']:6.2f} s ({roots['solve']} critical "
              f"values solved), run at n* = {n_star}: {best['run']:6.3f} s ({roots['run']}); "
              f"solve / run = {ratio:5.2f}x  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials")
    args = parser.parse_args()
    n_sims = 2000 if args.quick else 10_000
    print(f"Three-arm Dunnett solve (target power 0.9) / one run at its answer, "
          f"{n_sims:,} trials")
    measure("(a) ketamine_oral_doses", load_scenario(ROOT / "scenarios" /
                                                     "ketamine_oral_doses.toml"), n_sims)
    measure("(b) normal model     ", Scenario.from_dict(NORMAL, source="normal 3-arm"), n_sims)


if __name__ == "__main__":
    main()
