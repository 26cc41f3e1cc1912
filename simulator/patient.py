"""The per-patient data path: arrays of shape (trials, patients), chunked.

It handles everything the aggregate path cannot: clipped and rounded NRS
scores, a truncated baseline, responder cut-offs and withdrawal driven by
adverse events. Each arm is drawn as a block of standard normals; when the
scores are not transformed non-linearly (no clipping, no responders) the
summary statistics are taken on the standard normals and mapped linearly,
which is exact and saves a pass over the patients.

Random numbers are drawn in a fixed order: for each arm in turn, baseline,
follow-up, then adverse events and withdrawals.
"""

from __future__ import annotations

import math

import numpy as np

from .analysis import ArmMoments, TrialSample, primary_analysis
from .outcomes import draw_baseline_z, followup_mean, is_responder, observe
from .parameters import TrialParameters
from .scenario import Scenario

__all__ = ["simulate_patients", "patient_bytes_per_trial"]

_LIVE_ARRAYS = 8  # (trials x patients) float arrays alive at once, for the memory budget


def patient_bytes_per_trial(scenario: Scenario) -> int:
    """Peak bytes one simulated trial needs on the per-patient path."""
    return 8 * _LIVE_ARRAYS * max(scenario.design.group_sizes) + 64 * len(scenario.design.arms)


def simulate_patients(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                      params: TrialParameters | None = None) -> TrialSample:
    """Simulate ``n_sims`` trials patient by patient and analyse them.

    Parameters
    ----------
    scenario : Scenario
    n_sims : int
        Trials in this chunk.
    rng : numpy.random.Generator
        The chunk's own stream.
    params : TrialParameters, optional
        True effect and AE risks (per trial under a prior); default the
        scenario's point values.

    Returns
    -------
    TrialSample
    """
    pain = scenario.pain
    params = params or TrialParameters.fixed(scenario)
    needs_x = pain.analysis != "followup" or pain.truncated
    arms, completers = [], []
    ae_counts: dict[str, list[np.ndarray]] = {ae.name: [] for ae in scenario.adverse_events}
    for arm, n in enumerate(scenario.design.group_sizes):
        active = arm == 1
        zx = draw_baseline_z(rng, (n_sims, n), pain) if needs_x else None
        zy = rng.standard_normal((n_sims, n))
        risk = (params.active_risk if active
                else {ae.name: ae.placebo_risk for ae in scenario.adverse_events})
        mask, m, counts = _withdrawals(rng, scenario, n_sims, n, risk)
        for name, c in counts.items():
            ae_counts[name].append(c)
        completers.append(m)
        mu_y = followup_mean(pain, False) + (params.effect if active else 0.0)
        if pain.bounded or pain.is_responder:
            arms.append(_observed_moments(pain, zx, zy, mask, m, mu_y))
        else:
            arms.append(_latent_moments(pain, zx, zy, mask, m, mu_y))
    primary = primary_analysis(pain.analysis, scenario.analysis.test, arms[0], arms[1])
    return TrialSample(primary=primary, completers=tuple(completers),
                       ae_counts={k: tuple(v) for k, v in ae_counts.items()})


def _withdrawals(rng, scenario: Scenario, k: int, n: int, risk):
    """Completion mask (None = everyone), completers and AE counts of one arm.

    ``risk`` maps each AE to its probability in this arm, a scalar or one
    value per trial.
    """
    events = scenario.adverse_events
    after = scenario.dropout.after_ae
    rate = scenario.dropout.rate
    if any(q > 0 for q in after.values()):
        withdraw = rng.random((k, n)) < rate if rate > 0 else np.zeros((k, n), bool)
        counts = {}
        for ae in events:
            has = rng.random((k, n)) < _column(risk[ae.name])
            counts[ae.name] = has.sum(axis=1)
            q = after.get(ae.name, 0.0)
            if q > 0:
                withdraw |= has & (rng.random((k, n)) < q)
        mask = ~withdraw
        return mask, mask.sum(axis=1), counts
    # Events that drive nothing else: their counts are exactly binomial.
    counts = {ae.name: rng.binomial(n, risk[ae.name], size=k) for ae in events}
    if rate > 0:
        # Under MCAR the completers are a random subset; patients are
        # exchangeable, so the first m of each row are as good as any m.
        m = rng.binomial(n, 1.0 - rate, size=k)
        return np.arange(n) < m[:, None], m, counts
    return None, np.full(k, n), counts


def _column(value):
    """A per-trial vector as a column, to broadcast over patients."""
    value = np.asarray(value, dtype=float)
    return value[:, None] if value.ndim == 1 else value


def _moments(u, v, mask, n):
    """Means and centred (co)variation sums of v (and u) over the mask."""
    with np.errstate(divide="ignore", invalid="ignore"):
        vm = v if mask is None else v * mask
        sv = vm.sum(axis=1)
        mean_v = sv / n
        cvv = np.einsum("ij,ij->i", vm, v) - sv * mean_v
        if u is None:
            return None, mean_v, None, cvv, None
        um = u if mask is None else u * mask
        su = um.sum(axis=1)
        mean_u = su / n
        cuu = np.einsum("ij,ij->i", um, u) - su * mean_u
        cuv = np.einsum("ij,ij->i", um, v) - su * mean_v
    return mean_u, mean_v, cuu, cvv, cuv


def _latent_moments(pain, zx, zy, mask, m, mu_y) -> ArmMoments:
    """Moments of unbounded scores: computed on the normals, mapped linearly."""
    mz_x, mz_y, czxx, czyy, czxy = _moments(zx, zy, mask, m)
    sd = pain.sd
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


def _observed_moments(pain, zx, zy, mask, m, mu_y) -> ArmMoments:
    """Moments of observed (clipped, rounded) scores, and responder counts."""
    shift = pain.baseline_mean  # centre before summing, for precision
    sd = pain.sd
    mu_y = _column(mu_y)
    if zx is None:
        y = observe(mu_y + sd * zy, pain.bounded)
        x = None
    else:
        r = pain.correlation
        y = zx * (sd * r)
        y += zy * (sd * math.sqrt(1.0 - r * r))
        y += mu_y
        observe(y, pain.bounded)
        x = observe(pain.baseline_mean + pain.baseline_sd * zx, pain.bounded)
    responders = None
    if pain.is_responder:
        resp = is_responder(x, y, pain.responder_cutoff)
        responders = (resp if mask is None else resp & mask).sum(axis=1)
    y -= shift
    if x is not None:
        x -= shift
    mean_x, mean_y, cxx, cyy, cxy = _moments(x, y, mask, m)
    return ArmMoments(n=m, mean_y=mean_y + shift, cyy=cyy,
                      mean_x=None if x is None else mean_x + shift, cxx=cxx, cxy=cxy,
                      responders=responders)
