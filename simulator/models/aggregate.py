"""The aggregate data path: exact sufficient statistics, O(1) per trial.

When the pain scores are normal (no clipping or rounding, no truncated
baseline), the primary outcome is continuous and patients drop out
independently of everything else, the statistics a test needs can be drawn
directly from their exact sampling distributions:

* completers per arm: binomial;
* difference of arm means: normal;
* sums of squares: scaled chi-square (``(m - 1) s^2 / sigma^2 ~ chi2(m - 1)``);
* the pooled baseline/follow-up scatter matrix for ANCOVA: Wishart, by
  Bartlett's decomposition ``S = L B B' L'`` with ``B`` lower triangular,
  ``B11^2 ~ chi2(df)``, ``B22^2 ~ chi2(df - 1)``, ``B21 ~ N(0, 1)``;
* adverse-event counts: binomial.

Means and scatter of a normal sample are independent, so this is the same
distribution as the per-patient path gives, at a cost that does not grow
with the number of patients.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..analysis.arms import TwoSampleMoments
from ..moments import ArmMoments, column, running_sum
from ..spec.scenario import Scenario
from .draw import Draw
from .outcomes import analysis_sd, followup_mean
from .parameters import TrialParameters

__all__ = ["simulate_aggregate", "simulate_aggregate_grid", "summary_bytes_per_size"]


def summary_bytes_per_size(scenario: Scenario) -> int:
    """Peak bytes one trial needs per grid size for its summaries and their analysis.

    The whole footprint of the aggregate path, which holds nothing per
    patient; the per-patient path needs it besides its patients' arrays.
    From the peak memory (``tracemalloc``) of an aggregate run of 199 sizes
    with every comparison run, per trial and size, two arms: 98 bytes for
    the follow-up score, 131 with dropout and Welch's test, 189 with dropout
    and three adverse events; 218 for ANCOVA, 282 with dropout and three
    adverse events (change and Welch's test: the same). The rule below is
    above each: 64 bytes an arm (128 when the baseline is analysed), 16
    more with dropout (the completers of every segment), and 32 an arm per
    adverse event.

    Examples
    --------
    >>> s = Scenario.from_dict({"pain": {"effect": -1.0, "analysis": "followup"},
    ...                         "design": {"n_per_arm": 50}})
    >>> summary_bytes_per_size(s)  # two arms, follow-up score, no adverse event
    128
    """
    per_arm = (64 if scenario.pain.analysis == "followup" else 128) \
        + (16 if scenario.dropout.rate > 0 else 0) + 32 * len(scenario.adverse_events)
    return len(scenario.design.arms) * per_arm


def simulate_aggregate(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                       params: TrialParameters | None = None) -> Draw:
    """Simulate ``n_sims`` trials from exact sufficient statistics.

    Parameters
    ----------
    scenario : Scenario
        Must satisfy :func:`~simulator.models.exactness.aggregate_unsupported` ``is None``.
    n_sims : int
        Trials in this block.
    rng : numpy.random.Generator
        The block's own stream.
    params : TrialParameters, optional
        True effect and AE risks (per trial under a prior); default the
        scenario's point values.
    """
    pain = scenario.pain
    params = params or TrialParameters.fixed(scenario)
    effect = params.effect
    keep = 1.0 - scenario.dropout.rate
    completers = [rng.binomial(n, keep, size=n_sims) if keep < 1 else np.full(n_sims, n)
                  for n in scenario.design.group_sizes]
    m0, m1 = (c.astype(float) for c in completers)
    inv_n = 1.0 / np.maximum(m0, 1) + 1.0 / np.maximum(m1, 1)
    df = m0 + m1 - 2.0

    sd, sb, r = pain.sd, pain.baseline_sd, pain.correlation
    if pain.analysis == "ancova":
        z = rng.standard_normal((2, n_sims))
        s = math.sqrt(1.0 - r * r)
        root = np.sqrt(inv_n)
        dx = sb * root * z[0]
        dy = effect + sd * root * (r * z[0] + s * z[1])
        c1 = np.sqrt(rng.chisquare(np.maximum(df, 1.0)))
        c2 = np.sqrt(rng.chisquare(np.maximum(df - 1.0, 1.0)))
        b21 = rng.standard_normal(n_sims)
        lead = r * c1 + s * b21
        sxx = sb * sb * c1 * c1
        sxy = sb * sd * c1 * lead
        syy = sd * sd * (lead * lead + s * s * c2 * c2)
        stats = TwoSampleMoments(n0=m0, n1=m1, diff=dy, dx=dx, sxx=sxx, sxy=sxy, syy=syy)
    else:
        var = analysis_sd(pain) ** 2  # follow-up or change score
        diff = effect + np.sqrt(var * inv_n) * rng.standard_normal(n_sims)
        if scenario.analysis.test == "welch":
            ss0 = var * rng.chisquare(np.maximum(m0 - 1.0, 1.0))
            ss1 = var * rng.chisquare(np.maximum(m1 - 1.0, 1.0))
            stats = TwoSampleMoments(n0=m0, n1=m1, diff=diff, ss0=ss0, ss1=ss1)
        else:
            stats = TwoSampleMoments(n0=m0, n1=m1, diff=diff,
                                     ss_pooled=var * rng.chisquare(np.maximum(df, 1.0)))
    # Adverse events last: a binomial consumes a varying number of random
    # numbers, so drawing them after the pain statistics keeps those paired
    # (common random numbers) when the risk ratio is drawn from a prior.
    ae_counts = {ae.name: tuple(
        rng.binomial(n, params.active_risk[ae.name] if arm == 1 else ae.placebo_risk,
                     size=n_sims)
        for arm, n in enumerate(scenario.design.group_sizes)) for ae in scenario.adverse_events}
    return Draw(analysis=pain.analysis, completers=tuple(completers), ae_counts=ae_counts,
                two_sample=stats)


def simulate_aggregate_grid(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                            grid: Sequence[tuple[int, ...]],
                            params: TrialParameters | None = None) -> Draw:
    """Exact sufficient statistics at several sizes, on common random numbers.

    The patients between consecutive grid sizes form a segment; every
    segment's completers, means and scatter are drawn exactly (binomial,
    normal, Wishart), all segments of an arm at once, and added up: the
    statistics at a size are those of all its segments pooled (the parallel
    formula of Chan, Golub & LeVeque, as cumulative sums of deviations from
    the arm's true mean). The trial at a smaller size is thus exactly the
    first patients of the trial at a larger one.

    Parameters
    ----------
    scenario : Scenario
    n_sims : int
    rng : numpy.random.Generator
    grid : sequence of tuple of int
        Patients per arm at each point, non-decreasing in every arm.
    params : TrialParameters, optional
    """
    pain = scenario.pain
    params = params or TrialParameters.fixed(scenario)
    keep = 1.0 - scenario.dropout.rate
    arms, events = [], {ae.name: [] for ae in scenario.adverse_events}
    for arm in range(len(grid[0])):
        segments = np.diff([0] + [g[arm] for g in grid])
        mu_y = followup_mean(pain, False) + column(params.effect_of(scenario, arm))
        arms.append(_arm_moments(rng, pain, mu_y, keep, segments, n_sims))
        # Adverse events after the pain statistics (see simulate_aggregate).
        for name, p in params.risks_of(scenario, arm).items():
            drawn = rng.binomial(segments, column(p), size=(n_sims, len(segments)))
            events[name].append(np.cumsum(drawn, axis=1, dtype=float))
    return Draw(analysis=pain.analysis, arms=tuple(arms), completers=tuple(a.n for a in arms),
                ae_counts={k: tuple(v) for k, v in events.items()})


def _segments(rng: np.random.Generator, pain, keep: float, segments: np.ndarray, n_sims: int,
              bivariate: bool):
    """Every segment's completers, standardized means and within-segment scatter.

    Returns ``(m, zx, zy, w_xx, w_xy, w_yy)``, arrays of shape (trials,
    segments): ``zx``, ``zy`` are the segment means in SD units of one
    patient divided by ``sqrt(m)``; the scatter is in NRS points squared.
    """
    sd, sb, r = pain.sd, pain.baseline_sd, pain.correlation
    s = math.sqrt(1.0 - r * r)
    shape = (n_sims, len(segments))
    if keep < 1:
        m = rng.binomial(segments, keep, size=shape).astype(float)
        root = 1.0 / np.sqrt(np.maximum(m, 1.0))
        df = m - 1.0
    else:  # every patient completes: the same in every trial, worked out once per segment
        m, root, df = (np.broadcast_to(a, shape) for a in _per_segment(segments))
    z = rng.standard_normal((2 if bivariate else 1,) + shape)
    c1 = _root_chisquare(rng, df)
    if not bivariate:
        return m, None, root * z[0], None, None, sd * sd * c1 * c1
    # Bartlett: the 2 x 2 scatter on df is L B B' L' with B11^2 ~ chi2(df), B21 ~ N(0, 1)
    # and B22^2 ~ chi2(df - 1), for every df >= 1 (a segment of two patients, df 1, has a
    # rank-one scatter v v': B21 is still normal and B22 is 0).
    c2 = _root_chisquare(rng, df - 1.0)
    b21 = np.zeros(shape)
    scattered = df >= 1
    b21[scattered] = rng.standard_normal(int(scattered.sum()))
    lead = r * c1 + s * b21
    w_yy = sd * sd * (lead * lead + s * s * c2 * c2)
    return (m, root * z[0], root * (r * z[0] + s * z[1]), sb * sb * c1 * c1,
            sb * sd * c1 * lead, w_yy)


def _per_segment(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Completers, ``1 / sqrt(completers)`` and scatter df of segments everyone completes."""
    m = segments.astype(float)
    return m, 1.0 / np.sqrt(np.maximum(m, 1.0)), m - 1.0


def _root_chisquare(rng: np.random.Generator, df: np.ndarray) -> np.ndarray:
    """sqrt of a chi-square(df) draw where ``df >= 1``, 0 elsewhere.

    Only the segments with enough patients draw (in C order, as a draw over
    the whole array would): a curve with one patient per segment draws no
    scatter at all.
    """
    out = np.zeros(df.shape)
    ok = df >= 1
    if ok.all():
        return np.sqrt(rng.chisquare(df))
    out[ok] = np.sqrt(rng.chisquare(df[ok]))
    return out


def _arm_moments(rng: np.random.Generator, pain, mu_y, keep: float, segments: np.ndarray,
                 n_sims: int) -> ArmMoments:
    """One arm's moments at every grid size, (trials, sizes) arrays.

    Deviations of the segment means from the arm's true means keep the
    cumulative sums small, so pooling them loses no precision.
    """
    bivariate = pain.analysis != "followup"
    drawn = _segments(rng, pain, keep, segments, n_sims, bivariate)
    shape = (n_sims, len(segments))
    # (segments, trials) in memory: the running sums add whole rows (moments.running_sum);
    # the results are returned as (trials, sizes) views of them
    zx, zy, w_xx, w_xy, w_yy = (None if a is None else np.ascontiguousarray(
        np.broadcast_to(a, shape).T) for a in drawn[1:])
    # Without dropout every trial has the same counts: one column, broadcast over the
    # trials (the same numbers; the analysis then works out df and 1/n once per size)
    m = np.ascontiguousarray(drawn[0].T) if keep < 1 else segments.astype(float)[:, None]
    n = running_sum(m.copy())
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(n > 0, 1.0 / n, 0.0)
    dy = pain.sd * zy
    mean_dy = running_sum(m * dy) * inv
    cyy = running_sum(w_yy + m * dy * dy) - n * mean_dy * mean_dy
    n = np.broadcast_to(n, (len(segments), n_sims))
    if not bivariate:
        return ArmMoments(n=n.T, mean_y=(mu_y.T + mean_dy).T if np.ndim(mu_y) else
                          (mu_y + mean_dy).T, cyy=np.maximum(cyy, 0.0).T)
    dx = pain.baseline_sd * zx
    mean_dx = running_sum(m * dx) * inv
    cxx = running_sum(w_xx + m * dx * dx) - n * mean_dx * mean_dx
    cxy = running_sum(w_xy + m * dx * dy) - n * mean_dx * mean_dy
    return ArmMoments(n=n.T, mean_y=(mu_y.T + mean_dy).T if np.ndim(mu_y) else
                      (mu_y + mean_dy).T, cyy=np.maximum(cyy, 0.0).T,
                      mean_x=(pain.baseline_mean + mean_dx).T, cxx=np.maximum(cxx, 0.0).T,
                      cxy=cxy.T)
