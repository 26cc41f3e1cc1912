"""Sweep benchmark: parallel scaling across points, and the result store's overhead.

Run ``python benchmarks/bench_sweep.py [--quick]``. In one process it times

1. the same sweep of per-patient points (the IV-ketamine scenario: bounded
   NRS, ANCOVA, AE-driven withdrawal) on 1 and on 2 loky workers, the pool
   warmed first so that process start-up is not counted; target: 2 workers
   at least 1.8x one worker (on a 2-core machine);
2. the store: appending the sweep's rows to the JSON Lines + CSV store, per
   row, against the mean work of one point; target below 5 %;
3. a sweep point against a bare ``simulate`` of the same scenario (its
   defaults without the comparison runs, which a row does not keep): the
   one-worker sweep's time over the sum of the bare runs; target <= 1.1x;
4. store appends stay flat: the last 1,000 of 10,000 appends against the
   first 1,000; target <= 1.2x.

Figures are ratios against baselines measured in the same run, because these
machines are noisy. The script reports; it always exits 0.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import joblib

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator import Scenario, load_scenario, simulate  # noqa: E402
from simulator.ops.store import ResultStore  # noqa: E402
from simulator.ops.sweep import run_sweep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sweep")
    args = parser.parse_args()
    n_sims = 3000 if args.quick else 8000
    scenario = load_scenario(ROOT / "scenarios" / "ketamine_iv_parallel.toml")
    spec = Scenario.from_dict(
        {**scenario.to_dict(), "sweep": {"grid": {
            "pain.effect": [-1.5, -1.0, -0.5, 0.0], "design.n_per_arm": [100, 120, 140, 160]}}}).sweep
    points = len(spec.grid[0][1]) * len(spec.grid[1][1])

    joblib.Parallel(n_jobs=2)(joblib.delayed(time.sleep)(0.01) for _ in range(4))  # warm pool
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in (1, 2):
            best = float("inf")
            for rep in range(2):
                start = time.perf_counter()
                rows = run_sweep(scenario, spec, Path(tmp) / f"s{jobs}_{rep}.csv", n_sims=n_sims,
                                 n_jobs=jobs)
                best = min(best, time.perf_counter() - start)
            times[jobs] = best
        work_per_point = times[1] / points
        bare = 0.0
        for row in rows:  # each bare run the best of 2, as the sweep's time
            at = scenario.with_overrides({k: row[k] for k in ("pain.effect",
                                                            "design.n_per_arm")})
            best = float("inf")
            for _ in range(2):
                start = time.perf_counter()
                simulate(at, n_sims=n_sims, seed=row["seed_entropy"], comparisons=False)
                best = min(best, time.perf_counter() - start)
            bare += best
        flat = ResultStore(Path(tmp) / "flat.csv")
        stamp = []
        for i in range(10_000):
            start = time.perf_counter()
            flat.append(dict(rows[0], scenario_hash=f"h{i}"))
            stamp.append(time.perf_counter() - start)
        growth = sum(stamp[-1000:]) / sum(stamp[:1000])
        store = ResultStore(Path(tmp) / "store.csv")
        start = time.perf_counter()
        for _ in range(20):
            for row in rows:
                store.append(dict(row))
        append = (time.perf_counter() - start) / (20 * len(rows))

    speedup = times[1] / times[2]
    overhead = append / work_per_point
    print(f"trialsim sweep benchmark ({'quick' if args.quick else 'full'}): {points} points, "
          f"{n_sims:,} trials each, per-patient path, best of 2")
    print(f"  1 worker   {times[1]:7.2f} s   ({work_per_point:.3f} s per point)")
    print(f"  2 workers  {times[2]:7.2f} s")
    print(f"  store append {1e3 * append:7.3f} ms per row (JSON Lines + CSV)")
    print()
    print(f"  speed-up 2 vs 1 workers   {speedup:5.2f}x   target >= 1.8x   "
          f"{'PASS' if speedup >= 1.8 else 'FAIL'}")
    print(f"  store overhead per point  {100 * overhead:5.2f} %   target < 5 %      "
          f"{'PASS' if overhead < 0.05 else 'FAIL'}")
    point = times[1] / bare
    print(f"  sweep point / bare simulate {point:5.2f}x   target <= 1.1x   "
          f"{'PASS' if point <= 1.1 else 'FAIL'}")
    print(f"  last 1,000 / first 1,000 of 10,000 appends {growth:5.2f}x   target <= 1.2x   "
          f"{'PASS' if growth <= 1.2 else 'FAIL'}")


if __name__ == "__main__":
    main()
