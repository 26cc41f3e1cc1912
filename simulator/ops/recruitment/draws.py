"""What both paths draw alike: the sites' rates, and each patient's arm and outcome.

A replication (simpy) or a chunk (vectorized) has one ``SeedSequence``; its
arrivals come from the sequence itself, the sites' rates from its child 0
and the patients' arms and outcomes from its child 1
(:func:`streams`), so that neither changes the arrival stream: with
``rate_cv = 0`` the same seed gives the same randomisation times whatever
the dropout, and the same arms and outcomes whatever the chairs.

*Site rates* (the Poisson-gamma model, Anisimov and Fedorov 2007): each
site's screening rate is Gamma with shape ``1 / cv^2`` and scale ``mean *
cv^2`` (mean ``mean``, coefficient of variation ``cv``), drawn once per
replication; ``cv = 0`` gives every site the mean.

*Arms*: the ``design.group_sizes`` labels in a random order (a random
allocation rule: the arms have exactly their sizes at full enrolment).

*Outcomes*: a treated patient of arm ``a`` withdraws after an adverse event
with probability ``ae_withdrawal[a]`` and otherwise has a primary outcome with
probability ``completion[a] / (1 - ae_withdrawal[a])`` (the other dropout), so
that the outcome's probability is the power engine's ``completion[a]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import RecruitmentModel

__all__ = ["streams", "site_rates", "PatientDraws", "patient_draws"]


def streams(seed: np.random.SeedSequence) -> tuple[np.random.Generator, np.random.Generator,
                                                    np.random.Generator]:
    """Generators of the arrivals, the sites' rates and the patients' arms and outcomes."""
    def child(i: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i),
                                      pool_size=seed.pool_size)

    return (np.random.default_rng(seed), np.random.default_rng(child(0)),
            np.random.default_rng(child(1)))


def site_rates(model: RecruitmentModel, rng: np.random.Generator, n_reps: int) -> np.ndarray:
    """Each replication's screening rate per site per day, shape ``(n_reps, sites)``."""
    shape = (n_reps, len(model.open_day))
    if model.rate_cv == 0:
        return np.full(shape, model.screen_rate_day)
    k = 1.0 / model.rate_cv ** 2
    return rng.gamma(k, model.screen_rate_day / k, size=shape)


@dataclass(frozen=True, slots=True)
class PatientDraws:
    """Each patient's arm and what happens after treatment, in randomisation order.

    Attributes
    ----------
    arm : ndarray of int8, shape (R, n)
    ae_withdrawal : ndarray of bool, shape (R, n)
        Withdraws after an adverse event, if treated.
    completes : ndarray of bool, shape (R, n)
        Has a primary outcome, if treated.
    """

    arm: np.ndarray
    ae_withdrawal: np.ndarray
    completes: np.ndarray


def patient_draws(model: RecruitmentModel, rng: np.random.Generator,
                  n_reps: int) -> PatientDraws:
    """Arms and outcomes of ``n_reps`` replications of ``model.n_target`` patients."""
    labels = np.repeat(np.arange(len(model.arm_sizes), dtype=np.int8), model.arm_sizes)
    arm = rng.permuted(np.tile(labels, (n_reps, 1)), axis=1)
    ae = np.asarray(model.ae_withdrawal)
    keep = np.asarray(model.completion)
    other = np.divide(keep, 1.0 - ae, out=np.ones_like(keep), where=ae < 1.0)
    withdraws = rng.random(arm.shape) < ae[arm]
    stays = rng.random(arm.shape) < other[arm]
    return PatientDraws(arm=arm, ae_withdrawal=withdraws, completes=~withdraws & stays)
