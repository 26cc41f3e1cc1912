"""tau^2: the Q-profile interval against metafor, and the distributions for the futures.

metafor references: R 4.2.2, metafor 3.8-1,
``confint(rma(yi = y, sei = s, method = m), level = L, control = list(tol = 1e-12))$random``
(row ``tau^2``, columns ``ci.lb``, ``ci.ub``), printed with ``sprintf("%.12g", x)``; the
interval is the same for ``m = "REML"`` and ``"DL"`` (both were printed and agree to all
digits). The tests need no R.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from simulator.analysis.tau2 import generalized_q, tau2_for_q, tau2_qprofile_ci
from simulator.analysis.tau2_priors import (LogNormalTau2, LogTTau2, QProfileTau2,
                                            draw_tau2_qprofile, expect_over_tau2,
                                            rhodes_prior, turner_prior)
from simulator.errors import ScenarioError

SETS = {
    "a": ([-1.2, -0.4, -2.1, 0.3, -0.9], [0.5, 0.7, 0.9, 0.6, 0.4]),
    "b": ([-1.579, -0.532, -0.8], [0.832, 0.520, 0.7]),
    "c": ([0.10, -0.35, -0.52, -1.40, 0.22, -0.80, -0.05, -0.61],
          [0.30, 0.25, 0.40, 0.55, 0.35, 0.28, 0.20, 0.45]),
    "het": ([-2.0, 0.5, -1.5, 1.0, -0.2, 0.8], [0.3, 0.35, 0.4, 0.3, 0.25, 0.5]),
    "flat": ([0.50, 0.51, 0.49, 0.50], [0.3, 0.3, 0.3, 0.3]),
}

METAFOR = [  # (set, level, Q, ci.lb, ci.ub)
    ("a", 0.95, 6.47645356587, 0.0, 6.05645291992),      # lower bound 0
    ("a", 0.90, 6.47645356587, 0.0, 3.94792131947),
    ("b", 0.95, 1.13976709158, 0.0, 11.1396079861),
    ("b", 0.90, 1.13976709158, 0.0, 5.22372697221),
    ("c", 0.95, 13.5364745817, 0.0, 0.97704236242),
    ("c", 0.90, 13.5364745817, 0.0, 0.721813777448),
    ("het", 0.95, 70.1073119463, 0.488001799177, 9.3200811265),  # both bounds > 0
    ("het", 0.90, 70.1073119463, 0.584864520924, 6.72809423368),
    ("flat", 0.95, 0.00222222222222, 0.0, 0.0),            # the whole interval is 0
    ("flat", 0.90, 0.00222222222222, 0.0, 0.0),
]


@pytest.mark.parametrize("name, level, q, low, high", METAFOR,
                         ids=[f"{r[0]}-{r[1]}" for r in METAFOR])
def test_qprofile_interval_matches_metafor(name, level, q, low, high):
    y, s = SETS[name]
    ci = tau2_qprofile_ci(y, s, alpha=1.0 - level)
    assert ci.q0 == pytest.approx(q, abs=1e-9)
    assert ci.low == pytest.approx(low, abs=1e-6)
    assert ci.high == pytest.approx(high, abs=1e-6)
    assert ci.k == len(y) and ci.level == pytest.approx(level)


def test_generalized_q_falls_and_its_inverse_is_exact():
    y, s = SETS["het"]
    v = np.square(s)
    grid = np.linspace(0.0, 5.0, 51)
    q = generalized_q(grid, y, v)
    assert np.all(np.diff(q) < 0)
    np.testing.assert_allclose(tau2_for_q(q[1:], y, v), grid[1:], rtol=1e-12)
    assert tau2_for_q(q[0] + 1.0, y, v) == 0.0


def test_qprofile_distribution_draws_match_its_cdf():
    y, s = SETS["a"]
    dist = QProfileTau2(tuple(y), tuple(np.square(s)))
    draws = dist.draw(np.random.default_rng(11), 100_000)
    n = draws.size
    assert np.mean(draws == 0.0) == pytest.approx(dist.atom, abs=4 * math.sqrt(0.25 / n))
    for point in (0.05, 0.2, 0.5, 1.0, 3.0):
        p = float(dist.cdf(point))
        assert np.mean(draws <= point) == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n))


def test_median_draw_is_the_qprofile_point_at_the_chi_square_median():
    y, s = SETS["het"]
    v = np.square(s)
    draws = draw_tau2_qprofile(y, v, np.random.default_rng(3), 40_001)
    point = float(tau2_for_q(stats.chi2.median(len(y) - 1), y, v))
    assert QProfileTau2(tuple(y), tuple(v)).median == pytest.approx(point, rel=1e-12)
    half = 4 * math.sqrt(0.25 / draws.size)  # the sample median's range: quantiles 0.5 -+ half
    low, high = (float(tau2_for_q(stats.chi2.ppf(0.5 + d, len(y) - 1), y, v))
                 for d in (half, -half))
    assert low < float(np.median(draws)) < high
    assert high - low < 0.1 * point


def test_lognormal_and_log_t_draws_follow_their_distributions():
    rng = np.random.default_rng(7)
    for dist in (LogNormalTau2(-1.83, 1.52), LogTTau2(-3.16, 2.50, 5.0)):
        draws = dist.draw(rng, 50_000)
        result = stats.kstest(draws, dist.cdf)
        assert result.pvalue > 1e-3
    prior = LogNormalTau2(-1.0, 0.4)
    draws = prior.draw(rng, 200_000)
    mean = math.exp(-1.0 + 0.08)
    assert draws.mean() == pytest.approx(mean, abs=4 * draws.std() / math.sqrt(draws.size))


def _smooth(t):
    # a conditional-power-like quantity that falls with tau^2
    return stats.norm.cdf(1.5 - 2.0 * np.sqrt(t))


def test_quadrature_matches_adaptive_integration():
    normal = LogNormalTau2(-1.5, 1.2)
    exact, _ = integrate.quad(lambda x: _smooth(math.exp(x)) * stats.norm.pdf(x, -1.5, 1.2),
                              -15, 12, epsabs=1e-13, limit=200)
    assert float(expect_over_tau2(_smooth, normal)) == pytest.approx(exact, abs=1e-7)
    assert float(expect_over_tau2(_smooth, normal, 80)) == pytest.approx(exact, abs=1e-10)
    assert float(expect_over_tau2(lambda t: t, normal)) == pytest.approx(math.exp(-1.5 + 0.72),
                                                                         rel=1e-10)
    logt = LogTTau2(-3.16, 2.5, 5.0)
    exact, _ = integrate.quad(lambda x: _smooth(math.exp(min(-3.16 + 2.5 * x, 700.0)))
                              * stats.t.pdf(x, 5),
                              -np.inf, np.inf, epsabs=1e-12, limit=400)
    assert float(expect_over_tau2(_smooth, logt, 200)) == pytest.approx(exact, abs=1e-6)
    y, s = SETS["het"]
    dist = QProfileTau2(tuple(y), tuple(np.square(s)))
    inside, _ = integrate.quad(lambda x: _smooth(float(tau2_for_q(x, y, np.square(s))))
                               * stats.chi2.pdf(x, 5), 0.0, dist.q0, epsabs=1e-12, limit=200)
    assert float(expect_over_tau2(_smooth, dist, 200)) == pytest.approx(
        inside + dist.atom * float(_smooth(0.0)), abs=1e-6)


@pytest.mark.statistical
def test_quadrature_equals_the_mean_over_draws_for_each_distribution():
    rng = np.random.default_rng(2024)
    y, s = SETS["a"]
    for dist in (LogNormalTau2(-1.83, 1.52), rhodes_prior(sd=2.5),
                 QProfileTau2(tuple(y), tuple(np.square(s)))):
        values = _smooth(dist.draw(rng, 100_000))
        se = values.std() / math.sqrt(values.size)
        assert float(expect_over_tau2(_smooth, dist, 200)) == pytest.approx(values.mean(),
                                                                            abs=4 * se)


def test_draws_are_reproducible_from_the_generator():
    y, s = SETS["c"]
    for dist in (LogNormalTau2(-1.0, 1.0), LogTTau2(-3.0, 2.0),
                 QProfileTau2(tuple(y), tuple(np.square(s)))):
        first = dist.draw(np.random.default_rng(5), 1000)
        np.testing.assert_array_equal(first, dist.draw(np.random.default_rng(5), 1000))
    assert tau2_qprofile_ci(y, s).to_dict()["k"] == 8


def test_expectation_keeps_trailing_axes():
    out = expect_over_tau2(lambda t: np.stack([t, 2 * t], axis=-1), LogNormalTau2(0.0, 0.1))
    assert out.shape == (2,) and out[1] == pytest.approx(2 * out[0])


def test_published_priors_and_the_smd_to_md_rescaling():
    pain = turner_prior("pain")
    assert (pain.mu, pain.sigma) == (-1.83, 1.52) and "log OR" in pain.source
    assert (turner_prior("subjective outcomes (various)").mu) == -2.70
    smd = rhodes_prior()
    assert (smd.location, smd.scale, smd.df) == (-3.16, 2.50, 5.0)
    md = rhodes_prior(sd=2.5)
    assert md.median == pytest.approx(6.25 * smd.median)
    assert float(md.cdf(6.25 * 0.1)) == pytest.approx(float(smd.cdf(0.1)))


def test_invalid_values_are_named():
    with pytest.raises(ScenarioError, match="outcome = 'headache': must be one of"):
        turner_prior("headache")
    with pytest.raises(ScenarioError, match="sigma = 0.0: must be a finite number > 0"):
        LogNormalTau2(-1.0, 0.0)
    with pytest.raises(ScenarioError, match=r"y = \[0.1\]: must be 2 or more study"):
        tau2_qprofile_ci([0.1], [0.2])
    with pytest.raises(ScenarioError, match="alpha = 1.5: must be a number in"):
        tau2_qprofile_ci([0.1, 0.2], [0.2, 0.3], alpha=1.5)
    with pytest.raises(ScenarioError, match="size = 0: must be an integer >= 1"):
        LogNormalTau2(0.0, 1.0).draw(np.random.default_rng(0), 0)
