"""Vectorized tests against per-trial references (scipy, numpy least squares, metafor)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulator.analysis.estimates import TrialEstimates, critical_values, decide
from simulator.analysis.metaanalysis import meta_analyse
from simulator.analysis.twosample import (
    ancova,
    log_risk_ratio,
    student_t,
    two_proportions,
    welch_t,
)


@pytest.fixture
def samples():
    rng = np.random.default_rng(7)
    n0, n1, k = 13, 21, 50
    x0 = rng.normal(6, 1.3, (k, n0))
    x1 = rng.normal(6, 1.3, (k, n1))
    y0 = 0.5 * x0 + rng.normal(2, 2.0, (k, n0))
    y1 = 0.5 * x1 + rng.normal(1, 3.0, (k, n1))
    return n0, n1, x0, x1, y0, y1


def _ss(a):
    return ((a - a.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)


def test_student_matches_scipy_ttest_ind(samples):
    n0, n1, _, _, y0, y1 = samples
    est = student_t(y1.mean(1) - y0.mean(1), _ss(y0) + _ss(y1), n0, n1)
    ref = stats.ttest_ind(y1, y0, axis=1)
    np.testing.assert_allclose(est.statistic, ref.statistic, rtol=1e-12)
    np.testing.assert_allclose(est.pvalues(sided=2, benefit_sign=-1), ref.pvalue, rtol=1e-10)
    one = stats.ttest_ind(y1, y0, axis=1, alternative="less")
    np.testing.assert_allclose(est.pvalues(sided=1, benefit_sign=-1), one.pvalue, rtol=1e-10)
    ci = ref.confidence_interval(0.95)
    dec = decide(est, alpha=0.05, sided=2, benefit_sign=-1)
    np.testing.assert_allclose(dec.ci_low, ci.low, rtol=1e-10)
    np.testing.assert_allclose(dec.ci_high, ci.high, rtol=1e-10)
    np.testing.assert_array_equal(dec.reject, ref.pvalue < 0.05)


def test_welch_matches_scipy(samples):
    n0, n1, _, _, y0, y1 = samples
    est = welch_t(y1.mean(1) - y0.mean(1), _ss(y0), _ss(y1), n0, n1)
    ref = stats.ttest_ind(y1, y0, axis=1, equal_var=False)
    np.testing.assert_allclose(est.statistic, ref.statistic, rtol=1e-12)
    np.testing.assert_allclose(est.df, ref.df, rtol=1e-12)
    np.testing.assert_allclose(est.pvalues(sided=2, benefit_sign=-1), ref.pvalue, rtol=1e-10)


def test_ancova_matches_least_squares_per_trial(samples):
    n0, n1, x0, x1, y0, y1 = samples

    def centred(a, b):
        return ((a - a.mean(1, keepdims=True)) * (b - b.mean(1, keepdims=True))).sum(1)

    est = ancova(x1.mean(1) - x0.mean(1), y1.mean(1) - y0.mean(1),
                 centred(x0, x0) + centred(x1, x1), centred(x0, y0) + centred(x1, y1),
                 centred(y0, y0) + centred(y1, y1), n0, n1)
    for i in range(len(x0)):  # reference: ordinary least squares y ~ 1 + arm + x
        x = np.concatenate([x0[i], x1[i]])
        y = np.concatenate([y0[i], y1[i]])
        design = np.column_stack([np.ones_like(x), np.r_[np.zeros(n0), np.ones(n1)], x])
        coef, rss, *_ = np.linalg.lstsq(design, y, rcond=None)
        cov = rss[0] / (len(y) - 3) * np.linalg.inv(design.T @ design)
        assert est.estimate[i] == pytest.approx(coef[1], rel=1e-10)
        assert est.se[i] == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-9)
    assert np.all(est.df == n0 + n1 - 3)


def test_two_proportions_matches_chi_square_without_correction():
    r0 = np.array([10, 20, 3, 0])
    r1 = np.array([18, 20, 9, 4])
    n0, n1 = 40, 50
    est = two_proportions(r0, n0, r1, n1)
    for i in range(len(r0)):
        table = [[r1[i], n1 - r1[i]], [r0[i], n0 - r0[i]]]
        p = stats.chi2_contingency(table, correction=False).pvalue
        assert est.pvalues(sided=2, benefit_sign=1)[i] == pytest.approx(p, rel=1e-9)


def test_log_risk_ratio_matches_metafor_escalc():
    # R 4.2, metafor:
    #   escalc(measure="RR", ai=c(12,0,7,30), n1i=c(60,40,100,30),
    #          ci=c(4,3,0,10), n2i=c(60,40,100,30))
    yi = [1.09861228867, -1.94591014906, 2.70805020110, 1.06635142645]
    vi = [0.3000000000000, 2.2369337979094, 2.1135313531353, 0.0635088514517]
    est = log_risk_ratio(np.array([12, 0, 7, 30]), np.array([60, 40, 100, 30]),
                         np.array([4, 3, 0, 10]), np.array([60, 40, 100, 30]))
    np.testing.assert_allclose(est.estimate, yi, rtol=1e-10)
    np.testing.assert_allclose(est.se**2, vi, rtol=1e-10)


# R 4.2.2, metafor 3.8-1 (add = 1/2 to every cell of a table with a zero cell, drop00 = FALSE):
#   d <- escalc(measure = "RR", ai = c(12, 0, 3, 0, 40, 7), n1i = c(50, 20, 30, 25, 40, 100),
#               ci = c(20, 2, 0, 0, 30, 15), n2i = c(50, 21, 30, 25, 40, 98))
#   f <- rma(yi, vi, data = d, method = "DL"); c(f$b, f$se, f$tau2, f$ci.lb, f$ci.ub)
ESCALC = [  # (events active, n active, events placebo, n placebo), yi, vi
    ((12, 50, 20, 50), -0.510825623766, 0.0933333333333),
    ((0, 20, 2, 21), -1.5629178968, 2.30692640693),     # no event in the active arm
    ((3, 30, 0, 30), 1.94591014906, 2.22119815668),     # none in the placebo arm
    ((0, 25, 0, 25), 0.0, 3.92307692308),               # none in either arm (kept)
    ((40, 40, 30, 40), 0.283575290499, 0.00869775546571),  # every active patient
    ((7, 100, 15, 98), -0.782342759364, 0.189319727891),
]


def test_log_risk_ratio_zero_cells_and_the_binary_update_match_metafor():
    a1, n1, a0, n0 = (np.array(x) for x in zip(*[row[0] for row in ESCALC], strict=True))
    est = log_risk_ratio(a1, n1, a0, n0)
    np.testing.assert_allclose(est.estimate, [row[1] for row in ESCALC], atol=1e-10, rtol=0)
    np.testing.assert_allclose(est.se ** 2, [row[2] for row in ESCALC], atol=1e-10, rtol=0)
    fit = meta_analyse(est.estimate, est.se, method="dl")
    np.testing.assert_allclose([fit.estimate, fit.se, fit.tau2, fit.ci_low, fit.ci_high],
                               [-0.203219650794, 0.331966737482, 0.289527331623,
                                -0.853862500323, 0.447423198736], atol=1e-9, rtol=0)


def test_log_risk_ratio_ci_matches_scipy_relative_risk():
    est = log_risk_ratio(np.array([25]), 80, np.array([10]), 90)
    ci = stats.contingency.relative_risk(25, 80, 10, 90).confidence_interval(0.95)
    dec = decide(est, alpha=0.05, sided=2, benefit_sign=1)
    assert np.exp(dec.ci_low[0]) == pytest.approx(ci.low, rel=1e-9)
    assert np.exp(dec.ci_high[0]) == pytest.approx(ci.high, rel=1e-9)


def test_critical_values_per_distinct_df():
    df = np.array([5.0, 10.0, 5.0, np.inf])
    np.testing.assert_allclose(critical_values(0.975, df),
                               [stats.t.ppf(0.975, 5), stats.t.ppf(0.975, 10),
                                stats.t.ppf(0.975, 5), stats.norm.ppf(0.975)])


def test_critical_values_of_a_curve_with_one_df_per_size():
    """(sizes, trials) df constant along each size (a curve without dropout)
    take a short cut; it gives each size's quantile, as the general path does
    once one trial's df differs."""
    per_size = np.array([2.0, 18.0, 398.0, np.inf])
    df = np.repeat(per_size[:, None], 5, axis=1)
    want = [stats.t.ppf(0.975, d) if np.isfinite(d) else stats.norm.ppf(0.975) for d in per_size]
    got = critical_values(0.975, df)
    assert got.shape == df.shape
    np.testing.assert_allclose(got, np.repeat(np.array(want)[:, None], 5, axis=1), rtol=1e-12)
    mixed = df.copy()
    mixed[1, 3] = 17.0  # one trial lost a patient: the general path
    general = critical_values(0.975, mixed)
    assert general[1, 3] == pytest.approx(stats.t.ppf(0.975, 17.0), rel=1e-12)
    np.testing.assert_array_equal(np.delete(general.ravel(), 8), np.delete(got.ravel(), 8))


