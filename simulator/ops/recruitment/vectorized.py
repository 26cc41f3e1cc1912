"""The vectorized path (only without a capacity limit): a chunk of replications at once.

Given the sites' rates ``r_s`` (drawn per replication, :mod:`.draws`),
randomisations form a Poisson process of rate ``lambda(t) = (1 -
screen_failure) * sum of r_s over the sites open at t``, so the ``k``-th
randomisation is ``Lambda^{-1}(E_1 + ... + E_k)`` with unit exponentials
``E`` and the piecewise-linear cumulative rate ``Lambda``; a randomisation
at ``t`` comes from one of the sites open at ``t`` with probability
proportional to its rate. Nobody waits for a chair; a course starts on the
first working time at or after randomisation (:mod:`.workdays`). All
replications of a chunk are drawn at once from the chunk's streams.
"""

from __future__ import annotations

import os

import numpy as np

from .draws import patient_draws, site_rates, streams
from .model import DAYS_PER_MONTH, RecruitmentModel
from .timelines import RecruitmentTimelines
from .workdays import course_end, next_working

__all__ = ["run_vector_chunk", "bytes_per_replication", "count_at_or_below"]

BYTES_PER_PATIENT = 240  # the chunk's arrays and temporaries, per patient
BYTES_ROW_SEARCH = 64  # with site heterogeneity: the row-wise search, per patient and site


def bytes_per_replication(model: RecruitmentModel) -> int:
    """Memory one replication needs on the vectorized path (sizes its chunks)."""
    if model.rate_cv == 0:
        return BYTES_PER_PATIENT * model.n_target
    return (BYTES_PER_PATIENT + BYTES_ROW_SEARCH) * model.n_target \
        + BYTES_ROW_SEARCH * len(model.open_day)


def count_at_or_below(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per row ``r``: how many of ``a[r]`` (nondecreasing) are ``<= v[r, j]``.

    A row-wise ``searchsorted(a[r], v[r], side="right")``, by one stable sort
    of each row of ``[a, v]`` (ties put ``a`` first).
    """
    n_rows, width = a.shape
    order = np.argsort(np.concatenate([a, v], axis=1), axis=1, kind="stable")
    is_a = order < width
    before = np.cumsum(is_a, axis=1)
    out = np.empty(v.shape, dtype=np.intp)
    rows = np.nonzero(~is_a)[0]
    out[rows, order[~is_a] - width] = before[~is_a]
    return out


def _segments(model: RecruitmentModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sites in opening order, the distinct opening days, and the sites open from each."""
    opens = np.asarray(model.open_day)
    order = np.argsort(opens, kind="stable")
    bp, counts = np.unique(opens[order], return_counts=True)
    return order, bp, np.cumsum(counts)


def _randomisation_days(model: RecruitmentModel, rng: np.random.Generator,
                        rates: np.ndarray | None, n_reps: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit-rate arrival times ``y`` and the randomisation days ``Lambda^{-1}(y)``.

    ``rates``: each replication's rate per site (None: every site at the mean).
    """
    order, bp, n_open = _segments(model)
    keep = 1.0 - model.screen_failure
    y = np.cumsum(rng.standard_exponential((n_reps, model.n_target)), axis=1)
    if rates is None:  # one Lambda for every replication
        rate = model.screen_rate_day * keep * n_open
        lam = np.concatenate([[0.0], np.cumsum(rate[:-1] * np.diff(bp))])
        idx = np.searchsorted(lam, y, side="right") - 1
        return y, bp[idx] + (y - lam[idx]) / rate[idx]
    rate = (np.cumsum(rates[:, order], axis=1) * keep)[:, n_open - 1]  # (R, segments)
    lam = np.concatenate([np.zeros((n_reps, 1)), np.cumsum(rate[:, :-1] * np.diff(bp), axis=1)],
                         axis=1)
    idx = count_at_or_below(lam, y) - 1
    return y, bp[idx] + (y - np.take_along_axis(lam, idx, 1)) / np.take_along_axis(rate, idx, 1)


def _randomising_sites(model: RecruitmentModel, rng: np.random.Generator,
                       rates: np.ndarray | None, rand: np.ndarray) -> np.ndarray:
    """The randomising site: among the sites open then, in proportion to their rates."""
    order = np.argsort(np.asarray(model.open_day), kind="stable")
    sorted_open = np.asarray(model.open_day)[order]
    n_open = np.searchsorted(sorted_open, rand, side="right")
    u = rng.random(rand.shape)
    if rates is None:  # equal rates: uniform among the open sites
        pick = np.minimum((u * n_open).astype(np.int64), n_open - 1)
    else:
        cum = np.cumsum(rates[:, order], axis=1)
        target = u * np.take_along_axis(cum, n_open - 1, 1)
        pick = np.minimum(count_at_or_below(cum, target), n_open - 1)
    return order[pick].astype(np.int32)


def run_vector_chunk(model: RecruitmentModel, n_reps: int, seed: np.random.SeedSequence
                     ) -> tuple[RecruitmentTimelines, int]:
    """``n_reps`` replications at once on the vectorized path (a joblib task).

    Parameters
    ----------
    model : RecruitmentModel
        Without a capacity limit (``slots`` None): nobody waits for a chair.
    n_reps : int
        Replications in the chunk.
    seed : SeedSequence
        The chunk's streams (:func:`.draws.streams`).

    Returns
    -------
    timelines : RecruitmentTimelines
    pid : int
        The process that ran them.
    """
    rng, rate_rng, patient_rng = streams(seed)
    n = model.n_target
    rates = site_rates(model, rate_rng, n_reps) if model.rate_cv > 0 else None
    y, rand = _randomisation_days(model, rng, rates, n_reps)
    site = _randomising_sites(model, rng, rates, rand)
    draws = patient_draws(model, patient_rng, n_reps)
    # screen failures up to full enrolment: an independent (thinned) Poisson process
    sf = model.screen_failure
    failures = (rng.poisson(sf / (1.0 - sf) * y[:, -1]) if sf > 0
                else np.zeros(n_reps, dtype=np.int64))
    m = DAYS_PER_MONTH
    start = next_working(rand, model.working_days)
    end = course_end(start, model.sessions, model.working_days)
    wait = start - rand
    timelines = RecruitmentTimelines(
        randomised_month=rand / m,
        site=site,
        arm=draws.arm,
        start_month=start / m,
        course_end_month=end / m,
        wait_days=wait,
        withdrawn=np.zeros((n_reps, n), dtype=bool),
        withdrawn_after_ae=draws.ae_withdrawal,
        outcome_month=np.where(draws.completes, end + model.followup_days, np.nan) / m,
        n_screened=(n + failures).astype(np.int64),
        queue_area_days=wait.sum(axis=1),
        busy_area_days=np.full(n_reps, float(n * model.sessions)),
        infusion_end_month=end[:, -1] / m,
    )
    return timelines, os.getpid()
