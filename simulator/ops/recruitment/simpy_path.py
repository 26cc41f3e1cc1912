"""The simpy path: one ``simpy.Environment`` per replication.

Sites and patients are plain generator functions. Site processes draw, in
arrival order, from the replication's own ``np.random.Generator``; patient
processes draw nothing, so the same seed gives the same randomisations
whatever the chairs and the waiting limit. Each site's infusion slots are a
first-come-first-served ``simpy.Resource``; a patient holds one slot for the
whole course, or withdraws after ``max_wait_days``.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
import simpy

from .model import DAYS_PER_MONTH, RecruitmentModel
from .timelines import RecruitmentTimelines

__all__ = ["run_simpy_chunk"]


class _Trial:
    """State of one simulated trial: patient records and the chair queues."""

    def __init__(self, model: RecruitmentModel, env: simpy.Environment) -> None:
        n, n_sites = model.n_target, len(model.open_day)
        self.model = model
        self.env = env
        self.rand_day = np.empty(n)
        self.site = np.empty(n, dtype=np.int32)
        self.start_day = np.full(n, np.nan)
        self.wait_day = np.zeros(n)
        self.withdrawn = np.zeros(n, dtype=bool)
        self.completes = np.zeros(n, dtype=bool)
        self.n_randomised = 0
        self.n_screened = 0
        cap = model.slots
        self.slots = ([simpy.Resource(env, capacity=cap) for _ in range(n_sites)]
                      if cap is not None else None)
        self.last_change = [0.0] * n_sites
        self.queue_area = 0.0
        self.busy_area = 0.0
        self.phase_end = 0.0

    @property
    def full(self) -> bool:
        """Whether the target enrolment is reached."""
        return self.n_randomised >= self.model.n_target

    def touch(self, site: int) -> None:
        """Add the areas under the queue length and busy slots since the last change.

        Called just before every request, release and cancel (the only events
        that change a site's queue or its slots in use), so both integrals
        are exact and come from simpy's own state.
        """
        now = self.env.now
        dt = now - self.last_change[site]
        if dt > 0:
            res = self.slots[site]
            self.queue_area += dt * len(res.queue)
            self.busy_area += dt * res.count
        self.last_change[site] = now

    def randomise(self, site: int, completes: bool) -> int:
        """Record the next randomisation, now, at ``site``; returns its index."""
        k = self.n_randomised
        self.rand_day[k] = self.env.now
        self.site[k] = site
        self.completes[k] = completes
        self.n_randomised += 1
        return k


def _site_process(env: simpy.Environment, trial: _Trial, site: int, *,
                  rng: np.random.Generator) -> Generator[simpy.Event, Any, None]:
    """Screen patients at one site from its opening until enrolment is full."""
    model = trial.model
    yield env.timeout(model.open_day[site])
    mean_gap = 1.0 / model.screen_rate_day
    while not trial.full:
        yield env.timeout(rng.exponential(mean_gap))
        if trial.full:
            return
        trial.n_screened += 1
        if rng.random() < model.screen_failure:
            continue  # screen failure or refusal
        completes = bool(rng.random() >= model.dropout)  # has a primary outcome if treated
        k = trial.randomise(site, completes)
        if trial.slots is None:  # no capacity limit: the course starts at once
            trial.start_day[k] = env.now
            trial.phase_end = env.now + model.course_days
        else:
            env.process(_patient_process(env, trial, k))


def _patient_process(env: simpy.Environment, trial: _Trial,
                     k: int) -> Generator[simpy.Event, Any, None]:
    """Wait for a slot at the patient's site (or withdraw), then hold it for the course.

    It draws nothing: every draw happens in the site processes, in arrival
    order, so that with the same seed the randomisation timeline (and who
    drops out) is the same whatever the chairs and waiting limit.
    """
    model = trial.model
    site = int(trial.site[k])
    res = trial.slots[site]
    arrived = env.now
    trial.touch(site)
    req = res.request()
    if req.triggered or model.max_wait_days is None:  # a free slot, or no limit
        yield req
    else:
        yield req | env.timeout(model.max_wait_days)
    trial.wait_day[k] = env.now - arrived
    if not req.triggered:  # waited too long: withdraw
        trial.touch(site)
        req.cancel()
        trial.withdrawn[k] = True
        trial.phase_end = max(trial.phase_end, env.now)
        return
    trial.start_day[k] = env.now
    yield env.timeout(model.course_days)
    trial.touch(site)
    res.release(req)
    trial.phase_end = max(trial.phase_end, env.now)


def _simulate_one(model: RecruitmentModel, *, rng: np.random.Generator) -> _Trial:
    """One replication on the simpy path."""
    env = simpy.Environment()
    trial = _Trial(model, env)
    for site in range(len(model.open_day)):
        env.process(_site_process(env, trial, site, rng=rng))
    env.run()
    if trial.slots is None:
        trial.busy_area = model.n_target * model.course_days
    return trial


def run_simpy_chunk(model: RecruitmentModel, seeds: Sequence[np.random.SeedSequence]
                    ) -> tuple[RecruitmentTimelines, int]:
    """Replications on the simpy path, one per seed (a joblib task).

    Parameters
    ----------
    model : RecruitmentModel
    seeds : sequence of SeedSequence
        One per replication: replication ``i`` draws from ``default_rng(seeds[i])``.

    Returns
    -------
    timelines : RecruitmentTimelines
        The replications in ``seeds`` order.
    pid : int
        The process that ran them.
    """
    trials = [_simulate_one(model, rng=np.random.default_rng(s)) for s in seeds]
    m = DAYS_PER_MONTH
    start = np.stack([t.start_day for t in trials])
    completes = np.stack([t.completes for t in trials]) & np.isfinite(start)
    outcome = np.where(completes, start + model.course_days + model.followup_days, np.nan)
    timelines = RecruitmentTimelines(
        randomised_month=np.stack([t.rand_day for t in trials]) / m,
        site=np.stack([t.site for t in trials]),
        start_month=start / m,
        wait_days=np.stack([t.wait_day for t in trials]),
        withdrawn=np.stack([t.withdrawn for t in trials]),
        outcome_month=outcome / m,
        n_screened=np.array([t.n_screened for t in trials], dtype=np.int64),
        queue_area_days=np.array([t.queue_area for t in trials]),
        busy_area_days=np.array([t.busy_area for t in trials]),
        infusion_end_month=np.array([t.phase_end for t in trials]) / m,
    )
    return timelines, os.getpid()
