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

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._lazy import special, stats
from ..checks import check_flags
from ..errors import ConvergenceError, ScenarioError

__all__ = ["MetaAnalysis", "meta_analyse", "pool_studies", "METHODS"]

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

    @property
    def notes(self) -> tuple[str, ...]:
        """What a reader of a single fit must know: a zero-width interval, a null value."""
        out = []
        if self.hksj and not self.hksj_truncated and (np.asarray(self.se) == 0).any():
            out.append("the HKSJ variance factor is 0 (the studies agree exactly): se is 0, the "
                       "interval has zero width and pvalue is null; the modified HKSJ "
                       "(--hksj-truncate) keeps the factor at least 1")
        missing = [name for name in ("estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q",
                                     "pvalue") if not np.isfinite(getattr(self, name)).all()]
        if missing and not (missing == ["pvalue"] and out):
            out.append(f"{', '.join(missing)}: null: not computable in double precision")
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (``trialsim meta --json``): numbers, or nested lists
        of them for a batch of fits; a value that is not a finite number is null, with
        ``notes`` saying why."""
        def f(x):
            a = np.asarray(x, dtype=float)
            if a.ndim == 0:
                return float(a) if np.isfinite(a) else None
            return np.where(np.isfinite(a), a, None).tolist()
        out = {"estimate": f(self.estimate), "se": f(self.se),
               "ci": [f(self.ci_low), f(self.ci_high)], "tau2": f(self.tau2),
               "i2": f(self.i2), "q": f(self.q), "pvalue": f(self.pvalue), "k": self.k,
               "method": self.method, "hksj": self.hksj}
        if self.hksj_truncated:
            out["hksj_truncate"] = True
        if self.notes:
            out["notes"] = list(self.notes)
        return out


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
    # c is 0 when one study's weight swamps the others' (in double precision): as
    # with one study, there is no between-study information
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c > 0, np.maximum(0.0, (q - (k - 1)) / c), 0.0)


def _reml_step(y, v, tau2):
    """One Fisher-scoring step of REML: the next tau^2 (truncated at 0)."""
    w, sw, mu = _pooled(y, v, tau2)
    w2 = w * w
    return np.maximum(0.0, (w2 * ((y - mu[..., None]) ** 2 - v)).sum(axis=-1)
                      / w2.sum(axis=-1) + 1.0 / sw)


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
        new = _reml_step(yl, vl, old)
        tau2[idx[moving]] = new[moving]
        moving &= np.abs(new - old) >= tol
        if not moving.any():
            return tau2.reshape(start.shape)
        if 2 * moving.sum() < moving.size:
            idx, yl, vl, new, moving = idx[moving], yl[moving], vl[moving], new[moving], \
                moving[moving]
        old = new
    # Scoring converges slowly (or cycles) on some data: solve the same fixed
    # point by bisection where it did not converge.
    tau2[idx[moving]] = _reml_bisect(yl[moving], vl[moving], new[moving])
    return tau2.reshape(start.shape)


def _reml_bisect(y, v, near, *, steps=200):
    """The REML fixed point ``tau2 = step(tau2)`` by bisection, rows of ``y`` at once."""
    def gap(t):
        return _reml_step(y, v, t) - t

    lo = np.zeros(near.shape)
    hi = np.maximum(2.0 * near, 1e-12)
    for _ in range(2000):
        above = gap(hi) > 0
        if not above.any():
            break
        hi = np.where(above, 2.0 * hi, hi)
    else:
        raise ConvergenceError("REML did not converge (no bracket for tau^2)")
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        up = gap(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    return np.where(gap(np.zeros(near.shape)) <= 0, 0.0, 0.5 * (lo + hi))


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
    y, v = _studies(y, se, v)
    k = y.shape[-1]
    if method not in METHODS:
        raise ScenarioError(f"method = {method!r}: must be one of {', '.join(METHODS)}")
    check_flags(hksj=hksj, hksj_truncate=hksj_truncate)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ScenarioError(f"alpha = {alpha!r}: must be a number in (0, 1)")
    if tau2 is not None:
        held = _floats("tau2", tau2)
        if not (np.isfinite(held).all() and (held >= 0).all()):
            raise ScenarioError(f"tau2 = {tau2!r}: must be a finite number >= 0 (or None: "
                                "estimated)")
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
    else:
        crit = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):  # se 0: no p-value (NaN)
        z = np.where(se_mu > 0, mu / np.where(se_mu > 0, se_mu, 1.0), np.nan)
    pvalue = 2 * (special.stdtr(k - 1, -np.abs(z)) if hksj else special.ndtr(-np.abs(z)))
    w_fe = 1.0 / v
    spread = w_fe.sum(axis=-1) ** 2 - (w_fe * w_fe).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):  # one weight swamping: s2 = inf
        s2 = np.where(spread > 0, (k - 1) * w_fe.sum(axis=-1) / spread, np.inf) \
            if k > 1 else np.inf
        if method == "fixed" and tau2 is None:
            i2 = np.where(q > 0, np.maximum(0.0, (q - (k - 1)) / q), 0.0)
        else:
            i2 = t2 / (t2 + s2)
    return MetaAnalysis(estimate=mu, se=se_mu, ci_low=mu - crit * se_mu,
                        ci_high=mu + crit * se_mu, tau2=t2, i2=i2, q=q, pvalue=pvalue, k=k,
                        method=method, hksj=hksj, hksj_truncated=bool(hksj_truncate))


def _floats(name: str, value) -> np.ndarray:
    if value is None or isinstance(value, (str, bytes)):
        raise ScenarioError(f"{name} = {value!r}: must be numbers")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError(f"{name} = {value!r}: must be numbers") from None


def _studies(y, se, v) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and variances of shape (..., k), checked: one of ``se`` and ``v``, the
    same shape as ``y``, k >= 1, finite estimates, finite positive SEs."""
    if (se is None) == (v is None):
        raise ScenarioError("meta_analyse needs the studies' standard errors (se) or their "
                            "variances (v), one of them")
    y = _floats("y", y)
    spread = _floats("se" if v is None else "v", se if v is None else v)
    if y.ndim < 1 or y.shape != spread.shape or y.shape[-1] < 1:
        raise ScenarioError(f"y (shape {y.shape}) and {'se' if v is None else 'v'} (shape "
                            f"{spread.shape}): must have the same shape (..., k), k >= 1 "
                            "studies")
    if not (np.isfinite(y).all() and np.isfinite(spread).all() and (spread > 0).all()):
        raise ScenarioError("meta-analysis needs finite estimates and finite positive "
                            f"{'standard errors' if v is None else 'variances'}")
    return y, spread ** 2 if v is None else spread


