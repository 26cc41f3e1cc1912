"""Jump-to-reference multiple imputation, combined by Rubin's rules.

In each trial the reference (placebo) completers' regression of follow-up on
baseline is fitted; each imputation draws its parameters from their
posterior (the residual variance from a scaled inverse chi-square, the line
given it from a normal) and imputes every withdrawn patient, in either arm,
from it. The completed data sets are analysed as usual and combined by
Rubin's rules, with Barnard-Rubin degrees of freedom. Vectorized over
trials and over the sizes of a grid: only withdrawn patients draw, and the
completed data enter through prefix sums (see :func:`jump_to_reference`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..moments import ArmMoments, PatientArm, observed_moments
from .arms import primary_analysis
from .estimates import TrialEstimates

__all__ = ["jump_to_reference", "rubin"]


def rubin(estimates: np.ndarray, variances: np.ndarray, df_complete: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rubin's rules: pooled estimate, its SE and Barnard-Rubin (1999) df.

    ``estimates`` and ``variances`` have imputations on axis 0.
    """
    m_imp = estimates.shape[0]
    qbar = estimates.mean(axis=0)
    within = np.mean(variances, axis=0)
    between = estimates.var(axis=0, ddof=1)
    total = within + (1 + 1 / m_imp) * between
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(total > 0, (1 + 1 / m_imp) * between / total, 0.0)
        v_m = (m_imp - 1) / np.maximum(gamma, 1e-12) ** 2
        v_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - gamma)
        v = 1.0 / (1.0 / v_m + 1.0 / np.maximum(v_obs, 1e-12))
    return qbar, np.sqrt(total), v


def _reference_fit(arm: PatientArm, n_sims: int):
    """The reference completers' regression of y on x, per trial and size."""
    ref = observed_moments(arm.prefix, arm.x, arm.y, arm.keep, n_sims)
    m = ref.n
    df = m - 2.0
    ok = (df >= 1) & (ref.cxx > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(ok, ref.cxy / ref.cxx, 0.0)
        rss = np.where(ok, np.maximum(ref.cyy - slope * ref.cxy, 0.0), 0.0)
    return ref, m, df, ok, slope, rss


class _ArmSums:
    """An arm's prefix sums that every imputation reuses (shifted coordinates)."""

    def __init__(self, arm: PatientArm, shift: float, n_sims: int) -> None:
        p, x, y = arm.prefix, arm.x - shift, arm.y - shift
        kept = arm.keep
        gone = ~kept
        self.arm, self.x, self.gone = arm, x, gone
        self.n = p.counts(n_sims)
        self.sx, self.sxx = p.sums(x), p.sums(x, x)
        yk = np.where(kept, y, 0.0)
        self.sy_k, self.syy_k, self.sxy_k = p.sums(yk), p.sums(yk, y), p.sums(yk, x)
        xg = np.where(gone, x, 0.0)
        self.w, self.sx_w, self.sxx_w = p.sums(gone), p.sums(xg), p.sums(xg, x)
        self.withdrawn = int(gone.sum())

    def completed(self, c, b, sigma, eps: np.ndarray) -> ArmMoments:
        """Moments of the completed data: withdrawn ``y = c + b x + sigma eps``.

        ``c``, ``b``, ``sigma`` are (trials, sizes); ``eps`` is (trials,
        patients), zero for patients with an outcome.
        """
        p, x = self.arm.prefix, self.x
        se, see, sxe = p.sums(eps), p.sums(eps, eps), p.sums(eps, x)
        sy = self.sy_k + c * self.w + b * self.sx_w + sigma * se
        syy = (self.syy_k + c * c * self.w + 2 * c * b * self.sx_w + b * b * self.sxx_w
               + 2 * sigma * (c * se + b * sxe) + sigma * sigma * see)
        sxy = self.sxy_k + c * self.sx_w + b * self.sxx_w + sigma * sxe
        n = self.n
        mean_x, mean_y = self.sx / n, sy / n
        return ArmMoments(n=n, mean_x=mean_x, mean_y=mean_y,
                          cxx=np.maximum(self.sxx - self.sx * mean_x, 0.0),
                          cyy=np.maximum(syy - sy * mean_y, 0.0), cxy=sxy - self.sx * mean_y)


def jump_to_reference(arms: Sequence[PatientArm], rng: np.random.Generator, *,
                      analysis: str, test: str, imputations: int, n_sims: int
                      ) -> TrialEstimates:
    """The jump-to-reference estimate of every trial at every grid size.

    Every size of the grid at once: the imputation model is fitted on the
    reference completers of each size; a withdrawn patient's residual
    ``eps`` is drawn once per imputation (patients with an outcome draw
    nothing) and shared by the sizes that include the patient, like the
    patient's own data; the completed data's moments are sums over prefixes.

    Parameters
    ----------
    arms : sequence of PatientArm
        Reference arm first; every patient's data, withdrawn included; each
        arm's ``prefix`` is its size grid.
    rng : numpy.random.Generator
        Draws the imputations (the block's own stream, continued).
    analysis, test : str
        The complete-data analysis (``ancova``, ``change`` or ``followup``).
    imputations : int
    n_sims : int

    Returns
    -------
    TrialEstimates
        (trials, sizes) arrays.
    """
    ref, m, df, ok, slope, rss = _reference_fit(arms[0], n_sims)
    shift = float(np.mean(arms[0].x[:1])) if arms[0].x.size else 0.0
    sums = [_ArmSums(a, shift, n_sims) for a in arms]
    xbar, ybar = ref.mean_x - shift, ref.mean_y - shift
    cxx = np.where(ok, ref.cxx, 1.0)
    estimates, variances, dfs = [], [], []
    for _ in range(imputations):
        sigma2 = rss / rng.chisquare(np.maximum(df, 1.0))
        b = slope + np.sqrt(sigma2 / cxx) * rng.standard_normal(df.shape)
        a = ybar + np.sqrt(sigma2 / np.maximum(m, 1.0)) * rng.standard_normal(df.shape)
        c, sigma = a - b * xbar, np.sqrt(sigma2)
        completed = []
        for arm in sums:
            eps = np.zeros(arm.gone.shape)
            eps[arm.gone] = rng.standard_normal(arm.withdrawn)
            completed.append(arm.completed(c, b, sigma, eps))
        est = primary_analysis(analysis, test, completed[0], completed[1])
        estimates.append(est.estimate)
        variances.append(est.se ** 2)
        dfs.append(np.broadcast_to(est.df, est.estimate.shape))
    qbar, se, v = rubin(np.array(estimates), np.array(variances), dfs[0])
    valid = ok & np.isfinite(qbar)
    return TrialEstimates(estimate=np.where(valid, qbar, np.nan), se=np.where(valid, se, np.nan),
                          statistic=np.where(valid & (se > 0),
                                             qbar / np.where(se > 0, se, 1), 0.0),
                          df=np.where(valid, np.maximum(v, 1.0), 1.0))
