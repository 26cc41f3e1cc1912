"""The recruitment solver (simulator.solve_recruitment, trialsim recruit --solve).

References: with every site at the mean rate (rate_cv = 0) randomisations are a
Poisson process, so the N-th comes by D with probability P(Poisson(Lambda(D))
>= N), Lambda(D) = (1 - screen_failure) rate sum_s (D - o_s)+; all sites open
from 0, that is the Gamma(N, S rate (1 - sf)) CDF. With Poisson-gamma site rates
(rate_cv = cv, shape k = 1/cv^2) and all sites open from 0 the time to the N-th
is BetaPrime(N, S k) / theta, theta = (1 - sf) rate cv^2. Monte Carlo
tolerances are 4 SE (conftest.Z_TOL).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import ROOT, Z_TOL
from scipy import stats

from simulator import (
    ConvergenceError,
    Scenario,
    ScenarioError,
    simulate_recruitment,
    solve_recruitment,
)

pytestmark = pytest.mark.statistical


def make(recruitment: dict, n_total: int = 40) -> Scenario:
    return Scenario.from_dict({"design": {"n_per_arm": n_total // 2}, "pain": {"effect": -1.0},
                               "recruitment": recruitment})


def poisson_p(n: int, rate: float, opens, months: float) -> float:
    """P(N-th randomisation by ``months``): Poisson counts (not the solver's gamma CDF)."""
    lam = rate * np.clip(months - np.asarray(opens, dtype=float), 0, None).sum()
    return float(stats.poisson.sf(n - 1, lam))


def even(ramp: float, sites: int) -> list[float]:
    return [ramp * i / (sites - 1) if sites > 1 else 0.0 for i in range(sites)]


def fewest_sites(p_of, target: float) -> int:
    """Brute force: the first number of sites whose probability reaches the target."""
    return next(s for s in range(1, 10_001) if p_of(s) >= target)


@pytest.mark.parametrize("n, rate, sf, ramp, deadline, target", [
    (40, 1.0, 0.0, 0.0, 12.0, 0.9),     # Gamma(40, S): 5 sites (P 0.997; 4 give 0.893)
    (270, 2.04, 0.55, 6.0, 36.0, 0.9),  # the ketamine trial's rate and ramp
    (100, 0.5, 0.2, 12.0, 24.0, 0.8),
    (60, 3.0, 0.0, 3.0, 4.0, 0.95),
])
def test_sites_match_the_poisson_closed_form_exactly(n, rate, sf, ramp, deadline, target):
    s = make({"sites": 2, "rate_per_site_month": rate, "screen_failure": sf, "rate_cv": 0.0,
              "site_open_months": ramp, "deadline_months": deadline}, n_total=n)
    r = solve_recruitment(s, solve="sites", probability=target)

    def p_of(sites):
        return poisson_p(n, rate * (1 - sf), even(ramp, sites), deadline)
    expected = fewest_sites(p_of, target)
    assert r.exact and r.n_reps == 1
    assert r.sites == expected and r.sites_range == (expected, expected)
    assert r.p_complete.value == pytest.approx(p_of(expected), rel=1e-9, abs=1e-12)
    assert r.p_complete.se == 0.0
    if expected > 1:
        assert r.p_complete_one_site_fewer.value == pytest.approx(p_of(expected - 1), rel=1e-9,
                                                                  abs=1e-12)
        assert r.p_complete_one_site_fewer.value < target <= r.p_complete.value


def test_months_match_the_gamma_quantile_and_the_poisson_closed_form():
    # all open from 0: the p quantile of Gamma(N, rate S (1 - sf))
    s = make({"sites": 4, "rate_per_site_month": 2.0, "screen_failure": 0.25, "rate_cv": 0.0})
    r = solve_recruitment(s, solve="months", probability=0.8)
    ref = stats.gamma.ppf(0.8, 40, scale=1 / (4 * 2.0 * 0.75))
    assert r.deadline_months == pytest.approx(ref, rel=1e-9) and r.deadline_months_se == 0.0
    # staggered openings: P(Poisson(Lambda(D)) >= N) = p at the answer
    opens = [0.0, 2.0, 5.0]
    s = make({"sites": 3, "rate_per_site_month": 1.5, "screen_failure": 0.2, "rate_cv": 0.0,
              "site_open_months": opens})
    r = solve_recruitment(s, solve="months", probability=0.5)
    assert poisson_p(40, 1.2, opens, r.deadline_months) == pytest.approx(0.5, abs=1e-9)


CV, K = 0.6, 1 / 0.6 ** 2


def beta_prime_p(n: int, sites: int, rate: float, sf: float, months: float) -> float:
    theta = (1 - sf) * rate * CV ** 2
    return float(stats.betaprime.cdf(months * theta, n, sites * K))


def test_heterogeneous_sites_against_the_beta_prime_closed_form():
    n, rate, sf, deadline, target = 120, 1.0, 0.3, 18.0, 0.9
    s = make({"sites": 2, "rate_per_site_month": rate, "screen_failure": sf, "rate_cv": CV,
              "site_open_months": 0.0, "deadline_months": deadline}, n_total=n)
    r = solve_recruitment(s, solve="sites", probability=target, n_reps=4000, seed=3)
    assert not r.exact and r.n_reps == 4000
    assert r.sites_range[0] <= r.sites <= r.sites_range[1]
    exact_at = beta_prime_p(n, r.sites, rate, sf, deadline)
    exact_fewer = beta_prime_p(n, r.sites - 1, rate, sf, deadline)
    # the estimates agree with the closed form ...
    assert abs(r.p_complete.value - exact_at) < Z_TOL * r.p_complete.se
    assert abs(r.p_complete_one_site_fewer.value - exact_fewer) \
        < Z_TOL * r.p_complete_one_site_fewer.se
    # ... so the answer is the closed form's, up to the Monte Carlo error at the target
    assert exact_at > target - Z_TOL * r.p_complete.se
    assert exact_fewer < target + Z_TOL * r.p_complete_one_site_fewer.se
    # heterogeneity costs sites: the Poisson answer is smaller
    poisson = solve_recruitment(s.with_overrides({"recruitment.rate_cv": 0.0}), solve="sites",
                                probability=target)
    assert poisson.sites < r.sites


def test_heterogeneous_months_against_the_beta_prime_quantile():
    s = make({"sites": 6, "rate_per_site_month": 2.0, "screen_failure": 0.1, "rate_cv": CV},
             n_total=80)
    r = solve_recruitment(s, solve="months", probability=0.9, n_reps=4000, seed=5)
    theta = 0.9 * 2.0 * CV ** 2
    ref = stats.betaprime.ppf(0.9, 80, 6 * K) / theta
    assert r.deadline_months_se > 0
    assert abs(r.deadline_months - ref) < Z_TOL * r.deadline_months_se, (r, ref)


def test_the_solution_agrees_with_the_simulated_timelines():
    # a ramp and heterogeneity: no closed form; the timelines' P(complete by the
    # deadline) at the solved number of sites agrees with the solver's
    spec = {"sites": 2, "rate_per_site_month": 1.5, "screen_failure": 0.2, "rate_cv": 0.7,
            "site_open_months": 4.0, "deadline_months": 15.0}
    r = solve_recruitment(make(spec, n_total=100), solve="sites", probability=0.8, seed=8)
    at = make({**spec, "sites": r.sites}, n_total=100)
    sim = simulate_recruitment(at, n_reps=4000, seed=9, n_power_sims=100)
    p = sim.p_complete_by_deadline
    assert abs(p.value - r.p_complete.value) < Z_TOL * math.hypot(p.se, r.p_complete.se)
    fewer = make({**spec, "sites": r.sites - 1}, n_total=100)
    q = simulate_recruitment(fewer, n_reps=4000, seed=10, n_power_sims=100).p_complete_by_deadline
    assert abs(q.value - r.p_complete_one_site_fewer.value) < Z_TOL * math.hypot(
        q.se, r.p_complete_one_site_fewer.se)


def test_common_random_numbers_make_the_answer_reproducible_and_monotone():
    spec = {"sites": 2, "rate_per_site_month": 1.0, "rate_cv": 1.0, "site_open_months": 6.0,
            "deadline_months": 20.0}
    a = solve_recruitment(make(spec, n_total=150), probability=0.7, n_reps=500, seed=1)
    b = solve_recruitment(make(spec, n_total=150), probability=0.7, n_reps=500, seed=1)
    assert a == b and a.to_dict() == b.to_dict()
    assert a.p_complete_one_site_fewer.value < 0.7 <= a.p_complete.value


def test_unreachable_targets_and_bad_arguments_are_named():
    s = make({"sites": 2, "rate_per_site_month": 1.0, "rate_cv": 0.0,
              "deadline_months": 0.001}, n_total=200)
    with pytest.raises(ConvergenceError, match="no number of sites up to 10000"):
        solve_recruitment(s)
    ok = make({"sites": 2, "rate_per_site_month": 1.0, "deadline_months": 10.0})
    listed = make({"sites": 3, "rate_per_site_month": 1.0, "site_open_months": [0.0, 1.0, 5.0],
                   "deadline_months": 10.0})
    no_deadline = make({"sites": 2, "rate_per_site_month": 1.0})
    cases = [
        (dict(scenario=ok, solve="patients"), "solve = 'patients': must be one of"),
        (dict(scenario=ok, probability=1.0), "probability = 1.0: must be a number in (0, 1)"),
        (dict(scenario=ok, probability=float("nan")), "probability = nan"),
        (dict(scenario=ok, probability=True), "probability = True"),
        (dict(scenario=no_deadline), "deadline_months: required to solve for sites"),
        (dict(scenario=ok, deadline_months=-2.0), "deadline_months = -2.0: must be"),
        (dict(scenario=listed), "site_open_months = [0.0, 1.0, 5.0]: solving for sites needs"),
        (dict(scenario=ok, solve="months", deadline_months=10.0),
         "deadline_months = 10.0: not used when solving for months"),
        (dict(scenario=ok, n_reps=1), "n_reps = 1: must be an integer >= 2"),
        (dict(scenario=Scenario.from_dict({"design": {"n_per_arm": 20},
                                           "pain": {"effect": -1.0}})),
         "[recruitment]: required"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ScenarioError) as info:
            solve_recruitment(**kwargs)
        assert message in str(info.value), (kwargs, str(info.value))
    # a list of openings is fine for months
    assert solve_recruitment(listed, solve="months").sites == 3


def test_cli_solves_sites_and_months(capsys):
    from simulator.face.cli import main

    path = str(ROOT / "scenarios" / "ketamine_iv_recruitment.toml")
    assert main(["recruit", path, "--solve", "sites", "--probability", "0.9", "--reps", "500",
                 "--set", "recruitment.rate_cv=0", "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["solve"] == "sites" and out["exact"] and out["deadline_months"] == 36.0
    # 270 at 0.92 a month per site over a 6-month ramp: 10 sites give P = 0.974
    # (the simulated 0.973 of docs/recruitment.md), 9 sites far less
    assert out["sites"] == 10
    assert out["p_complete"] == pytest.approx(
        poisson_p(270, 2.04 * 0.45, even(6.0, 10), 36.0), rel=1e-9)
    assert main(["recruit", path, "--solve", "months", "--reps", "300"]) == 0
    text = capsys.readouterr().out
    assert "months needed" in text and "Poisson-gamma, CV 0.6" in text
    for argv, message in [
        (["--probability", "0.9"], "--probability 0.9: only with --solve"),
        (["--solve", "sites", "--probability", "1.5"], "--probability 1.5: must be in (0, 1)"),
        (["--solve", "months", "--deadline-months", "30"], "not used with --solve months"),
        (["--solve", "sites", "--n-sims", "100"], "--n-sims: not used with --solve"),
        (["--solve", "sites", "--jobs", "2"], "--jobs: not used with --solve"),
    ]:
        assert main(["recruit", path, *argv]) == 2
        assert message in capsys.readouterr().err
    assert main(["recruit", path, "--solve", "sites", "--deadline-months", "0.001",
                 "--reps", "20"]) == 3
    assert "cannot solve: no number of sites" in capsys.readouterr().err
