"""Recruitment and infusion capacity over time: a simpy model and its vectorized twin.

The model (one replication is one simulated trial)
--------------------------------------------------
*Sites.* Site ``s`` opens at ``site_open_months[s]`` and, while the trial is
still recruiting, screens patients as a Poisson process of rate
``rate_per_site_month``. A screened patient is randomised with probability
``1 - screen_failure`` (screen failure or refusal otherwise). Recruitment
stops at the ``design.n_total``-th randomisation; a site whose opening date
falls after that never opens.

*Chairs.* Without ``chairs_per_site`` nobody waits: a patient starts the
infusion course on the day of randomisation. With it, each site has

    slots = chairs_per_site * floor(hours_per_day / session_hours)

daily infusion *slots* (a chair that is open 8 h a day gives two 4-hour
sessions a day). A patient's course is ``sessions_per_patient`` sessions on
consecutive days in the same daily slot, so a patient holds one slot for
``sessions_per_patient`` days: each site is a first-come-first-served
multi-server queue (a simpy ``Resource`` with ``slots`` servers) with
deterministic service time ``sessions_per_patient`` days. This is the
simplification we chose: outpatient courses are booked as a block, and the
day's hours enter only through the number of slots. Time is continuous (a
patient randomised in the afternoon may "start" then), which errs by less than
a day per patient. A randomised patient who has not got a slot after
``max_wait_days`` withdraws (reneges): **withdrawn patients count as
randomised** (``n_randomized``) **but are not treated and have no outcome**;
enrolment is not topped up to replace them.

*Follow-up.* The primary outcome falls ``followup_months`` after the end of
the course (course end = start + ``sessions_per_patient`` days). A treated
patient has no primary outcome with probability ``dropout.rate`` (drawn at
randomisation, so that the randomisation timeline does not depend on the
chairs; it is equivalent in distribution to dropping out during follow-up).
AE-related withdrawal (``dropout.after_ae``) is not part of the timeline; the
power engine applies it.

*Deadline.* Each replication runs to full enrolment (so the time to full
enrolment is never censored); the deadline outputs read its timeline at the
deadline. Queues are first come, first served, so patients randomised after
the deadline never delay earlier ones: the timeline up to the deadline is
exactly that of a trial that stops recruiting then.

Units: months for recruitment dates and outputs (1 month = 30.4375 days),
days inside simpy and for waits.

Paths
-----
``simpy``: one ``simpy.Environment`` per replication; sites and patients are
plain generator functions. Site processes draw, in arrival order, from the
replication's own ``np.random.Generator`` (child ``i`` of the replication
``SeedSequence``); patient processes draw nothing, so the same seed gives the
same randomisations whatever the chairs and the waiting limit.
``vectorized`` (only without a capacity limit): randomisations form a Poisson
process of rate ``lambda(t) = (1 - screen_failure) * rate * (sites open at t)``,
so the ``k``-th randomisation is ``Lambda^{-1}(E_1 + ... + E_k)`` with unit
exponentials ``E`` and the piecewise-linear cumulative rate ``Lambda``; a
randomisation at ``t`` comes from one of the sites open at ``t`` uniformly.
All replications of a chunk are drawn at once from the chunk's stream.
``auto`` takes ``vectorized`` without chairs and ``simpy`` with them. Both
paths agree in distribution (tested), not draw by draw.

Reproducibility: the layout (one stream per replication on the simpy path,
one per fixed-size chunk on the vectorized path) never depends on ``n_jobs``,
and chunks are combined in order, so a seed gives identical timelines on any
number of joblib workers.

Outputs and their Monte Carlo error
-----------------------------------
Means carry ``sd / sqrt(n_reps)``; quantiles an order-statistic standard error
(the 95 % distribution-free interval ``[x_(j), x_(k)]``, ``j, k = R p -/+
1.96 sqrt(R p (1-p))``, divided by ``2 * 1.96``); probabilities the binomial SE.

* ``chair_utilisation``: session hours delivered over chair opening hours
  (``chairs * hours_per_day``) from each site's opening to the end of the
  infusion phase (the last course end or withdrawal), per replication. At most
  ``floor(H/h) h / H <= 1``.
* ``mean_wait_days``: mean time from randomisation to the first session, all
  randomised patients (a withdrawn patient waited ``max_wait_days``).
* ``mean_number_waiting``: time-average number of patients waiting for a slot
  over the infusion phase, measured from simpy's own queues (Little's law:
  it equals arrival rate times ``mean_wait_days``).
* Costs: ``cost_per_patient`` per randomised patient, ``cost_per_infusion`` per
  session delivered, ``cost_per_site_month`` from each site's opening to the
  trial's last primary outcome.
* ``power_at_deadline``: the deadline ends recruitment; the patients
  randomised and treated by then (n per arm by the allocation, rounded down)
  are followed up, and the power engine (with its own dropout) gives the power
  at that n. One :func:`simulator.planning.power_curve` call at the distinct
  n (common random numbers) gives ``P(n)``; the estimate is the average of
  ``P(n_r)`` over replications ``r``. Its SE combines the replication
  variance, ``sd_r(P(n_r)) / sqrt(R)``, with the curve's Monte Carlo error,
  ``sum_j w_j se_j`` (``w_j`` the share of replications at ``n_j``: the
  curve's estimates share random numbers, and perfect correlation is the
  conservative bound), in quadrature: the two are independent. A trial with
  fewer than 2 patients in an arm cannot be analysed: power 0. Assurance
  likewise when the effect has a prior (``pain.effect_prior``).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import joblib
import numpy as np
import simpy

from ..engine.layout import chunk_layout
from ..errors import ScenarioError
from ..planning.curves import PowerCurve, power_curve
from ..mc import DistributionSummary, MonteCarloMean, MonteCarloProbability
from ..spec.scenario import RecruitmentSpec, Scenario

__all__ = [
    "simulate_recruitment",
    "RecruitmentResult",
    "RecruitmentTimelines",
    "DistributionSummary",
    "MonteCarloMean",
    "TimeBands",
    "RecruitmentPath",
    "DAYS_PER_MONTH",
]

RecruitmentPath = Literal["auto", "simpy", "vectorized"]
DAYS_PER_MONTH = 30.4375
DEFAULT_N_REPS = 1000
SIMPY_CHUNK = 25  # replications per joblib task on the simpy path (fixed layout)
GRID_POINTS = 121


# ---------------------------------------------------------------------------
# result objects


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TimeBands:
    """A count or fraction over calendar time, across replications.

    Attributes
    ----------
    months : ndarray, shape (G,)
        The time grid (months from the start).
    mean, q05, q50, q95 : ndarray, shape (G,)
        Mean and quantiles across replications at each grid time (NaN where
        undefined, e.g. utilisation before any site opens).
    """

    months: np.ndarray
    mean: np.ndarray
    q05: np.ndarray
    q50: np.ndarray
    q95: np.ndarray

    @classmethod
    def from_matrix(cls, months: np.ndarray, values: np.ndarray) -> TimeBands:
        """Bands of ``values`` (replications x grid), ignoring NaN."""
        values = np.asarray(values, dtype=float)
        defined = np.isfinite(values).any(axis=0)
        out = np.full((4, values.shape[1]), np.nan)
        if defined.any():
            v = values[:, defined]
            out[0, defined] = _nanmean(v)
            out[1:, defined] = np.nanquantile(v, [0.05, 0.5, 0.95], axis=0)
        return cls(months=np.asarray(months, dtype=float), mean=out[0], q05=out[1],
                   q50=out[2], q95=out[3])


def _nanmean(v: np.ndarray) -> np.ndarray:
    ok = np.isfinite(v)
    return np.where(ok, v, 0.0).sum(axis=0) / ok.sum(axis=0)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RecruitmentTimelines:
    """Every simulated patient of every replication (times in months, waits in days).

    Patients are in randomisation order along the last axis; replications on
    axis 0.

    Attributes
    ----------
    randomised_month : ndarray (R, n)
        Randomisation times, increasing along each row.
    site : ndarray (R, n)
        Index of the randomising site.
    start_month : ndarray (R, n)
        First infusion session (NaN: withdrew while waiting).
    wait_days : ndarray (R, n)
        Randomisation to first session, or to withdrawal.
    withdrawn : ndarray of bool (R, n)
        Withdrew after waiting ``max_wait_days`` for a chair.
    outcome_month : ndarray (R, n)
        Primary outcome time (NaN: withdrawn, or dropped out in follow-up).
    n_screened : ndarray (R,)
        Patients screened up to the last randomisation.
    queue_area_days : ndarray (R,)
        Integral over time (days) of the number waiting, all sites (from
        simpy's queues; 0 without chairs).
    busy_area_days : ndarray (R,)
        Integral over time (days) of the slots in use, all sites.
    infusion_end_month : ndarray (R,)
        End of the infusion phase: the last course end or withdrawal.
    """

    randomised_month: np.ndarray
    site: np.ndarray
    start_month: np.ndarray
    wait_days: np.ndarray
    withdrawn: np.ndarray
    outcome_month: np.ndarray
    n_screened: np.ndarray
    queue_area_days: np.ndarray
    busy_area_days: np.ndarray
    infusion_end_month: np.ndarray

    @property
    def n_reps(self) -> int:
        return self.randomised_month.shape[0]

    @property
    def months_to_full_enrolment(self) -> np.ndarray:
        """Per replication: the last (target-th) randomisation."""
        return self.randomised_month[:, -1]

    @property
    def months_to_last_outcome(self) -> np.ndarray:
        """Per replication: the last primary outcome observed (NaN: none)."""
        x = self.outcome_month
        ok = np.isfinite(x)
        return np.where(ok.any(axis=1), np.where(ok, x, -np.inf).max(axis=1), np.nan)

    @classmethod
    def concatenate(cls, parts: Sequence[RecruitmentTimelines]) -> RecruitmentTimelines:
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in dataclasses.fields(cls)})

    def equals(self, other: RecruitmentTimelines) -> bool:
        """Element-wise identity of every array (NaN equal to NaN)."""
        return all(np.array_equal(getattr(self, f.name), getattr(other, f.name), equal_nan=True)
                   for f in dataclasses.fields(self))


@dataclass(frozen=True, slots=True, kw_only=True)
class RecruitmentResult:
    """Recruitment, capacity, timelines, costs and power at the deadline.

    Attributes
    ----------
    scenario_name : str
    path : {"simpy", "vectorized"}
    n_reps : int
        Simulated trials (replications).
    seed_entropy : int
        Entropy of the root ``SeedSequence``; replays the run.
    n_target : int
        Target enrolment, ``design.n_total``.
    deadline_months : float or None
        End of recruitment used for the deadline outputs.
    months_to_full_enrolment, months_to_last_outcome : DistributionSummary
        Months from the start to the target-th randomisation, and to the last
        primary outcome observed.
    p_complete_by_deadline : MonteCarloProbability or None
        P(target enrolment reached by the deadline).
    n_randomized_by_deadline : MonteCarloMean or None
        Mean patients randomised by the deadline (withdrawn ones included).
    n_treated_by_deadline, n_completed_by_deadline : MonteCarloMean or None
        Mean patients randomised and not withdrawn (treated), and with a
        primary outcome observed, by the deadline.
    n_screened, n_withdrawn_waiting, n_completed : MonteCarloMean
        Whole trial: patients screened, withdrawn while waiting for a chair,
        with a primary outcome.
    chair_utilisation : MonteCarloMean or None
        Share of chair opening hours used (None without chairs).
    mean_wait_days, mean_number_waiting : MonteCarloMean
        Wait for a first session (days) and time-average number waiting.
    cost : DistributionSummary or None
        Total cost, when any unit cost is given.
    power_at_deadline, assurance_at_deadline : MonteCarloMean or None
        Power (assurance, with a prior) at the n reached by the deadline,
        averaged over replications (see the module notes for the SE).
    power_seed : int or None
        The seed of the power curve.
    power_curve : PowerCurve or None
        The curve at the distinct n per arm reached.
    n_per_arm_at_deadline : dict of int to int
        How many replications reached each n per arm by the deadline.
    enrolment, outcomes : TimeBands
        Patients randomised, and primary outcomes observed, over time.
    utilisation : TimeBands or None
        Chair utilisation over time (sites open at that time).
    utilisation_ceiling : float or None
        ``floor(H / h) h / H``: the most the chairs can be used.
    timelines : RecruitmentTimelines
        Every simulated patient.
    """

    scenario_name: str
    path: str
    n_reps: int
    seed_entropy: int
    n_target: int
    sites: int
    chairs_per_site: int | None
    deadline_months: float | None
    months_to_full_enrolment: DistributionSummary
    months_to_last_outcome: DistributionSummary
    p_complete_by_deadline: MonteCarloProbability | None
    n_randomized_by_deadline: MonteCarloMean | None
    n_treated_by_deadline: MonteCarloMean | None
    n_completed_by_deadline: MonteCarloMean | None
    n_screened: MonteCarloMean
    n_withdrawn_waiting: MonteCarloMean
    n_completed: MonteCarloMean
    chair_utilisation: MonteCarloMean | None
    mean_wait_days: MonteCarloMean
    mean_number_waiting: MonteCarloMean
    cost: DistributionSummary | None
    power_at_deadline: MonteCarloMean | None
    assurance_at_deadline: MonteCarloMean | None
    power_seed: int | None
    n_per_arm_at_deadline: dict[int, int]
    power_curve: PowerCurve | None = field(default=None, compare=False, repr=False)
    enrolment: TimeBands = field(compare=False, repr=False)
    outcomes: TimeBands = field(compare=False, repr=False)
    utilisation: TimeBands | None = field(default=None, compare=False, repr=False)
    utilisation_ceiling: float | None = None
    timelines: RecruitmentTimelines = field(compare=False, repr=False)
    worker_pids: tuple[int, ...] = field(default=(), compare=False, repr=False)

    @property
    def worker_processes(self) -> int:
        """Distinct processes that ran the replications."""
        return len(self.worker_pids)

    # -- derived queries -----------------------------------------------------
    def p_complete_by(self, month: float) -> MonteCarloProbability:
        """P(target enrolment reached by ``month``)."""
        done = int((self.timelines.months_to_full_enrolment <= month).sum())
        return MonteCarloProbability.from_counts(done, self.n_reps)

    def n_randomized_by(self, month: float) -> MonteCarloMean:
        """Mean patients randomised by ``month``."""
        return MonteCarloMean.from_samples((self.timelines.randomised_month <= month).sum(axis=1))

    def per_replication(self) -> dict[str, np.ndarray]:
        """One value per replication for each summary (the rows of :meth:`to_frame`)."""
        t = self.timelines
        out = {
            "months_to_full_enrolment": t.months_to_full_enrolment,
            "months_to_last_outcome": t.months_to_last_outcome,
            "n_screened": t.n_screened,
            "n_withdrawn_waiting": t.withdrawn.sum(axis=1),
            "n_completed": np.isfinite(t.outcome_month).sum(axis=1),
            "mean_wait_days": t.wait_days.mean(axis=1),
        }
        if self.deadline_months is not None:
            out.update(_by_deadline(t, self.deadline_months))
        return out

    def to_frame(self):
        """:meth:`per_replication` as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.per_replication())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the ``trialsim recruit --json`` output)."""
        def mean(name: str, value: MonteCarloMean | None) -> dict[str, Any]:
            return value.to_dict(name) if value is not None else {name: None, f"{name}_se": None}

        prob = (self.p_complete_by_deadline.to_dict("p_complete_by_deadline")
                if self.p_complete_by_deadline is not None else
                {"p_complete_by_deadline": None, "p_complete_by_deadline_se": None,
                 "p_complete_by_deadline_ci": None})
        return {
            "scenario": self.scenario_name,
            "path": self.path,
            "n_reps": self.n_reps,
            "seed_entropy": self.seed_entropy,
            "n_target": self.n_target,
            "sites": self.sites,
            "chairs_per_site": self.chairs_per_site,
            "deadline_months": self.deadline_months,
            "months_to_full_enrolment": self.months_to_full_enrolment.to_dict(),
            "months_to_last_outcome": self.months_to_last_outcome.to_dict(),
            **prob,
            **mean("n_randomized_by_deadline", self.n_randomized_by_deadline),
            **mean("n_treated_by_deadline", self.n_treated_by_deadline),
            **mean("n_completed_by_deadline", self.n_completed_by_deadline),
            **mean("n_screened", self.n_screened),
            **mean("n_withdrawn_waiting", self.n_withdrawn_waiting),
            **mean("n_completed", self.n_completed),
            **mean("chair_utilisation", self.chair_utilisation),
            "utilisation_ceiling": self.utilisation_ceiling,
            **mean("mean_wait_days", self.mean_wait_days),
            **mean("mean_number_waiting", self.mean_number_waiting),
            "cost": None if self.cost is None else self.cost.to_dict(),
            **mean("power_at_deadline", self.power_at_deadline),
            **mean("assurance_at_deadline", self.assurance_at_deadline),
            "power_seed": self.power_seed,
            "n_per_arm_at_deadline": {str(k): v for k, v in self.n_per_arm_at_deadline.items()},
        }


# ---------------------------------------------------------------------------
# the model's numbers, in days


@dataclass(frozen=True, slots=True)
class _Model:
    """Everything a replication needs (picklable, days)."""

    n_target: int
    open_day: tuple[float, ...]
    screen_rate_day: float  # screened per open site per day
    screen_failure: float
    slots: int | None  # per site; None = no capacity limit
    course_days: float
    followup_days: float
    max_wait_days: float | None
    dropout: float

    @classmethod
    def of(cls, scenario: Scenario) -> _Model:
        r = scenario.recruitment
        slots = None
        if r.chairs_per_site is not None:
            slots = r.chairs_per_site * int(math.floor(r.hours_per_day / r.session_hours + 1e-9))
        return cls(
            n_target=scenario.design.n_total,
            open_day=tuple(o * DAYS_PER_MONTH for o in r.site_open_months),
            screen_rate_day=r.rate_per_site_month / DAYS_PER_MONTH,
            screen_failure=r.screen_failure,
            slots=slots,
            course_days=float(r.sessions_per_patient),
            followup_days=r.followup_months * DAYS_PER_MONTH,
            max_wait_days=r.max_wait_days,
            dropout=scenario.dropout.rate,
        )


# ---------------------------------------------------------------------------
# the simpy path


class _Trial:
    """State of one simulated trial: patient records and the chair queues."""

    def __init__(self, model: _Model, env: simpy.Environment) -> None:
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
        k = self.n_randomised
        self.rand_day[k] = self.env.now
        self.site[k] = site
        self.completes[k] = completes
        self.n_randomised += 1
        return k


def _site_process(env: simpy.Environment, trial: _Trial, site: int, *,
                  rng: np.random.Generator):
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


def _patient_process(env: simpy.Environment, trial: _Trial, k: int):
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


def _simulate_one(model: _Model, *, rng: np.random.Generator) -> _Trial:
    """One replication on the simpy path."""
    env = simpy.Environment()
    trial = _Trial(model, env)
    for site in range(len(model.open_day)):
        env.process(_site_process(env, trial, site, rng=rng))
    env.run()
    if trial.slots is None:
        trial.busy_area = model.n_target * model.course_days
    return trial


def _run_simpy_chunk(model: _Model, seeds: Sequence[np.random.SeedSequence]
                     ) -> tuple[RecruitmentTimelines, int]:
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


# ---------------------------------------------------------------------------
# the vectorized path (no capacity limit)


def _cumulative_rate(model: _Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breakpoints (days), Lambda at them, and the randomisation rate after each."""
    opens = np.sort(np.asarray(model.open_day))
    bp, counts = np.unique(opens, return_counts=True)
    rate = model.screen_rate_day * (1.0 - model.screen_failure) * np.cumsum(counts)
    lam = np.concatenate([[0.0], np.cumsum(rate[:-1] * np.diff(bp))])
    return bp, lam, rate


