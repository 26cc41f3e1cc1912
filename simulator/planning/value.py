"""Is the next trial worth running? Value of information from the engine's futures.

:func:`value_of_information` runs one pass of the engine (the ``value``
pass: the assurance pass's streams, ``k`` trials per future, every size of
the grid on common random numbers) and turns its futures into EVSI by n
(:mod:`simulator.planning.value_evsi`), the population's EVSI discounted to
when the result is known, the trial's cost
(:mod:`simulator.planning.value_trial`), ENBS and the n that maximises it,
with the Monte Carlo range of that argmax; beside them EVPI and EVPPI from
the priors (:mod:`simulator.planning.value_model`). See ``docs/value.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ..engine.dispatch import PathName, choose_path
from ..engine.kernel import Pass, run
from ..engine.layout import Layout, bytes_per_trial
from ..engine.looks import run_grid
from ..checks import check_options
from ..errors import ScenarioError
from ..mc import MonteCarloProbability
from ..spec import Scenario
from ..spec.bounds import MAX_BOOTSTRAPS, MAX_KEPT_TRIALS
from ..spec.decision import DecisionSpec
from ..spec.variants import at_n, first_period_equivalent
from .simulate import check_run, checked_sizes
from .value_evsi import (DrawFutures, Futures, RegressionEVSI, ValueCollector, bootstrap_evsi,
                         choose_degree, closed_evsi, closed_form_reason, closed_p_change,
                         regression_evsi)
from .value_model import check_decision, evpi, evppi, prior_mean_inb
from .value_results import OptimalDesign, ValuePoint, ValueResult
from .value_trial import trial_cost

__all__ = ["value_of_information", "optimal_design", "BOOTSTRAPS"]

#: Bootstrap resamples of the futures behind the argmax's Monte Carlo range.
BOOTSTRAPS = 200
#: Resamples x futures held at once by the bootstrap (about 16 MB per array).
BOOTSTRAP_CELLS = 2_000_000


def value_of_information(
    scenario: Scenario,
    n_per_arm: Sequence[int] | None = None,
    *,
    trials: int = 1,
    n_sims: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    path: PathName = "auto",
    progress: Callable[[int, int], None] | None = None,
    bootstraps: int = BOOTSTRAPS,
) -> ValueResult:
    """EVPI, EVPPI, and EVSI and ENBS of new trials by size, from simulated futures.

    Parameters
    ----------
    scenario : Scenario
        With a ``[decision]`` table and a prior on the effect (or on a
        weighted adverse event's risk ratio).
    n_per_arm : sequence of int, optional
        Sizes of the reference arm; default the scenario's own.
    trials : int
        New trials of the design per future (k, in parallel, sharing the
        future's true values).
    n_sims, seed, n_jobs, path, progress
        As in :func:`simulator.simulate`.
    bootstraps : int
        Bootstrap resamples behind the Monte Carlo range of the optimal n
        (default 200); 0 leaves the range out (None), which saves most of the
        time of a long grid.

    Returns
    -------
    ValueResult

    Examples
    --------
    >>> from simulator import Scenario, value_of_information
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 50},
    ...     "pain": {"effect": -0.5, "effect_sd": 0.5, "effect_prior": "pooled",
    ...              "analysis": "followup"},
    ...     "decision": {"value_per_point": 100.0, "treatment_cost": 40.0,
    ...                  "population_per_year": 1000}})
    >>> r = value_of_information(s, [25, 100], n_sims=4096, seed=1)
    >>> r.points[0].evsi < r.points[1].evsi < r.evpi.per_patient
    True
    """
    d = check_decision(scenario)
    n_sims = scenario.simulation.n_sims if n_sims is None else n_sims
    seed = scenario.seed if seed is None else seed
    _check(scenario, trials, n_sims, seed, n_jobs, bootstraps)
    # numpy integers pass the checks; the layout's arithmetic wants Python ints
    trials, n_sims, bootstraps = int(trials), int(n_sims), int(bootstraps)
    scenario = first_period_equivalent(scenario)
    sizes = checked_sizes(scenario, n_per_arm)
    points = [at_n(scenario, n) for n in sizes]
    largest = points[-1]
    grid = [p.design.group_sizes for p in points]
    value_pass = Pass(name="value", scenario=largest, path=choose_path(largest, path),
                      collectors=(ValueCollector(largest, trials),),
                      params=DrawFutures(largest, trials), params_stream="prior",
                      trials_per_sim=trials)
    per_trial = bytes_per_trial(largest, value_pass.path,
                                len(run_grid(grid, largest).sizes)) * trials
    layout = Layout.of(n_sims, per_trial, scenario.simulation.chunk_mb)
    totals = run([value_pass], grid, layout.tasks(), seed=seed, n_jobs=n_jobs,
                 progress=progress)
    mean = prior_mean_inb(scenario)
    futures = [Futures.of(totals.counts["value"][g]) for g in range(len(grid))]
    degree = choose_degree(futures)
    fits = [regression_evsi(f, degree, mean) for f in futures]
    made = [_point(p, fit, totals.counts["value"][g]["benefit"], trials, totals.n_sims)
            for g, (p, fit) in enumerate(zip(points, fits))]
    span = (_argmax_range(d, made, futures, degree, seed, bootstraps) if bootstraps
            else None)
    return ValueResult(
        scenario_name=scenario.name, unit=d.unit, trials=trials, n_sims=totals.n_sims,
        seed=int(seed), prior_mean_inb=mean,
        population=d.population, evpi=evpi(scenario, seed), evppi=evppi(scenario, seed),
        points=tuple(made),
        optimal_range=None if span is None else (sizes[span[0]], sizes[span[1]]),
        optimal_share=None if span is None else span[2],
        bootstraps=bootstraps,
        method="regression on the trials' summary statistics (Strong et al. 2015)",
        closed_form=closed_form_reason(largest) or "normal-normal preposterior")


def optimal_design(scenario: Scenario, n_per_arm: Sequence[int] | None = None, *,
                   max_trials: int = 3, **options) -> OptimalDesign:
    """ENBS over n per arm and 1 .. ``max_trials`` new trials: the design worth most.

    Parameters
    ----------
    scenario : Scenario
    n_per_arm : sequence of int, optional
    max_trials : int
        The most new trials compared (each number is its own run).
    **options
        Those of :func:`value_of_information` but ``trials``.

    Returns
    -------
    OptimalDesign
    """
    if isinstance(max_trials, bool) or not isinstance(max_trials, int) \
            or not 1 <= max_trials <= 100:
        raise ScenarioError(f"max_trials = {max_trials!r}: must be an integer in [1, 100]")
    check_decision(scenario)
    check_options("optimal_design", options, _VALUE_OPTIONS, " (trials runs 1 .. max_trials)")
    return OptimalDesign(by_trials={k: value_of_information(scenario, n_per_arm, trials=k,
                                                            **options)
                                    for k in range(1, max_trials + 1)})


#: The options optimal_design passes on to each value run.
_VALUE_OPTIONS = frozenset({"n_sims", "seed", "n_jobs", "path", "progress", "bootstraps"})


def _check(scenario, trials, n_sims, seed, n_jobs, bootstraps) -> None:
    """The value run's own arguments; then seed and n_jobs as every run's (check_run)."""
    for name, value, low in (("trials", trials, 1), ("n_sims", n_sims, 2),
                             ("bootstraps", bootstraps, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ScenarioError(f"{name} = {value!r}: must be an integer >= {low}")
    if trials > 100:
        raise ScenarioError(f"trials = {trials}: must be an integer in [1, 100]")
    if n_sims > MAX_KEPT_TRIALS:
        raise ScenarioError(f"n_sims = {n_sims}: must be an integer in [2, {MAX_KEPT_TRIALS:,}] "
                            "(every future's net benefit is kept for the regression)")
    if bootstraps > MAX_BOOTSTRAPS:
        raise ScenarioError(f"bootstraps = {bootstraps}: must be an integer in [0, "
                            f"{MAX_BOOTSTRAPS:,}]")
    check_run(scenario, n_sims, seed, n_jobs, None)


def _point(scenario: Scenario, fit: RegressionEVSI, benefit: int, k: int,
           n_sims: int) -> ValuePoint:
    d = scenario.decision
    cost = trial_cost(scenario, scenario.design.n_per_arm)
    scale = d.population * d.discount(cost.months_to_result)
    exact = closed_evsi(scenario, k)
    total_cost = k * cost.cost
    return ValuePoint(
        n_per_arm=scenario.design.n_per_arm, n_total=cost.n_total, evsi=fit.evsi,
        evsi_se=fit.se, evsi_closed=exact,
        p_change=MonteCarloProbability.from_counts(round(fit.p_change * fit.fitted.size),
                                                   fit.fitted.size),
        p_change_closed=closed_p_change(scenario, k),
        assurance=MonteCarloProbability.from_counts(benefit, n_sims * k),
        months_to_result=cost.months_to_result, population_evsi=fit.evsi * scale,
        population_evsi_se=fit.se * scale, trial_cost=total_cost,
        enbs=fit.evsi * scale - total_cost, enbs_se=fit.se * scale,
        enbs_closed=None if exact is None else exact * scale - total_cost)


def _argmax_range(decision: DecisionSpec, points: list[ValuePoint], futures: list[Futures],
                  degree: int, seed: int, resamples: int) -> tuple[int, int, float]:
    """The 2.5 and 97.5 % positions of the ENBS argmax over bootstrap resamples.

    Each resample draws the futures with replacement (the same futures at
    every size: their common random numbers), refits the regression at
    every size and recomputes EVSI and ENBS. One size needs no resample.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(9,)))
    size = futures[0].inb.size
    scale = np.array([decision.population * decision.discount(p.months_to_result)
                      for p in points])
    cost = np.array([p.trial_cost for p in points])
    best = np.zeros(resamples, dtype=int)
    chunk = max(1, min(resamples, BOOTSTRAP_CELLS // size))  # resamples at once (memory)
    for start in range(0, resamples if len(points) > 1 else 0, chunk):
        stop = min(start + chunk, resamples)
        counts = np.stack([np.bincount(rng.integers(0, size, size), minlength=size)
                           for _ in range(start, stop)]).astype(float)
        evsi = np.stack([bootstrap_evsi(f, degree, counts) for f in futures], axis=1)
        best[start:stop] = np.argmax(evsi * scale - cost, axis=1)
    low, high = np.quantile(best, [0.025, 0.975], method="inverted_cdf")
    top = int(np.argmax([p.enbs for p in points]))
    return int(low), int(high), float(math.fsum(best == top) / resamples)
