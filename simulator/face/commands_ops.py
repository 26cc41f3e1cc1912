"""The operational verbs: ``recruit`` (recruitment and infusion capacity over
time) and ``sweep`` (a grid of scenario variants into a result store). Each
loads the scenario, calls the ops layer, writes what was asked for and prints
a summary; each returns the exit status."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ScenarioError
from ..ops.sweep import expand_sweep, run_sweep
from ..planning.cost import estimated_seconds, timeline_seconds, workers
from ..spec import Scenario, SweepSpec
from ..spec.bounds import MAX_MONTHS, MAX_PATIENT_REPLICATIONS
from ..spec.parse import parse_sweep_values
from .figures import save_recruitment_figure, save_sweep_figure
from .flags import (announce, check_jobs, check_n_max, check_n_sims, scenario_from,
                    simulation_options)
from .output import emit_json
from .provenance import provenance_of
from .sweep_checks import check_sweep_plot

__all__ = ["cmd_recruit", "cmd_sweep"]


def _check_recruit_flags(args: argparse.Namespace) -> None:
    if args.reps is not None and args.reps < 2:
        raise ScenarioError(f"--reps {args.reps}: must be an integer >= 2")
    check_n_sims(args.n_sims)
    check_jobs(args.jobs)
    if args.deadline_months is not None and not 0 < args.deadline_months <= MAX_MONTHS:
        raise ScenarioError(f"--deadline-months {args.deadline_months}: must be a number of "
                            f"months in (0, {MAX_MONTHS:g}]")
    if args.solve is None:
        if args.probability is not None:
            raise ScenarioError(f"--probability {args.probability}: only with --solve")
        return
    for flag in ("--plot", "--path", "--n-sims", "--jobs"):
        if getattr(args, flag[2:].replace("-", "_")) is not None:
            raise ScenarioError(f"{flag}: not used with --solve (the solver simulates no "
                                "timelines)")
    if args.probability is not None and not 0 < args.probability < 1:
        raise ScenarioError(f"--probability {args.probability}: must be in (0, 1)")
    if args.solve == "months" and args.deadline_months is not None:
        raise ScenarioError(f"--deadline-months {args.deadline_months}: not used with --solve "
                            "months (the answer is the deadline)")


def _recruit_seconds(scenario: Scenario, args: argparse.Namespace) -> float:
    """A rough estimate of a recruitment run: the timelines, then the power curve."""
    if scenario.recruitment is None:
        return 0.0
    reps = args.reps or 1000
    if reps * scenario.design.n_total > MAX_PATIENT_REPLICATIONS:
        return 0.0  # refused by simulate_recruitment, before any work
    jobs = 1 if args.jobs is None else args.jobs
    timelines = timeline_seconds(scenario, reps) / workers(jobs)
    if scenario.recruitment.deadline_months is None and args.deadline_months is None:
        return timelines
    return timelines + estimated_seconds(scenario, n_sims=args.n_sims, n_jobs=jobs,
                                         closed_forms=False)


def _solve_recruitment(args: argparse.Namespace, scenario: Scenario) -> int:
    """``trialsim recruit --solve``: the sites or months, without simulating timelines."""
    from ..ops.recruitment import solve_recruitment
    from .tables_recruitment import format_solution

    solution = solve_recruitment(
        scenario, solve=args.solve, seed=args.seed, n_reps=args.reps,
        probability=0.9 if args.probability is None else args.probability,
        deadline_months=args.deadline_months)
    if args.json:
        emit_json(args.json, solution.to_dict(), provenance_of(args, scenario=scenario))
    if args.json != "-":
        print(format_solution(solution))
    return 0


def cmd_recruit(args: argparse.Namespace) -> int:
    """``trialsim recruit``: recruitment and infusion capacity over time, and the
    power at the deadline; with ``--solve``, the sites or months that complete
    enrolment by the deadline with a given probability.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    from ..ops.recruitment import simulate_recruitment
    from .tables_recruitment import format_recruitment

    scenario = scenario_from(args)
    _check_recruit_flags(args)
    if args.solve is not None:
        return _solve_recruitment(args, scenario)
    announce(_recruit_seconds(scenario, args), args)
    result = simulate_recruitment(scenario, n_reps=args.reps, seed=args.seed,
                                  n_jobs=1 if args.jobs is None else args.jobs,
                                  deadline_months=args.deadline_months,
                                  path=args.path or "auto", n_power_sims=args.n_sims)
    provenance = provenance_of(args, scenario=scenario)
    if args.json:
        emit_json(args.json, result.to_dict(), provenance)
    if args.plot:
        save_recruitment_figure(result, args.plot,
                                chairs=scenario.recruitment.chairs_per_site is not None,
                                provenance=provenance)
    if args.json != "-":
        print(format_recruitment(result))
    return 0


