"""Jump-to-reference multiple imputation, combined by Rubin's rules.

In each trial the reference (placebo) completers' regression of follow-up on
baseline is fitted; each imputation draws its parameters from their
posterior (the residual variance from a scaled inverse chi-square, the line
given it from a normal) and imputes every withdrawn patient, in either arm,
from it. The completed data sets are analysed as usual and combined by
Rubin's rules, with Barnard-Rubin degrees of freedom. Vectorized over
trials; one size of the grid at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..moments import PatientArm, Prefix, observed_moments
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


def _reference_fit(arm: PatientArm, n: int, n_sims: int):
    """The reference completers' regression of y on x, per trial."""
    ref = observed_moments(Prefix([n]), arm.x[:, :n], arm.y[:, :n], arm.keep[:, :n], n_sims)
    m = ref.n[:, 0]
    df = m - 2.0
    ok = (df >= 1) & (ref.cxx[:, 0] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(ok, ref.cxy[:, 0] / ref.cxx[:, 0], 0.0)
        rss = np.where(ok, np.maximum(ref.cyy[:, 0] - slope * ref.cxy[:, 0], 0.0), 0.0)
    return ref, m, df, ok, slope, rss


def _at_size(arms: Sequence[PatientArm], sizes: tuple[int, ...], rng: np.random.Generator, *,
             analysis: str, test: str, imputations: int, n_sims: int) -> TrialEstimates:
    data = [(a.x[:, :n], a.y[:, :n], a.keep[:, :n]) for a, n in zip(arms, sizes)]
    one = [Prefix([n]) for n in sizes]
    ref, m, df, ok, slope, rss = _reference_fit(arms[0], sizes[0], n_sims)
    xbar, ybar = ref.mean_x[:, 0], ref.mean_y[:, 0]
    estimates, variances, dfs = [], [], []
    for _ in range(imputations):
        sigma2 = rss / rng.chisquare(np.maximum(df, 1.0))
        b = slope + np.sqrt(sigma2 / np.where(ok, ref.cxx[:, 0], 1.0)) * rng.standard_normal(n_sims)
        a = ybar + np.sqrt(sigma2 / np.maximum(m, 1.0)) * rng.standard_normal(n_sims)
        completed = []
        for (x, y, keep), prefix in zip(data, one):
            imputed = (a[:, None] + b[:, None] * (x - xbar[:, None])
                       + np.sqrt(sigma2)[:, None] * rng.standard_normal(x.shape))
            completed.append(observed_moments(prefix, x, np.where(keep, y, imputed), None, n_sims))
        est = primary_analysis(analysis, test, completed[0], completed[1])
        estimates.append(est.estimate[:, 0])
        variances.append(est.se[:, 0] ** 2)
        dfs.append(est.df[:, 0] if np.ndim(est.df) else np.full(n_sims, est.df))
    qbar, se, v = rubin(np.array(estimates), np.array(variances), dfs[0])
    valid = ok & np.isfinite(qbar)
    return TrialEstimates(estimate=np.where(valid, qbar, np.nan), se=np.where(valid, se, np.nan),
                          statistic=np.where(valid & (se > 0),
                                             qbar / np.where(se > 0, se, 1), 0.0),
                          df=np.where(valid, np.maximum(v, 1.0), 1.0))


def jump_to_reference(arms: Sequence[PatientArm], grid: Sequence[tuple[int, ...]],
                      rng: np.random.Generator, *, analysis: str, test: str,
                      imputations: int, n_sims: int) -> list[TrialEstimates]:
    """The jump-to-reference estimate of every trial at every grid size.

    Parameters
    ----------
    arms : sequence of PatientArm
        Reference arm first; every patient's data, withdrawn included.
    grid : sequence of tuple of int
        Patients per arm at each size.
    rng : numpy.random.Generator
        Draws the imputations (keyword-only use: the chunk's own stream).
    analysis, test : str
        The complete-data analysis (``ancova``, ``change`` or ``followup``).
    imputations : int
    n_sims : int

    Returns
    -------
    list of TrialEstimates
        One per grid size.
    """
    return [_at_size(arms, sizes, rng, analysis=analysis, test=test, imputations=imputations,
                     n_sims=n_sims) for sizes in grid]
