"""The simpy path: one ``simpy.Environment`` per replication.

Sites and patients are plain generator functions. Site processes draw, in
arrival order, from the replication's arrival stream, each at its own rate
(drawn first, from the rates stream); patient processes draw nothing, and
the arms and outcomes come from their own stream after the run
(:mod:`.draws`), so the same seed gives the same randomisations whatever the
chairs, the waiting limit and the dropout. Each site's infusion slots are a
first-come-first-served ``simpy.Resource``; a patient holds one slot from
getting it to the end of the course (starting on the next working time, see
:mod:`.workdays`), or withdraws after ``max_wait_days`` without one.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from typing import Any

import numpy as np

from ..._lazy import simpy
from .draws import patient_draws, site_rates, streams
from .model import DAYS_PER_MONTH, RecruitmentModel
from .timelines import RecruitmentTimelines
from .workdays import course_end, next_working, working_time

__all__ = ["run_simpy_chunk"]


class _Trial:
    """State of one simulated trial: patient records and the chair queues."""

    def __init__(self, model: RecruitmentModel, env: simpy.Environment,
                 rates: np.ndarray) -> None:
        n, n_sites = model.n_target, len(model.open_day)
        self.model = model
        self.env = env
        self.rates = rates  # each site's screening rate per day
        self.rand_day = np.empty(n)
        self.site = np.empty(n, dtype=np.int32)
        self.start_day = np.full(n, np.nan)
        self.end_day = np.full(n, np.nan)
        self.wait_day = np.zeros(n)
        self.withdrawn = np.zeros(n, dtype=bool)
        self.n_randomised = 0
        self.n_screened = 0
        cap = model.slots
        self.slots = ([simpy.Resource(env, capacity=cap) for _ in range(n_sites)]
                      if cap is not None else None)
        self.holding = [0] * n_sites  # have a slot, wait for the next working day
        self.last_change = [0.0] * n_sites
        self.queue_area = 0.0
        self.busy_area = 0.0
        self.phase_end = 0.0

    @property
    def full(self) -> bool:
        """Whether the target enrolment is reached."""
        return self.n_randomised >= self.model.n_target

    def touch(self, site: int) -> None:
        """Add the areas under the number waiting and the busy slots since the last change.

        Called just before every request, release, cancel and delayed start
        (the only events that change a site's queue, its slots in use or the
        patients holding a slot until the next working day), so both
        integrals are exact and come from simpy's own state: the number
        waiting for a first session over calendar time, the slots in use
        over working time.
        """
        now, last = self.env.now, self.last_change[site]
        if now > last:
            res = self.slots[site]
            self.queue_area += (now - last) * (len(res.queue) + self.holding[site])
            w = self.model.working_days
            self.busy_area += (working_time(now, w) - working_time(last, w)) * res.count
        self.last_change[site] = now

    def randomise(self, site: int) -> int:
        """Record the next randomisation, now, at ``site``; returns its index."""
        k = self.n_randomised
        self.rand_day[k] = self.env.now
        self.site[k] = site
        self.n_randomised += 1
        return k

    def course(self, k: int, start: float) -> float:
        """Record patient ``k``'s course from ``start``; returns its end (days)."""
        model = self.model
        end = float(course_end(start, model.sessions, model.working_days))
        self.start_day[k] = start
        self.end_day[k] = end
        self.wait_day[k] = start - self.rand_day[k]
        self.phase_end = max(self.phase_end, end)
        return end


def _site_process(env: simpy.Environment, trial: _Trial, site: int, *,
                  rng: np.random.Generator) -> Generator[simpy.Event, Any, None]:
    """Screen patients at one site from its opening until enrolment is full."""
    model = trial.model
    yield env.timeout(model.open_day[site])
    mean_gap = 1.0 / trial.rates[site]
    while not trial.full:
        yield env.timeout(rng.exponential(mean_gap))
        if trial.full:
            return
        trial.n_screened += 1
        if rng.random() < model.screen_failure:
            continue  # screen failure or refusal
        k = trial.randomise(site)
        if trial.slots is None:  # no capacity limit: the course starts on the next working time
            start = float(next_working(env.now, model.working_days))
            trial.queue_area += start - env.now
            trial.course(k, start)
        else:
            env.process(_patient_process(env, trial, k))


