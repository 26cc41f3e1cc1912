"""Issue 16 item 8: when the review is settled, against closed forms.

With one site (or several opening together) screening at a fixed rate and
nobody dropping out, the new trial's last primary outcome is the N-th
randomisation, Gamma(N, sites x rate), plus the one-day course (seven working
days a week) and the follow-up; the update comes ``analysis_lag_months``
later, and with k trials recruiting at once it is the latest of k such dates.
P(settled by t) is then P(conclusive) (Roloff's conditional power, tau^2 = 0)
times P(update by t).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import Z_TOL

from simulator import Scenario, ScenarioError, resolve_review, settle_time
from simulator._lazy import stats
from simulator.face.cli import main
from simulator.ops.settle_time import DAYS_PER_MONTH, update_dates, with_sites

pytestmark = pytest.mark.statistical

RATE, FOLLOWUP, LAG = 4.0, 2.0, 6.0
SHIFT = 1 / DAYS_PER_MONTH + FOLLOWUP + LAG   # course (1 day) + follow-up + lag, months


def scenario(n: int = 30, k: int = 1, sites: int = 1, **meta) -> Scenario:
    return Scenario.from_dict({
        "seed": 11, "design": {"n_per_arm": n},
        "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup", "mcid": 1.0},
        "meta_analysis": {"evidence": "ketamine-iv/pain/immediate", "tau2": 0.0,
                          "new_trials": k, "rules": ["ci-excludes-0"],
                          "analysis_lag_months": LAG, **meta},
        "recruitment": {"sites": sites, "rate_per_site_month": RATE, "rate_cv": 0.0,
                        "site_open_months": 0.0, "working_days_per_week": 7,
                        "sessions_per_patient": 1, "followup_months": FOLLOWUP}})


def p_update_closed(t: float, n_total: int, k: int, sites: int = 1) -> float:
    return float(stats.gamma.cdf(t - SHIFT, n_total, scale=1 / (sites * RATE))) ** k


@pytest.mark.parametrize("k", [1, 2])
def test_update_dates_follow_the_gamma_completion_date(k):
    reps = 4000
    dates = update_dates(scenario(k=k), k, reps, seed=3)
    n_total = 60
    for quantile in (0.1, 0.5, 0.9):
        # the date where the closed form reaches the quantile, then the empirical share
        t = SHIFT + float(stats.gamma.ppf(quantile ** (1 / k), n_total, scale=1 / RATE))
        q = p_update_closed(t, n_total, k)
        assert q == pytest.approx(quantile, abs=1e-9)
        share = float(np.mean(dates <= t))
        assert abs(share - q) <= Z_TOL * math.sqrt(q * (1 - q) / reps)


@pytest.mark.parametrize("k, by", [(1, 22.0), (2, 24.0)])
def test_p_settled_by_a_date_is_conditional_power_times_p_update_by(k, by):
    s = scenario(k=k, settled_by_months=by)
    n_sims, n_reps = 4000, 3000
    report = resolve_review(s, n_sims=n_sims, seed=5)
    st = settle_time(report, n_reps=n_reps, seed=7)
    cp = report.result.resolve.closed.conditional_power
    q = p_update_closed(by, 60, k)
    assert 0.2 < q < 0.9 and 0.2 < cp < 0.9   # neither factor trivial
    cell = st.cell
    assert abs(cell.p_update_by.value - q) <= Z_TOL * math.sqrt(q * (1 - q) / n_reps)
    se = math.sqrt(q ** 2 * cp * (1 - cp) / n_sims + cp ** 2 * q * (1 - q) / n_reps)
    assert abs(cell.p_settled_by.value - cp * q) <= Z_TOL * se
    assert cell.p_settled_by.se == pytest.approx(se, rel=0.15)
    # the curve levels off at P(settled) and passes through the asked date's value
    assert st.curve[-1] == pytest.approx(cell.p_settled.value)
    assert st.curve[0] == 0.0 and list(st.curve) == sorted(st.curve)


def test_the_grid_by_sites_and_n_matches_the_gamma_median():
    s = scenario(n=30, settled_by_months=20.0)
    report = resolve_review(s, n_sims=2000, seed=5, n_per_arm=[20, 40])
    st = settle_time(report, sites=[1, 3], n_reps=2000, seed=9)
    assert [(c.n_per_arm, c.sites) for c in st.grid] == [(20, 1), (20, 3), (40, 1), (40, 3)]
    for c in st.grid:
        median = SHIFT + float(stats.gamma.ppf(0.5, 2 * c.n_per_arm, scale=1 / (c.sites * RATE)))
        assert abs(c.update_months.q50 - median) <= Z_TOL * c.update_months.q50_se
        point = next(p for p in report.curves[1].points if p.n_per_arm == c.n_per_arm)
        assert c.p_settled == point.resolve.p_conclusive["ci-excludes-0"]


def test_median_settled_date_inverts_the_curve():
    s = scenario(n=200)            # P(conclusive) above 1/2, so a median exists
    report = resolve_review(s, n_sims=2000, seed=5)
    st = settle_time(report, n_reps=2000, seed=9)
    p = st.cell.p_settled.value
    assert p > 0.5
    # The median settled date is the update date's 0.5 / p quantile: against the gamma
    # completion date, with the SEs of the sample quantile and of p (which sets its level).
    q, shape, scale = 0.5 / p, 2 * 200, 1 / RATE
    x = float(stats.gamma.ppf(q, shape, scale=scale))
    density = float(stats.gamma.pdf(x, shape, scale=scale))
    se = math.sqrt(q * (1 - q) / 2000 + (0.5 / p ** 2 * st.cell.p_settled.se) ** 2) / density
    assert abs(st.cell.median_settled_months - (SHIFT + x)) <= Z_TOL * se
    low = scenario(n=30).with_overrides({"pain.effect": 0.5})   # P(conclusive) < 1/2
    st_low = settle_time(resolve_review(low, n_sims=1000, seed=5), n_reps=100)
    assert st_low.cell.p_settled.value < 0.5 and st_low.cell.median_settled_months is None


def test_dates_and_errors():
    s = scenario(start_date="2027-01-01", settled_by_months=12.0)
    st = settle_time(resolve_review(s, n_sims=200, seed=1), n_reps=50)
    assert st.date_of(12.0) == "2028-01-01"        # 12 x 30.4375 days = 365.25 days
    assert st.to_dict()["by_date"] == "2028-01-01"
    with pytest.raises(ScenarioError, match=r"\[recruitment\]: required"):
        settle_time(resolve_review(Scenario.from_dict({
            "design": {"n_per_arm": 30}, "pain": {"effect": -1.0},
            "meta_analysis": {"evidence": "ketamine-iv/pain/immediate", "tau2": 0.0}}),
            n_sims=100))
    fixed = Scenario.from_dict({**scenario().to_dict(), "recruitment": {
        "sites": 3, "rate_per_site_month": 1.0, "site_open_months": [0.0, 1.0, 5.0]}})
    with pytest.raises(ScenarioError, match="do not open evenly"):
        with_sites(fixed, 4)


def test_cli_table_json_plot_and_bad_flags(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text("""
seed = 3
[design]
n_per_arm = 30
[pain]
effect = -1.0
analysis = "followup"
[meta_analysis]
evidence = "ketamine-iv/pain/immediate"
tau2 = 0.0
analysis_lag_months = 6
start_date = "2027-01-01"
[recruitment]
sites = 4
rate_per_site_month = 2.0
site_open_months = 3.0
[simulation]
n_sims = 300
""")
    out, png = tmp_path / "r.json", tmp_path / "t.png"
    assert main(["resolve", str(path), "--sites", "2,4", "--n", "20:40:20", "--by", "30",
                 "--time-reps", "100", "--json", str(out), "--time-plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert "When is the review settled?" in text and "P(settled by 30.0 mo (2029-07-02))" in text
    data = json.loads(out.read_text())["settle_time"]
    assert data["by_date"] == "2029-07-02" and len(data["grid"]) == 4
    assert data["p_settled_by"] == pytest.approx(data["p_settled"] * data["p_update_by"])
    assert png.stat().st_size > 10_000
    for flags, message in [(["--by", "-1"], "--by -1: must be"),
                           (["--sites", "0,3"], "--sites 0,3: must be"),
                           (["--time-reps", "1"], "--time-reps 1: must be")]:
        assert main(["resolve", str(path), *flags]) == 2
        assert message in capsys.readouterr().err
    plain = tmp_path / "plain.toml"
    plain.write_text(path.read_text().split("[recruitment]")[0])
    assert main(["resolve", str(plain), "--by", "30"]) == 2
    assert "--by: needs a [recruitment] table" in capsys.readouterr().err
