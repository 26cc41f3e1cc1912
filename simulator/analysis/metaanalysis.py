"""Inverse-variance meta-analysis, vectorized over simulated updates.

Studies lie on the last axis; any leading axes (one per simulated future)
are fitted at once. Methods: fixed effect; random effects with
DerSimonian-Laird (tau^2 truncated at 0), REML (Fisher scoring) and
Paule-Mandel (bisection on the generalised Q); optional Hartung-Knapp-Sidik-
Jonkman (HKSJ) standard errors with t(k - 1) intervals (Hartung & Knapp 2001;
Sidik & Jonkman 2002), and the modified HKSJ whose variance factor is
truncated at 1 (``hksj_truncate``: Röver, Knapp & Friede 2015; Jackson, Law,
Rücker & Schwarzer 2017), so that its interval is never narrower than the
plain random-effects one with the same t quantile. Conventions follow R's
metafor (``rma``; the truncation is its ``test = "adhoc"``), against which the
tests check every quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._lazy import special, stats
from ..errors import ConvergenceError, ScenarioError

__all__ = ["MetaAnalysis", "meta_analyse", "METHODS"]

METHODS = ("fixed", "dl", "reml", "pm")
Method = Literal["fixed", "dl", "reml", "pm"]


@dataclass(frozen=True, slots=True)
class MetaAnalysis:
    """A fitted meta-analysis; array fields have the leading (simulation) shape.

    Attributes
    ----------
    estimate, se : ndarray
        Pooled estimate and its standard error (HKSJ-adjusted if asked).
    ci_low, ci_high : ndarray
        ``1 - alpha`` confidence interval (normal, or t(k - 1) with HKSJ).
    tau2 : ndarray
        Between-study variance (0 for the fixed-effect model).
    i2 : ndarray
        I^2 as a proportion: ``tau2 / (tau2 + s^2)`` with metafor's typical
        within-study variance ``s^2`` (fixed effect: ``(Q - df) / Q``).
    q : ndarray
        Cochran's Q of the fixed-effect fit.
    pvalue : ndarray
        Two-sided p-value of the pooled estimate.
    k : int
    method : str
    hksj : bool
    hksj_truncated : bool
        Whether the HKSJ variance factor was truncated at 1 (modified HKSJ).
    """

    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    tau2: np.ndarray
    i2: np.ndarray
    q: np.ndarray
    pvalue: np.ndarray
    k: int
    method: str
    hksj: bool
    hksj_truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Scalars as a JSON-ready dictionary (``trialsim meta --json``)."""
        def f(x):
            return float(np.asarray(x))
        return {"estimate": f(self.estimate), "se": f(self.se),
                "ci": [f(self.ci_low), f(self.ci_high)], "tau2": f(self.tau2),
                "i2": f(self.i2), "q": f(self.q), "pvalue": f(self.pvalue), "k": self.k,
                "method": self.method, "hksj": self.hksj}


def _pooled(y, v, tau2):
    w = 1.0 / (v + tau2[..., None])
    sw = w.sum(axis=-1)
    mu = (w * y).sum(axis=-1) / sw
    return w, sw, mu


def _tau2_dl(y, v, q):
    w = 1.0 / v
    sw = w.sum(axis=-1)
    c = sw - (w * w).sum(axis=-1) / sw
    k = y.shape[-1]
    return np.maximum(0.0, (q - (k - 1)) / c)


def _tau2_reml(y, v, start, *, max_iter=5000, tol=1e-12):
    """REML by Fisher scoring, each future stopping once its step is below ``tol``.

    Near tau^2 = 0 a future can creep for a thousand steps; the futures that
    have stopped leave the arrays iterated once they are half of them.
    """
    k = y.shape[-1]
    idx = np.arange(start.size)
    yl, vl, old = y.reshape(-1, k), v.reshape(-1, k), start.reshape(-1).astype(float)
    tau2, moving = old.copy(), np.ones(idx.size, bool)
    for _ in range(max_iter):
        w, sw, mu = _pooled(yl, vl, old)
        w2 = w * w
        new = np.maximum(0.0, (w2 * ((yl - mu[..., None]) ** 2 - vl)).sum(axis=-1)
                         / w2.sum(axis=-1) + 1.0 / sw)
        tau2[idx[moving]] = new[moving]
        moving &= np.abs(new - old) >= tol
        if not moving.any():
            return tau2.reshape(start.shape)
        if 2 * moving.sum() < moving.size:
            idx, yl, vl, new, moving = idx[moving], yl[moving], vl[moving], new[moving], \
                moving[moving]
        old = new
    raise ConvergenceError(f"REML did not converge in {max_iter} Fisher-scoring steps")


