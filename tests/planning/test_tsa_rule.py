"""The ``tsa`` rule: a full trial sequential analysis of each future, against R.

References from R 4.2.2 (rpact 3.3.4, metafor 3.8-1), printed with
``sprintf("%.12g", x)``; the tests need no R. The planned looks and RIS
follow the module notes of ``simulator/planning/review_tsa.py``::

    library(rpact); library(metafor)
    istar <- (qnorm(0.975) + qnorm(0.9))^2 / 1^2
    bounds <- function(info, ris, ...) {
      t <- pmin(info / ris, 1); rates <- unique(t)
      if (tail(rates, 1) < 1) rates <- c(rates, 1)
      d <- getDesignGroupSequential(informationRates = rates, sided = 2, alpha = 0.05, ...)
      list(t = t, c = d$criticalValues[match(t, rates)])
    }
    vnew <- function(n) 2 * 2.5^2 / n          # followup, sd 2.5, no dropout
    plan <- function(y0, s0, tau2, k, n, adj, i2 = NULL, ...) {
      v <- vnew(n)
      if (is.null(s0)) {                        # a pooled summary: one look, 1 / SE0^2
        w0 <- 1 / y0^2; fixed <- w0 + k / v; random <- w0 + k / (v + tau2)
        vars <- rep(v, k); first_f <- w0; first_r <- w0
      } else {
        vars <- c(s0^2, rep(v, k)); fixed <- sum(1 / vars); random <- sum(1 / (vars + tau2))
        first_f <- cumsum(1 / s0^2); first_r <- cumsum(1 / (s0^2 + tau2))
      }
      d2 <- 1 - random / fixed                  # Wetterslev et al. 2009
      if (is.null(i2)) {                        # tau2 / (tau2 + typical within-study variance)
        w <- 1 / vars
        s2 <- if (length(vars) < 2 || all(abs(vars - vars[1]) < 1e-12)) mean(vars)
              else (length(vars) - 1) * sum(w) / (sum(w)^2 - sum(w^2))
        i2 <- tau2 / (tau2 + s2)
      }
      info <- if (adj == "ris") c(first_r, tail(first_r, 1) + (1:k) / (v + tau2))
              else c(first_f, tail(first_f, 1) + (1:k) / v)
      ris <- istar / (1 - c(daris = d2, i2 = i2, ris = 0)[[adj]])
      c(list(ris = ris, d2 = d2, i2 = i2, info = info), bounds(info, ris, ...))
    }
    # each new look: the cumulative meta-analysis, Z (or HKSJ t against qt(pnorm(c), df)),
    # the boundary never below the plain CI's critical value; the first crossing decides
    decide <- function(p, y0, s0, tau2, est, se, hksj = FALSE, method = "FE") {
      k0 <- length(p$info) - length(est)
      for (j in seq_along(est)) {
        if (is.null(s0)) {
          w <- c(1 / y0[2]^2, 1 / (se[1:j]^2 + tau2)); yy <- c(y0[1], est[1:j])
          mu <- sum(w * yy) / sum(w); sem <- 1 / sqrt(sum(w)); df <- Inf
        } else {
          yy <- c(y0, est[1:j]); ss <- c(s0, se[1:j])
          fit <- if (hksj) rma(yy, sei = ss, method = method, test = "knha",
                               control = list(threshold = 1e-12, maxiter = 1000))
                 else rma(yy, sei = ss, tau2 = tau2)
          mu <- fit$b[1]; sem <- fit$se; df <- if (hksj) length(yy) - 1 else Inf
        }
        plain <- if (is.finite(df)) qt(0.975, df) else qnorm(0.975)
        crit <- max(if (is.finite(df)) qt(pnorm(p$c[k0 + j]), df) else p$c[k0 + j], plain)
        stat <- mu / sem
        if (-stat >= crit) return("benefit")
        if (stat >= crit) return("harm")
      }
      c(mu - crit * sem, mu + crit * sem)       # none: the TSA-adjusted CI of the last look
    }
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import Z_TOL

from simulator import Scenario, ScenarioError, simulate
from simulator.planning.review_rules import assess
from simulator.planning.review_tsa import tsa_decisions, tsa_plan

pytestmark = pytest.mark.statistical

TOL = 1e-6
SE0 = 0.8316479347871861
STUDIES = [[-1.2, 0.5], [-0.4, 0.7], [-2.1, 0.9], [0.3, 0.6]]
POOLED = {"pooled": {"estimate": -1.579, "se": SE0}, "tau2": 0.25}


def scenario(n: int, **meta) -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": n},
        "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup", "mcid": 1.0},
        "meta_analysis": {"rules": ["tsa", "ci-excludes-0"], **meta}})


CASES = {
    # plan(0.8316479347871861, NULL, 0.25, 1, 114, "daris", typeOfDesign = "asOF")
    # (rpact gives Inf at the first look, which spends ~1e-21 of alpha; we give 9.48)
    "A": (scenario(114, **POOLED), 26.2685994318, 0.60000063617,
          (0.0550407135145, 0.402223288804), (None, 3.34658233076)),
    # plan(..., "i2", ...): rpact's second bound is 3.8827952221, 2.2e-6 off; the root of
    #   2 * integrate(dnorm(z) * pnorm((r z - c2) / sqrt(1 - r^2)), -c1, c1,
    #                 rel.tol = 1e-14) = a(t2) - a(t1),  r = sqrt(t1 / t2),
    #   a(t) = 4 - 4 * pnorm(qnorm(1 - 0.05 / 4) / sqrt(t))
    # is 3.88279299885
    "B": (scenario(114, **POOLED, tsa_ris="i2"), 34.4643476415, 0.60000063617,
          (0.0419518300707, 0.306573116243), (None, 3.88279299885)),
    # plan(..., "ris", ...)
    "C": (scenario(114, **POOLED, tsa_ris="ris"), 10.5074230614, 0.60000063617,
          (0.137602002632, 0.402223288804), (5.92957050461, 3.34658244997)),
    # plan(y0, s0, 0.2, 2, 60, "daris", i2 = rma(y0, sei = s0, tau2 = 0.2)$I2 / 100,
    #      typeOfDesign = "asOF")
    "D": (scenario(60, studies=STUDIES, tau2=0.2, new_trials=2), 18.201778056, 0.422725459617,
          (0.219758750365, 0.331880561775, 0.399707336579, 0.552317579888, 0.816028080325, 1),
          (4.64005591285, 3.72073250264, 3.38153664023, 2.81628688425, 2.24888663739,
           2.03433317691)),
    # plan(y0, s0, 0.2, 2, 60, "i2", i2 = (the same I^2: 0.32213187423), typeOfDesign = "asP")
    "E": (scenario(60, studies=STUDIES, tau2=0.2, new_trials=2, tsa_ris="i2",
                   tsa_alpha_spending="asP"), 15.5006890898, 0.422725459617,
          (0.25805304376, 0.389712759964, 0.469358761125, 0.648562263736, 0.958225916248, 1),
          (2.3584719972, 2.48003301769, 2.53378269821, 2.43048820645, 2.33063646406,
           2.44208683819)),
    # fitr <- rma(y0, sei = s0, method = "REML", control = list(threshold = 1e-12));
    # plan(y0, s0, fitr$tau2, 3, 80, "daris", typeOfDesign = "asHSD", gammaA = -4)
    # (tau2 0.462331399054)
    "F": (scenario(80, studies=STUDIES, method="reml", hksj=True, new_trials=3,
                   tsa_alpha_spending="asHSD", tsa_gamma_a=-4), 33.0308132193, 0.681890270406,
          (0.121099046925, 0.182884274948, 0.220260523998, 0.304357084363, 0.498115559442,
           0.691874034522, 0.885632509601),
          (3.44016561732, 3.45038224012, 3.44320409745, 3.2365482375, 2.85503851622,
           2.5533702746, 2.23165503889)),
}


@pytest.mark.parametrize("name", CASES)
def test_planned_boundaries_match_r(name):
    s, ris, d2, fractions, critical = CASES[name]
    plan = tsa_plan(s)
    assert plan.required_information == pytest.approx(ris, abs=TOL)
    assert plan.d2 == pytest.approx(d2, abs=TOL)
    assert plan.boundaries.fractions == pytest.approx(fractions, abs=TOL)
    for got, want in zip(plan.boundaries.critical_values, critical, strict=True):
        if want is None:  # a look that spends (almost) no alpha
            assert got > 8
        else:
            assert got == pytest.approx(want, abs=TOL)


# decide(p, y0, s0, tau2, est, se, ...) per row: the direction, or the TSA-adjusted CI
DECISIONS = [
    # decide(pA, c(-1.579, se0), NULL, 0.25, e, 0.33), e = -2.5, -1.2, 1.5
    ("A", [[-2.5], [-1.2], [1.5]], [0.33], ["benefit", (-2.95623317074, 0.297274308171),
                                            (-1.17864600575, 2.07486147316)]),
    ("C", [[-2.5], [-1.2], [1.5]], [0.33], ["benefit", (-2.95623322869, 0.297274366118),
                                            (-1.1786460637, 2.07486153111)]),
    # decide(pD, y0, s0, 0.2, e, c(0.45, 0.46))
    ("D", [[-1.5, -1.4], [-3.0, 0.0], [0.5, 0.9], [0.2, -0.6], [-0.2, -0.5]], [0.45, 0.46],
     ["benefit", "benefit", (-0.723338455514, 0.483745739049), (-1.10970677342, 0.0973774211413),
      (-1.17579364424, 0.0312905503239)]),
    ("E", [[0.2, -0.6], [-0.2, -0.5], [1.0, 2.0]], [0.45, 0.46],
     [(-1.23067835403, 0.218349001752), (-1.29676522485, 0.152262130935),
      (-0.499743430541, 0.949283925244)]),
    # decide(pF, y0, s0, NA, e, c(0.4, 0.41, 0.39), hksj = TRUE, method = "REML")
    ("F", [[-1.5, -1.4, -1.6], [-1.0, -0.5, -0.8], [0.3, 0.2, 0.5], [0.2, -0.3, 0.1]],
     [0.4, 0.41, 0.39], ["benefit", "benefit", (-1.12952457647, 0.784072309173),
                         (-1.12104815104, 0.493793053469)]),
]


@pytest.mark.parametrize("name, est, se, expected", DECISIONS, ids=[d[0] for d in DECISIONS])
def test_decisions_on_fixed_data_match_r(name, est, se, expected):
    s = CASES[name][0]
    est = np.array(est, float)
    directions, (low, high) = tsa_decisions(s, est, np.broadcast_to(se, est.shape).copy())
    for i, want in enumerate(expected):
        got = [d for d, f in directions.items() if f[i]]
        if isinstance(want, str):
            assert got == [want]
        else:
            assert got == []
            assert (low[i], high[i]) == pytest.approx(want, abs=TOL)


@pytest.mark.parametrize("meta", [
    dict(POOLED),
    dict(POOLED, tsa_ris="ris"),
    dict(POOLED, tsa_alpha_spending="asP"),
    dict(studies=STUDIES, method="reml", hksj=True),
    dict(studies=STUDIES, method="dl", hksj=True, tsa_ris="ris"),
    dict(studies=STUDIES[:2], method="pm", hksj=True, tsa_alpha_spending="asHSD",
         tsa_gamma_a=1.0),
    dict(studies=STUDIES, tau2=0.1, tsa_beta_spending="bsOF", tsa_binding=True),
])
def test_the_tsa_rule_is_never_more_lenient_than_the_plain_ci(meta):
    """Each future's TSA shows an effect only where the plain CI (z, or HKSJ t) at the same
    look excludes 0; with one new trial that look is the update, so P(tsa) <= P(CI)."""
    s = scenario(40, **meta)
    r = simulate(s, n_sims=4000, seed=5)
    res = r.resolve
    assert (res.by_direction["tsa"]["benefit"].value
            <= res.by_direction["ci-excludes-0"]["benefit"].value)
    assert res.by_direction["tsa"]["harm"].value <= res.by_direction["ci-excludes-0"]["harm"].value
    rng = np.random.default_rng(1)
    est = rng.normal(-0.8, 0.6, (2000, 1))
    se = np.full((2000, 1), 0.45)
    rules, _ = assess(s, est, se)
    for d in ("benefit", "harm"):
        assert not np.any(rules["tsa"][d] & ~rules["ci-excludes-0"][d])


def test_hksj_monitoring_is_no_longer_more_lenient_than_the_hksj_ci():
    """Before the full TSA, the single-look rule compared an HKSJ statistic with a normal
    boundary and gave 97.4 % against the HKSJ CI's 92.0 %."""
    s = scenario(80, studies=[[-1.0, 0.5], [-0.4, 0.6], [0.2, 0.7], [-1.6, 0.9]],
                 method="reml", hksj=True)
    r = simulate(s.with_overrides({"pain.effect": -1.5}), n_sims=6000, seed=11)
    p = r.resolve.p_conclusive
    assert p["tsa"].value <= p["ci-excludes-0"].value