def test_decide_directions():
    est = TrialEstimates(estimate=np.array([-2.0, 2.0, -0.1, np.nan]), se=np.ones(4),
                         statistic=np.array([-3.0, 3.0, -0.1, 0.0]), df=np.full(4, np.inf))
    two = decide(est, alpha=0.05, sided=2, benefit_sign=-1)
    np.testing.assert_array_equal(two.reject, [True, True, False, False])
    np.testing.assert_array_equal(two.reject_benefit, [True, False, False, False])
    one = decide(est, alpha=0.05, sided=1, benefit_sign=-1)
    np.testing.assert_array_equal(one.reject, [True, False, False, False])


def test_too_small_trials_are_not_analysable():
    est = student_t(np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([0, 5]), np.array([5, 5]))
    assert np.isnan(est.estimate[0]) and not np.isnan(est.estimate[1])
    assert not decide(est, alpha=0.05, sided=2, benefit_sign=-1).reject[0]


def test_jump_to_reference_completed_moments_equal_the_imputed_data_moments():
    """The completed data's moments from prefix sums (withdrawn y = c + b x +
    sigma eps) equal those of the explicitly imputed patients."""
    from simulator.analysis.imputation import _ArmSums
    from simulator.moments import PatientArm, Prefix, observed_moments

    rng = np.random.default_rng(3)
    k, n = 4, 12
    prefix = Prefix([5, 9, 12])
    x, y = rng.normal(6, 1.3, (k, n)), rng.normal(5, 2.5, (k, n))
    keep = rng.random((k, n)) > 0.3
    arm = PatientArm(prefix=prefix, x=x, y=y, keep=keep)
    c, b, sigma = (rng.normal(size=(k, 3)) for _ in range(3))
    sigma = np.abs(sigma)
    eps = np.where(keep, 0.0, rng.standard_normal((k, n)))
    got = _ArmSums(arm, 6.0, k).completed(c, b, sigma, eps)
    for g, size in enumerate([5, 9, 12]):
        imputed = c[:, g:g + 1] + b[:, g:g + 1] * (x - 6.0) + sigma[:, g:g + 1] * eps
        full = np.where(keep, y - 6.0, imputed)
        want = observed_moments(Prefix([size]), x[:, :size] - 6.0, full[:, :size], None, k)
        for name in ("n", "mean_x", "mean_y", "cxx", "cyy", "cxy"):
            np.testing.assert_allclose(getattr(got, name)[:, g], getattr(want, name)[:, 0],
                                       rtol=1e-10, atol=1e-10, err_msg=name)


