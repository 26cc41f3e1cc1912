"""REML and Paule-Mandel stopping per future: the same tau^2 as before and as metafor.

Each future of a vectorized fit now stops at its own tolerance (REML) or by
safeguarded Newton steps (Paule-Mandel) instead of all futures iterating until
the slowest converges (REML) or 200 bisection steps (Paule-Mandel). The
references: the former implementations, kept verbatim in ``tau2_former.py``, and R metafor's
values with tolerances 1e-14 (``tests/analysis/test_metaanalysis.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from tau2_former import former_pm, former_reml
from test_metaanalysis import METAFOR, SETS

from simulator.analysis import metaanalysis as ma


def futures(shape, k, seed):
    rng = np.random.default_rng(seed)
    se = rng.uniform(0.1, 1.5, (*shape, k))
    y = rng.normal(-0.4, 1.0, (*shape, 1)) * rng.uniform(0, 1, (*shape, 1)) \
        + rng.normal(0, 1, (*shape, k)) * np.sqrt(se**2 + rng.uniform(0, 0.6, (*shape, 1)))
    return y, se**2


@pytest.mark.parametrize("shape, k", [((3000,), 2), ((3000,), 5), ((40, 50), 12), ((), 4)])
def test_per_future_stopping_gives_the_former_tau2_to_1e10(shape, k):
    y, v = futures(shape, k, seed=k)
    q = ((y - ma._pooled(y, v, np.zeros(shape))[2][..., None]) ** 2 / v).sum(axis=-1)
    start = ma._tau2_dl(y, v, q)
    new_pm, new_reml = ma._tau2_pm(y, v), ma._tau2_reml(y, v, start)
    assert new_pm.shape == new_reml.shape == shape
    assert np.max(np.abs(new_pm - former_pm(y, v)), initial=0) < 1e-10
    assert np.max(np.abs(new_reml - former_reml(y, v, start, max_iter=5000)), initial=0) < 1e-10
    assert 0 < np.mean(new_pm == 0) < 1 or shape == ()  # both branches are exercised


def test_reml_lets_a_slow_future_take_more_than_500_steps():
    """Seed 5, k = 5: one future creeps towards its tau^2 near 0 for over 1,000 steps
    (the former limit of 500 raised ConvergenceError for the whole fit)."""
    y, v = futures((3000,), 5, seed=5)
    q = ((y - ma._pooled(y, v, np.zeros(3000))[2][..., None]) ** 2 / v).sum(axis=-1)
    start = ma._tau2_dl(y, v, q)
    with pytest.raises(RuntimeError, match="did not converge"):
        former_reml(y, v, start, max_iter=500)
    assert np.all(np.isfinite(ma._tau2_reml(y, v, start)))


@pytest.mark.parametrize("row", [r for r in METAFOR if r[1] in ("REML", "PM") and not r[2]],
                         ids=lambda r: f"{r[0]}-{r[1]}")
def test_tau2_and_estimate_match_metafor_to_1e9(row):
    name, method, _, est, se, _, _, tau2, _, _, _ = row
    y, s = SETS[name]
    fit = ma.meta_analyse(y, s, method=method.lower())
    assert abs(float(fit.tau2) - tau2) < 1e-9
    assert abs(float(fit.estimate) - est) < 1e-9
    assert abs(float(fit.se) - se) < 1e-9
