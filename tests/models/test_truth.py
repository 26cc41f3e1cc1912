"""True estimand values by quadrature, against independent closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulator import Pain, true_effect
from simulator.models.truth import arm_truth
from simulator.spec.pain import inclusion_probability


def test_unbounded_means_are_the_model_means():
    pain = Pain(effect=-1.2, placebo_change=-0.8)
    t0, t1 = arm_truth(pain, False), arm_truth(pain, True)
    assert t0.baseline == pytest.approx(6.5, abs=1e-10)
    assert t0.followup == pytest.approx(6.5 - 0.8, abs=1e-10)
    assert t1.followup - t0.followup == pytest.approx(-1.2, abs=1e-10)
    assert true_effect(pain) == -1.2


@pytest.mark.parametrize("cutoff", [0.3, 0.5])
@pytest.mark.parametrize("active", [False, True])
def test_responder_rate_matches_bivariate_normal_cdf(cutoff, active):
    """P(Y <= (1 - c) X, X > 0) for bivariate normal (X, Y), by scipy's CDF of
    (Y - (1 - c) X, -X)."""
    pain = Pain(effect=-1.0, baseline_mean=5.0, baseline_sd=2.0, sd=2.5, correlation=0.4)
    mx, sx = pain.baseline_mean, pain.baseline_sd
    my = mx + pain.placebo_change + (pain.effect if active else 0.0)
    sy, r = pain.sd, pain.correlation
    cov = np.array([[sx * sx, r * sx * sy], [r * sx * sy, sy * sy]])
    a = np.array([[-(1 - cutoff), 1.0], [-1.0, 0.0]])  # (Y - (1-c)X, -X)
    mean = a @ np.array([mx, my])
    ref = stats.multivariate_normal(mean, a @ cov @ a.T).cdf([0.0, 0.0])
    assert arm_truth(pain, active).responder_rate[cutoff] == pytest.approx(ref, abs=1e-6)


def test_bounded_means_match_discrete_sums():
    """Bounded, untruncated: E[round(clip(X))] from the normal's bin masses."""
    pain = Pain(effect=-1.0, bounded=True, baseline_mean=7.5, baseline_sd=2.0)
    edges = np.r_[-np.inf, np.arange(0.5, 10.0, 1.0), np.inf]
    mass = np.diff(stats.norm.cdf(edges, 7.5, 2.0))
    assert arm_truth(pain, False).baseline == pytest.approx(np.dot(np.arange(11), mass), abs=1e-8)
    my = 7.5 - 1.0 - 1.0
    mass_y = np.diff(stats.norm.cdf(edges, my, 2.5))
    assert arm_truth(pain, True).followup == pytest.approx(np.dot(np.arange(11), mass_y), abs=1e-8)


def test_truncated_baseline_mean_matches_scipy_truncnorm():
    pain = Pain(effect=0.0, inclusion_min=6.0, baseline_mean=6.5, baseline_sd=1.3)
    a = (6.0 - 6.5) / 1.3
    assert arm_truth(pain, False).baseline == pytest.approx(
        stats.truncnorm(a, np.inf, loc=6.5, scale=1.3).mean(), abs=1e-9)
    assert inclusion_probability(pain) == pytest.approx(stats.norm.sf(a), abs=1e-12)


def test_inclusion_probability_keeps_its_digits_in_either_tail():
    """An inclusion range far above (or below) the mean: the difference of the
    two upper (lower) tails, to 1e-12 relative."""
    high = Pain(effect=0.0, inclusion_min=6.0, inclusion_max=6.5, baseline_mean=2.0, baseline_sd=1.0)
    assert inclusion_probability(high) == pytest.approx(
        stats.norm.sf(4.0) - stats.norm.sf(4.5), rel=1e-12)
    low = Pain(effect=0.0, inclusion_min=3.5, inclusion_max=4.0, baseline_mean=8.0, baseline_sd=1.0)
    assert inclusion_probability(low) == pytest.approx(
        stats.norm.cdf(-4.0) - stats.norm.cdf(-4.5), rel=1e-12)


def test_clipping_shrinks_the_effect():
    pain = Pain(effect=-2.0, bounded=True, baseline_mean=2.0, placebo_change=-1.0)
    assert -2.0 < true_effect(pain) < 0.0


def test_bounded_inclusion_limits_round_inwards_to_whole_scores():
    """NRS >= 4.3 on an integer scale enrols observed scores 5..10 only."""
    pain = Pain(effect=0.0, bounded=True, inclusion_min=4.3, baseline_mean=5.0, baseline_sd=2.0)
    edges = np.r_[np.arange(4.5, 10.0, 1.0), np.inf]
    mass = np.diff(stats.norm.cdf(edges, 5.0, 2.0))
    expected = np.dot(np.arange(5, 11), mass) / mass.sum()
    assert arm_truth(pain, False).baseline == pytest.approx(expected, abs=1e-8)
    assert inclusion_probability(pain) == pytest.approx(mass.sum(), abs=1e-12)
