"""The aggregate path at interim looks: Student's t statistics at every look, two arms.

A trial with interim looks is analysed at K prefixes of its own patients.
The general aggregate grid (:func:`~simulator.models.aggregate.simulate_aggregate_grid`)
draws, per segment of patients and per arm, a normal (the segment's mean)
and a chi-square (its within-segment sum of squares), then pools them. For
Student's t-test of two arms on the follow-up or change score only the
*pooled* within-arm sum of squares enters the statistic, and the sum of the
two arms' independent within-segment chi-squares is one chi-square with the
degrees of freedom added: so each segment here draws one normal per arm and
one chi-square for both arms together, the fewest random numbers an exact
draw of the K looks needs beyond the means.

In units of one patient's SD, let ``z[a, j]`` be the standardized mean of
arm ``a``'s segment ``j`` (``m[a, j]`` patients), ``U[a, k] = sum_j<=k
sqrt(m[a, j]) z[a, j]`` the running sum of the patients' deviations from the
arm's true mean, and ``W[j] ~ chi2(sum_a max(m[a, j] - 1, 0))`` the two
arms' within-segment scatter. Then at look ``k``

* the difference of means is ``effect + sd (U[1, k] / n[1, k] - U[0, k] / n[0, k])``;
* the pooled sum of squares is ``sd^2 (sum_j<=k (W[j] + z[0, j]^2 + z[1, j]^2)
  - U[0, k]^2 / n[0, k] - U[1, k]^2 / n[1, k])``

(the total sum of squares of the deviations less each arm's correction for
its mean), which has the exact joint distribution of the statistics of the
first ``n[., k]`` patients. Arrays are laid out (looks, trials), so each
look's statistics are contiguous rows, and returned as (trials, looks)
views.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..analysis.arms import TwoSampleMoments
from ..moments import column, running_sum
from ..spec.scenario import Scenario
from .draw import Draw
from .outcomes import analysis_sd
from .parameters import TrialParameters

__all__ = ["looks_supported", "simulate_aggregate_looks"]


def looks_supported(scenario: Scenario, n_arms: int) -> bool:
    """Whether :func:`simulate_aggregate_looks` draws this scenario's looks.

    Two arms, interim looks, Student's t-test of the follow-up or change
    score (the scenario must already be on the aggregate path).
    """
    return (scenario.interim is not None and n_arms == 2
            and scenario.pain.analysis in ("followup", "change")
            and scenario.analysis.test == "student")


def simulate_aggregate_looks(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                             grid: Sequence[tuple[int, ...]],
                             params: TrialParameters | None = None) -> Draw:
    """Two arms' Student t statistics at every size of ``grid`` (the looks).

    Parameters
    ----------
    scenario : Scenario
        On the aggregate path, with :func:`looks_supported`.
    n_sims : int
        Trials in this block.
    rng : numpy.random.Generator
        The block's own stream: completers (binomial, per arm and segment,
        with dropout), the segment means of arm 0 then arm 1, the pooled
        chi-squares, then the adverse events per arm.
    grid : sequence of tuple of int
        Patients per arm at each size, non-decreasing in both arms.
    params : TrialParameters, optional
        True effect (per trial under a prior) and AE risks.

    Returns
    -------
    Draw
        ``two_sample`` holds (trials, sizes) arrays (``n0`` and ``n1``, without
        dropout, one number per size); ``completers`` and ``ae_counts`` too.
    """
    params = params or TrialParameters.fixed(scenario)
    keep = 1.0 - scenario.dropout.rate
    segments = [np.diff([0] + [g[arm] for g in grid]) for arm in range(2)]
    sd = analysis_sd(scenario.pain)
    effect = column(params.effect_of(scenario, 1)).T
    if keep == 1 and _proportional(segments):
        n, diff, ss = _proportional_looks(rng, segments, n_sims, sd, effect)
    else:
        n, diff, ss = _arm_looks(rng, segments, n_sims, sd, effect, keep)
    stats = TwoSampleMoments(n0=n[0].T, n1=n[1].T, diff=diff.T, ss_pooled=ss.T)
    done = tuple(np.broadcast_to(na.T, diff.T.shape) for na in n)
    events = {ae.name: [] for ae in scenario.adverse_events}
    for arm in range(2):
        for name, p in params.risks_of(scenario, arm).items():
            drawn = rng.binomial(segments[arm], column(p), size=(n_sims, len(grid)))
            events[name].append(np.cumsum(drawn, axis=1, dtype=float))
    return Draw(analysis=scenario.pain.analysis, completers=done,
                ae_counts={name: tuple(v) for name, v in events.items()}, two_sample=stats)


def _proportional(segments: list[np.ndarray]) -> bool:
    """Whether every segment splits between the arms as the whole trial does."""
    total0, total1 = int(segments[0].sum()), int(segments[1].sum())
    return bool(np.all(segments[1] * total0 == segments[0] * total1))


def _proportional_looks(rng: np.random.Generator, segments: list[np.ndarray], n_sims: int,
                        sd: float, effect) -> tuple:
    """Every look from one normal and one chi-square per segment (no dropout).

    When arm 1 has ``lam`` times arm 0's patients in every segment, rotate
    each segment's two standardized sums (arm 1's divided by ``sqrt(lam)``)
    into their difference ``g`` (the only direction the difference of means
    sees) and their sum. The sum direction enters the pooled sum of squares
    only through its between-segment part: one independent chi2(1) per
    segment after the first (Helmert), merged into that segment's
    within-segment chi-square. So, with ``G[k] = sum_j<=k sqrt(m0[j]) g[j]``,
    ``diff = effect + sd sqrt(1 + 1/lam) G / n0`` and ``ss = sd^2 (sum_j<=k
    (W[j] + g[j]^2) - G^2 / n0)``, ``W[j] ~ chi2(m0[j] + m1[j] - 2 + [j > 0])``.
    """
    m0, m1 = (seg.astype(float) for seg in segments)
    lam = m1.sum() / m0.sum()
    g = rng.standard_normal((len(m0), n_sims))
    df = m0 + m1 - 2.0 + (np.arange(len(m0)) > 0)
    w = np.empty(g.shape)
    for j, dfj in enumerate(df):
        if m0[j] > 0 and dfj >= 1:
            w[j] = rng.chisquare(dfj, size=n_sims)
        else:  # an empty segment adds nothing
            w[j] = 0.0
            g[j] = 0.0
    n0, n1 = np.cumsum(m0)[:, None], np.cumsum(m1)[:, None]
    w += g * g
    big_g = running_sum(g * np.sqrt(m0)[:, None])
    mean_g = big_g / n0
    ss = running_sum(w)
    ss -= big_g * mean_g
    np.maximum(ss, 0.0, out=ss)
    ss *= sd * sd
    mean_g *= sd * np.sqrt(1.0 + 1.0 / lam)
    diff = mean_g + effect
    # the same n in every trial: one number per look, broadcast (no copy)
    return (n0[:, 0], n1[:, 0]), diff, ss


def _arm_looks(rng: np.random.Generator, segments: list[np.ndarray], n_sims: int, sd: float,
               effect, keep: float) -> tuple:
    """Every look from each arm's segment means and one pooled chi-square per segment."""
    k = len(segments[0])
    m = [(rng.binomial(seg[:, None], keep, size=(k, n_sims)) if keep < 1
          else np.broadcast_to(seg[:, None], (k, n_sims))).astype(float) for seg in segments]
    # m is materialized (looks, trials): the running sums below keep that layout
    z = [rng.standard_normal((k, n_sims)) for _ in range(2)]
    w = _pooled_chisquare(rng, m, keep < 1)
    n = [running_sum(ma.copy()) for ma in m]
    u = [running_sum(np.sqrt(ma) * za) for ma, za in zip(m, z)]
    squares = [za * za for za in z]
    for ma, sq in zip(m, squares):
        sq[ma == 0] = 0.0  # an empty segment adds no patient
    total = running_sum(w + squares[0] + squares[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_dev = [np.where(na > 0, ua / na, 0.0) for ua, na in zip(u, n)]
    ss = total - u[0] * mean_dev[0] - u[1] * mean_dev[1]
    diff = effect + sd * (mean_dev[1] - mean_dev[0])
    return n, diff, sd * sd * np.maximum(ss, 0.0)


def _pooled_chisquare(rng: np.random.Generator, m: list[np.ndarray], varies: bool
                      ) -> np.ndarray:
    """Each segment's two-arm within-segment scatter, chi2(sum_a max(m_a - 1, 0)).

    One draw per segment with at least one degree of freedom (0 elsewhere);
    without dropout the degrees of freedom are one number per segment.
    """
    df = np.maximum(m[0] - 1.0, 0.0) + np.maximum(m[1] - 1.0, 0.0)
    out = np.zeros(df.shape)
    if not varies:
        for j, row in enumerate(df[:, 0]):
            if row >= 1:
                out[j] = rng.chisquare(row, size=df.shape[1])
        return out
    ok = df >= 1
    out[ok] = rng.chisquare(df[ok])
    return out
