"""Power curves on common random numbers and the sample-size solver."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import ROOT, Z_TOL, csv_rows, make_scenario
from scipy import stats

from simulator import (
    ConvergenceError,
    Scenario,
    ScenarioError,
    power_curve,
    simulate,
    solve_sample_size,
)
from simulator.face.cli import main
from simulator.spec.parse import parse_n_grid

# Monte Carlo results against their references (the statistical tier).
pytestmark = pytest.mark.statistical

NORMAL = {"design": {"n_per_arm": 10},
          "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup"}}


@pytest.mark.parametrize("target, expected", [(0.8, 100), (0.9, 133)])
def test_solver_matches_noncentral_t(target, expected):
    """sigma 2.5, delta 1, alpha 0.05 two-sided, Student t: 99.08 -> 100 and
    132.31 -> 133 per arm (R: power.t.test(power=0.8, delta=1, sd=2.5)$n)."""
    r = solve_sample_size(Scenario.from_dict(NORMAL), target=target, n_sims=100_000, seed=7)
    assert r.n_range[0] <= expected <= r.n_range[1]  # the range: the answer's MC error
    assert r.analytic_n_per_arm == expected
    assert r.n_range[0] <= r.n_per_arm <= r.n_range[1]
    assert r.achieved >= target and r.n_total == 2 * r.n_per_arm


@pytest.mark.parametrize("target, inflated", [(0.8, 101.4), (0.9, 135.4)])
def test_solver_with_ancova_and_dropout_matches_the_inflation_rule(target, inflated):
    """ANCOVA r = 0.3 (variance factor 1 - r^2: 90.25 and 120.49 per arm) with
    11 % dropout completely at random: n / (1 - d) = 101.4 and 135.4 randomised. The
    solve's range holds the exact closed form (ANCOVA averaged over binomial
    completers); the rule, on exact ANCOVA's continuous n, is within a patient of it."""
    s = Scenario.from_dict(NORMAL).with_overrides(
        {"pain.analysis": "ancova", "pain.correlation": 0.3, "dropout.rate": 0.11})
    r = solve_sample_size(s, target=target, n_sims=100_000, seed=7)
    assert r.n_range[0] <= r.analytic_n_per_arm <= r.n_range[1]
    assert "averaged over binomial completers" in r.analytic_method
    assert abs(r.inflation_n_per_arm - inflated) <= 1  # exact ANCOVA, continuous n
    assert r.expected_completers == pytest.approx(2 * r.n_per_arm * 0.89)


@pytest.mark.parametrize("path", ["aggregate", "patient"])
def test_curve_values_equal_independent_single_evaluations(path):
    s = make_scenario(**{"pain.analysis": "ancova", "dropout.rate": 0.1,
                         "adverse_events.psy.placebo_risk": 0.1,
                         "adverse_events.psy.risk_ratio": 2.5})
    grid = [15, 40, 80, 120]
    curve = power_curve(s, grid, n_sims=20_000, seed=1, path=path, closed_forms=True)
    for n, point in zip(grid, curve.points):
        single = simulate(s.with_overrides({"design.n_per_arm": n}), n_sims=20_000, seed=99,
                          path=path)
        for metric in ("power", "harm:psy"):
            a = curve.metric(metric)[grid.index(n)]
            b = single.power if metric == "power" else single.adverse_events["psy"].p_harm_detected
            assert abs(a.value - b.value) <= Z_TOL * math.hypot(a.se, b.se) + 1e-12
        assert abs(point.power.value - point.analytic_power) <= Z_TOL * point.power.se
        assert point.mean_completers[0] == pytest.approx(0.9 * n, abs=Z_TOL * math.sqrt(
            n * 0.09 / 20_000))


