"""Recruitment and infusion capacity over time: a simpy model and its vectorized twin.

The model (one replication is one simulated trial)
--------------------------------------------------
*Sites.* Site ``s`` opens at ``site_open_months[s]`` and, while the trial is
still recruiting, screens patients as a Poisson process of rate ``r_s``,
drawn once per replication from a gamma distribution with mean
``rate_per_site_month`` and coefficient of variation ``rate_cv`` (the
Poisson-gamma model of Anisimov and Fedorov 2007; ``rate_cv = 0``: every site
at the mean). A screened patient is randomised with probability ``1 -
screen_failure`` (screen failure or refusal otherwise), to an arm by a random
allocation rule (``design.group_sizes`` in a random order). Recruitment stops
at the ``design.n_total``-th randomisation; a site whose opening date falls
after that never opens.

*Chairs.* Without ``chairs_per_site`` nobody waits: a patient starts the
infusion course on the day of randomisation. With it, each site has

    slots = chairs_per_site * floor(hours_per_day / session_hours)

daily infusion *slots* (a chair that is open 8 h a day gives two 4-hour
sessions a day). A patient's course is ``sessions_per_patient`` sessions on
consecutive working days (``working_days_per_week`` a week, :mod:`.workdays`)
in the same daily slot, so a patient holds one slot from getting it until
``sessions_per_patient`` working days after the first working time: each
site is a first-come-first-served multi-server queue (a simpy ``Resource``
with ``slots`` servers). This is the simplification we chose: outpatient
courses are booked as a block, and the day's hours enter only through the
number of slots. Time is continuous (a patient randomised in the afternoon
of a working day may "start" then), which errs by less than a day per
patient. A randomised patient who has not got a slot after
``max_wait_days`` withdraws (reneges): **withdrawn patients count as
randomised** (``n_randomized``) **but are not treated and have no outcome**;
enrolment is not topped up to replace them.

*Follow-up.* The primary outcome falls ``followup_months`` after the end of
the course. A treated patient of arm ``a`` has a primary outcome with the
power engine's probability
(:func:`simulator.planning.closed.completion_probabilities`: ``dropout.rate``
and withdrawal after adverse events, ``dropout.after_ae`` at the arm's risks);
withdrawal after an adverse event is recorded apart. Both are drawn from
their own stream (:mod:`.draws`), so that the randomisation timeline does not
depend on them nor they on the chairs; it is equivalent in distribution to
withdrawing during the course or follow-up. Without chairs a course starts
on the first working time at or after randomisation.

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
``vectorized`` (only without a capacity limit): given the site rates,
randomisations form a Poisson process of rate ``lambda(t) = (1 -
screen_failure) * (sum of r_s over the sites open at t)``, so the ``k``-th
randomisation is ``Lambda^{-1}(E_1 + ... + E_k)`` with unit exponentials ``E``
and the piecewise-linear cumulative rate ``Lambda``; a randomisation at ``t``
comes from one of the sites open at ``t`` in proportion to its rate.
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
  (``chairs * hours_per_day`` per working day) from each site's opening to the end of the
  infusion phase (the last course end or withdrawal), per replication. At most
  ``floor(H/h) h / H <= 1``.
* ``mean_wait_days``: mean time from randomisation to the first session, all
  randomised patients (a withdrawn patient waited ``max_wait_days``),
  including the wait for a working day.
* ``mean_number_waiting``: time-average number of patients waiting for a
  first session over the infusion phase, measured from simpy's own queues and
  the slots held until the next working day (Little's law: it equals arrival
  rate times ``mean_wait_days``).
* ``n_completed_per_arm`` beside ``expected_completed_per_arm``, the power
  engine's ``n_a c_a``; ``n_withdrawn_after_ae``.
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

Modules
-------
:mod:`.model` (the model's numbers in days), :mod:`.draws` (site rates, arms
and outcomes, alike on both paths), :mod:`.workdays` (working time),
:mod:`.simpy_path` (sites, patients and chair queues in simpy),
:mod:`.vectorized` (the twin without a capacity limit), :mod:`.timelines`
(every simulated patient), :mod:`.bands` (bands over calendar time),
:mod:`.deadline_power` (power at the deadline), :mod:`.summary` (timelines to
a result), :mod:`.result` (:class:`RecruitmentResult`), :mod:`.checks`
(argument checks), :mod:`.driver` (:func:`simulate_recruitment`) and
:mod:`.solve` (:func:`solve_recruitment`: the sites or months that complete
enrolment by a deadline with a given probability). The text tables are
:func:`simulator.face.tables_recruitment.format_recruitment` and
:func:`~simulator.face.tables_recruitment.format_solution`.
"""

from __future__ import annotations

from ...mc import DistributionSummary, MonteCarloMean
from .bands import TimeBands
from .driver import RecruitmentPath, simulate_recruitment
from .model import DAYS_PER_MONTH
from .result import RecruitmentResult
from .solve import RecruitmentSolution, RecruitmentSolve, solve_recruitment
from .timelines import RecruitmentTimelines

__all__ = [
    "simulate_recruitment",
    "solve_recruitment",
    "RecruitmentSolution",
    "RecruitmentSolve",
    "RecruitmentResult",
    "RecruitmentTimelines",
    "DistributionSummary",
    "MonteCarloMean",
    "TimeBands",
    "RecruitmentPath",
    "DAYS_PER_MONTH",
]
