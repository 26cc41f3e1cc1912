"""The former REML and Paule-Mandel loops, kept verbatim as references.

The fits of :mod:`simulator.analysis.metaanalysis` now stop per future (REML
at its tolerance, Paule-Mandel by safeguarded Newton steps). These are the
loops they replaced: every future iterating until the slowest has converged
(REML), and 200 bisection steps for every future (Paule-Mandel).
``tests/analysis/test_tau2_estimators.py`` checks the new fits against them
and ``benchmarks/bench_meta.py`` times them; neither keeps a copy.
"""

from __future__ import annotations

import numpy as np

from simulator.analysis import metaanalysis as ma

__all__ = ["former_reml", "former_pm"]


def former_reml(y, v, start, *, max_iter=500, tol=1e-12):
    """The former REML: every future iterates until the slowest has converged.

    Raises RuntimeError after ``max_iter`` steps (the former limit was 500).
    """
    tau2 = start.copy()
    for _ in range(max_iter):
        w, sw, mu = ma._pooled(y, v, tau2)
        w2 = w * w
        new = np.maximum(0.0, (w2 * ((y - mu[..., None]) ** 2 - v)).sum(axis=-1)
                         / w2.sum(axis=-1) + 1.0 / sw)
        if np.max(np.abs(new - tau2), initial=0.0) < tol:
            return new
        tau2 = new
    raise RuntimeError("REML did not converge")


def former_pm(y, v, *, iterations=200):
    """The former Paule-Mandel: 200 bisection steps for every future."""
    k = y.shape[-1]

    def gen_q(tau2):
        w, _, mu = ma._pooled(y, v, tau2)
        return (w * (y - mu[..., None]) ** 2).sum(axis=-1)

    zero = np.zeros(y.shape[:-1])
    positive = gen_q(zero) > k - 1
    lo = zero
    hi = np.var(y, axis=-1, ddof=1) * 1.000001 + 1e-12
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        above = gen_q(mid) > k - 1
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return np.where(positive, 0.5 * (lo + hi), 0.0)