def _tau2_pm(y, v, *, xtol=1e-13, max_iter=200):
    """Paule-Mandel: the tau^2 where Q(tau^2) = k - 1 (0 where Q(0) <= k - 1).

    Newton steps on Q, whose derivative is ``-sum w^2 (y - mu)^2``, kept inside a
    bisection bracket (a step that leaves it is a bisection); each future stops
    once its step is below ``xtol * (1 + tau^2)``.
    """
    k = y.shape[-1]
    ys, vs = y.reshape(-1, k), v.reshape(-1, k)
    tau2 = np.zeros(ys.shape[0])
    _, _, mu = _pooled(ys, vs, tau2)
    live = np.flatnonzero((((ys - mu[:, None]) ** 2) / vs).sum(axis=-1) > k - 1)
    lo = np.zeros(live.size)
    # Q(tau2) <= sum (y - mean y)^2 / tau2, so Q < k - 1 once tau2 > var(y).
    hi = np.var(ys[live], axis=-1, ddof=1) * 1.000001 + 1e-12
    t = np.zeros(live.size)
    for _ in range(max_iter):
        w, _, mu = _pooled(ys[live], vs[live], t)
        r2 = (ys[live] - mu[:, None]) ** 2
        excess = (w * r2).sum(axis=-1) - (k - 1)
        lo, hi = np.where(excess > 0, t, lo), np.where(excess > 0, hi, t)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = t + excess / (w * w * r2).sum(axis=-1)
        new = np.where((step > lo) & (step < hi), step, 0.5 * (lo + hi))
        done = (np.abs(new - t) <= xtol * (1.0 + new)) | (excess == 0)
        tau2[live] = np.where(excess == 0, t, new)
        keep = ~done
        live, lo, hi, t = live[keep], lo[keep], hi[keep], new[keep]
        if live.size == 0:
            break
    return tau2.reshape(y.shape[:-1])


def meta_analyse(y, se=None, *, v=None, method: Method = "dl", hksj: bool = False,
                 alpha: float = 0.05, tau2=None, hksj_truncate: bool = False) -> MetaAnalysis:
    """Pool study estimates by inverse variance.

    Parameters
    ----------
    y : array_like, shape (..., k)
        Study estimates.
    se, v : array_like, shape (..., k)
        Their standard errors, or variances.
    method : {"fixed", "dl", "reml", "pm"}
        Fixed effect, DerSimonian-Laird, REML or Paule-Mandel.
    hksj : bool
        Hartung-Knapp-Sidik-Jonkman standard error and t(k - 1) interval.
    alpha : float
        1 - confidence level.
    tau2 : float or array_like, optional
        Hold tau^2 at this value instead of estimating it.
    hksj_truncate : bool
        With ``hksj``: the modified HKSJ (Röver et al. 2015), the variance
        factor ``q = sum w (y - mu)^2 / (k - 1)`` replaced by ``max(1, q)``.

    Returns
    -------
    MetaAnalysis

    Examples
    --------
    >>> fit = meta_analyse([-1.2, -0.4, -2.1, 0.3, -0.9], [0.5, 0.7, 0.9, 0.6, 0.4])
    >>> round(float(fit.estimate), 6), round(float(fit.tau2), 6)
    (-0.790295, 0.204606)
    >>> flat = meta_analyse([-0.8, -0.7, -0.9], [0.5, 0.5, 0.5], hksj=True, hksj_truncate=True)
    >>> round(float(flat.se), 6)  # q = 0.04 < 1: the SE of the plain fit, 0.5 / sqrt(3)
    0.288675
    """
    y = np.asarray(y, dtype=float)
    v = np.asarray(se, dtype=float) ** 2 if v is None else np.asarray(v, dtype=float)
    y, v = np.broadcast_arrays(y, v)
    k = y.shape[-1]
    if method not in METHODS:
        raise ScenarioError(f"method = {method!r}: must be one of {', '.join(METHODS)}")
    if k < 1 or np.any(v <= 0) or not np.all(np.isfinite(y)):
        raise ScenarioError("meta-analysis needs at least one study, finite estimates and "
                            "positive standard errors")
    if hksj and k < 2:
        raise ScenarioError("hksj needs at least 2 studies")
    if hksj_truncate and not hksj:
        raise ScenarioError("hksj_truncate = True: truncates the HKSJ factor, so it needs "
                            "hksj = True")
    zero = np.zeros(y.shape[:-1])
    _, sw_fe, mu_fe = _pooled(y, v, zero)
    q = ((y - mu_fe[..., None]) ** 2 / v).sum(axis=-1)
    if tau2 is not None:
        t2 = np.broadcast_to(np.asarray(tau2, dtype=float), zero.shape).copy()
    elif method == "fixed" or k == 1:
        t2 = zero
    elif method == "dl":
        t2 = _tau2_dl(y, v, q)
    elif method == "reml":
        t2 = _tau2_reml(y, v, _tau2_dl(y, v, q))
    else:
        t2 = _tau2_pm(y, v)
    w, sw, mu = _pooled(y, v, t2)
    se_mu = np.sqrt(1.0 / sw)
    if hksj:
        scale = (w * (y - mu[..., None]) ** 2).sum(axis=-1) / (k - 1)
        if hksj_truncate:
            scale = np.maximum(scale, 1.0)
        se_mu = np.sqrt(scale / sw)
        crit = stats.t.ppf(1 - alpha / 2, k - 1)
        pvalue = 2 * special.stdtr(k - 1, -np.abs(mu / se_mu))
    else:
        crit = stats.norm.ppf(1 - alpha / 2)
        pvalue = 2 * special.ndtr(-np.abs(mu / se_mu))
    w_fe = 1.0 / v
    s2 = (k - 1) * w_fe.sum(axis=-1) / (w_fe.sum(axis=-1) ** 2 - (w_fe * w_fe).sum(axis=-1)) \
        if k > 1 else np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "fixed" and tau2 is None:
            i2 = np.where(q > 0, np.maximum(0.0, (q - (k - 1)) / q), 0.0)
        else:
            i2 = t2 / (t2 + s2)
    return MetaAnalysis(estimate=mu, se=se_mu, ci_low=mu - crit * se_mu,
                        ci_high=mu + crit * se_mu, tau2=t2, i2=i2, q=q, pvalue=pvalue, k=k,
                        method=method, hksj=hksj, hksj_truncated=bool(hksj_truncate))