def _run_vector_chunk(model: _Model, n_reps: int, seed: np.random.SeedSequence
                      ) -> tuple[RecruitmentTimelines, int]:
    rng = np.random.default_rng(seed)
    n = model.n_target
    bp, lam, rate = _cumulative_rate(model)
    # unit-rate arrival times, mapped through Lambda^{-1} (piecewise linear)
    y = np.cumsum(rng.standard_exponential((n_reps, n)), axis=1)
    idx = np.searchsorted(lam, y, side="right") - 1
    rand = bp[idx] + (y - lam[idx]) / rate[idx]
    # the randomising site: uniform among the sites open at that time
    order = np.argsort(np.asarray(model.open_day), kind="stable")
    sorted_open = np.asarray(model.open_day)[order]
    n_open = np.searchsorted(sorted_open, rand, side="right")
    pick = np.minimum((rng.random((n_reps, n)) * n_open).astype(np.int64), n_open - 1)
    site = order[pick].astype(np.int32)
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


_BYTES_PER_PATIENT = 160  # the vectorized chunk's arrays and temporaries, per patient


# ---------------------------------------------------------------------------
# the entry point


def simulate_recruitment(
    scenario: Scenario,
    *,
    n_reps: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    deadline_months: float | None = None,
    path: RecruitmentPath = "auto",
    n_power_sims: int | None = None,
) -> RecruitmentResult:
    """Simulate recruitment, infusion capacity and follow-up of a trial many times.

    Parameters
    ----------
    scenario : Scenario
        Needs a ``[recruitment]`` table; the target is ``design.n_total``.
    n_reps : int, optional
        Simulated trials; default 1000.
    seed : int, optional
        Root seed; default ``scenario.seed``.
    n_jobs : int
        joblib workers (loky processes); the result does not depend on it.
    deadline_months : float, optional
        End of recruitment for the deadline outputs; default
        ``recruitment.deadline_months``. With neither, they are None.
    path : {"auto", "simpy", "vectorized"}
        ``vectorized`` needs no capacity limit (no ``chairs_per_site``);
        ``auto`` uses it whenever it applies.
    n_power_sims : int, optional
        Simulated trials per n of the power curve behind
        ``power_at_deadline``; default ``simulation.n_sims``.

    Returns
    -------
    RecruitmentResult

    Raises
    ------
    ScenarioError
        No ``[recruitment]`` table, or a bad argument (named).

    Examples
    --------
    One site open from the start screening 2 patients a month, 20 to enrol:
    the time to full enrolment is Gamma(20, rate 2), mean 10 months.

    >>> from simulator import Scenario
    >>> from simulator.ops.recruitment import simulate_recruitment
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 10}, "pain": {"effect": -1.0},
    ...                         "recruitment": {"sites": 1, "rate_per_site_month": 2.0}})
    >>> r = simulate_recruitment(s, n_reps=2000, seed=1)
    >>> abs(r.months_to_full_enrolment.mean - 10.0) < 4 * r.months_to_full_enrolment.mean_se
    True
    """
    scenario, n_reps, seed, chosen, deadline, n_power_sims = _simulate_recruitment_iv(
        scenario, n_reps, seed, n_jobs, deadline_months, path, n_power_sims)
    model = _Model.of(scenario)
    root = np.random.SeedSequence(seed)
    rep_root, vec_root, power_root = root.spawn(3)
    runner = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
    if chosen == "simpy":
        seeds = rep_root.spawn(n_reps)
        jobs = (joblib.delayed(_run_simpy_chunk)(model, seeds[i:i + SIMPY_CHUNK])
                for i in range(0, n_reps, SIMPY_CHUNK))
    else:
        chunks = chunk_layout(n_reps, _BYTES_PER_PATIENT * model.n_target,
                              scenario.simulation.chunk_mb)
        jobs = (joblib.delayed(_run_vector_chunk)(model, k, s)
                for k, s in zip(chunks, vec_root.spawn(len(chunks))))
    parts, pids = [], set()
    for timelines, pid in runner(jobs):
        parts.append(timelines)
        pids.add(pid)
    timelines = RecruitmentTimelines.concatenate(parts)
    power_seed = int(power_root.generate_state(1, np.uint64)[0])
    return _summarise(scenario, chosen, root, timelines, deadline, power_seed, n_power_sims,
                      n_jobs, tuple(sorted(pids)))


