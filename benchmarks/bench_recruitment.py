"""Benchmark of simulator.ops.recruitment: replications (simulated trials) per second.

The trial: IV ketamine, 10 sites opening evenly over 6 months, 300 patients
(150 per arm), 0.92 randomised per site per month (Walters 2017), 10 daily
4-hour infusion sessions per patient, 2 chairs per site open 8 h a day, a
14-day waiting limit, 1 month of follow-up, 11 % dropout.

Rows:

1. simpy path with chairs (the capacity model),
2. the same on 2 joblib workers (loky), for the parallel speed-up,
3. simpy path without a capacity limit,
4. vectorized path (no capacity limit),
5. the power-at-deadline step (one power curve at the n reached), on its own.

The ratio that matters is vectorized / simpy where both apply (no capacity
limit). Each timing is the best of 3 (``time.perf_counter``); every run is
seeded, so every repetition does the same work. The script reports and
always exits 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import simpy  # noqa: E402

from simulator import Scenario  # noqa: E402
from simulator.ops.recruitment import simulate_recruitment  # noqa: E402

REPEATS = 3
SEED = 20250101

TRIAL = {
    "name": "bench-ketamine-iv-recruitment",
    "design": {"n_per_arm": 150},
    "pain": {"effect": -1.0, "sd": 2.5, "analysis": "ancova"},
    "dropout": {"rate": 0.11},
    "recruitment": {
        "sites": 10, "rate_per_site_month": 0.92, "site_open_months": 6.0,
        "sessions_per_patient": 10, "session_hours": 4.0, "hours_per_day": 8.0,
        "chairs_per_site": 2, "max_wait_days": 14.0, "followup_months": 1.0,
    },
}


def best_of(fn, repeats: int = REPEATS):
    best, out = float("inf"), None
    for rep in range(repeats):
        t0 = time.perf_counter()
        out = fn(rep)
        best = min(best, time.perf_counter() - t0)
    return best, out


def rate(scenario: Scenario, n_reps: int, **kwargs) -> tuple[float, object]:
    simulate_recruitment(scenario, n_reps=min(n_reps, 20), seed=SEED, **kwargs)  # warm-up
    dt, result = best_of(lambda rep: simulate_recruitment(scenario, n_reps=n_reps,
                                                          seed=SEED + rep, **kwargs))
    return n_reps / dt, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    args = parser.parse_args(argv)
    q = args.quick
    n_simpy = 60 if q else 300
    n_vector = 5_000 if q else 50_000
    chairs = Scenario.from_dict(TRIAL)
    unlimited = {k: v for k, v in TRIAL["recruitment"].items()
                 if k not in ("chairs_per_site", "max_wait_days")}
    open_ = Scenario.from_dict({**TRIAL, "recruitment": unlimited})

    print(f"trialsim recruitment benchmark ({'quick' if q else 'full'} mode)")
    print(f"python {platform.python_version()}, numpy {np.__version__}, simpy {simpy.__version__}, "
          f"{os.cpu_count()} CPUs; best of {REPEATS} per timing")
    print("trial: 10 sites (ramp 6 months), 300 patients, 0.92 randomised/site/month, "
          "10 x 4 h sessions, 2 chairs/site x 8 h, 14-day waiting limit\n")
    t_start = time.perf_counter()
    r_chairs, res_chairs = rate(chairs, n_simpy, path="simpy")
    print(f"  [1/5] simpy, chairs            {r_chairs:10,.1f} reps/s", flush=True)
    r_chairs2, _ = rate(chairs, n_simpy, path="simpy", n_jobs=2)
    print(f"  [2/5] simpy, chairs, 2 workers {r_chairs2:10,.1f} reps/s", flush=True)
    r_simpy, res_simpy = rate(open_, n_simpy, path="simpy")
    print(f"  [3/5] simpy, no limit          {r_simpy:10,.1f} reps/s", flush=True)
    r_vec, res_vec = rate(open_, n_vector, path="vectorized")
    print(f"  [4/5] vectorized, no limit     {r_vec:10,.1f} reps/s", flush=True)
    # the power step alone: a deadline that cuts enrolment short spreads n
    t0 = time.perf_counter()
    with_power = simulate_recruitment(chairs, n_reps=n_simpy, seed=SEED, deadline_months=34.0,
                                      n_power_sims=10_000)
    t_power = time.perf_counter() - t0
    print(f"  [5/5] simpy + power at 34 months, {len(with_power.n_per_arm_at_deadline)} "
          f"distinct n: {t_power:.2f} s", flush=True)

    print(f"\n{'path':36s} {'reps/s':>10s} {'reps':>8s} {'months to full (mean)':>22s}")
    print("-" * 80)
    for name, r, n, res in (("simpy, 2 chairs/site", r_chairs, n_simpy, res_chairs),
                            ("simpy, 2 chairs/site, n_jobs=2", r_chairs2, n_simpy, None),
                            ("simpy, no capacity limit", r_simpy, n_simpy, res_simpy),
                            ("vectorized, no capacity limit", r_vec, n_vector, res_vec)):
        full = (f"{res.months_to_full_enrolment.mean:8.2f} "
                f"(SE {res.months_to_full_enrolment.mean_se:.2f})") if res is not None else ""
        print(f"{name:36s} {r:10,.1f} {n:8,d} {full:>22s}")
    print(f"\nratio vectorized / simpy (no capacity limit): {r_vec / r_simpy:,.0f}x")
    print(f"ratio simpy without / with chairs:            {r_simpy / r_chairs:.2f}x")
    print(f"speed-up of 2 workers (simpy, chairs):        {r_chairs2 / r_chairs:.2f}x")
    print(f"with chairs: utilisation {res_chairs.chair_utilisation.value:.3f}, mean wait "
          f"{res_chairs.mean_wait_days.value:.3f} days, withdrawn "
          f"{res_chairs.n_withdrawn_waiting.value:.2f} per trial")
    print(f"power at 34 months: {with_power.power_at_deadline.value:.3f} "
          f"(SE {with_power.power_at_deadline.se:.3f}), P(complete) "
          f"{with_power.p_complete_by_deadline.value:.3f}")
    print(f"total benchmark time {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
