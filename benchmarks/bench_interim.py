"""Cost of interim analyses: a sequential design against the fixed one, and against rpact.

Run from the repository root::

    python benchmarks/bench_interim.py          # full run, about a minute
    python benchmarks/bench_interim.py --quick  # smoke run

1. **Sequential over fixed** (target <= 1.3x): the time of a run of a 3-look
   design (O'Brien-Fleming alpha spending, non-binding O'Brien-Fleming beta
   spending) divided by the time of the same scenario without ``[interim]``
   (the fixed design of the same maximum n), both with
   ``closed_forms=False, comparisons=False``, on the aggregate path (normal
   scores) and on the per-patient path (the built-in
   ``ketamine_iv_interim.toml``: bounded scores, AE withdrawal). Each time
   is the best of 5 runs in this process, the two designs alternating.

   On the aggregate path a fixed trial costs one normal and one chi-square;
   K looks need K of each (one per segment of patients: the least an exact
   draw of the K looks' t statistics takes), so 1.3x cannot be reached
   there. The **floor** is the fixed run plus those extra draws alone,
   timed in this process (numpy's generator, the same number of trials):
   ``floor = t_fixed + t_draws(K segments) - t_draws(fixed)``; the table
   shows it as a ratio to the fixed run and the sequential run's ratio to
   it (1.0 would be a sequential run with no cost beyond its draws).
2. **Against rpact** (target >= 20x per simulated trial): rpact 3.3.4's
   ``getSimulationMeans`` (t test, ``normalApproximation = FALSE``) on the same
   3-look design and the same number of simulated trials, timed inside R
   (``system.time``, best of 3) when ``Rscript`` with rpact is installed,
   against trialsim's aggregate path; the two powers are printed beside each
   other (they must agree within Monte Carlo error). Skipped, with a line
   saying so, when R is absent.

Ratios, not absolute times: the machine is shared and noisy (BLAS runs on one
thread here, see below). The script always exits 0: a benchmark reports, it
does not gate.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# One BLAS thread, set before numpy loads: the runs' only BLAS calls are dots of
# one block's estimates, which on a busy machine can wait milliseconds on idle
# BLAS threads (both designs make them; the ratio would measure the machine)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import Scenario, evolve, load_scenario, simulate_grid  # noqa: E402

SEED = 20261127
REPEATS = 5
EFFECT, SD, N_PER_ARM = -0.6, 2.5, 150
INTERIM = {"looks": 3, "alpha_spending": "asOF", "beta_spending": "bsOF", "beta": 0.1}
NORMAL = Scenario.from_dict({
    "design": {"n_per_arm": N_PER_ARM},
    "pain": {"effect": EFFECT, "sd": SD, "analysis": "followup"},
    "analysis": {"alpha": 0.025, "sided": 1}, "interim": INTERIM})

R_CODE = """
suppressMessages(library(rpact))
d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, sided = 1,
                              typeOfDesign = "asOF", typeBetaSpending = "bsOF",
                              bindingFutility = FALSE)
best <- Inf
for (i in 1:3) {{
  t <- system.time(s <- getSimulationMeans(d, groups = 2, normalApproximation = FALSE,
      alternative = {effect}, stDev = {sd}, plannedSubjects = c(100, 200, 300),
      maxNumberOfIterations = {n}, seed = {seed}))[["elapsed"]]
  best <- min(best, t)
}}
cat(best, sum(s$rejectPerStage), s$expectedNumberOfSubjects, "\\n")
"""


def best_time(fn) -> tuple[float, object]:
    """Best wall time of ``REPEATS`` calls, and the last result."""
    times, out = [], None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def best_pair(fa, fb) -> tuple[float, float, object]:
    """Best wall times of ``fa`` and ``fb`` called alternately, and ``fb``'s last result."""
    ta, tb, out = [], [], None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fa()
        ta.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = fb()
        tb.append(time.perf_counter() - t0)
    return min(ta), min(tb), out


def run(scenario: Scenario, n_sims: int, path: str):
    return simulate_grid(scenario, None, n_sims=n_sims, seed=SEED, path=path,
                         closed_forms=False, comparisons=False)[0]