@pytest.mark.parametrize("path", ["aggregate", "patient"])
def test_curves_are_monotone_in_n_for_the_fixed_effect_normal_model(path):
    s = Scenario.from_dict(NORMAL)
    grid = list(range(10, 201, 10))
    power = [p.value for p in power_curve(s, grid, n_sims=5000, seed=3, path=path,
                                          closed_forms=False).metric("power")]
    assert np.all(np.diff(power) >= 0), power


def test_curve_with_prior_reports_assurance_against_the_closed_form():
    s = Scenario.from_dict({"design": {"n_per_arm": 10},
                            "pain": {"effect": {"from": "evidence",
                                                "key": "ketamine-iv/pain/immediate"},
                                     "effect_prior": "pooled", "analysis": "followup"}})
    curve = power_curve(s, [20, 60, 180], n_sims=20_000, seed=2, closed_forms=True)
    for p, a in zip(curve.points, curve.metric("assurance")):
        assert abs(a.value - p.analytic_assurance) <= Z_TOL * a.se
    assurance = [a.value for a in curve.metric("assurance")]
    assert assurance == sorted(assurance) and assurance[-1] < curve.points[0].assurance_ceiling


def test_solver_for_assurance_and_harm():
    s = Scenario.from_dict({
        "design": {"n_per_arm": 10},
        "pain": {"effect": {"from": "evidence", "key": "ketamine-iv/pain/immediate"},
                 "effect_prior": "pooled", "analysis": "followup"},
        "adverse_events": {"nausea": {"placebo_risk": 0.04, "risk_ratio": 3.97}}})
    a = solve_sample_size(s, target=0.8, metric="assurance", n_sims=20_000, seed=4)
    assert a.n_range[0] <= a.analytic_n_per_arm <= a.n_range[1]
    h = solve_sample_size(s, target=0.8, metric="harm:nausea", n_sims=20_000, seed=4)
    assert h.n_range[0] <= h.analytic_n_per_arm <= h.n_range[1]
    assert "enumeration" in h.analytic_method


@pytest.mark.parametrize("overrides, metric, target, fragment", [
    ({"pain.effect": 0.0}, "power", 0.8, "highest value reachable is about 0.05"),
    ({"pain.effect": 0.5}, "power", 0.8, "is harm, not benefit"),
    ({"pain.effect_sd": 0.8, "pain.effect_prior": "pooled"}, "assurance", 0.95,
     f"bounded by its ceiling {stats.norm.cdf(1.0 / 0.8):.4f}"),
    ({"adverse_events.n.placebo_risk": 0.1}, "harm:n", 0.8, "risk_ratio = 1 is no harm"),
])
def test_unreachable_targets_say_the_highest_reachable_value(overrides, metric, target, fragment):
    s = Scenario.from_dict(NORMAL).with_overrides(overrides)
    with pytest.raises(ConvergenceError) as info:
        solve_sample_size(s, target=target, metric=metric, n_sims=1000)
    assert fragment in str(info.value)


def test_target_beyond_n_max_reports_the_highest_value_reached():
    s = Scenario.from_dict(NORMAL).with_overrides({"pain.effect": -0.1})
    with pytest.raises(ConvergenceError, match=r"highest value reached is 0\.\d+ .* at n = 300"):
        solve_sample_size(s, target=0.9, n_max=300, n_sims=2000)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"metric": "powr"}, "metric = 'powr'"),
    ({"metric": "harm:x"}, "unknown adverse event 'x'"),
    ({"metric": "assurance"}, "needs a prior"),
    ({"target": 1.2}, "target = 1.2"),
])
def test_bad_solver_arguments(kwargs, fragment):
    with pytest.raises(ScenarioError, match=None) as info:
        solve_sample_size(Scenario.from_dict(NORMAL), n_sims=100, **kwargs)
    assert fragment in str(info.value)


def test_parse_n_grid():
    assert parse_n_grid("20:400:20")[:3] == [20, 40, 60] and parse_n_grid("20:400:20")[-1] == 400
    for bad in ("20:10:5", "a,b", "1:10:2", "10:20:0"):
        with pytest.raises(ScenarioError, match="--n"):
            parse_n_grid(bad)


