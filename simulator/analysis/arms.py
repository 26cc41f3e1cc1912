"""The primary analysis of per-arm moments: two arms, or many against one.

Two arms get the scenario's test; more arms get the many-to-one comparisons
with the variance (and the ANCOVA slope) pooled over all arms. A sampler that
draws the pooled statistics of two arms directly (the aggregate path) hands
them over as :class:`TwoSampleMoments`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..moments import ArmMoments
from .estimates import TrialEstimates, safe_ratio
from .twosample import ancova, student_t, two_proportions, welch_t

__all__ = ["TwoSampleMoments", "two_sample_analysis", "primary_analysis", "pooled_comparisons",
           "analyse_arms"]


@dataclass(frozen=True, slots=True)
class TwoSampleMoments:
    """The sufficient statistics of a two-arm comparison, arrays over trials.

    Attributes
    ----------
    n0, n1 : ndarray
        Patients analysed per arm.
    diff : ndarray
        Difference of the analysed score's means (active minus reference);
        for ANCOVA, of the follow-up means.
    ss0, ss1 : ndarray or None
        Each arm's within-arm sum of squared deviations (Welch's test).
    ss_pooled : ndarray or None
        Their sum, when only the sum was drawn (Student's test).
    dx, sxx, sxy, syy : ndarray or None
        ANCOVA: difference of baseline means and the pooled within-arm
        scatter of baseline and follow-up.
    """

    n0: np.ndarray
    n1: np.ndarray
    diff: np.ndarray
    ss0: np.ndarray | None = None
    ss1: np.ndarray | None = None
    ss_pooled: np.ndarray | None = None
    dx: np.ndarray | None = None
    sxx: np.ndarray | None = None
    sxy: np.ndarray | None = None
    syy: np.ndarray | None = None


def two_sample_analysis(analysis: str, test: str, m: TwoSampleMoments) -> TrialEstimates:
    """ANCOVA, or Student's / Welch's t-test, on two-sample statistics."""
    if analysis == "ancova":
        return ancova(m.dx, m.diff, m.sxx, m.sxy, m.syy, m.n0, m.n1)
    if test == "welch":
        return welch_t(m.diff, m.ss0, m.ss1, m.n0, m.n1)
    pooled = m.ss_pooled if m.ss_pooled is not None else m.ss0 + m.ss1
    return student_t(m.diff, pooled, m.n0, m.n1)


def primary_analysis(analysis: str, test: str, arm0: ArmMoments, arm1: ArmMoments) -> TrialEstimates:
    """Dispatch the scenario's primary analysis on per-arm moments.

    Parameters
    ----------
    analysis : {"ancova", "change", "followup", "responder30", "responder50"}
    test : {"student", "welch", "z", "z-cc"}
        The followup and change t-tests' (student, welch), or the responder
        test's (z, z-cc: continuity-corrected).
    arm0, arm1 : ArmMoments
        Placebo and active arm.
    """
    if analysis.startswith("responder"):
        return two_proportions(arm0.responders, arm0.n, arm1.responders, arm1.n,
                               continuity=test == "z-cc")
    if analysis == "ancova":
        return ancova(arm1.mean_x - arm0.mean_x, arm1.mean_y - arm0.mean_y,
                      arm0.cxx + arm1.cxx, arm0.cxy + arm1.cxy, arm0.cyy + arm1.cyy,
                      arm0.n, arm1.n)
    if analysis == "change":
        diff = (arm1.mean_y - arm1.mean_x) - (arm0.mean_y - arm0.mean_x)
        ss0 = arm0.cyy + arm0.cxx - 2 * arm0.cxy
        ss1 = arm1.cyy + arm1.cxx - 2 * arm1.cxy
    else:
        diff = arm1.mean_y - arm0.mean_y
        ss0, ss1 = arm0.cyy, arm1.cyy
    if test == "welch":
        return welch_t(diff, ss0, ss1, arm0.n, arm1.n)
    return student_t(diff, ss0 + ss1, arm0.n, arm1.n)


def pooled_comparisons(analysis: str, arms: list[ArmMoments], test: str = "z"
                       ) -> list[TrialEstimates]:
    """Each active arm against the reference, with the variance (and, for
    ANCOVA, the slope) pooled over all arms: the many-to-one comparisons of a
    multi-arm trial (Dunnett's setting). Responder analyses compare pairs
    (``test`` "z-cc": continuity-corrected)."""
    ref, active = arms[0], arms[1:]
    if analysis.startswith("responder"):
        return [two_proportions(ref.responders, ref.n, a.responders, a.n,
                                continuity=test == "z-cc") for a in active]
    n = [np.asarray(a.n, float) for a in arms]
    total = sum(n)
    if analysis == "ancova":
        sxx = sum(a.cxx for a in arms)
        sxy = sum(a.cxy for a in arms)
        syy = sum(a.cyy for a in arms)
        df = total - len(arms) - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = sxy / sxx
            s2 = np.maximum(syy - slope * sxy, 0.0) / np.where(df >= 1, df, 1.0)
        out = []
        for a, na in zip(active, n[1:]):
            dx, dy = a.mean_x - ref.mean_x, a.mean_y - ref.mean_y
            with np.errstate(divide="ignore", invalid="ignore"):
                est = dy - slope * dx
                se = np.sqrt(s2 * (1.0 / na + 1.0 / n[0] + dx * dx / sxx))
            ok = (na >= 1) & (n[0] >= 1) & (df >= 1) & (sxx > 0)
            out.append(TrialEstimates(estimate=np.where(ok, est, np.nan),
                                      se=np.where(ok, se, np.nan),
                                      statistic=np.where(ok, safe_ratio(est, se), 0.0),
                                      df=np.where(ok, df, 1.0)))
        return out
    if analysis == "change":
        means = [a.mean_y - a.mean_x for a in arms]
        ss = sum(a.cyy + a.cxx - 2 * a.cxy for a in arms)
    else:
        means = [a.mean_y for a in arms]
        ss = sum(a.cyy for a in arms)
    df = total - len(arms)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = ss / np.where(df >= 1, df, 1.0)
    out = []
    for mean, na in zip(means[1:], n[1:]):
        diff = mean - means[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.sqrt(s2 * (1.0 / na + 1.0 / n[0]))
        ok = (na >= 1) & (n[0] >= 1) & (df >= 1)
        out.append(TrialEstimates(estimate=np.where(ok, diff, np.nan), se=np.where(ok, se, np.nan),
                                  statistic=np.where(ok, safe_ratio(diff, se), 0.0),
                                  df=np.where(ok, df, 1.0)))
    return out


def analyse_arms(analysis: str, test: str, arms: list[ArmMoments]
                 ) -> tuple[TrialEstimates, list[TrialEstimates] | None]:
    """The primary estimate and, with more than two arms, every comparison.

    Two arms: the scenario's test of active against reference. More arms: the
    pooled many-to-one comparisons; the primary is the last arm's.
    """
    if len(arms) == 2:
        return primary_analysis(analysis, test, arms[0], arms[1]), None
    comparisons = pooled_comparisons(analysis, arms, test)
    return comparisons[-1], comparisons
