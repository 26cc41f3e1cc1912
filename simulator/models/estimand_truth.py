"""The value each estimand takes under the scenario, from a very large trial.

The hypothetical estimand, and every estimand without withdrawal, has a
closed form (:mod:`simulator.models.truth`). The others come from the full
data of a trial of 4,000,000 patients per arm (fixed seed), with withdrawal
applied by the estimand's rule, and carry their Monte Carlo SE.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..analysis.estimands import is_responder
from ..spec.scenario import Scenario
from ..spec.variants import without_unblinding
from .outcomes import followup_mean
from .parameters import TrialParameters
from .truth import true_effect
from .withdrawal import full_data_arm

__all__ = ["estimand_truth"]

_TRUTH_PATIENTS = 4_000_000  # per arm
_TRUTH_CHUNK = 250_000


def _truth_chunks(scenario: Scenario, arm: int):
    """The very large trial's arm, chunk by chunk (the same numbers on every call)."""
    pain = scenario.pain
    fixed = TrialParameters.fixed(scenario)
    rng = np.random.default_rng(np.random.SeedSequence(20251124, spawn_key=(arm,)))
    mu_y = followup_mean(pain, False) + (pain.effect if arm == 1 else 0.0)
    risk = fixed.active_risk if arm == 1 else {a.name: a.placebo_risk
                                               for a in scenario.adverse_events}
    for _ in range(_TRUTH_PATIENTS // _TRUTH_CHUNK):
        x, y, keep, _ = full_data_arm(scenario, rng, (1, _TRUTH_CHUNK), mu_y, risk)
        yield x[0], y[0], keep[0]


@lru_cache(maxsize=32)
def _truth_cached(scenario: Scenario) -> tuple[float, float]:
    pain, estimand = scenario.pain, scenario.analysis.estimand
    slope = intercept = 0.0
    if estimand == "treatment-policy-j2r":  # the reference arm's full-data regression
        fit = np.zeros(5)
        for x, y, _ in _truth_chunks(scenario, 0):
            fit += [x.size, x.sum(), y.sum(), (x * x).sum(), (x * y).sum()]
        n, sx, sy, sxx, sxy = fit
        slope = (sxy - sx * sy / n) / (sxx - sx * sx / n)
        intercept = sy / n - slope * sx / n
    sums = np.zeros((2, 2))  # per arm: sum and sum of squares of the patient-level value
    for arm in (0, 1):
        for x, y, keep in _truth_chunks(scenario, arm):
            if estimand == "treatment-policy-bocf":
                value = np.where(keep, y, x)
            elif estimand == "treatment-policy-j2r":
                value = np.where(keep, y, intercept + slope * x)
            else:  # composite
                value = (is_responder(x, y, pain.responder_cutoff) & keep).astype(float)
            sums[arm] += [value.sum(), (value * value).sum()]
    means = sums[:, 0] / _TRUTH_PATIENTS
    variances = sums[:, 1] / _TRUTH_PATIENTS - means**2
    return float(means[1] - means[0]), float(math.sqrt(variances.sum() / _TRUTH_PATIENTS))


def estimand_truth(scenario: Scenario) -> tuple[float, float]:
    """The estimand's value under the scenario, and the Monte Carlo SE of that value.

    The hypothetical estimand and the others without withdrawal have closed
    forms (SE 0); otherwise the value comes from the full data of a trial of
    4,000,000 patients per arm (fixed seed), with withdrawal applied by the
    estimand's rule (jump to reference: the placebo arm's full-data
    regression of follow-up on baseline).
    """
    if scenario.analysis.estimand == "hypothetical" or not scenario.dropout.any:
        return true_effect(scenario.pain), 0.0
    # the treatment's effect, not the expectancy bias of unblinding
    return _truth_cached(without_unblinding(scenario))
