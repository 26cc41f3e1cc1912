"""Settled either way: the headline rule, its closed form and the command line."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import ROOT, Z_TOL
from scipy import stats

from simulator import ConvergenceError, Scenario, load_scenario, simulate, solve_sample_size
from simulator.face.cli import main
from simulator.planning.resolve_closed import closed_forms
from simulator.planning.update_closed import rule_probabilities

pytestmark = pytest.mark.statistical

SE0 = 0.8316479347871861  # ketamine-iv/pain/immediate, from its CI


def iv(n: int = 114, tau2: float = 0.25, effect: float = -1.0, **meta) -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": n},
        "pain": {"effect": effect, "sd": 2.5, "analysis": "followup", "mcid": 1.0},
        "meta_analysis": {"evidence": "ketamine-iv/pain/immediate", "tau2": tau2, **meta}})


# R 4.2.2: the new trials' mean y ~ N(theta, 1/w1) is
# integrated over the y where the updated z interval settles the question, with the y
# cut points found by uniroot on the interval's ends (no algebra shared with Python):
#   settled_at <- function(theta, w0, est0, w1, z, m) {
#     W <- w0 + w1
#     lo <- function(y) (w0 * est0 + w1 * y) / W - z / sqrt(W)
#     hi <- function(y) (w0 * est0 + w1 * y) / W + z / sqrt(W)
#     cut <- function(f, level) uniroot(function(y) f(y) - level, c(-1e3, 1e3),
#                                       tol = 1e-13)$root
#     s <- 1 / sqrt(w1)
#     benefit <- pnorm(cut(hi, -m), theta, s); harm <- 1 - pnorm(cut(lo, 0), theta, s)
#     a <- cut(lo, -m); b <- min(cut(hi, m), cut(lo, 0))
#     nie <- if (b > a) pnorm(b, theta, s) - pnorm(a, theta, s) else 0
#     c(benefit, nie, harm) }
#   z <- qnorm(0.975); w0 <- 1 / 0.8316479347871861^2; est0 <- -1.579
#   w1 <- k / (2 * 2.5^2 / n + tau2); settled_at(theta, w0, est0, w1, z, 1.0)
R_SETTLED = [  # theta, tau2, n, k: benefit, no important effect, harm
    ((-1.0, 0.25, 114, 1), (0.027786968120, 0.000955773489, 0.000000024763)),
    ((-1.579, 0.25, 114, 1), (0.171337966216, 0.000032469633, 0.000000000069)),
    ((0.0, 0.0, 300, 1), (0.000000000008, 0.990142392018, 0.006493044926)),
    ((-0.5, 0.5, 60, 3), (0.001912752786, 0.045415793521, 0.000005208951)),
    ((0.8, 0.1, 200, 2), (0.0, 0.379251555323, 0.533449351326)),
    ((-2.5, 0.25, 50, 1), (0.555914575794, 0.0, 0.0)),
]


@pytest.mark.parametrize("case, expected", R_SETTLED)
def test_settled_closed_form_matches_r(case, expected):
    theta, tau2, n, k = case
    w1 = k / (2 * 2.5**2 / n + tau2)
    p = rule_probabilities(theta, 1 / SE0**2, -1.579, w1, stats.norm.ppf(0.975), 1.0)
    got = [float(p["settled"][d]) for d in ("benefit", "no-important-effect", "harm")]
    assert got == pytest.approx(expected, abs=1e-9)
    # the scenario's closed form is the same number
    c = closed_forms(iv(n=n, tau2=tau2, effect=theta, new_trials=k))
    assert c.by_rule["settled"]["p_conclusive"] == pytest.approx(sum(expected), abs=1e-9)


def test_settled_closed_form_averaged_over_the_predictive_prior_matches_r():
    # R: nested integrate over the centre's prior N(-1.579, 0.832^2) of the total above,
    #   g <- Vectorize(function(t) sum(settled_at(t, w0, est0, w1, z, 1)) *
    #                  dnorm(t, -1.579, 0.8316479347871861))
    #   integrate(g, -1.579 - 10 * 0.832, -1.579 + 10 * 0.832, rel.tol = 1e-12)
    #   -> 0.293107791266
    s = load_scenario(ROOT / "scenarios" / "ketamine_iv_resolve.toml")
    assert s.pain.effect_prior == "predictive" and s.meta_analysis.rules[0] == "settled"
    assert closed_forms(s).by_rule["settled"]["p_conclusive"] == pytest.approx(
        0.293107791266, abs=1e-8)


def test_settled_directions_are_disjoint_and_harm_shown_takes_precedence():
    p = rule_probabilities(np.linspace(-3, 3, 61), 1.0, 0.0, 50.0, 1.96, 1.0)["settled"]
    total = sum(p.values())
    assert np.all(total <= 1 + 1e-12)
    r = simulate(iv(n=400, tau2=0.0, effect=0.3, rules=["settled", "mcid"]), n_sims=4000,
                 seed=3)
    res = r.resolve
    assert sum(q.value for q in res.by_direction["settled"].values()) == pytest.approx(
        res.p_conclusive["settled"].value)
    # harm shown inside (0, MCID) counts as harm for settled, as nothing for mcid's harm
    assert res.by_direction["settled"]["harm"].value > res.by_direction["mcid"]["harm"].value


@pytest.mark.parametrize("tau2, n, effect", [
    (0.0, 60, -1.0), (0.25, 114, -1.579), (0.25, 400, 0.0), (0.5, 200, 0.5), (1.0, 50, -2.0)])
def test_simulated_settled_matches_its_closed_form(tau2, n, effect):
    s = iv(n=n, tau2=tau2, effect=effect, rules=["settled", "mcid"])
    r = simulate(s, n_sims=20_000, seed=int(10 * n + 100 * tau2))
    for rule in ("settled", "mcid"):
        p = r.resolve.p_conclusive[rule]
        cf = r.resolve.closed.by_rule[rule]["p_conclusive"]
        assert abs(p.value - cf) <= Z_TOL * math.sqrt(max(cf * (1 - cf), 1e-4) / p.n_sims)


def test_simulated_settled_over_the_predictive_prior_matches_its_closed_form():
    s = load_scenario(ROOT / "scenarios" / "ketamine_iv_resolve.toml")
    r = simulate(s, n_sims=20_000, seed=17)
    p = r.resolve.p_conclusive["settled"]
    cf = r.resolve.closed.by_rule["settled"]["p_conclusive"]
    assert abs(p.value - cf) <= Z_TOL * math.sqrt(cf * (1 - cf) / p.n_sims)


def test_settled_is_the_default_headline_and_its_ceiling_is_refused():
    s = iv()
    assert s.meta_analysis.rules == ("settled", "ci-excludes-0")
    with pytest.raises(ConvergenceError, match=r"P\(settled\) with 1 new trial cannot reach"):
        solve_sample_size(iv(tau2=0.0), target=0.9, metric="conclusive", n_sims=500)


def test_cli_resolve_headlines_settled_either_way(capsys):
    path = ROOT / "scenarios" / "ketamine_iv_resolve.toml"
    assert main(["resolve", str(path), "--n-sims", "2000", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "Settled either way:" in text and "predictive distribution" in text
    assert main(["resolve", str(path), "--n-sims", "2000", "--json", "-", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rule"] == "settled"
    assert set(out["rules"]["settled"]["by_direction"]) == {"benefit", "no-important-effect",
                                                            "harm"}
    assert out["closed_form"]["settled"]["p_conclusive"] == pytest.approx(0.2931, abs=1e-4)


# -- GRADE imprecision ---------------------------------------------------------------------

def test_grade_decisions_on_fixed_updates():
    """Rated down when the CI includes -m or +m, or the information is below the OIS."""
    from simulator.planning.review import Update, grade_imprecision

    s = iv()  # m = 1, OIS = I* = (1.959964 + 1.281552)^2 = 10.5074
    lo = np.array([-3.0, -3.0, -0.5, -0.5, -3.0, 0.2, -2.0])
    hi = np.array([-1.2, -0.8, 0.5, 1.5, 3.0, 0.9, -1.1])
    info = np.array([11.0, 11.0, 11.0, 11.0, 11.0, 11.0, 10.0])
    up = Update(0.5 * (lo + hi), 0.25 * (hi - lo), lo, hi, None, info, np.zeros(7), None)
    g = grade_imprecision(s, up)
    assert g["not-rated-down"].tolist() == [True, False, True, False, False, True, False]
    assert g["crosses-threshold"].tolist() == [False, True, False, True, True, False, False]
    assert g["crosses-both"].tolist() == [False, False, False, False, True, False, False]
    assert g["below-ois"].tolist() == [False] * 6 + [True]


@pytest.mark.parametrize("effect, n", [(-1.5, 400), (-0.3, 300), (0.0, 1000)])
def test_simulated_grade_matches_the_normal_update(effect, n):
    """tau^2 = 0 and trials far above the OIS: not rated down iff mu lies more than h
    from both thresholds, a normal probability (the update's law in update_closed.py)."""
    s = iv(n=n, tau2=0.0, effect=effect)
    r = simulate(s, n_sims=20_000, seed=n)
    g = r.resolve.grade
    assert g["below-ois"].value == 0.0
    w0, w1 = 1 / SE0**2, 1 / (2 * 2.5**2 / n)
    total = w0 + w1
    mean, sd, h = (w0 * -1.579 + w1 * effect) / total, math.sqrt(w1) / total, 1.96 / math.sqrt(total)
    inside = lambda a, b: stats.norm.cdf((b - mean) / sd) - stats.norm.cdf((a - mean) / sd)
    expected = 1 - inside(-1 - h, -1 + h) - inside(1 - h, 1 + h)
    p = g["not-rated-down"]
    assert abs(p.value - expected) <= Z_TOL * math.sqrt(expected * (1 - expected) / p.n_sims)


def test_cli_reports_grade_beside_the_rules(capsys):
    path = ROOT / "scenarios" / "ketamine_iv_resolve.toml"
    assert main(["resolve", str(path), "--n-sims", "1000", "--json", "-", "--quiet"]) == 0
    g = json.loads(capsys.readouterr().out)["grade_imprecision"]
    assert g["ois"] == pytest.approx(10.5074, abs=1e-4)
    for key in ("p_not_rated_down", "p_crosses_threshold", "p_crosses_both", "p_below_ois"):
        assert 0 <= g[key] <= 1 and f"{key}_se" in g
    assert main(["resolve", str(path), "--n-sims", "1000", "--quiet"]) == 0
    assert "GRADE not rated down" in capsys.readouterr().out
