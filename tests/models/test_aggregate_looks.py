"""The interim looks' sampler draws the exact joint law of the looks' statistics.

References, no random numbers: at look k the difference of means is normal
with variance ``V_k = sd^2 (1/n0_k + 1/n1_k)``, the pooled sum of squares is
``sd^2 chi2(df_k)`` and independent of it (so t is Student's t with df_k);
nested looks share patients, so ``Cov(D_j, D_k) = V_k`` and ``Cov(SS_j,
SS_k) = 2 sd^4 df_j`` for j < k. The joint law of two looks' t statistics
is compared with the general aggregate grid (per-arm segments), an
independent simulation, within 4 combined Monte Carlo SE.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulator import Scenario
from simulator.analysis.arms import analyse_arms, two_sample_analysis
from simulator.models.aggregate import simulate_aggregate_grid
from simulator.models.aggregate_looks import looks_supported, simulate_aggregate_looks
from tests.conftest import Z_TOL

pytestmark = pytest.mark.statistical

N = 200_000
SD = 2.0


def scenario(allocation=(1, 1), dropout=0.0, analysis="followup") -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": 12, "allocation": list(allocation)},
        "pain": {"effect": -0.5, "sd": SD, "analysis": analysis},
        "dropout": {"rate": dropout}, "interim": {"looks": [0.34, 0.67, 1.0]}})


CASES = {  # grid: patients per arm at each look
    "proportional 1:1": (scenario(), [(4, 4), (8, 8), (12, 12)]),
    "proportional 1:2": (scenario((1, 2)), [(4, 8), (8, 16), (12, 24)]),
    "unequal segments": (scenario((1, 2)), [(4, 9), (8, 16), (12, 24)]),
    "dropout": (scenario(dropout=0.2), [(4, 4), (8, 8), (12, 12)]),
}


def looks(case, seed=1):
    s, grid = CASES[case]
    draw = simulate_aggregate_looks(s, N, np.random.default_rng(seed), grid)
    m = draw.two_sample
    shape = m.diff.shape
    n0, n1 = (np.broadcast_to(x, shape) for x in (m.n0, m.n1))
    est = two_sample_analysis("followup", "student", m)
    est = type(est)(est.estimate, est.se, est.statistic, np.broadcast_to(est.df, shape))
    return s, grid, m.diff, m.ss_pooled, n0, n1, est


def mean_se(x):
    return float(np.mean(x)), float(np.std(x) / math.sqrt(x.size))


@pytest.mark.parametrize("case", list(CASES))
def test_each_look_has_the_exact_t_distribution(case):
    s, grid, diff, ss, n0, n1, est = looks(case)
    for k in range(len(grid)):
        ok = (n0[:, k] >= 1) & (n1[:, k] >= 1) & (est.df[:, k] >= 1)
        z = (diff[:, k][ok] + 0.5) / (SD * np.sqrt(1 / n0[:, k][ok] + 1 / n1[:, k][ok]))
        p, se = mean_se(z * z)
        assert abs(p - 1.0) < Z_TOL * se, (case, k, p)  # E[Z^2] = 1
        q = ss[:, k][ok] / SD**2 / np.maximum(est.df[:, k][ok], 1)
        p, se = mean_se(q)
        assert abs(p - 1.0) < Z_TOL * se, (case, k, p)  # E[chi2 / df] = 1
        # centred at the true effect, D / se is Student's t with each trial's df
        tt = (diff[:, k][ok] + 0.5) / est.se[:, k][ok]
        expected = float(np.mean(stats.t.cdf(1.0, est.df[:, k][ok])))
        hit = float(np.mean(tt <= 1.0))
        assert abs(hit - expected) < Z_TOL * math.sqrt(expected * (1 - expected) / tt.size)


@pytest.mark.parametrize("case", ["proportional 1:1", "proportional 1:2", "unequal segments"])
def test_nested_looks_covary_as_shared_patients(case):
    s, grid, diff, ss, n0, n1, est = looks(case)
    j, k = 0, 2
    dj, dk = diff[:, j] + 0.5, diff[:, k] + 0.5
    cov, se = mean_se(dj * dk)
    v_k = SD**2 * (1 / n0[0, k] + 1 / n1[0, k])
    assert abs(cov - v_k) < Z_TOL * se, (cov, v_k)
    df_j, df_k = n0[0, j] + n1[0, j] - 2, n0[0, k] + n1[0, k] - 2
    prod = (ss[:, j] - SD**2 * df_j) * (ss[:, k] - SD**2 * df_k)
    cov, se = mean_se(prod)
    assert abs(cov - 2 * SD**4 * df_j) < Z_TOL * se, (cov, 2 * SD**4 * df_j)


@pytest.mark.parametrize("case", list(CASES))
def test_joint_law_matches_the_per_arm_segments(case):
    s, grid, *_, est = looks(case, seed=2)
    general = simulate_aggregate_grid(s, N, np.random.default_rng(3), grid)
    ref, _ = analyse_arms("followup", "student", list(general.arms))
    for a, b in ((0, 2), (1, 2), (0, 1)):
        p = [float(np.mean((e.statistic[:, a] <= -0.5) & (e.statistic[:, b] <= -1.0)))
             for e in (est, ref)]
        se = math.sqrt(sum(x * (1 - x) / N for x in p))
        assert abs(p[0] - p[1]) < Z_TOL * se, (case, a, b, p)


def test_only_two_arm_student_followup_or_change_with_looks():
    assert looks_supported(scenario(), 2)
    assert looks_supported(scenario(analysis="change"), 2)
    assert not looks_supported(scenario(), 3)
    assert not looks_supported(scenario(analysis="ancova"), 2)
    assert not looks_supported(scenario().with_overrides({"analysis.test": "welch"}), 2)
    fixed = Scenario.from_dict({"design": {"n_per_arm": 12}, "pain": {"effect": -0.5}})
    assert not looks_supported(fixed, 2)
