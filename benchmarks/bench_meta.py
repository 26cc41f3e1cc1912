"""tau^2 estimators stopping per future: Paule-Mandel and REML against their former loops.

Run ``python benchmarks/bench_meta.py [--quick]``. In one process it times

1. Paule-Mandel on ``F`` simulated futures of ``k`` studies (the existing
   studies plus the new trials, as ``resolve`` fits them): safeguarded Newton
   steps, each future stopping at its tolerance, against the former 200
   bisection steps of every future; the two agree to 1e-10 (printed);
2. REML (Fisher scoring from DerSimonian-Laird) with each future stopping at
   its tolerance, against the former loop in which every future iterates
   until the slowest has converged;
3. ``resolve`` on a review of per-study estimates re-fitted in every future
   (``tests/backtest/resolve_studies.toml``) with ``method = "pm"`` and with
   ``"reml"``: the whole run with the former estimator (patched in) over the
   run with the new one (identical results to 1e-9, printed).

Every figure is a ratio of two timings in the same process (best of 5 for
1 and 2, of 3 for the resolve runs of 3; the two calls alternated); the
former estimators are the references of the tests
(``tests/analysis/tau2_former.py``). The script reports and exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import load_scenario, simulate  # noqa: E402
from simulator.analysis import metaanalysis as ma  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "analysis"))
from tau2_former import former_pm as old_pm  # noqa: E402
from tau2_former import former_reml  # noqa: E402


def old_reml(y, v, start):
    """The former REML loop, its limit raised to the new one's (5,000) for the slow future."""
    return former_reml(y, v, start, max_iter=5000)


def pair(old, new, repeats=5):
    """Best-of timings of two calls, alternated so that the machine's drift hits both."""
    times, outs = [float("inf"), float("inf")], [old(), new()]
    for _ in range(repeats):
        for i, fn in enumerate((old, new)):
            t0 = time.perf_counter()
            outs[i] = fn()
            times[i] = min(times[i], time.perf_counter() - t0)
    return times, outs


def futures(n, k, seed=1):
    """k studies per future: 4 fixed ones and k - 4 new trials around a drawn effect."""
    rng = np.random.default_rng(seed)
    y0, s0 = np.array([-1.0, -0.4, 0.2, -1.6]), np.array([0.5, 0.6, 0.7, 0.9])
    se = np.full((n, k - 4), 0.35)
    y_new = rng.normal(-0.8, 0.4, (n, 1)) + rng.normal(0, 1, (n, k - 4)) * np.sqrt(se**2 + 0.1)
    y = np.concatenate([np.broadcast_to(y0, (n, 4)), y_new], axis=1)
    v = np.concatenate([np.broadcast_to(s0**2, (n, 4)), se**2], axis=1)
    return y, v


def largest_gap(a, b) -> float:
    """The largest relative difference between the numbers of two nested results."""
    if isinstance(a, dict):
        return max([largest_gap(a[key], b[key]) for key in a], default=0.0)
    if isinstance(a, list | tuple):
        return max([largest_gap(x, z) for x, z in zip(a, b)], default=0.0)
    if isinstance(a, float) and a != b:
        return abs(a - b) / max(abs(a), abs(b), 1e-300)
    return 0.0 if a == b else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer futures")
    args = parser.parse_args()
    n = 20_000 if args.quick else 100_000
    print(f"tau^2 estimators, {n:,} futures (ratios: former / new, same process)")
    for k in (5, 6, 10):
        y, v = futures(n, k)
        q = ((y - ma._pooled(y, v, np.zeros(n))[2][:, None]) ** 2 / v).sum(axis=1)
        start = ma._tau2_dl(y, v, q)
        (t_old, t_new), (pm_old, pm_new) = pair(lambda: old_pm(y, v), lambda: ma._tau2_pm(y, v))
        (r_old, r_new), (reml_old, reml_new) = pair(lambda: old_reml(y, v, start),
                                                    lambda: ma._tau2_reml(y, v, start))
        print(f"  k = {k:2d}: Paule-Mandel {t_old * 1e3:7.1f} ms -> {t_new * 1e3:6.1f} ms "
              f"({t_old / t_new:5.1f}x faster, max |diff| {np.max(np.abs(pm_new - pm_old)):.1e});"
              f" REML {r_old * 1e3:7.1f} ms -> {r_new * 1e3:6.1f} ms ({r_old / r_new:4.1f}x, "
              f"max |diff| {np.max(np.abs(reml_new - reml_old)):.1e})")
    base = load_scenario(ROOT / "tests" / "backtest" / "resolve_studies.toml")
    n_sims = 2000 if args.quick else 10_000
    print(f"resolve of resolve_studies.toml, new_trials = 2, {n_sims:,} futures")
    for method, name, old in (("pm", "_tau2_pm", old_pm), ("reml", "_tau2_reml", old_reml)):
        s = base.with_overrides({"meta_analysis.method": method})
        new_fn = getattr(ma, name)

        def run(fn, s=s, name=name):
            setattr(ma, name, fn)
            try:
                return simulate(s, n_sims=n_sims, seed=3, comparisons=False)
            finally:
                setattr(ma, name, new_fn)
        (t_old, t_new), (res_old, res_new) = pair(lambda: run(old), lambda: run(new_fn), 3)
        gap = largest_gap(res_new.to_dict()["resolve"], res_old.to_dict()["resolve"])
        print(f"  {method:4s}: former {t_old:6.2f} s, new {t_new:6.2f} s: "
              f"{t_old / t_new:4.1f}x faster; largest relative difference of the results "
              f"{gap:.1e}")


if __name__ == "__main__":
    main()