_PATH_CHOICES: dict[str, Callable[[Scenario], str]] = {
    "auto": lambda s: "vectorized" if s.recruitment.chairs_per_site is None else "simpy",
    "simpy": lambda s: "simpy",
    "vectorized": lambda s: "vectorized",
}


def _simulate_recruitment_iv(scenario, n_reps, seed, n_jobs, deadline_months, path,
                             n_power_sims):
    """Check every argument once, naming it."""
    if not isinstance(scenario, Scenario):
        raise ScenarioError(f"scenario = {scenario!r}: must be a Scenario")
    if scenario.recruitment is None:
        raise ScenarioError(f"{scenario.source}: [recruitment]: required to simulate "
                            "recruitment (sites, rate_per_site_month, ...)")
    n_reps = DEFAULT_N_REPS if n_reps is None else n_reps
    if isinstance(n_reps, bool) or not isinstance(n_reps, (int, np.integer)) or n_reps < 2:
        raise ScenarioError(f"n_reps = {n_reps!r}: must be an integer >= 2")
    seed = scenario.seed if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ScenarioError(f"seed = {seed!r}: must be an integer >= 0")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ScenarioError(f"n_jobs = {n_jobs!r}: must be a non-zero integer (-1 = all cores)")
    if path not in _PATH_CHOICES:
        raise ScenarioError(f"path = {path!r}: must be one of "
                            f"{', '.join(repr(p) for p in _PATH_CHOICES)}")
    chosen = _PATH_CHOICES[path](scenario)
    if chosen == "vectorized" and scenario.recruitment.chairs_per_site is not None:
        raise ScenarioError(
            f"{scenario.source}: path 'vectorized' has no capacity limit, but [recruitment] "
            f"chairs_per_site = {scenario.recruitment.chairs_per_site}; use path 'simpy' or "
            "'auto'")
    deadline = scenario.recruitment.deadline_months if deadline_months is None \
        else deadline_months
    if deadline is not None and (isinstance(deadline, bool)
                                 or not isinstance(deadline, (int, float, np.floating))
                                 or not math.isfinite(deadline) or deadline <= 0):
        raise ScenarioError(f"deadline_months = {deadline!r}: must be a number of months > 0")
    n_power_sims = scenario.simulation.n_sims if n_power_sims is None else n_power_sims
    if isinstance(n_power_sims, bool) or not isinstance(n_power_sims, (int, np.integer)) \
            or n_power_sims < 1:
        raise ScenarioError(f"n_power_sims = {n_power_sims!r}: must be an integer >= 1")
    return (scenario, int(n_reps), int(seed), chosen,
            None if deadline is None else float(deadline), int(n_power_sims))


