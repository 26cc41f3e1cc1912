"""True values of the estimands under the data-generating model, by quadrature.

For each arm: the mean observed baseline and follow-up score and the
responder rate, integrated over the (truncated) latent baseline with
Gauss-Legendre rules on pieces split where the observed score jumps. These
are the targets that the simulated estimates are compared with (bias,
coverage), and the inputs of the closed-form responder power. They are
computed without any random numbers, so they are an independent check of the
per-patient path.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._lazy import special
from ..errors import ScenarioError
from ..spec import Pain
from ..spec.pain import NRS_MAX, latent_bounds
from .outcomes import followup_mean

__all__ = ["ArmTruth", "arm_truth", "true_effect", "true_crossover_effect"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(40)


@dataclass(frozen=True, slots=True)
class ArmTruth:
    """Expected observed outcomes in one arm of the enrolled population.

    Attributes
    ----------
    baseline : float
        Mean observed baseline score.
    followup : float
        Mean observed follow-up score.
    responder_rate : dict of float to float
        Probability of at least a given fractional reduction (keys 0.3, 0.5).
    """

    baseline: float
    followup: float
    responder_rate: dict[float, float]


def _pieces(pain: Pain, lo: float, hi: float) -> list[tuple[float, float]]:
    """Integration pieces on the standardized latent baseline axis."""
    m, s = pain.baseline_mean, pain.baseline_sd
    lo = max(lo, -12.0)
    hi = min(hi, 12.0)
    cuts = [lo, hi]
    if pain.bounded:
        cuts += [(k + 0.5 - m) / s for k in range(int(NRS_MAX))]
    cuts += [0.0, (0.0 - m) / s]  # the sign of the baseline matters for responders
    cuts = sorted(c for c in set(cuts) if lo <= c <= hi)
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


@lru_cache(maxsize=256)
def arm_truth(pain: Pain, active: bool, effect: float | None = None) -> ArmTruth:
    """Expected observed baseline, follow-up and responder rates of one arm.

    Parameters
    ----------
    pain : Pain
        The outcome model.
    active : bool
        The active arm (mean shifted by ``effect``) or the placebo arm.
    effect : float, optional
        The active arm's shift instead of ``pain.effect`` (a node of the
        effect's prior, which may lie beyond the range a scenario allows).
    """
    zlo, zhi = latent_bounds(pain)
    pieces = _pieces(pain, zlo, zhi)
    z = np.concatenate([0.5 * (b - a) * _NODES + 0.5 * (a + b) for a, b in pieces])
    w = np.concatenate([0.5 * (b - a) * _WEIGHTS for a, b in pieces])
    w = w * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    w = w / (special.ndtr(zhi) - special.ndtr(zlo))

    r = pain.correlation
    x = pain.baseline_mean + pain.baseline_sd * z
    shift = (pain.effect if effect is None else effect) if active else 0.0
    cond_mean = followup_mean(pain, False) + shift + pain.sd * r * z
    cond_sd = pain.sd * math.sqrt(1.0 - r * r)

    if pain.bounded:
        x_obs = np.clip(np.rint(x), 0.0, NRS_MAX)
        # E[round(clip(Y))] = sum_{j=1..10} P(Y >= j - 1/2)
        levels = np.arange(1, int(NRS_MAX) + 1) - 0.5
        y_mean = special.ndtr((cond_mean[:, None] - levels) / cond_sd).sum(axis=1)
    else:
        x_obs = x
        y_mean = cond_mean

    rates = {}
    for cutoff in (0.3, 0.5):
        limit = (1.0 - cutoff) * x_obs
        if pain.bounded:
            # integer follow-up j responds when j <= floor(limit); P(Y < floor + 1/2)
            top = np.floor(limit + 1e-9)
            p = np.where(top >= NRS_MAX, 1.0, special.ndtr((top + 0.5 - cond_mean) / cond_sd))
        else:
            p = special.ndtr((limit - cond_mean) / cond_sd)
        rates[cutoff] = float(np.sum(w * np.where(x_obs > 0, p, 0.0)))
    return ArmTruth(baseline=float(np.sum(w * x_obs)), followup=float(np.sum(w * y_mean)),
                    responder_rate=rates)


def true_effect(pain: Pain) -> float:
    """The value the primary analysis estimates (active minus placebo).

    For continuous analyses (ANCOVA, change, follow-up) it is the difference
    in mean observed follow-up scores; it equals ``pain.effect`` unless the
    scores are bounded. For responder analyses it is the difference in
    responder rates.
    """
    if not isinstance(pain, Pain):
        raise ScenarioError(f"pain = {type(pain).__name__}: must be a Pain (a scenario's "
                            "pain table: true_effect(scenario.pain))")
    placebo, active = arm_truth(pain, False), arm_truth(pain, True)
    if pain.is_responder:
        c = pain.responder_cutoff
        return active.responder_rate[c] - placebo.responder_rate[c]
    if not pain.bounded:
        return pain.effect
    return active.followup - placebo.followup


def true_crossover_effect(pain: Pain, period_effect: float) -> float:
    """The within-patient comparison's estimand without carry-over: the
    treatment difference in mean observed scores, averaged over the periods."""
    if not pain.bounded:
        return pain.effect
    total = 0.0
    for shift in (0.0, period_effect):
        period = dataclasses.replace(pain, placebo_change=pain.placebo_change + shift)
        total += arm_truth(period, True).followup - arm_truth(period, False).followup
    return total / 2.0
