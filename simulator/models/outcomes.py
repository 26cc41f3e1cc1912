"""The pain model: baseline and follow-up NRS, observed scores, responders.

Latent scores are bivariate normal (see :class:`~simulator.scenario.Pain`);
in standard units, baseline ``zx`` (truncated to the inclusion range) and an
independent ``zy`` give

    X = baseline_mean + baseline_sd * zx
    Y = mu_y + sd * (r * zx + sqrt(1 - r^2) * zy),

where ``mu_y = baseline_mean + placebo_change (+ effect on the active arm)``.
Observed scores are the latent ones, or with ``bounded`` clipped to 0-10 and
rounded to integers. These are the only places the model is written down;
the per-patient path, the aggregate path and the quadrature in
:mod:`simulator.estimands` all use them.
"""

from __future__ import annotations

import math

import numpy as np

from .._lazy import special
from ..spec.pain import NRS_MAX, Pain, latent_bounds

__all__ = [
    "analysis_sd",
    "draw_baseline_z",
    "followup_mean",
    "observe",
]

def draw_baseline_z(rng: np.random.Generator, shape: tuple[int, ...], pain: Pain,
                    out: np.ndarray | None = None) -> np.ndarray:
    """Standardized latent baselines, truncated to the inclusion range.

    Untruncated draws use the Generator's normal sampler; truncated ones use
    the inverse CDF on the included probability range. ``out`` (float64,
    C-contiguous, of ``shape``) receives the draws, with the same values.
    """
    lo, hi = latent_bounds(pain)
    if math.isinf(lo) and math.isinf(hi):
        return rng.standard_normal(shape) if out is None else rng.standard_normal(out=out)
    # Sample the tail that keeps precision: mirror when the range lies above 0.
    if lo > 0:
        z = _truncated_lower(rng, shape, -hi, -lo, out)
        return np.negative(z, out=z)
    return _truncated_lower(rng, shape, lo, hi, out)


def _truncated_lower(rng, shape, lo, hi, out=None):
    plo, phi = special.ndtr(lo), special.ndtr(hi)
    u = rng.random(shape) if out is None else rng.random(out=out)
    u *= phi - plo
    u += plo
    return special.ndtri(u, out=u)


def followup_mean(pain: Pain, active: bool) -> float:
    """Mean latent follow-up score of an arm (NRS points)."""
    return pain.baseline_mean + pain.placebo_change + (pain.effect if active else 0.0)


def analysis_sd(pain: Pain) -> float:
    """SD of one patient's contribution to the primary estimate (NRS points).

    Follow-up: ``sd``; change: ``sqrt(sd^2 + baseline_sd^2 - 2 r sd baseline_sd)``;
    ANCOVA: the residual SD ``sd sqrt(1 - r^2)``.
    """
    sd, sb, r = pain.sd, pain.baseline_sd, pain.correlation
    if pain.analysis == "ancova":
        return sd * math.sqrt(1 - r * r)
    if pain.analysis == "change":
        return math.sqrt(sd * sd + sb * sb - 2 * r * sd * sb)
    return sd


def observe(latent: np.ndarray, bounded: bool) -> np.ndarray:
    """Observed scores: clipped to 0-10 and rounded when ``bounded`` (in place)."""
    if bounded:
        np.clip(latent, 0.0, NRS_MAX, out=latent)
        np.rint(latent, out=latent)
    return latent