# ---------------------------------------------------------------------------
# summaries


def _by_deadline(t: RecruitmentTimelines, deadline: float) -> dict[str, np.ndarray]:
    randomised = t.randomised_month <= deadline
    return {
        "complete_by_deadline": t.months_to_full_enrolment <= deadline,
        "n_randomized_by_deadline": randomised.sum(axis=1),
        "n_treated_by_deadline": (randomised & ~t.withdrawn).sum(axis=1),
        "n_completed_by_deadline": (t.outcome_month <= deadline).sum(axis=1),
    }


def _utilisation(spec: RecruitmentSpec, t: RecruitmentTimelines) -> np.ndarray:
    """Per replication: session hours over chair opening hours, sites opened in time."""
    opens = np.sort(np.asarray(spec.site_open_months))
    cum = np.concatenate([[0.0], np.cumsum(opens)])
    opened = np.searchsorted(opens, t.months_to_full_enrolment, side="left")
    site_months = opened * t.infusion_end_month - cum[opened]
    hours_open = site_months * DAYS_PER_MONTH * spec.chairs_per_site * spec.hours_per_day
    return t.busy_area_days * spec.session_hours / hours_open


def _count_at_most(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(R, G): per row, how many finite ``times`` are <= each grid time."""
    n_rows, n = times.shape
    top = max(float(grid[-1]), float(np.nanmax(times, initial=0.0))) + 2.0
    t = np.sort(np.where(np.isfinite(times), times, top - 1.0), axis=1)
    offset = np.arange(n_rows)[:, None] * top
    flat = (t + offset).ravel()
    idx = np.searchsorted(flat, (grid[None, :] + offset).ravel(), side="right")
    return idx.reshape(n_rows, grid.size) - np.arange(n_rows)[:, None] * n


def _n_per_arm_of_total(scenario: Scenario, totals: np.ndarray) -> np.ndarray:
    """Largest n per arm whose design puts at most ``totals`` patients in all arms."""
    design = scenario.design
    table = np.array([dataclasses.replace(design, n_per_arm=n).n_total
                      for n in range(design.n_per_arm + 1)])
    return np.searchsorted(table, totals, side="right") - 1


def _power_at_deadline(scenario: Scenario, n_treated: np.ndarray, seed: int, n_sims: int,
                       n_jobs: int):
    n_arm = _n_per_arm_of_total(scenario, n_treated)
    distinct, counts = np.unique(n_arm, return_counts=True)
    weights = counts / n_arm.size
    analysable = np.array([min(dataclasses.replace(scenario.design, n_per_arm=int(n))
                               .group_sizes) >= 2 for n in distinct])
    grid = [int(n) for n in distinct[analysable]]
    curve = None
    metrics = {"power": (np.zeros(distinct.size), np.zeros(distinct.size))}
    prior = scenario.pain.effect_prior != "fixed"  # the engine reports assurance then
    if prior:
        metrics["assurance"] = (np.zeros(distinct.size), np.zeros(distinct.size))
    if grid:
        curve = power_curve(scenario, grid, n_sims=n_sims, seed=seed, n_jobs=n_jobs,
                            closed_forms=False)
        for name, (value, se) in metrics.items():
            est = curve.metric(name)
            value[analysable] = [e.value for e in est]
            se[analysable] = [e.se for e in est]
    out = {}
    for name, (value, se) in metrics.items():
        mean = float(np.dot(weights, value))
        r = n_arm.size
        rep_var = float(np.dot(weights, (value - mean) ** 2)) * r / (r - 1) / r
        curve_se = float(np.dot(weights, se))
        out[name] = MonteCarloMean(value=mean, se=math.sqrt(rep_var + curve_se ** 2), n=r)
    n_map = {int(n): int(c) for n, c in zip(distinct, counts)}
    return out["power"], out.get("assurance"), curve, n_map


def _summarise(scenario: Scenario, path: str, root: np.random.SeedSequence,
               t: RecruitmentTimelines, deadline: float | None, power_seed: int,
               n_power_sims: int, n_jobs: int, pids: tuple[int, ...]) -> RecruitmentResult:
    spec = scenario.recruitment
    n_reps = t.n_reps
    full = t.months_to_full_enrolment
    last = t.months_to_last_outcome
    # the infusion phase: from the first opening to the last course end/withdrawal
    phase_days = (t.infusion_end_month - min(spec.site_open_months)) * DAYS_PER_MONTH
    mean = MonteCarloMean.from_samples

    deadline_out: dict[str, Any] = dict(p_complete_by_deadline=None,
                                        n_randomized_by_deadline=None,
                                        n_treated_by_deadline=None,
                                        n_completed_by_deadline=None,
                                        power_at_deadline=None, assurance_at_deadline=None,
                                        power_seed=None, n_per_arm_at_deadline={},
                                        power_curve=None)
    if deadline is not None:
        d = _by_deadline(t, deadline)
        power, assurance, curve, n_map = _power_at_deadline(
            scenario, d["n_treated_by_deadline"], power_seed, n_power_sims, n_jobs)
        deadline_out.update(
            p_complete_by_deadline=MonteCarloProbability.from_counts(
                int(d["complete_by_deadline"].sum()), n_reps),
            n_randomized_by_deadline=mean(d["n_randomized_by_deadline"]),
            n_treated_by_deadline=mean(d["n_treated_by_deadline"]),
            n_completed_by_deadline=mean(d["n_completed_by_deadline"]),
            power_at_deadline=power, assurance_at_deadline=assurance, power_seed=power_seed,
            n_per_arm_at_deadline=n_map, power_curve=curve)

    treated = ~t.withdrawn
    trial_end = np.where(np.isfinite(last), np.maximum(last, t.infusion_end_month),
                         t.infusion_end_month)
    cost = None
    if spec.cost_per_patient or spec.cost_per_site_month or spec.cost_per_infusion:
        opens = np.sort(np.asarray(spec.site_open_months))
        cum = np.concatenate([[0.0], np.cumsum(opens)])
        opened = np.searchsorted(opens, full, side="left")
        site_months = opened * trial_end - cum[opened]
        total = (spec.cost_per_patient * scenario.design.n_total
                 + spec.cost_per_infusion * spec.sessions_per_patient * treated.sum(axis=1)
                 + spec.cost_per_site_month * site_months)
        cost = DistributionSummary.from_samples(total)

    # bands over calendar time
    top = float(np.nanmax(np.concatenate([trial_end, full])))
    grid = np.linspace(0.0, top * 1.02, GRID_POINTS)
    enrolment = TimeBands.from_matrix(grid, _count_at_most(t.randomised_month, grid))
    outcomes = TimeBands.from_matrix(grid, _count_at_most(t.outcome_month, grid))
    utilisation = ceiling = chair_util = None
    if spec.chairs_per_site is not None:
        per_day = math.floor(spec.hours_per_day / spec.session_hours + 1e-9)
        ceiling = per_day * spec.session_hours / spec.hours_per_day
        course_months = spec.sessions_per_patient / DAYS_PER_MONTH
        busy = (_count_at_most(t.start_month, grid)
                - _count_at_most(t.start_month + course_months, grid))
        opens = np.sort(np.asarray(spec.site_open_months))
        open_now = np.minimum(np.searchsorted(opens, grid, side="right")[None, :],
                              np.searchsorted(opens, full, side="left")[:, None])
        with np.errstate(invalid="ignore", divide="ignore"):
            util = np.where(open_now > 0, busy * spec.session_hours
                            / (open_now * spec.chairs_per_site * spec.hours_per_day), np.nan)
        utilisation = TimeBands.from_matrix(grid, util)
        chair_util = mean(_utilisation(spec, t))

    return RecruitmentResult(
        scenario_name=scenario.name,
        path=path,
        n_reps=n_reps,
        seed_entropy=int(root.entropy),
        n_target=scenario.design.n_total,
        sites=spec.sites,
        chairs_per_site=spec.chairs_per_site,
        deadline_months=deadline,
        months_to_full_enrolment=DistributionSummary.from_samples(full),
        months_to_last_outcome=DistributionSummary.from_samples(last),
        n_screened=mean(t.n_screened),
        n_withdrawn_waiting=mean(t.withdrawn.sum(axis=1)),
        n_completed=mean(np.isfinite(t.outcome_month).sum(axis=1)),
        chair_utilisation=chair_util,
        mean_wait_days=mean(t.wait_days.mean(axis=1)),
        mean_number_waiting=mean(t.queue_area_days / phase_days),
        cost=cost,
        enrolment=enrolment,
        outcomes=outcomes,
        utilisation=utilisation,
        utilisation_ceiling=ceiling,
        timelines=t,
        worker_pids=pids,
        **deadline_out,
    )
