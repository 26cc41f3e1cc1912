"""What a run will cost: an estimate of its time, before anything is simulated.

The command line prints it when a run allowed by every limit is still long
(:data:`LONG_SECONDS`), so that a user can stop it at once. The estimate
counts the work of every pass of the run (the plan :func:`simulate_grid`
would follow) at rates measured on one core and rounded up: a simulated
trial at one grid size on the aggregate path, a simulated patient on the
per-patient paths, and the closed forms at each size. It is a guide to the
order of magnitude, not a promise.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from ..engine.dispatch import PathName
from ..spec.bounds import LONG_SECONDS
from ..spec.scenario import Scenario
from .closed import completion_probabilities
from .simulate import planned

__all__ = ["LONG_SECONDS", "estimated_seconds", "timeline_seconds", "processes", "workers"]

#: Seconds per trial and grid size on the aggregate path.
_AGGREGATE = 1e-6
#: Seconds per trial and patient on the per-patient paths, and per trial there.
_PATIENT = 6e-8
_TRIAL = 2e-5
#: Seconds per future and study when a review is re-fitted from its studies.
_REFIT = 1e-6
#: Seconds per evaluation of a closed-form power (a noncentral t), and per grid size.
_CLOSED = 1.5e-6
_CLOSED_POINT = 0.02


def processes(n_jobs: int) -> int:
    """The processes joblib starts for ``n_jobs``: -1 all cores, -2 all but one, ...

    >>> processes(3), processes(-1) == (os.cpu_count() or 1)
    (3, True)
    """
    return n_jobs if n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + n_jobs)


def workers(n_jobs: int) -> int:
    """The processes that run at once for ``n_jobs``: :func:`processes`, at most the cores."""
    return min(os.cpu_count() or 1, processes(n_jobs))


def _closed_seconds(scenario: Scenario) -> float:
    """The closed forms at one size: power averaged over the completers, harms."""
    sizes, keep = scenario.design.group_sizes, completion_probabilities(scenario)
    support = [min(96.0, 10.6 * math.sqrt(n * c * (1 - c)) + 1) for n, c in zip(sizes, keep)]
    nodes = 32 if scenario.pain.analysis == "ancova" else 2
    harms = sum(15 * math.sqrt(n * 0.25) + 1 for n in sizes[:2]) ** 2 * 1e-7 \
        * len(scenario.adverse_events)
    return _CLOSED_POINT + _CLOSED * nodes * support[0] * support[-1] + harms


def estimated_seconds(scenario: Scenario, n_per_arm: Sequence[int] | None = None, *,
                      n_sims: int | None = None, path: PathName = "auto", n_jobs: int = 1,
                      closed_forms: bool = True, comparisons: bool | None = None) -> float:
    """Estimated seconds of :func:`~simulator.planning.simulate.simulate_grid` with these
    arguments (nothing is simulated).

    Parameters
    ----------
    scenario : Scenario
    n_per_arm : sequence of int, optional
        The grid (None: the scenario's own size).
    n_sims, path, n_jobs, closed_forms, comparisons
        As in :func:`~simulator.planning.simulate.simulate_grid`.

    Returns
    -------
    float
    """
    n_sims = scenario.simulation.n_sims if n_sims is None else n_sims
    points, plan, passes = planned(scenario, n_per_arm, path=path, closed_forms=closed_forms,
                                   comparisons=comparisons, truth=False)
    per_sim = 0.0
    for p in passes:
        if p.path == "aggregate":
            trial = _AGGREGATE * len(plan.grid)
        else:
            trial = _TRIAL + _PATIENT * p.scenario.design.n_total
        meta = p.scenario.meta_analysis
        if p.name == "futures" and meta.studies is not None:
            trial += _REFIT * (len(meta.studies) + meta.new_trials) / p.trials_per_sim
        per_sim += trial * p.trials_per_sim
    closed = sum(_closed_seconds(s) for s in points) if closed_forms else 0.0
    return n_sims * per_sim / workers(n_jobs) + closed


def timeline_seconds(scenario: Scenario, reps: int) -> float:
    """A rough estimate of ``reps`` recruitment timelines on one core: per patient and per
    site (simpy's processes, with chairs; the vectorized path's draws without)."""
    r = scenario.recruitment
    simpy = r.chairs_per_site is not None
    return reps * (scenario.design.n_total * (1.5e-5 if simpy else 3e-7)
                   + r.sites * (2.5e-5 if simpy else 1e-6))
