"""Cost of a power curve and of a sample-size solve, relative to one evaluation.

Run from the repository root::

    python benchmarks/bench_curve.py          # full run (20,000 trials), about 40 s
    python benchmarks/bench_curve.py --quick  # smoke run (4,000 trials), under 20 s

Planning rests on common random numbers: every trial is simulated once at
the largest n and each smaller n analyses a prefix of its patients, so a
curve should cost about one evaluation at its largest n, and a solve (a
coarse bracketing curve, then a fine curve over the bracket) a few. This
script checks that, in one process, on two scenarios:

* **(a) normal** -- 200 per arm, normal scores, sd 2.5, effect -1.0, Student
  t-test of the follow-up score;
* **(b) flagship** -- ``scenarios/ketamine_iv_parallel.toml``: bounded 0-10
  NRS (clipped, rounded), truncated baseline, ANCOVA, 11 % dropout, three
  adverse events, one of which drives withdrawal.

What is measured (``n_sims`` trials per call, one worker, fixed seed):

1. **Curve / one evaluation** on the per-patient path (where one evaluation
   costs O(n)):
   ``time(power_curve(s, [10, 20, ..., 200], closed_forms=False))`` divided by
   ``time(simulate_grid(s, [200], closed_forms=False))``; target <= 1.5x.
   The two are timed in 3 alternating rounds (the best of each).
   The same ratio on the aggregate path for (a) is printed for information
   only: there one evaluation is O(1) in n and a curve draws every segment
   between grid points, so the ratio is about the number of segments.
2. **Solve / one run at the answer**:
   ``time(solve_sample_size(s, target=0.9, n_sims=K))`` divided by the time
   of one run at the answer, ``simulate(at_n(s, n*), n_sims=K)`` with its
   default arguments (what ``trialsim run`` computes: the closed form
   beside the simulation, and the comparison runs where the scenario has
   them); target <= 10x, for normal-model scenarios at n* about 120, 1,300
   and 3,000 per arm (aggregate path) and for the flagship (per-patient
   path); the cost must not grow with n* (the ratio at n* ~ 3,000 at most
   1.5x the ratio at ~ 120) and every range must be within 2 % of n*. The
   solve is split into its independent runs, the coarse bracketing curve
   (only when no closed form gives a first guess), the closed forms (first
   guess, exact n, the textbook inflation rule) and the rest. A solve's
   cost depends on its seed (the trials its runs need: 47,000-66,000 at
   n_sims 10,000), so it is timed at 5 seeds and the median is the figure
   (the fastest and slowest seeds are printed too); the seeds' solves and
   the run at the answer are timed in 3 alternating rounds, best of each.
3. **A default curve / the closed-form-included curve**: a 15-point
   ``power_curve`` of the flagship scenario (``n`` 20..300 step 20, default
   arguments: no closed forms, no comparison runs) divided by the same curve
   with ``closed_forms=True, comparisons=True`` (what every curve computed
   before the closed forms were made optional); target <= 0.5x.
4. **A 199-point curve of a normal-model scenario** (``n`` 2..200 per arm):
   on the aggregate path against the same curve on the per-patient path
   (target: no slower) and against drawing the 199 segments' sufficient
   statistics alone, block by block as the run does
   (``models.aggregate.simulate_aggregate_grid``; target <= 1.5x). The
   three are timed in 5 alternating rounds: the best of each, and the
   median of the rounds' ratios.

As in ``bench_engine.py``: every figure is a ratio to a baseline measured in
the same process, each timing is the best of 3 (``time.perf_counter``) after
an untimed warm-up call (calls under 50 ms are timed in batches), all
streams are seeded, targets are printed with PASS/FAIL, and the script always
exits 0.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import simulator.planning.search as search  # noqa: E402
import simulator.planning.solver as planning  # noqa: E402
from simulator import (  # noqa: E402
    Scenario,
    load_scenario,
    power_curve,
    simulate,
    simulate_grid,
)
from simulator.engine.layout import Layout, bytes_per_trial  # noqa: E402
from simulator.models.aggregate import simulate_aggregate_grid  # noqa: E402
from simulator.spec.variants import at_n  # noqa: E402

REPEATS = 3
SEED = 20250101
N_MAX = 200
GRID = list(range(10, N_MAX + 1, 10))  # 20 points
TARGET_POWER = 0.9
MIN_TIME = 0.05  # s: shorter calls (the aggregate path) are timed in batches

NORMAL = {
    "design": {"n_per_arm": N_MAX},
    "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup"},
}
FLAGSHIP = ROOT / "scenarios" / "ketamine_iv_parallel.toml"

TARGET_CURVE = 1.5  # curve / one evaluation at its largest n, x
TARGET_SOLVE = 10.0  # solve / one run at the answer, x
TARGET_GROWTH = 1.5  # that ratio at n* ~ 3,000 over the ratio at n* ~ 120
SOLVE_N = (120, 1300, 3000)  # answers of the normal-model solves
SOLVE_SEEDS = 5  # a solve is timed at this many seeds; the median is reported
SOLVE_ROUNDS = 3  # alternating rounds of the seeds' solves and the run at the answer


def normal_at(n_star: int) -> Scenario:
    """The normal model (sd 2.5, Student t) with the effect that 90 % power needs at n*."""
    effect = 2.5 * math.sqrt(2 * (1.959964 + 1.281552) ** 2 / n_star)
    return Scenario.from_dict({"design": {"n_per_arm": n_star},
                               "pain": {"effect": -effect, "sd": 2.5, "analysis": "followup"}},
                              source=f"normal n*~{n_star}")
DEFAULT_GRID = list(range(20, 301, 20))  # 15 points
TARGET_DEFAULT = 0.5  # default curve / closed-form-included curve, x
LONG_ROUNDS = 5  # alternating rounds of the 199-point curves and their draws
CURVE_ROUNDS = 3  # alternating rounds of one evaluation and the 20-point curve


def best_of(fn: Callable[[int], object], repeats: int = REPEATS,
            min_time: float = 0.0) -> tuple[float, object]:
    """Best per-call wall time of ``repeats`` timings of ``fn(rep)``, and the best result.

    One untimed warm-up call first (lazy imports, caches, page faults). With
    ``min_time``, a timing whose single call is shorter is a batch of calls at
    least that long (as ``timeit`` does), for millisecond calls.
    """
    t0 = time.perf_counter()
    res = fn(0)
    first = time.perf_counter() - t0
    batch = 1 if first >= min_time else int(min_time / max(first, 1e-6)) + 1
    best, out = float("inf"), res
    for rep in range(repeats):
        t0 = time.perf_counter()
        for _ in range(batch):
            res = fn(rep)
        dt = (time.perf_counter() - t0) / batch
        if dt < best:
            best, out = dt, res
    return best, out


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# ---------------------------------------------------------------------------
# 1. a curve versus one evaluation at its largest n


def one_eval(scenario: Scenario, n: int, n_sims: int, path: str) -> tuple[float, float]:
    """Best time of ``simulate_grid(s, [n])`` and its power."""
    def run(rep: int) -> float:
        return simulate_grid(scenario, [n], n_sims=n_sims, seed=SEED, path=path,
                             closed_forms=False)[0].power.value

    return best_of(run, min_time=MIN_TIME)


def one_run(scenario: Scenario, n: int, n_sims: int, path: str,
            repeats: int = REPEATS) -> tuple[float, float]:
    """Best time of ``simulate(at_n(s, n))`` with its defaults (``trialsim run``), and power."""
    at = at_n(scenario, n)

    def run(rep: int) -> float:
        return simulate(at, n_sims=n_sims, seed=SEED, path=path).power.value

    return best_of(run, repeats=repeats, min_time=MIN_TIME)


def curve(scenario: Scenario, grid: list[int], n_sims: int, path: str
          ) -> tuple[float, list[float]]:
    """Best time of ``power_curve(s, grid)`` and its powers."""
    def run(rep: int) -> list[float]:
        c = power_curve(scenario, grid, n_sims=n_sims, seed=SEED, path=path,
                                 closed_forms=False)
        return [m.value for m in c.metric("power")]

    return best_of(run, min_time=MIN_TIME)


def one_and_curve(scenario: Scenario, n_sims: int, path: str, rounds: int = CURVE_ROUNDS
                  ) -> tuple[float, float, float, list[float]]:
    """One evaluation at ``N_MAX`` and the ``GRID`` curve, timed in alternating rounds.

    Each round times both (best of ``REPEATS``, batched under 50 ms), so
    that a slow spell of the machine falls on both; the best of each over the
    rounds is returned, with the one evaluation's power and the curve's.
    """
    t_one = t_curve = float("inf")
    for _ in range(rounds):
        dt, p_one = one_eval(scenario, N_MAX, n_sims, path)
        t_one = min(t_one, dt)
        dt, powers = curve(scenario, GRID, n_sims, path)
        t_curve = min(t_curve, dt)
    return t_one, p_one, t_curve, powers


def long_curve(n_sims: int, rounds: int = LONG_ROUNDS) -> dict[str, float]:
    """A 199-point aggregate curve, the per-patient one and the draws alone, in alternation.

    The three are timed in ``rounds`` alternating rounds (after one untimed
    call each), because the machine's speed drifts by 10-20 % within
    seconds: the best time of each over the rounds, and the median of the
    rounds' own ratios.
    """
    s = Scenario.from_dict(NORMAL, source="normal")
    grid = list(range(2, N_MAX + 1))
    sizes = [s.design.group_sizes_at(n) for n in grid]
    layout = Layout.of(n_sims, bytes_per_trial(s, "aggregate", len(grid)), s.simulation.chunk_mb)

    def draws(rep: int) -> None:
        for j, n in enumerate(layout.blocks()):
            simulate_aggregate_grid(s, n, np.random.default_rng([SEED, rep, j]), sizes)

    def on(path: str):
        return lambda rep: power_curve(s, grid, n_sims=n_sims, seed=SEED, path=path)

    timed = {"aggregate": on("aggregate"), "patient": on("patient"), "draws": draws}
    times: dict[str, list[float]] = {name: [] for name in timed}
    for name, fn in timed.items():
        fn(0)  # warm-up (not timed)
    for rep in range(rounds):
        for name, fn in timed.items():
            t0 = time.perf_counter()
            fn(rep)
            times[name].append(time.perf_counter() - t0)
    agg, pat, drw = (np.array(times[k]) for k in ("aggregate", "patient", "draws"))
    return {"aggregate": agg.min(), "patient": pat.min(), "draws": drw.min(),
            "median_patient": float(np.median(agg / pat)),
            "median_draws": float(np.median(agg / drw))}


def default_vs_closed(scenario: Scenario, n_sims: int) -> tuple[float, float]:
    """Best times of a default 15-point curve and of the closed-form-included one."""
    def default(rep: int) -> object:
        return power_curve(scenario, DEFAULT_GRID, n_sims=n_sims, seed=SEED)

    def included(rep: int) -> object:
        return power_curve(scenario, DEFAULT_GRID, n_sims=n_sims, seed=SEED,
                                    closed_forms=True, comparisons=True)

    return best_of(default)[0], best_of(included)[0]


# ---------------------------------------------------------------------------
# 2. a sample-size solve versus one evaluation at its answer


@dataclass
class Split:
    """Time spent in the parts of one solve."""

    runs: float = 0.0  # the independent simulations (simulate_grid)
    n_runs: int = 0
    trials: int = 0
    bracket: float = 0.0  # a coarse curve, when there is no closed-form guess
    closed: float = 0.0  # closed forms: setup, guess, exact n, inflation rule
    total: float = 0.0

    @property
    def other(self) -> float:
        return self.total - self.runs - self.bracket - self.closed


class Instrument:
    """Timing wrappers around the functions a solve calls (restored on exit).

    The runs and the bracketing curve are called from ``simulator.planning.search``,
    the closed forms from ``simulator.planning.solver``.
    """

    TIMED = {"simulate_grid": "runs", "power_curve": "bracket", "closed_form": "closed",
             "fast_closed_form": "closed", "smallest_n": "closed", "exact_near": "closed",
             "inflation": "closed"}

    def __init__(self) -> None:
        self.split = Split()
        self._saved: dict[str, Callable] = {}

    def __enter__(self) -> Instrument:
        self._saved = {name: getattr(self.home(name), name) for name in self.TIMED}

        def timed(name: str, f: Callable) -> Callable:
            def wrapper(*args, **kw):
                t0 = time.perf_counter()
                out = f(*args, **kw)
                setattr(self.split, self.TIMED[name],
                        getattr(self.split, self.TIMED[name]) + time.perf_counter() - t0)
                if name == "simulate_grid":
                    self.split.n_runs += 1
                    self.split.trials += kw["n_sims"]
                return out
            return wrapper

        for name, f in self._saved.items():
            setattr(self.home(name), name, timed(name, f))
        return self

    def __exit__(self, *exc) -> None:
        for name, f in self._saved.items():
            setattr(self.home(name), name, f)

    @staticmethod
    def home(name: str):
        """The module whose global ``name`` a solve calls."""
        return search if name in ("simulate_grid", "power_curve") else planning


def solve(scenario: Scenario, n_sims: int, path: str = "patient"):
    """The typical time of ``solve_sample_size`` and of one run at its answer, in rounds.

    A solve's cost depends on its seed (how many trials its runs need), so
    ``SOLVE_SEEDS`` seeds are timed, and the median seed's time, result and
    time split are reported with the fastest and slowest seed's times. The
    machine's speed drifts within seconds, so the seeds' solves and the run
    at the answer (n* of the untimed warm-up solve) are timed in
    ``SOLVE_ROUNDS`` alternating rounds, each keeping its best time.
    """
    def run(seed: int):
        with Instrument() as ins:
            t0 = time.perf_counter()
            res = planning.solve_sample_size(scenario, target=TARGET_POWER, n_sims=n_sims,
                                             seed=seed, path=path)
            ins.split.total = time.perf_counter() - t0
        return ins.split.total, res, ins.split

    n_star = run(SEED)[1].n_per_arm  # warm-up (not timed)
    best: dict[int, tuple] = {}
    t_one, p_one = float("inf"), float("nan")
    for _ in range(SOLVE_ROUNDS):
        for k in range(SOLVE_SEEDS):
            timed = run(SEED + k)
            if k not in best or timed[0] < best[k][0]:
                best[k] = timed
        dt, p_one = one_run(scenario, n_star, n_sims, path, repeats=1)
        t_one = min(t_one, dt)
    per_seed = sorted(best.values(), key=lambda r: r[0])
    dt, res, split = per_seed[len(per_seed) // 2]
    return (dt, res, split, (per_seed[0][0], per_seed[-1][0]), [r[1] for r in per_seed],
            t_one, p_one, n_star)


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4,000 trials per call")
    args = parser.parse_args(argv)
    n_sims = 4_000 if args.quick else 10_000
    t_start = time.perf_counter()

    normal = Scenario.from_dict(NORMAL, source="normal")
    flagship = load_scenario(FLAGSHIP, overrides={"design.n_per_arm": N_MAX})
    scenarios = [("(a) normal, followup t", normal),
                 ("(b) flagship ketamine IV", flagship)]

    print(f"trialsim curve/solve benchmark ({'quick' if args.quick else 'full'} mode)")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs; {n_sims:,} trials per call, seed {SEED}, 1 worker, "
          f"best of {REPEATS} per timing")
    print(f"curve grid: {GRID[0]}..{GRID[-1]} step {GRID[1] - GRID[0]} "
          f"({len(GRID)} sizes) per arm; solve target power {TARGET_POWER}\n")

    # -- 1. curves ----------------------------------------------------------
    curve_rows = []
    jobs = [(label, s, "patient", True) for label, s in scenarios]
    jobs.append((scenarios[0][0], normal, "aggregate", False))
    for i, (label, s, path, gated) in enumerate(jobs, 1):
        t_one, p_one, t_curve, powers = one_and_curve(s, n_sims, path)
        curve_rows.append((label, path, t_one, t_curve, p_one, powers, gated))
        print(f"  [1.{i}] {label:26s} {path:9s} one {t_one:7.3f} s  curve {t_curve:7.3f} s",
              flush=True)

    # -- 2. solves ----------------------------------------------------------
    solve_rows = []
    solve_jobs = [(f"(a) normal, n* ~ {n}", normal_at(n), "aggregate") for n in SOLVE_N]
    solve_jobs.append(("(b) flagship ketamine IV", load_scenario(FLAGSHIP), "patient"))
    for i, (label, s, path) in enumerate(solve_jobs, 1):
        t_solve, res, split, spread, results, t_one, p_one, n_star = solve(s, n_sims, path)
        solve_rows.append((label, path, t_solve, t_one, p_one, res, split, spread, results,
                           n_star))
        print(f"  [2.{i}] {label:26s} solve {t_solve:7.3f} s  one at n={n_star} "
              f"{t_one:7.3f} s", flush=True)

    # -- 3. the default curve ------------------------------------------------
    design_flagship = load_scenario(FLAGSHIP)
    t_default, t_included = default_vs_closed(design_flagship, n_sims)
    print(f"  [3.1] flagship default curve {t_default:7.3f} s  closed-form-included "
          f"{t_included:7.3f} s", flush=True)

    long = long_curve(n_sims)
    t_long, t_long_patient, t_draws = long["aggregate"], long["patient"], long["draws"]
    print(f"  [4.1] 199-point normal curve: aggregate {t_long:7.3f} s  per-patient "
          f"{t_long_patient:7.3f} s  draws alone {t_draws:7.3f} s", flush=True)

    # -- report ---------------------------------------------------------------
    print(f"\n1. 20-point power curve vs one evaluation at n = {N_MAX} per arm")
    print(f"{'scenario':26s} {'path':9s} {'one (s)':>8s} {'curve (s)':>9s} {'ratio':>7s} "
          f"{'target':>7s} {'':>6s}  {'power@10/100/200':>20s}  {'one@200':>7s}")
    print("-" * 110)
    for label, path, t_one, t_curve, p_one, powers, gated in curve_rows:
        ratio = t_curve / t_one
        target = f"<= {TARGET_CURVE:g}x" if gated else "info"
        ok = verdict(ratio <= TARGET_CURVE) if gated else "-"
        pw = f"{powers[0]:.3f}/{powers[9]:.3f}/{powers[-1]:.3f}"
        print(f"{label:26s} {path:9s} {t_one:8.3f} {t_curve:9.3f} {ratio:6.2f}x {target:>7s} "
              f"{ok:>6s}  {pw:>20s}  {p_one:7.4f}")
    print(f"(aggregate: one evaluation draws O(1) statistics per trial, a curve draws "
          f"{len(GRID)} segments; ratio ~ segments expected)")

    print(f"\n2. solve_sample_size(target={TARGET_POWER}, n_tolerance 2 %) vs one run of "
          f"{n_sims:,} trials at the answer (simulate's defaults, as trialsim run)")
    print(f"{'scenario':26s} {'n*':>5s} {'range':>11s} {'width':>6s} {'closed':>6s} "
          f"{'runs':>5s} {'trials':>9s} {'one (s)':>8s} {'solve (s)':>9s} {'ratio':>7s} "
          f"{'target':>7s} {'':>6s}")
    print("-" * 120)
    ratios = {}
    for label, path, t_solve, t_one, p_one, res, split, *_ in solve_rows:
        ratio = ratios[label] = t_solve / t_one
        width = (res.n_range[1] - res.n_range[0]) / res.n_per_arm
        closed = str(res.analytic_n_per_arm) if res.analytic_n_per_arm is not None else "-"
        print(f"{label:26s} {res.n_per_arm:5d} {res.n_range[0]:>5d}-{res.n_range[1]:<5d} "
              f"{100 * width:5.1f}% {closed:>6s} {split.n_runs:5d} {split.trials:9,d} "
              f"{t_one:8.3f} {t_solve:9.3f} {ratio:6.2f}x {f'<= {TARGET_SOLVE:g}x':>7s} "
              f"{verdict(ratio <= TARGET_SOLVE):>6s}")
    growth = ratios[solve_rows[len(SOLVE_N) - 1][0]] / ratios[solve_rows[0][0]]
    print(f"   cost growth, ratio at n* ~ {SOLVE_N[-1]} / ratio at n* ~ {SOLVE_N[0]}: "
          f"{growth:.2f} (target <= {TARGET_GROWTH:g}) {verdict(growth <= TARGET_GROWTH)}")
    every = [r for row in solve_rows for r in row[8]]
    widest = max((r.n_range[1] - r.n_range[0]) / r.n_per_arm for r in every)
    widths_ok = all(r.n_range[1] - r.n_range[0] <= max(0.02 * r.n_per_arm, 2) for r in every)
    print(f"   every range within 2 % of n* (whole sizes), at every seed: widest "
          f"{100 * widest:.2f} % {verdict(widths_ok)}")
    print(f"   (each solve: the median of {SOLVE_SEEDS} seeds, each the best of {SOLVE_ROUNDS} "
          f"rounds alternating with the run at n* (the n* of the untimed first solve, seed "
          f"{SEED}: " + ", ".join(str(row[9]) for row in solve_rows) + "); ratios of "
          f"the fastest and slowest seed: " + ", ".join(
              f"{lo / row[3]:.2f}-{hi / row[3]:.2f}x" for row in solve_rows
              for lo, hi in [row[7]]) + ")")
    print("\n   time split of each solve (wrapped functions of the solve)")
    for label, path, t_solve, t_one, p_one, res, split, *_ in solve_rows:
        parts = [(f"{split.n_runs} independent runs, {split.trials:,} trials", split.runs),
                 ("coarse bracketing curve", split.bracket),
                 ("closed forms (guess, exact n, inflation rule)", split.closed),
                 ("rest (fits, validation)", split.other)]
        print(f"   {label}: total {split.total:.3f} s = {t_solve / t_one:.2f} runs at n*")
        for name, dt in parts:
            print(f"     {name:46s} {dt:7.3f} s  {100 * dt / split.total:5.1f} %")

    ratio = t_default / t_included
    print(f"\n3. default {len(DEFAULT_GRID)}-point power_curve of the flagship (n "
          f"{DEFAULT_GRID[0]}..{DEFAULT_GRID[-1]}) vs the same curve with closed forms and "
          f"comparison runs")
    print(f"   default {t_default:.3f} s, closed-form-included {t_included:.3f} s: "
          f"ratio {ratio:.2f}x (target <= {TARGET_DEFAULT:g}x) {verdict(ratio <= TARGET_DEFAULT)}")

    print(f"\n4. 199-point curve of a normal-model scenario (n 2..{N_MAX}), {n_sims:,} trials")
    r_patient, r_draws = t_long / t_long_patient, t_long / t_draws
    print(f"   aggregate {t_long:.3f} s / per-patient {t_long_patient:.3f} s = {r_patient:.2f}x "
          f"(target <= 1x) {verdict(r_patient <= 1.0)}")
    print(f"   aggregate {t_long:.3f} s / the segments' draws alone {t_draws:.3f} s = "
          f"{r_draws:.2f}x (target <= 1.5x) {verdict(r_draws <= 1.5)}")
    print(f"   (best of {LONG_ROUNDS} alternating rounds each; medians of the rounds' ratios: "
          f"{long['median_patient']:.2f}x and {long['median_draws']:.2f}x)")

    print(f"\ntotal benchmark time {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
