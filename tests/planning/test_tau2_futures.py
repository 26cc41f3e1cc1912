"""tau^2 is uncertain: drawn per future, integrated in closed form; the Q-profile CI, the
prediction interval and the modified HKSJ of the review's update."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import Z_TOL
from scipy import integrate, stats

from simulator import Scenario, ScenarioError, simulate
from simulator.analysis.metaanalysis import meta_analyse
from simulator.planning.resolve_closed import closed_forms
from simulator.planning.review import existing_evidence, update
from simulator.planning.review_tau2 import tau2_distribution

pytestmark = pytest.mark.statistical

SE0 = 0.8316479347871861
STUDIES = [[-1.2, 0.5], [-0.4, 0.7], [-2.1, 0.9], [0.3, 0.6]]


def pooled(n: int, **meta) -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": n},
        "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup", "mcid": 1.0},
        "meta_analysis": {"evidence": "ketamine-iv/pain/immediate", "tau2": 0.25,
                          "rules": ["ci-excludes-0", "settled"], **meta}})


def studies(n: int, **meta) -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": n},
        "pain": {"effect": -0.8, "sd": 2.5, "analysis": "followup", "mcid": 1.0},
        "meta_analysis": {"studies": STUDIES, "tau2": 0.2, "new_trials": 2,
                          "rules": ["ci-excludes-0", "settled"], **meta}})


PRIORS = {
    "lognormal": lambda n: pooled(n, tau2_prior="lognormal", tau2_prior_mu=-1.5,
                                  tau2_prior_sigma=1.0),
    "rhodes": lambda n: pooled(n, tau2_prior="rhodes"),
    "qprofile": lambda n: studies(n, tau2_prior="qprofile"),
}


@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("n", [40, 114, 400])
def test_simulated_p_conclusive_matches_roloff_integrated_over_tau2(prior, n):
    """The acceptance test: with tau^2 drawn per future, the simulated P(CI excludes 0)
    and P(settled) equal the closed forms integrated over the tau^2 distribution."""
    s = PRIORS[prior](n)
    r = simulate(s, n_sims=20_000, seed=n + len(prior))
    res = r.resolve
    for rule, cf in (("ci-excludes-0", res.closed.conditional_power),
                     ("settled", res.closed.by_rule["settled"]["p_conclusive"])):
        p = res.p_conclusive[rule]
        assert abs(p.value - cf) <= Z_TOL * math.sqrt(max(cf * (1 - cf), 1e-4) / p.n_sims)
    # beside it, the answer with tau^2 held differs
    assert res.closed.conditional_power_fixed_tau2 is not None


def _roloff(theta, w0, est0, w1, z=stats.norm.ppf(0.975)):
    total = w0 + w1
    return (stats.norm.cdf((w0 * est0 + w1 * theta - z * math.sqrt(total)) / math.sqrt(w1))
            + stats.norm.cdf((-w0 * est0 - w1 * theta - z * math.sqrt(total)) / math.sqrt(w1)))


@pytest.mark.parametrize("prior", ["lognormal", "rhodes"])
def test_the_integrated_closed_form_matches_adaptive_integration(prior):
    """The quadrature over tau^2 against scipy's adaptive quad over ln tau^2 (log-normal)
    or over T_5 (Rhodes' log-t), of Roloff's conditional power at tau^2."""
    s = PRIORS[prior](114)
    v = 2 * 2.5**2 / 114
    cp = lambda t2: _roloff(-1.0, 1 / SE0**2, -1.579, 1 / (v + t2))
    if prior == "lognormal":
        f = lambda x: cp(math.exp(x)) * stats.norm.pdf(x, -1.5, 1.0)
        want = integrate.quad(f, -12, 9, epsabs=1e-12, limit=200)[0]
    else:  # ln tau2 = location + 2.5 T_5, location = -3.16 + ln 2.5^2
        loc = -3.16 + math.log(2.5**2)
        f = lambda x: cp(math.exp(loc + 2.5 * x)) * stats.t.pdf(x, 5)
        want = integrate.quad(f, -60, 60, epsabs=1e-12, limit=400, points=[-2, 0, 2])[0]
    assert closed_forms(s).conditional_power == pytest.approx(want, abs=1e-6)


def test_qprofile_closed_form_matches_integration_over_the_chi_square():
    """E[CP] = atom * CP(0) + int CP(Q^-1(x)) f(x) dx over x < Q(0) (Bowden et al. 2011),
    with the studies re-fitted at each tau^2 (tau^2 held in the update)."""
    from simulator.analysis.tau2 import generalized_q, tau2_for_q

    s = studies(60, tau2_prior="qprofile")
    y, se = np.array(STUDIES).T
    v_new = 2 * 2.5**2 / 60

    def cp(t2):
        w = 1 / (se**2 + t2)
        return _roloff(-0.8, w.sum(), float(np.dot(w, y) / w.sum()), 2 / (v_new + t2))

    q0 = float(generalized_q(0.0, y, se**2))
    atom = stats.chi2.sf(q0, 3)
    body = integrate.quad(lambda x: cp(float(tau2_for_q(x, y, se**2))) * stats.chi2.pdf(x, 3),
                          0, q0, epsabs=1e-10, limit=200)[0]
    assert closed_forms(s).conditional_power == pytest.approx(atom * cp(0.0) + body, abs=1e-6)


def test_drawn_tau2_keeps_the_futures_paired_with_the_held_ones():
    """tau^2 has a stream of its own, so tau^2 = its point value in every draw would
    reproduce the held futures: a lognormal prior with a tiny spread does."""
    held = simulate(pooled(114), n_sims=4000, seed=3).resolve.p_conclusive["ci-excludes-0"]
    tight = simulate(pooled(114, tau2_prior="lognormal", tau2_prior_mu=math.log(0.25),
                            tau2_prior_sigma=1e-9), n_sims=4000, seed=3)
    assert tight.resolve.p_conclusive["ci-excludes-0"].value == held.value


def test_existing_q_profile_ci_and_prediction_interval_match_r():
    """R 4.2.2, metafor 3.8-1:
    fit <- rma(c(-1.2, -0.4, -2.1, 0.3), sei = c(0.5, 0.7, 0.9, 0.6), method = "REML",
               control = list(threshold = 1e-12))
    confint(fit, control = list(tau2.max = 100, tol = 1e-12))$random[1, 2:3]  # 0, 14.2944376117
    fit$b + c(-1, 1) * qt(0.975, 2) * sqrt(fit$tau2 + fit$se^2)    # Higgins et al. 2009
      -> -4.32648909, 2.80476673 (fit$b -0.760861116297, se 0.473731036655,
         tau2 0.462331399054)"""
    s = studies(60).with_overrides({"meta_analysis.tau2": None})
    ex = existing_evidence(s)
    assert ex.tau2_ci == pytest.approx((0.0, 14.2944376117), abs=1e-6)
    half = 4.30265272975 * math.sqrt(0.462331399054 + 0.473731036655**2)
    assert ex.prediction == pytest.approx((-0.760861116297 - half, -0.760861116297 + half),
                                          abs=1e-6)


def test_the_update_prediction_interval_and_its_report():
    s = pooled(114)
    r = simulate(s, n_sims=2000, seed=1)
    lo, hi = r.resolve.prediction
    assert lo < r.resolve.existing.estimate < hi
    up = update(existing_evidence(s), s.meta_analysis, np.array([[-1.0]]), np.array([[0.33]]),
                0.05)
    w = np.array([1 / SE0**2, 1 / (0.33**2 + 0.25)])
    mu, se = np.dot(w, [-1.579, -1.0]) / w.sum(), 1 / math.sqrt(w.sum())
    low, high = up.prediction(0.05)  # k unknown: the normal quantile
    assert (low[0], high[0]) == pytest.approx(
        (mu - 1.959963985 * math.sqrt(0.25 + se**2), mu + 1.959963985 * math.sqrt(0.25 + se**2)))


def test_modified_hksj_option_truncates_the_update():
    s = studies(60, hksj=True, hksj_truncate=True).with_overrides(
        {"meta_analysis.tau2": None})
    est, se = np.array([[-0.7, -0.75], [-2.0, 0.8]]), np.array([[0.4, 0.4], [0.4, 0.4]])
    up = update(existing_evidence(s), s.meta_analysis, est, se, 0.05)
    y = np.concatenate([np.broadcast_to(np.array(STUDIES)[:, 0], (2, 4)), est], axis=1)
    v = np.concatenate([np.broadcast_to(np.array(STUDIES)[:, 1] ** 2, (2, 4)), se**2], axis=1)
    ref = meta_analyse(y, v=v, method="reml", hksj=True, hksj_truncate=True)
    assert np.allclose(up.ci_low, ref.ci_low) and np.allclose(up.se, ref.se)
    plain = simulate(s.with_overrides({"meta_analysis.hksj_truncate": False}), n_sims=3000,
                     seed=2).resolve.p_conclusive["ci-excludes-0"].value
    modified = simulate(s, n_sims=3000, seed=2).resolve.p_conclusive["ci-excludes-0"].value
    assert modified <= plain  # never narrower than the random-effects interval


@pytest.mark.parametrize("meta, fragment", [
    ({"tau2_prior": "qprofile"}, "[meta_analysis] tau2_prior = 'qprofile': the Q-profile"),
    ({"tau2_prior": "turner"}, "Turner et al.'s priors are for log odds ratios"),
    ({"tau2_prior": "lognormal", "tau2_prior_mu": -1.0},
     "[meta_analysis] tau2_prior_sigma = (missing): required by tau2_prior = 'lognormal'"),
    ({"tau2_prior_sigma": 1.0}, "[meta_analysis] tau2_prior_sigma = 1.0: only with"),
    ({"hksj_truncate": True}, "[meta_analysis] hksj_truncate = true: truncates"),
])
def test_tau2_options_are_validated(meta, fragment):
    with pytest.raises(ScenarioError) as info:
        pooled(50, **meta)
    assert fragment in str(info.value)


def test_tau2_distribution_names_its_source():
    assert tau2_distribution(pooled(50)) is None
    assert tau2_distribution(pooled(50, tau2_prior="rhodes")).median == pytest.approx(
        math.exp(-3.16) * 2.5**2)
