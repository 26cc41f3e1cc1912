"""The per-patient data path: arrays of shape (trials, patients), block by block.

It handles everything the aggregate path cannot: clipped and rounded NRS
scores, a truncated baseline, responder cut-offs and withdrawal driven by
adverse events. Each arm is drawn as a block of standard normals; when the
scores are not transformed non-linearly (no clipping, no responders) the
summary statistics are taken on the standard normals and mapped linearly,
which is exact and saves a pass over the patients.

Sample-size grids use common random numbers: every trial is drawn once at
the largest size, and a smaller size analyses a prefix of the same patients
(sums over segments between grid points, accumulated), so a whole power
curve costs about one evaluation at its largest n.

Random numbers are drawn in a fixed order: for each arm in turn, baseline,
follow-up, then adverse events and withdrawals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..analysis.estimands import is_responder
from ..moments import ArmMoments, centred_moments, column, prefix_of
from ..spec.scenario import Scenario
from .draw import Draw
from .outcomes import draw_baseline_z, followup_mean, observe
from .parameters import TrialParameters
from .scratch import buffer

__all__ = ["simulate_patient_grid", "patient_bytes_per_trial"]

_LIVE_ARRAYS = 8  # (trials x patients) float arrays alive at once, for the memory budget


def patient_bytes_per_trial(scenario: Scenario) -> int:
    """Peak bytes one simulated trial needs on the per-patient path."""
    return 8 * _LIVE_ARRAYS * max(scenario.design.group_sizes) + 64 * len(scenario.design.arms)


def simulate_patient_grid(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                          grid: Sequence[tuple[int, ...]],
                          params: TrialParameters | None = None) -> Draw:
    """Simulate trials patient by patient at several sizes, on common random numbers.

    Parameters
    ----------
    scenario : Scenario
    n_sims : int
    rng : numpy.random.Generator
    grid : sequence of tuple of int
        Patients per arm at each grid point, non-decreasing in every arm.
        The trial at point ``g`` is the first ``grid[g][arm]`` patients of
        each arm of the trial at the last point.
    params : TrialParameters, optional

    Returns
    -------
    Draw
        Per-arm moments, completers and AE counts, (trials, sizes) arrays.
    """
    pain = scenario.pain
    params = params or TrialParameters.fixed(scenario)
    needs_x = pain.analysis != "followup" or pain.truncated
    single = len(grid) == 1
    arms, completers = [], []
    ae_counts: dict[str, list[np.ndarray]] = {ae.name: [] for ae in scenario.adverse_events}
    for arm in range(len(grid[0])):
        prefix = prefix_of(tuple(g[arm] for g in grid))
        n = prefix.size
        # Scratch memory (reused block to block): neither array outlives this arm.
        zx = (draw_baseline_z(rng, (n_sims, n), pain, out=buffer("zx", (n_sims, n)))
              if needs_x else None)
        zy = rng.standard_normal(out=buffer("zy", (n_sims, n)))
        risk = params.risks_of(scenario, arm)
        if single:
            mask, m, counts = _withdrawals(rng, scenario, n_sims, n, risk)
            m = m[:, None]
            counts = {k: v[:, None] for k, v in counts.items()}
        else:
            mask, flags = _withdrawals_per_patient(rng, scenario, n_sims, n, risk)
            m = prefix.counts(n_sims) if mask is None else prefix.sums(mask)
            counts = {k: prefix.sums(v) for k, v in flags.items()}
        for name, c in counts.items():
            ae_counts[name].append(c)
        completers.append(m)
        mu_y = followup_mean(pain, False) + params.effect_of(scenario, arm)
        if pain.bounded or pain.is_responder:
            arms.append(_observed_moments(pain, zx, zy, mask, m, mu_y, prefix))
        else:
            arms.append(_latent_moments(pain, zx, zy, mask, m, mu_y, prefix))
    return Draw(analysis=pain.analysis, arms=tuple(arms), completers=tuple(completers),
                ae_counts={k: tuple(v) for k, v in ae_counts.items()})


def _withdrawals(rng, scenario: Scenario, k: int, n: int, risk):
    """Completion mask (None = everyone), completers and AE counts of one arm.

    ``risk`` maps each AE to its probability in this arm, a scalar or one
    value per trial.
    """
    after = scenario.dropout.after_ae
    rate = scenario.dropout.rate
    if any(q > 0 for q in after.values()):
        mask, flags = _withdrawals_per_patient(rng, scenario, k, n, risk)
        return mask, mask.sum(axis=1), {name: f.sum(axis=1) for name, f in flags.items()}
    # Under MCAR the completers are a random subset; patients are
    # exchangeable, so the first m of each row are as good as any m.
    m = rng.binomial(n, 1.0 - rate, size=k) if rate > 0 else None
    # Events that drive nothing else: their counts are exactly binomial (drawn
    # last, so a risk ratio drawn from a prior leaves the other draws paired).
    counts = {ae.name: rng.binomial(n, risk[ae.name], size=k) for ae in scenario.adverse_events}
    if m is not None:
        return np.arange(n) < m[:, None], m, counts
    return None, np.full(k, n), counts


def _withdrawals_per_patient(rng, scenario: Scenario, k: int, n: int, risk):
    """Per-patient completion mask (None = everyone) and AE indicators."""
    after = scenario.dropout.after_ae
    rate = scenario.dropout.rate

    def uniform():  # in scratch memory: each is compared at once, then dropped
        return rng.random(out=buffer("uniform", (k, n)))

    withdraw = uniform() < rate if rate > 0 else None
    flags = {}
    for ae in scenario.adverse_events:
        has = uniform() < column(risk[ae.name])
        flags[ae.name] = has
        q = after.get(ae.name, 0.0)
        if q > 0:
            left = has & (uniform() < q)
            withdraw = left if withdraw is None else withdraw | left
    return (None if withdraw is None else ~withdraw), flags


def _latent_moments(pain, zx, zy, mask, m, mu_y, prefix) -> ArmMoments:
    """Moments of unbounded scores: computed on the normals, mapped linearly."""
    mz_x, mz_y, czxx, czyy, czxy = centred_moments(zx, zy, mask, m, prefix)
    sd = pain.sd
    mu_y = column(mu_y)
    if zx is None:
        return ArmMoments(n=m, mean_y=mu_y + sd * mz_y, cyy=sd * sd * czyy)
    r = pain.correlation
    s = math.sqrt(1.0 - r * r)
    sb = pain.baseline_sd
    return ArmMoments(
        n=m,
        mean_x=pain.baseline_mean + sb * mz_x,
        mean_y=mu_y + sd * (r * mz_x + s * mz_y),
        cxx=sb * sb * czxx,
        cxy=sb * sd * (r * czxx + s * czxy),
        cyy=sd * sd * (r * r * czxx + 2 * r * s * czxy + s * s * czyy),
    )


def _observed_moments(pain, zx, zy, mask, m, mu_y, prefix) -> ArmMoments:
    """Moments of observed (clipped, rounded) scores, and responder counts."""
    shift = pain.baseline_mean  # centre before summing, for precision
    sd = pain.sd
    mu_y = column(mu_y)
    # zx and zy are scratch: the observed scores are made in their memory.
    if zx is None:
        y = zy
        y *= sd
        y += mu_y
        observe(y, pain.bounded)
        x = None
    else:
        r = pain.correlation
        y = zy
        y *= sd * math.sqrt(1.0 - r * r)
        y += np.multiply(zx, sd * r, out=buffer("term", zx.shape))
        y += mu_y
        observe(y, pain.bounded)
        x = zx
        x *= pain.baseline_sd
        x += pain.baseline_mean
        observe(x, pain.bounded)
    responders = None
    if pain.is_responder:
        resp = is_responder(x, y, pain.responder_cutoff)
        responders = prefix.sums(resp if mask is None else resp & mask)
    y -= shift
    if x is not None:
        x -= shift
    mean_x, mean_y, cxx, cyy, cxy = centred_moments(x, y, mask, m, prefix)
    return ArmMoments(n=m, mean_y=mean_y + shift, cyy=cyy,
                      mean_x=None if x is None else mean_x + shift, cxx=cxx, cxy=cxy,
                      responders=responders)