def test_cli_curve_writes_csv_json_and_a_labelled_plot(tmp_path, capsys):
    
    flagship = ROOT / "scenarios" / "ketamine_iv_assurance.toml"
    out_csv, out_png = tmp_path / "c.csv", tmp_path / "c.png"
    assert main(["curve", str(flagship), "--n", "20:100:40", "--n-sims", "500", "--csv",
                 str(out_csv), "--plot", str(out_png), "--target", "0.8", "--quiet"]) == 0
    rows = csv_rows(out_csv.read_text())
    assert [int(r["n_per_arm"]) for r in rows] == [20, 60, 100]
    for column in ("power", "power_se", "assurance", "assurance_se", "p_harm_any"):
        assert column in rows[0]
    assert out_png.stat().st_size > 10_000
    assert "n/arm" in capsys.readouterr().out


def test_plot_functions_return_labelled_axes():
    import matplotlib

    matplotlib.use("Agg")
    from simulator.face.plots import plot_harm_curve, plot_power_curve

    s = make_scenario(**{"adverse_events.psy.placebo_risk": 0.1,
                         "adverse_events.psy.risk_ratio": 3.0})
    curve = power_curve(s, [20, 40], n_sims=300, seed=1)
    ax = plot_power_curve(curve, target=0.9)
    assert "per arm" in ax.get_xlabel() and ax.get_legend() is not None
    assert any("target" in t.get_text() for t in ax.get_legend().get_texts())
    ax2 = plot_harm_curve(curve)
    assert ax2.get_ylabel() == "P(harm detected)"


def test_cli_size_json_and_unreachable_exit_code(capsys):
    
    scen = ROOT / "scenarios" / "ketamine_iv_assurance.toml"
    assert main(["size", str(scen), "--target", "0.6", "--metric", "assurance", "--n-sims",
                 "2000", "--json", "-", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("n_per_arm", "n_total", "n_range", "achieved", "achieved_se",
                "analytic_n_per_arm"):
        assert key in out
    assert main(["size", str(scen), "--target", "0.99", "--metric", "assurance", "--quiet"]) == 3
    assert "ceiling" in capsys.readouterr().err


def test_n_range_near_certainty_uses_wilson_intervals():
    """With few trials a power near 1 cannot be told from 0.98: the range must
    stay wide (Wald SEs of 0 would make it collapse)."""
    r = solve_sample_size(Scenario.from_dict(NORMAL), target=0.999, n_sims=200, seed=3)
    assert r.n_range[1] - r.n_range[0] >= 20
    assert r.n_range[0] <= r.n_per_arm <= r.n_range[1]


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_ancova_curve_with_segments_of_two_patients_matches_the_closed_form(dropout):
    """Consecutive sizes 2 apart (and completers drawn with dropout) give segments of two
    patients, whose baseline-follow-up scatter has one df: a rank-one Wishart, whose
    Bartlett factor still has a normal off-diagonal. Drawing it as 0 once put the type I
    error of n = 2 at 0.51 on a curve (0.05 alone)."""
    s = Scenario.from_dict({"design": {"n_per_arm": 20},
                            "pain": {"effect": -1.0, "sd": 2.5, "analysis": "ancova"},
                            "dropout": {"rate": dropout}})
    grid = [2, 4, 6, 8, 10, 30]
    n = 20_000
    for effect in (0.0, -1.0):
        curve = power_curve(s.with_overrides({"pain.effect": effect}), grid, n_sims=n,
                            seed=5, path="aggregate", closed_forms=True)
        for p in curve.points:
            reference = p.analytic_power
            se = math.sqrt(reference * (1 - reference) / n)
            assert abs(p.power.value - reference) <= Z_TOL * se, (p.n_per_arm, p.power, reference)