def test_counts_the_same_in_every_trial_give_the_numbers_of_full_counts():
    """A curve without dropout hands over (trials, sizes) counts broadcast over
    the trials: student_t works df and 1/n out once per size, with the same
    numbers as from full arrays (and NaN where a size cannot be analysed)."""
    rng = np.random.default_rng(3)
    k, sizes = 40, np.array([1.0, 2.0, 5.0, 30.0])
    n = np.broadcast_to(sizes, (k, len(sizes)))
    diff, ss = rng.normal(size=(k, 4)), rng.chisquare(3, size=(k, 4))
    compact = student_t(diff, ss, n, n)  # the size of 1 per arm cannot be analysed
    full = student_t(diff, ss, np.array(n), np.array(n))
    assert np.isnan(compact.estimate[:, 0]).all() and np.isfinite(compact.estimate[:, 1:]).all()
    for a, b in zip((compact.estimate, compact.se, compact.statistic, compact.df),
                    (full.estimate, full.se, full.statistic, full.df)):
        assert a.shape == b.shape == (k, 4)
        np.testing.assert_array_equal(a, b)
    every = student_t(diff[:, 1:], ss[:, 1:], n[:, 1:], n[:, 1:])  # every size analysable
    assert every.df.strides[0] == 0 and np.isfinite(every.estimate).all()
    crit = critical_values(0.975, every.df.T)  # (sizes, trials), one df per size
    np.testing.assert_array_equal(crit, stats.t.ppf(0.975, np.array(every.df.T)))


@pytest.mark.parametrize("margin", [0.0, np.broadcast_to(0.0, (3, 5)),
                                    np.broadcast_to(0.25, (3, 5)),
                                    np.linspace(0.0, 0.5, 15).reshape(3, 5)],
                         ids=["scalar-0", "broadcast-0", "broadcast-0.25", "per-trial"])
