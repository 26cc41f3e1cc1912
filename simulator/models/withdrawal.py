"""Withdrawal that depends on the patient, and every patient's full data.

Used by the per-patient path when dropout depends on the patient (``mar``:
on the observed baseline; ``mnar``: on the follow-up score itself), when the
estimand is not the hypothetical one, or with functional unblinding (patients
who have a named adverse event report their pain shifted by an expectancy
bias, in either arm). Each arm is simulated in full (every patient's
baseline and follow-up, including the follow-up a withdrawn patient would
have had), then withdrawal is applied; the estimand's analysis of these data
is in :mod:`simulator.analysis.estimands` and
:mod:`simulator.analysis.imputation`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .._lazy import special
from ..moments import PatientArm, column, prefix_of
from ..spec.scenario import Scenario
from .draw import Draw
from .outcomes import draw_baseline_z, followup_mean, observe
from .parameters import TrialParameters

__all__ = ["needs_missing_path", "full_data_arm", "simulate_missing_grid"]


def needs_missing_path(scenario: Scenario) -> bool:
    """Whether the scenario needs this module (not only complete cases under MCAR)."""
    return (scenario.dropout.mechanism in ("mar", "mnar")
            or scenario.analysis.estimand != "hypothetical"
            or scenario.pain.unblinding_ae is not None)


def _dropout_probability(scenario: Scenario, x: np.ndarray, y: np.ndarray) -> np.ndarray | float:
    d, pain = scenario.dropout, scenario.pain
    if d.rate == 0:
        return 0.0
    if d.mechanism == "mar":
        return special.expit(special.logit(d.rate) + d.slope * (x - pain.baseline_mean))
    if d.mechanism == "mnar":
        centre = pain.baseline_mean + pain.placebo_change
        return special.expit(special.logit(d.rate) + d.slope * (y - centre))
    return d.rate


def full_data_arm(scenario: Scenario, rng: np.random.Generator, shape, mu_y, risk):
    """Full data of one arm: observed baseline and follow-up, who stays, AE flags."""
    pain = scenario.pain
    r = pain.correlation
    zx = draw_baseline_z(rng, shape, pain)
    zy = rng.standard_normal(shape)
    u = rng.random(shape) if scenario.dropout.rate > 0 else None
    flags, left = {}, np.zeros(shape, bool)
    for ae in scenario.adverse_events:
        flags[ae.name] = rng.random(shape) < column(risk[ae.name])
        q = scenario.dropout.after_ae.get(ae.name, 0.0)
        if q > 0:
            left |= flags[ae.name] & (rng.random(shape) < q)
    y = column(mu_y) + pain.sd * (r * zx + math.sqrt(1 - r * r) * zy)
    if pain.unblinding_ae is not None:  # expectancy: patients who can guess their arm
        y = y + pain.unblinding_shift * flags[pain.unblinding_ae]
    y = observe(y, pain.bounded)
    x = observe(pain.baseline_mean + pain.baseline_sd * zx, pain.bounded)
    if u is not None:
        left |= u < _dropout_probability(scenario, x, y)
    return x, y, ~left, flags


def simulate_missing_grid(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                          grid: Sequence[tuple[int, ...]],
                          params: TrialParameters | None = None) -> Draw:
    """Every patient's full data, withdrawal applied: for the estimand's analysis.

    Parameters as :func:`simulator.models.patient.simulate_patient_grid`;
    the :class:`Draw` carries each arm's patients, completers and AE counts.
    """
    pain = scenario.pain
    params = params or TrialParameters.fixed(scenario)
    arms, completers = [], []
    ae_counts: dict[str, list[np.ndarray]] = {ae.name: [] for ae in scenario.adverse_events}
    for arm in range(len(grid[0])):
        prefix = prefix_of(tuple(g[arm] for g in grid))
        shape = (n_sims, prefix.size)
        risk = params.risks_of(scenario, arm)
        mu_y = followup_mean(pain, False) + params.effect_of(scenario, arm)
        x, y, keep, flags = full_data_arm(scenario, rng, shape, mu_y, risk)
        for name, f in flags.items():
            ae_counts[name].append(prefix.sums(f))
        completers.append(prefix.sums(keep))
        arms.append(PatientArm(prefix=prefix, x=x, y=y, keep=keep))

    return Draw(analysis=pain.analysis, completers=tuple(completers),
                ae_counts={k: tuple(v) for k, v in ae_counts.items()}, patients=tuple(arms))
