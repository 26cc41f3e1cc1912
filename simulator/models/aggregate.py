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
from ..moments import ArmMoments
from ..spec.scenario import Scenario
from .draw import Draw
from .outcomes import analysis_sd, followup_mean
from .parameters import TrialParameters

__all__ = ["aggregate_unsupported", "simulate_aggregate", "simulate_aggregate_grid",
           "AGGREGATE_BYTES_PER_TRIAL"]

AGGREGATE_BYTES_PER_TRIAL = 512


def aggregate_unsupported(scenario: Scenario) -> str | None:
    """Why the aggregate path cannot simulate this scenario (None if it can)."""
    pain = scenario.pain
    if scenario.design.kind == "crossover":
        return "design.kind = 'crossover' runs on the per-patient path"
    if pain.bounded:
        return "pain.bounded = true (clipped, rounded scores need per-patient data)"
    if pain.truncated:
        return "pain.inclusion_min/max truncate the baseline (not normal)"
    if pain.is_responder:
        return f"pain.analysis = {pain.analysis!r} needs per-patient responder status"
    if any(q > 0 for q in scenario.dropout.after_ae.values()):
        return "dropout.after_ae ties withdrawal to adverse events, patient by patient"
    if scenario.dropout.mechanism in ("mar", "mnar"):
        return f"dropout.mechanism = {scenario.dropout.mechanism!r} depends on each patient"
    if pain.unblinding_ae is not None:
        return "pain.unblinding_ae shifts the pain of patients with the event"
    if scenario.analysis.estimand != "hypothetical":
        return f"analysis.estimand = {scenario.analysis.estimand!r} needs per-patient data"
    return None


def simulate_aggregate(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                       params: TrialParameters | None = None) -> Draw:
    """Simulate ``n_sims`` trials from exact sufficient statistics.

    Parameters
    ----------
    scenario : Scenario
        Must satisfy :func:`aggregate_unsupported` ``is None``.
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

    The patients between consecutive grid sizes form a segment; each
    segment's completers, means and scatter are drawn exactly (binomial,
    normal, Wishart) and merged into the running statistics of the arm with
    the parallel update of Chan, Golub & LeVeque. The trial at a smaller size
    is thus exactly the first patients of the trial at a larger one.

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
        sizes = [g[arm] for g in grid]
        mu_y = followup_mean(pain, False) + np.asarray(params.effect_of(scenario, arm))
        arms.append(_stack(_arm_moments(rng, pain, mu_y, keep, sizes, n_sims)))
        # Adverse events after the pain statistics (see simulate_aggregate).
        for name, per_size in _arm_events(rng, params.risks_of(scenario, arm), sizes,
                                          n_sims).items():
            events[name].append(np.stack(per_size, axis=1))
    return Draw(analysis=pain.analysis, arms=tuple(arms), completers=tuple(a.n for a in arms),
                ae_counts={k: tuple(v) for k, v in events.items()})


def _segment(rng: np.random.Generator, pain, mu_y, keep: float, seg: int, n_sims: int,
             bivariate: bool):
    """Completers, means and within-segment scatter of ``seg`` new patients, exactly."""
    sd, sb, r = pain.sd, pain.baseline_sd, pain.correlation
    s = math.sqrt(1.0 - r * r)
    m = (rng.binomial(seg, keep, size=n_sims) if keep < 1
         else np.full(n_sims, seg)).astype(float)
    root = 1.0 / np.sqrt(np.maximum(m, 1.0))
    z = rng.standard_normal((2 if bivariate else 1, n_sims))
    df = m - 1.0
    c1 = np.sqrt(rng.chisquare(np.maximum(df, 1.0))) * (df >= 1)
    if not bivariate:
        return m, None, mu_y + sd * root * z[0], None, None, sd * sd * c1 * c1
    c2 = np.sqrt(rng.chisquare(np.maximum(df - 1.0, 1.0))) * (df >= 2)
    b21 = rng.standard_normal(n_sims) * (df >= 2)
    seg_x = pain.baseline_mean + sb * root * z[0]
    seg_y = mu_y + sd * root * (r * z[0] + s * z[1])
    lead = r * c1 + s * b21
    w_yy = sd * sd * (lead * lead + s * s * c2 * c2)
    return m, seg_x, seg_y, sb * sb * c1 * c1, sb * sd * c1 * lead, w_yy


def _merge(acc: ArmMoments, segment) -> ArmMoments:
    """Chan, Golub & LeVeque's parallel update: running moments plus a segment."""
    m, seg_x, seg_y, w_xx, w_xy, w_yy = segment
    n = acc.n
    total = n + m
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, m / total, 0.0)
    dy = seg_y - acc.mean_y
    cross = n * share  # n m / (n + m)
    out = dict(n=total, mean_y=acc.mean_y + dy * share, cyy=acc.cyy + w_yy + cross * dy * dy)
    if seg_x is not None:
        dx = seg_x - acc.mean_x
        out.update(mean_x=acc.mean_x + dx * share, cxx=acc.cxx + w_xx + cross * dx * dx,
                   cxy=acc.cxy + w_xy + cross * dx * dy)
    return ArmMoments(**out)


def _arm_moments(rng: np.random.Generator, pain, mu_y, keep: float, sizes: list[int],
                 n_sims: int) -> list[ArmMoments]:
    """One arm's moments at every grid size, segment by segment."""
    bivariate = pain.analysis != "followup"
    zero = np.zeros(n_sims)
    acc = ArmMoments(n=zero, mean_y=zero, cyy=zero, mean_x=zero if bivariate else None,
                     cxx=zero if bivariate else None, cxy=zero if bivariate else None)
    snapshots, done = [], 0
    for size in sizes:
        if size > done:
            acc = _merge(acc, _segment(rng, pain, mu_y, keep, size - done, n_sims, bivariate))
            done = size
        snapshots.append(acc)
    return snapshots


def _arm_events(rng: np.random.Generator, risks: dict, sizes: list[int], n_sims: int
                ) -> dict[str, list[np.ndarray]]:
    """One arm's adverse-event counts at every grid size (binomial per segment)."""
    counts = {name: np.zeros(n_sims) for name in risks}
    out: dict[str, list[np.ndarray]] = {name: [] for name in risks}
    done = 0
    for size in sizes:
        for name, p in risks.items():
            if size > done:
                counts[name] = counts[name] + rng.binomial(size - done, p, size=n_sims)
            out[name].append(counts[name])
        done = max(done, size)
    return out


def _stack(snapshots: list[ArmMoments]) -> ArmMoments:
    """One arm's per-size moments as (trials, sizes) arrays."""
    def stacked(name):
        first = getattr(snapshots[0], name)
        return None if first is None else np.stack([getattr(m, name) for m in snapshots], axis=1)
    return ArmMoments(n=stacked("n"), mean_y=stacked("mean_y"), cyy=stacked("cyy"),
                      mean_x=stacked("mean_x"), cxx=stacked("cxx"), cxy=stacked("cxy"))