def draws_extra(scenario: Scenario, n_sims: int) -> float:
    """Time of the K segments' draws less the fixed design's draws (no dropout).

    Fixed: a normal and a chi-square(n0 + n1 - 2) per trial. Sequential: per
    segment a normal and a chi-square (its patients' degrees of freedom), as
    :mod:`simulator.models.aggregate_looks` draws them.
    """
    rng = np.random.default_rng(SEED)
    n0, n1 = scenario.design.group_sizes
    looks = [round(t * n0) for t in scenario.interim.looks]
    seg = np.diff([0] + looks) * 2.0
    df = seg - 2.0 + (np.arange(len(seg)) > 0)

    def fixed():
        rng.standard_normal(n_sims)
        rng.chisquare(np.full(n_sims, n0 + n1 - 2.0))

    def segments():
        rng.standard_normal((len(seg), n_sims))
        for d in df:
            rng.chisquare(d, size=n_sims)

    t_fixed, t_seg, _ = best_pair(fixed, segments)
    return t_seg - t_fixed


def ratio_row(label: str, scenario: Scenario, n_sims: int, path: str) -> float:
    fixed = evolve(scenario, {"interim": None})
    run(fixed, 1000, path), run(scenario, 1000, path)  # warm caches
    t_fixed, t_seq, r = best_pair(lambda: run(fixed, n_sims, path),
                                  lambda: run(scenario, n_sims, path))
    ratio = t_seq / t_fixed
    floor = ""
    if path == "aggregate":
        t_floor = t_fixed + draws_extra(scenario, n_sims)
        floor = f"{t_floor / t_fixed:>8.2f}x{t_seq / t_floor:>8.2f}x"
    print(f"   {label:<34}{n_sims:>9,}{t_fixed:>10.3f}{t_seq:>10.3f}{ratio:>8.2f}x "
          f"{'PASS' if ratio <= 1.3 else 'FAIL'}{floor:>18}   power {r.power.value:.4f}")
    return ratio


def rpact(n_sims: int) -> tuple[float, float, float] | None:
    """rpact's best time, power and expected n, or None without R and rpact."""
    if shutil.which("Rscript") is None:
        return None
    code = R_CODE.format(effect=-EFFECT, sd=SD, n=n_sims, seed=SEED % 100000)
    done = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"   rpact failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    t, power, en = (float(x) for x in done.stdout.split())
    return t, power, en


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials")
    args = parser.parse_args()
    started = time.perf_counter()
    n_agg, n_pat, n_r = (200_000, 20_000, 20_000) if not args.quick else (50_000, 4_000, 2_000)

    print(f"1. sequential (3 looks) over the fixed design of the same maximum n, best of {REPEATS}")
    print(f"   {'':<34}{'trials':>9}{'fixed s':>10}{'seq. s':>10}{'ratio':>9}{'':>5}"
          f"{'floor':>9}{'seq/floor':>10}")
    ratio_row("normal scores, aggregate path", NORMAL, n_agg, "aggregate")
    ratio_row("normal scores, per-patient path", NORMAL, n_pat, "patient")
    flagship = load_scenario(ROOT / "scenarios" / "ketamine_iv_interim.toml")
    ratio_row("ketamine_iv_interim (per-patient)", flagship, n_pat, "patient")

    print(f"\n2. against rpact getSimulationMeans, {n_r:,} trials of the same design "
          f"({N_PER_ARM}/arm, effect {-EFFECT}, sd {SD}, t test)")
    ref = rpact(n_r)
    if ref is None:
        print("   skipped: Rscript with rpact is not installed "
              "(apt-get install r-base-core r-cran-rpact)")
    else:
        t_ours, ours = best_time(lambda: run(NORMAL, n_r, "aggregate"))
        speed = ref[0] / t_ours
        se = math.sqrt(ours.power.value * (1 - ours.power.value) / n_r)
        print(f"   rpact {ref[0]:.3f} s (system.time in its own Rscript process), trialsim "
              f"(aggregate, this process) {t_ours:.4f} s: cross-process, "
              f"{speed:.0f}x per simulated trial (target >= 20x) "
              f"{'PASS' if speed >= 20 else 'FAIL'}")
        gap = ours.power.value - ref[1]
        print(f"   power: rpact {ref[1]:.4f}, trialsim {ours.power.value:.4f} (difference "
              f"{gap:+.4f}, {abs(gap) / (se * math.sqrt(2)):.1f} combined MC SE); expected n: "
              f"rpact {ref[2]:.1f}, trialsim {ours.sequential.expected_n.value:.1f}")
    print(f"\ntotal benchmark time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
