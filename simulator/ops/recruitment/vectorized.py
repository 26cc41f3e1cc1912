"""The vectorized path (only without a capacity limit): a chunk of replications at once.

Randomisations form a Poisson process of rate ``lambda(t) = (1 -
screen_failure) * rate * (sites open at t)``, so the ``k``-th randomisation is
``Lambda^{-1}(E_1 + ... + E_k)`` with unit exponentials ``E`` and the
piecewise-linear cumulative rate ``Lambda``; a randomisation at ``t`` comes
from one of the sites open at ``t`` uniformly. All replications of a chunk
are drawn at once from the chunk's stream.
"""

from __future__ import annotations

import os

import numpy as np

from .model import DAYS_PER_MONTH, RecruitmentModel
from .timelines import RecruitmentTimelines

__all__ = ["run_vector_chunk", "BYTES_PER_PATIENT"]

BYTES_PER_PATIENT = 160  # the vectorized chunk's arrays and temporaries, per patient


def _cumulative_rate(model: RecruitmentModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breakpoints (days), Lambda at them, and the randomisation rate after each."""
    opens = np.sort(np.asarray(model.open_day))
    bp, counts = np.unique(opens, return_counts=True)
    rate = model.screen_rate_day * (1.0 - model.screen_failure) * np.cumsum(counts)
    lam = np.concatenate([[0.0], np.cumsum(rate[:-1] * np.diff(bp))])
    return bp, lam, rate


def _randomisation_days(model: RecruitmentModel, rng: np.random.Generator,
                        n_reps: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit-rate arrival times ``y`` and the randomisation days ``Lambda^{-1}(y)``."""
    bp, lam, rate = _cumulative_rate(model)
    # unit-rate arrival times, mapped through Lambda^{-1} (piecewise linear)
    y = np.cumsum(rng.standard_exponential((n_reps, model.n_target)), axis=1)
    idx = np.searchsorted(lam, y, side="right") - 1
    rand = bp[idx] + (y - lam[idx]) / rate[idx]
    return y, rand


def _randomising_sites(model: RecruitmentModel, rng: np.random.Generator,
                       rand: np.ndarray) -> np.ndarray:
    """The randomising site: uniform among the sites open at that time."""
    order = np.argsort(np.asarray(model.open_day), kind="stable")
    sorted_open = np.asarray(model.open_day)[order]
    n_open = np.searchsorted(sorted_open, rand, side="right")
    pick = np.minimum((rng.random(rand.shape) * n_open).astype(np.int64), n_open - 1)
    return order[pick].astype(np.int32)


def run_vector_chunk(model: RecruitmentModel, n_reps: int, seed: np.random.SeedSequence
                     ) -> tuple[RecruitmentTimelines, int]:
    """``n_reps`` replications at once on the vectorized path (a joblib task).

    Parameters
    ----------
    model : RecruitmentModel
        Without a capacity limit (``slots`` None): nobody waits.
    n_reps : int
        Replications in the chunk.
    seed : SeedSequence
        The chunk's stream.

    Returns
    -------
    timelines : RecruitmentTimelines
    pid : int
        The process that ran them.
    """
    rng = np.random.default_rng(seed)
    n = model.n_target
    y, rand = _randomisation_days(model, rng, n_reps)
    site = _randomising_sites(model, rng, rand)
    completes = rng.random((n_reps, n)) >= model.dropout
    # screen failures up to full enrolment: an independent (thinned) Poisson process
    sf = model.screen_failure
    failures = (rng.poisson(sf / (1.0 - sf) * y[:, -1]) if sf > 0
                else np.zeros(n_reps, dtype=np.int64))
    m = DAYS_PER_MONTH
    outcome = np.where(completes, rand + model.course_days + model.followup_days, np.nan)
    timelines = RecruitmentTimelines(
        randomised_month=rand / m,
        site=site,
        start_month=rand / m,
        wait_days=np.zeros((n_reps, n)),
        withdrawn=np.zeros((n_reps, n), dtype=bool),
        outcome_month=outcome / m,
        n_screened=(n + failures).astype(np.int64),
        queue_area_days=np.zeros(n_reps),
        busy_area_days=np.full(n_reps, n * model.course_days),
        infusion_end_month=(rand[:, -1] + model.course_days) / m,
    )
    return timelines, os.getpid()