def _patient_process(env: simpy.Environment, trial: _Trial,
                     k: int) -> Generator[simpy.Event, Any, None]:
    """Wait for a slot at the patient's site (or withdraw), then hold it for the course.

    The course starts at the first working time at or after getting the slot
    (a patient who has a slot no longer withdraws). It draws nothing: every
    draw happens in the site processes, in arrival order, so that with the
    same seed the randomisation timeline is the same whatever the chairs and
    waiting limit.
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
    if not req.triggered:  # waited too long: withdraw
        trial.touch(site)
        req.cancel()
        trial.wait_day[k] = env.now - arrived
        trial.withdrawn[k] = True
        trial.phase_end = max(trial.phase_end, env.now)
        return
    start = float(next_working(env.now, model.working_days))
    if start > env.now:  # hold the slot until the next working day
        trial.touch(site)
        trial.holding[site] += 1
        yield env.timeout(start - env.now)
        trial.touch(site)
        trial.holding[site] -= 1
    end = trial.course(k, start)
    yield env.timeout(end - start)
    trial.touch(site)
    res.release(req)


def _simulate_one(model: RecruitmentModel, seed: np.random.SeedSequence) -> _Trial:
    """One replication on the simpy path (its arms and outcomes are drawn after)."""
    rng, rate_rng, _ = streams(seed)
    env = simpy.Environment()
    trial = _Trial(model, env, site_rates(model, rate_rng, 1)[0])
    for site in range(len(model.open_day)):
        env.process(_site_process(env, trial, site, rng=rng))
    env.run()
    if trial.slots is None:
        trial.busy_area = float(model.n_target * model.sessions)
    return trial


def run_simpy_chunk(model: RecruitmentModel, seeds: Sequence[np.random.SeedSequence]
                    ) -> tuple[RecruitmentTimelines, int]:
    """Replications on the simpy path, one per seed (a joblib task).

    Parameters
    ----------
    model : RecruitmentModel
    seeds : sequence of SeedSequence
        One per replication: replication ``i`` draws from the streams of
        ``seeds[i]`` (:func:`.draws.streams`).

    Returns
    -------
    timelines : RecruitmentTimelines
        The replications in ``seeds`` order.
    pid : int
        The process that ran them.
    """
    trials = [_simulate_one(model, s) for s in seeds]
    draws = [patient_draws(model, streams(s)[2], 1) for s in seeds]
    m = DAYS_PER_MONTH
    end = np.stack([t.end_day for t in trials])
    treated = np.isfinite(end)
    completes = np.concatenate([d.completes for d in draws]) & treated
    timelines = RecruitmentTimelines(
        randomised_month=np.stack([t.rand_day for t in trials]) / m,
        site=np.stack([t.site for t in trials]),
        arm=np.concatenate([d.arm for d in draws]),
        start_month=np.stack([t.start_day for t in trials]) / m,
        course_end_month=end / m,
        wait_days=np.stack([t.wait_day for t in trials]),
        withdrawn=np.stack([t.withdrawn for t in trials]),
        withdrawn_after_ae=np.concatenate([d.ae_withdrawal for d in draws]) & treated,
        outcome_month=np.where(completes, end + model.followup_days, np.nan) / m,
        n_screened=np.array([t.n_screened for t in trials], dtype=np.int64),
        queue_area_days=np.array([t.queue_area for t in trials]),
        busy_area_days=np.array([t.busy_area for t in trials]),
        infusion_end_month=np.array([t.phase_end for t in trials]) / m,
    )
    return timelines, os.getpid()
