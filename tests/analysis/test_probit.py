"""The solver's probit fit against R's glm, and the cases it must refuse."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.analysis.probit import fit_probit, pearson_chi2

# R 4.2:
#   n <- c(100, 110, 121, 133, 146); x <- sqrt(n)
#   s <- c(1540, 1633, 1721, 1779, 1850); t <- rep(2000, 5)
#   f <- glm(cbind(s, t - s) ~ x, family = binomial(link = "probit"))
#   sprintf("%.12f", coef(f)); sprintf("%.12e", vcov(f))
#   sprintf("%.12f", sum(residuals(f, type = "pearson")^2)); f$df.residual
X = np.sqrt([100.0, 110.0, 121.0, 133.0, 146.0])
S = np.array([1540.0, 1633.0, 1721.0, 1779.0, 1850.0])
T = np.full(5, 2000.0)
R_COEF = (-2.560341264933, 0.330064035839)
R_VCOV = np.array([[5.626296102444e-02, -5.150960327350e-03],
                   [-5.150960327350e-03, 4.736283548042e-04]])


def test_the_fit_and_its_covariance_are_rs_glm():
    fit = fit_probit(X, S, T)
    assert (fit.a, fit.b) == pytest.approx(R_COEF, rel=1e-8)
    np.testing.assert_allclose(fit.cov, R_VCOV, rtol=1e-6)


def test_pearsons_lack_of_fit_is_rs():
    assert pearson_chi2(fit_probit(X, S, T), X, S, T) == (pytest.approx(0.564756945895,
                                                                        rel=1e-7), 3)


def test_pearsons_lack_of_fit_flags_a_curve_that_flattens_below_one():
    """Runs of a curve with a plateau at 0.92 (not a probit in sqrt(n)): X^2 far beyond
    its chi-square(3) (0.999 quantile 16.3), where probit runs of the same size give a
    few units."""
    n = np.array([150.0, 175.0, 200.0, 225.0, 250.0])
    t = np.full(5, 100_000.0)
    plateau = 0.92 * (1.0 - np.exp(-n / 60.0))
    s = np.round(plateau * t)
    x2, df = pearson_chi2(fit_probit(np.sqrt(n), s, t), np.sqrt(n), s, t)
    assert df == 3 and x2 > 16.3


# R 4.2 (the fit above):  library(MASS)
#   for (p in c(0.8, 0.9)) { d <- dose.p(f, p = p); sprintf("%.12f %.12e", d, attr(d, "SE")) }
#   pr <- predict(f, data.frame(x = 11), type = "response", se.fit = TRUE)
R_DOSE = [(0.8, 10.306977219916, 6.033848485292e-02), (0.9, 11.639840798505, 6.910179609053e-02)]
R_PREDICT = (11.0, 0.857772055623, 3.563274178465e-03)


@pytest.mark.parametrize("target, dose, se", R_DOSE)
def test_the_root_and_its_interval_are_rs_dose_p(target, dose, se):
    """The root is MASS::dose.p's dose, and the interval its delta-method SE times
    the normal quantile of the coverage."""
    x, low, high = fit_probit(X, S, T).root(target, coverage=0.95)
    assert x == pytest.approx(dose, rel=1e-8)
    z = 1.959963984540054
    assert (high - x) / z == pytest.approx(se, rel=1e-6)
    assert (x - low) / z == pytest.approx(se, rel=1e-6)


def test_the_fitted_probability_and_its_se_are_rs_predict():
    x, value, se = R_PREDICT
    p, p_se = fit_probit(X, S, T).probability(x)
    assert p == pytest.approx(value, rel=1e-8) and p_se == pytest.approx(se, rel=1e-6)


def test_the_root_is_where_the_fitted_probability_crosses_the_target():
    fit = fit_probit(X, S, T)
    x, low, high = fit.root(0.9)
    assert fit.probability(x)[0] == pytest.approx(0.9, abs=1e-12)
    assert low < x < high


@pytest.mark.parametrize("x, s, t", [
    ([10.0, 10.0, 10.0], [5, 6, 7], [10, 10, 10]),  # one distinct x
    ([8.0, 10.0, 12.0], [0, 0, 0], [10, 10, 10]),  # no success
    ([8.0, 10.0, 12.0], [10, 10, 10], [10, 10, 10]),  # every trial a success
    ([8.0, 10.0, 12.0], [9, 5, 1], [10, 10, 10]),  # a falling curve
], ids=["one-x", "none", "all", "falling"])
def test_data_that_identify_no_increasing_curve_give_none(x, s, t):
    assert fit_probit(np.array(x), np.array(s, float), np.array(t, float)) is None