@pytest.mark.parametrize("sided", [1, 2])
def test_decide_masks_unanalysable_trials_and_adds_any_margin(margin, sided):
    """decide skips masking when every trial is analysable and skips a zero
    margin: the decisions and intervals are those of the plain formula."""
    rng = np.random.default_rng(11)
    estimate = rng.normal(-1.0, 1.0, (3, 5))
    estimate[1, 2] = np.nan  # one trial that cannot be analysed
    se = rng.uniform(0.2, 0.6, (3, 5))
    masked = TrialEstimates(estimate=estimate, se=se, statistic=np.nan_to_num(estimate / se),
                            df=np.full((3, 5), 30.0), margin=margin)
    whole = np.where(np.isnan(estimate), -1.0, estimate)  # every trial analysable
    every = TrialEstimates(estimate=whole, se=se, statistic=whole / se, df=masked.df,
                           margin=margin)
    crit = stats.t.ppf(1 - 0.05 / sided, 30.0)
    for e in (masked, every):
        dec = decide(e, alpha=0.05, sided=sided, benefit_sign=-1)
        valid, stat = np.isfinite(e.estimate), e.statistic
        reject = (np.abs(stat) > crit if sided == 2 else -stat > crit) & valid
        half = crit * se + margin
        np.testing.assert_array_equal(dec.reject, reject)
        np.testing.assert_array_equal(dec.reject_benefit, reject & (-stat > 0))
        np.testing.assert_allclose(dec.ci_low, e.estimate - half, rtol=1e-15)
        np.testing.assert_allclose(dec.ci_high, e.estimate + half, rtol=1e-15)


def test_critical_values_of_whole_df_come_from_a_table_with_the_quantiles_of_scipy():
    """With dropout a block's df are whole numbers varying by trial: they are
    looked up in a table per quantile, grown as runs need it; fractional df
    (Welch) and the normal (inf) are not."""
    rng = np.random.default_rng(5)
    for hi in (40, 400, 3000):  # the table grows
        df = rng.integers(1, hi, size=(7, 50)).astype(float)
        np.testing.assert_array_equal(critical_values(0.975, df), stats.t.ppf(0.975, df))
    welch = rng.uniform(2.0, 60.0, size=30)
    np.testing.assert_allclose(critical_values(0.95, welch), stats.t.ppf(0.95, welch),
                               rtol=1e-13)
    mixed = np.array([5.0, np.inf, 12.0])
    np.testing.assert_allclose(critical_values(0.975, mixed),
                               [stats.t.ppf(0.975, 5), stats.norm.ppf(0.975),
                                stats.t.ppf(0.975, 12)], rtol=1e-13)


@pytest.mark.parametrize("analysis", ["followup", "change", "ancova"])
def test_pooled_many_to_one_comparisons_match_least_squares_per_trial(analysis):
    """Three arms, variance (and ANCOVA's slope) pooled over all of them: the
    regression y ~ 1 + arm_1 + arm_2 (+ x), or on the change y - x."""
    from simulator.analysis.arms import pooled_comparisons
    from simulator.moments import ArmMoments

    rng = np.random.default_rng(11)
    sizes, k = (12, 17, 25), 20
    x = [rng.normal(6, 1.3, (k, n)) for n in sizes]
    y = [0.5 * xi + rng.normal(2 - 0.4 * j, 2.0, (k, n)) for j, (xi, n) in enumerate(zip(x, sizes))]

    def centred(a, b):
        return ((a - a.mean(1, keepdims=True)) * (b - b.mean(1, keepdims=True))).sum(1)

    arms = [ArmMoments(n=np.full(k, float(n)), mean_y=yi.mean(1), cyy=centred(yi, yi),
                       mean_x=xi.mean(1), cxx=centred(xi, xi), cxy=centred(xi, yi))
            for n, xi, yi in zip(sizes, x, y)]
    got = pooled_comparisons(analysis, arms)
    for i in range(k):
        xs, ys = np.concatenate([a[i] for a in x]), np.concatenate([a[i] for a in y])
        arm = np.repeat([0, 1, 2], sizes)
        columns = [np.ones_like(xs), arm == 1, arm == 2]
        outcome = ys - xs if analysis == "change" else ys
        if analysis == "ancova":
            columns.append(xs)
        design = np.column_stack(columns).astype(float)
        coef, rss, *_ = np.linalg.lstsq(design, outcome, rcond=None)
        df = len(ys) - design.shape[1]
        cov = rss[0] / df * np.linalg.inv(design.T @ design)
        for j, comparison in enumerate(got, start=1):
            assert comparison.estimate[i] == pytest.approx(coef[j], rel=1e-10, abs=1e-12)
            assert comparison.se[i] == pytest.approx(np.sqrt(cov[j, j]), rel=1e-9)
            assert comparison.df[i] == df
