"""Rubin's rules against R's mice."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.analysis.imputation import rubin

# R 4.2, mice 3.15:
#   pool.scalar(Q, U, n = n, k = 2)   # dfcom = n - k; qbar, t and the Barnard-Rubin df
#   Q = c(1.2, 0.9, 1.5, 1.1, 1.3), U = c(0.20, 0.22, 0.18, 0.21, 0.19), n = 62
#   Q = c(-0.3, -0.31, -0.29), U = rep(0.05, 3), n = 202
#   Q = c(0.5, 2.5, -1.0, 1.0), U = rep(0.1, 4), n = 22
CASES = [
    ([1.2, 0.9, 1.5, 1.1, 1.3], [0.20, 0.22, 0.18, 0.21, 0.19], 60,
     (1.2, 0.26, 28.018535882697)),
    ([-0.3, -0.31, -0.29], [0.05] * 3, 200, (-0.3, 0.050133333333, 197.365022403308)),
    ([0.5, 2.5, -1.0, 1.0], [0.1] * 4, 20, (0.75, 2.704166666667, 0.558662640225)),
]


def test_pooled_estimate_variance_and_df_match_mice_pool_scalar():
    for q, u, df_complete, (qbar, total, df) in CASES:
        est, var = np.array(q)[:, None], np.array(u)[:, None]
        got_q, got_se, got_df = rubin(est, var, np.array([float(df_complete)]))
        assert got_q[0] == pytest.approx(qbar, abs=1e-12)
        assert got_se[0] ** 2 == pytest.approx(total, rel=1e-10)
        assert got_df[0] == pytest.approx(df, rel=1e-10)


def test_each_column_is_pooled_on_its_own():
    """Trials in columns: the third case beside another trial gives its own numbers."""
    q = np.array([[1.2, 0.5], [0.9, 2.5], [1.5, -1.0], [1.1, 1.0]])
    u = np.array([[0.20, 0.1], [0.22, 0.1], [0.18, 0.1], [0.21, 0.1]])
    qbar, se, df = rubin(q, u, np.array([60.0, 20.0]))
    assert (qbar[1], se[1] ** 2, df[1]) == pytest.approx(CASES[2][3], rel=1e-10)