def test_futility_by_beta_spending_stops_futures():
    s = scenario(200, **POOLED, new_trials=3, tsa_beta_spending="bsOF")
    plan = tsa_plan(s)
    assert np.isnan(plan.boundaries.futility_bounds[0])
    assert np.all(plan.boundaries.futility_bounds[1:3] > 0)
    r = simulate(s.with_overrides({"pain.effect": 0.0}), n_sims=3000, seed=2)
    by = r.resolve.by_direction["tsa"]
    assert by["futility"].value > 0.5 and by["benefit"].value < 0.15  # the review pulls
    total = sum(p.value for p in by.values())
    assert total == pytest.approx(r.resolve.p_conclusive["tsa"].value)


def test_null_calibration_of_the_tsa_rule():
    """No effect, tau^2 = 0, a review with no evidence of an effect, looks short of the
    RIS: the TSA's type I error over the new looks stays below alpha. (Looks beyond the
    RIS keep the final boundary, the TSA software's convention, and can spend more.)"""
    s = scenario(30, pooled={"estimate": 0.0, "se": 2.0}, tau2=0.0, new_trials=4,
                 tsa_ris="ris")
    assert tsa_plan(s).boundaries.fractions[-1] < 1
    r = simulate(s.with_overrides({"pain.effect": 0.0}), n_sims=20_000, seed=4)
    p = r.resolve.p_conclusive["tsa"]
    assert p.value <= 0.05 + Z_TOL * math.sqrt(0.05 * 0.95 / p.n_sims)


@pytest.mark.parametrize("meta, fragment", [
    ({"tsa_alpha_spending": "asKD"}, "[meta_analysis] tsa_gamma_a = (missing): required by"),
    ({"tsa_beta_spending": "bsKD", "tsa_gamma_b": -1}, "[meta_analysis] tsa_gamma_b = -1.0"),
    ({"tsa_binding": True}, "[meta_analysis] tsa_binding = true: binds futility"),
    ({"tsa_ris": "dl"}, "[meta_analysis] tsa_ris = 'dl'"),
])
def test_tsa_options_are_validated(meta, fragment):
    with pytest.raises(ScenarioError) as info:
        scenario(50, **POOLED, **meta)
    assert fragment in str(info.value)