def _sweep_spec(args: argparse.Namespace, scenario: Scenario) -> SweepSpec:
    """The scenario's ``[sweep]`` with ``--grid`` and ``--zip`` added or replacing keys."""
    grid: dict[str, tuple] = {}
    zipped: dict[str, tuple] = {}
    for flag, target in (("--grid", grid), ("--zip", zipped)):
        for item in getattr(args, flag[2:]):
            key, sep, raw = item.partition("=")
            if not sep or not key.strip():
                raise ScenarioError(f"{flag} {item!r}: expected KEY=V1,V2,... or KEY=START:STOP:STEP")
            target[key.strip()] = parse_sweep_values(key.strip(), raw.strip(), flag)
    spec = (scenario.sweep or SweepSpec()).merged(grid, zipped)
    if not spec.keys:
        raise ScenarioError("trialsim sweep: no sweep keys: give --grid KEY=VALUES or a "
                            "[sweep] table")
    return spec


def cmd_sweep(args: argparse.Namespace) -> int:
    """``trialsim sweep``: run a grid of scenario variants into a result store.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    scenario = scenario_from(args)
    if args.scheduler is not None and args.backend != "dask":
        raise ScenarioError(f"--scheduler {args.scheduler}: only with --backend dask (the "
                            f"{args.backend} backend starts its own workers)")
    if args.workers is not None:
        if args.backend != "dask-local":
            raise ScenarioError(f"--workers {args.workers}: only with --backend dask-local (the "
                                "workers of the local cluster; loky takes --jobs)")
        check_jobs(args.workers, "--workers")
    if args.n_max is not None:
        if args.target is None:
            raise ScenarioError(f"--n-max {args.n_max}: only with --target (the largest n a "
                                "point's solve tries)")
        check_n_max(args.n_max)
    spec = _sweep_spec(args, scenario)
    options = simulation_options(args, unit="points")
    provenance = provenance_of(args, scenario=scenario)
    solving = args.target is not None  # then --metric is what each point is solved for
    points = expand_sweep(scenario, spec)
    if args.plot:
        x, by = check_sweep_plot(args, spec, points)
    # a solve runs about 10 simulations of its point (brackets, then the answer)
    announce(sum(estimated_seconds(p.scenario, n_sims=options["n_sims"], path=options["path"],
                                   comparisons=False) for p in points)
             * (10 if solving else 1) / workers(options["n_jobs"]), args)
    rows = run_sweep(scenario, spec, args.out, **options, backend=args.backend,
                     scheduler=args.scheduler, workers=args.workers, resume=args.resume,
                     provenance=provenance, target=args.target,
                     metric=args.metric if solving else "power", n_max=args.n_max)
    if options["progress"] is not None:
        options["progress"].close()
    if args.plot:
        save_sweep_figure(rows, args.plot, x=x, by=by,
                          metric="n_per_arm" if solving else args.metric,
                          provenance=provenance)
    if not args.quiet:
        print(f"{len(rows)} points in {args.out} (and {Path(args.out).with_suffix('.jsonl')})")
    return 0
