"""Estimand analyses of every patient's data (ICH E9(R1)): which data each analyses.

* ``hypothetical``: complete cases, the scenario's analysis.
* ``treatment-policy-bocf``: every randomised patient; a withdrawn patient's
  follow-up is their baseline (baseline observation carried forward).
* ``composite``: responder analysis of every randomised patient, withdrawal
  counted as non-response.

Jump-to-reference multiple imputation is in
:mod:`simulator.analysis.imputation`. Arrays in, per-arm moments out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..moments import ArmMoments, PatientArm, observed_moments

__all__ = ["is_responder", "estimand_moments"]


def is_responder(baseline: np.ndarray, followup: np.ndarray, cutoff: float) -> np.ndarray:
    """At least ``cutoff`` (e.g. 0.3) fractional reduction from a positive baseline."""
    reduction = baseline - followup
    return (baseline > 0) & (reduction >= cutoff * baseline - 1e-9)


def _responders(arm: PatientArm, cutoff: float, n: np.ndarray) -> ArmMoments:
    resp = is_responder(arm.x, arm.y, cutoff) & arm.keep
    count = arm.prefix.sums(resp)
    return ArmMoments(n=n, mean_y=count, cyy=count, responders=count)


def estimand_moments(estimand: str, cutoff: float | None, arms: Sequence[PatientArm],
                     n_sims: int) -> list[ArmMoments]:
    """Per-arm moments of the data the estimand analyses, on each arm's size grid.

    Parameters
    ----------
    estimand : {"hypothetical", "treatment-policy-bocf", "composite"}
    cutoff : float or None
        The responder cut-off of a responder analysis (None: continuous).
    arms : sequence of PatientArm
    n_sims : int
        Trials (rows) in the arrays.
    """
    out = []
    for arm in arms:
        if estimand == "composite":
            out.append(_responders(arm, cutoff, arm.prefix.counts(n_sims)))
        elif estimand == "treatment-policy-bocf":
            out.append(observed_moments(arm.prefix, arm.x, np.where(arm.keep, arm.y, arm.x),
                                        None, n_sims))
        elif cutoff is not None:
            out.append(_responders(arm, cutoff, arm.prefix.sums(arm.keep)))
        else:
            out.append(observed_moments(arm.prefix, arm.x, arm.y, arm.keep, n_sims))
    return out
