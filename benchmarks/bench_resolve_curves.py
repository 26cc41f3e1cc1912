"""``resolve --n``: the curves for 1 .. K new trials in one pass, against one curve per K.

Run ``python benchmarks/bench_resolve_curves.py [--quick]``. In one process it
times the P(conclusive) curves over ``n`` = 40, 80, ..., 200 per arm for
1 .. K new trials (K = 3 and 5) of ``tests/backtest/resolve_fixed_effect.toml``
(normal scores: the aggregate path, where judging the updates, the TSA's
looks above all, costs more than drawing the trials) and of the same with
bounded scores (``pain.bounded = true``: the per-patient path):

* **one pass** (``planning.curves.conclusive_curves``): K trials per future,
  each curve judging the update by the first k of them;
* **one curve per k** (what ``resolve --n`` did): ``power_curve`` with
  ``new_trials = k`` for each k, K(K+1)/2 trials per future in all.

It prints the ratio (one curve per k / one pass; expected near (K + 1) / 2
where the simulation dominates) and the largest difference of the two
results for k = K (identical: the same futures). Each timing is the best of
3, the two alternated, after a warm-up. The script reports and exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import load_scenario, power_curve  # noqa: E402
from simulator.planning.curves import conclusive_curves  # noqa: E402
from simulator.spec.schema import evolve  # noqa: E402

GRID = [40, 80, 120, 160, 200]


def per_k(scenario, n_sims):
    k_max = scenario.meta_analysis.new_trials
    return {k: power_curve(evolve(scenario, {"meta_analysis.new_trials": k}), GRID,
                           n_sims=n_sims, seed=5) for k in range(1, k_max + 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer futures")
    args = parser.parse_args()
    n_sims = 2000 if args.quick else 10_000
    base = load_scenario(ROOT / "tests" / "backtest" / "resolve_fixed_effect.toml")
    print(f"P(conclusive) curves over n = {GRID}, {n_sims:,} futures per curve")
    for bounded, k_max in ((False, 3), (False, 5), (True, 3), (True, 5)):
        s = evolve(base, {"meta_analysis.new_trials": k_max, "pain.bounded": bounded})
        calls = {"one curve per k": lambda s=s: per_k(s, n_sims),
                 "one pass": lambda s=s: conclusive_curves(s, GRID, n_sims=n_sims, seed=5)}
        best = dict.fromkeys(calls, float("inf"))
        out = {name: fn() for name, fn in calls.items()}  # warm-up
        for _ in range(3):
            for name, fn in calls.items():
                t0 = time.perf_counter()
                out[name] = fn()
                best[name] = min(best[name], time.perf_counter() - t0)
        same = all(a.resolve.to_dict() == b.resolve.to_dict() for a, b in
                   zip(out["one pass"][k_max].points, out["one curve per k"][k_max].points))
        ratio = best["one curve per k"] / best["one pass"]
        print(f"  {'bounded' if bounded else 'normal '}, K = {k_max}: one curve per k {best['one curve per k']:6.2f} s "
              f"({k_max * (k_max + 1) // 2} trials per future), one pass {best['one pass']:6.2f} s "
              f"({k_max}): {ratio:4.2f}x faster; the curve for K identical: {same}")


if __name__ == "__main__":
    main()