#: A study table whose median SE is within a factor 2^32 of 1 is fitted as it is.
_SCALE_FREE = 32


def pool_studies(y, se, *, method: Method = "reml", hksj: bool = False, hksj_truncate: bool = False,
                 alpha: float = 0.05) -> MetaAnalysis:
    """A meta-analysis of a study table on any scale, computed stably.

    The fit is equivariant in the scale of the data. A table whose median SE
    lies outside ``[2^-32, 2^32]`` (an SE of 1e200, whose square overflows)
    is divided by the power of two nearest its median SE, exactly, fitted,
    and its estimate, SE, interval and tau^2 scaled back; any other table is
    fitted as it is. A table that double precision cannot pool even so (SEs
    spanning more than about 150 orders of magnitude) is refused.

    Parameters
    ----------
    y, se : array_like, shape (k,)
    method, hksj, hksj_truncate, alpha
        As in :func:`meta_analyse`.

    Raises
    ------
    ScenarioError
        When the fit would not be finite.
    """
    y, se = np.asarray(y, dtype=float), np.asarray(se, dtype=float)
    power = int(np.round(np.median(np.log2(se)))) if se.size and np.all(se > 0) else 0
    power = 0 if abs(power) <= _SCALE_FREE else power
    fail = ScenarioError("these studies cannot be pooled in double precision: their estimates "
                         "and standard errors span too many orders of magnitude")
    with np.errstate(all="ignore"):
        ys, ses = np.ldexp(y, -power), np.ldexp(se, -power)
        if not (np.all(np.isfinite(ys)) and np.all(ses * ses > 0)
                and np.all(np.isfinite(ses * ses))):
            raise fail
        fit = meta_analyse(ys, ses, method=method, hksj=hksj, alpha=alpha, hksj_truncate=hksj_truncate)
    if not all(np.isfinite(getattr(fit, name)).all()
               for name in ("estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q")):
        raise fail
    if power == 0:
        return fit
    with np.errstate(all="ignore"):
        back = {name: np.ldexp(getattr(fit, name), power * (2 if name == "tau2" else 1))
                for name in ("estimate", "se", "ci_low", "ci_high", "tau2")}
    if not all(np.isfinite(v).all() for v in back.values()):
        raise fail
    return dataclasses.replace(fit, **back)
