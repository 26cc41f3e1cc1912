"""The verbs on one scenario's trials: ``run``, ``curve``,
``size`` and ``resolve``. Each loads the scenario, calls the planning layer,
writes what was asked for (JSON, CSV, a figure) and prints its table; each
returns the exit status."""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import ScenarioError
from ..planning.cost import estimated_seconds, timeline_seconds
from ..planning.curves import power_curve
from ..planning.reachable import check_target
from ..planning.review_run import resolve_review, review_scenario
from ..planning.simulate import simulate
from ..planning.solver import solve_sample_size
from ..planning.unblinding import has_unblinding
from ..spec.parse import parse_n_grid
from ..spec.bounds import HORIZON, is_horizon
from ..spec.recruitment import MAX_SITES
from .figures import (
    save_conclusive_figure,
    save_curve_figure,
    save_metric_figure,
    save_settle_figure,
)
from .flags import announce, check_n_max, scenario_from, simulation_options
from .output import emit_csv, emit_json
from .provenance import provenance_of
from .tables import format_curve, format_result, format_size
from .tables_resolve import format_resolve, format_trials_answers
from .tables_settle import format_settle_time

__all__ = ["cmd_run", "cmd_curve", "cmd_size", "cmd_resolve"]


def _cost_options(options: dict) -> dict:
    """The simulation options an estimate of the cost reads."""
    return {k: options[k] for k in ("n_sims", "path", "n_jobs")}



def cmd_run(args: argparse.Namespace) -> int:
    """``trialsim run``: simulate the scenario and print its operating characteristics.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    scenario = scenario_from(args)
    options = simulation_options(args)
    announce(estimated_seconds(scenario, **_cost_options(options)), args)
    progress = options["progress"]
    started = time.perf_counter()
    result = simulate(scenario, **options)
    if progress is not None:
        progress.close()
    elapsed = time.perf_counter() - started
    if args.json:
        emit_json(args.json, result.to_dict(), provenance_of(args, scenario=scenario))
    if args.json != "-":
        print(format_result(result, scenario, elapsed))
    return 0


def cmd_curve(args: argparse.Namespace) -> int:
    """``trialsim curve``: power, assurance and harm detection over a grid of n.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    if args.target is not None:  # the plot's target line
        check_target(args.target, "--target")
    scenario = scenario_from(args)
    grid = parse_n_grid(args.n)
    options = simulation_options(args)
    # with functional unblinding a curve shows the drug effect alone beside the observed
    announce(estimated_seconds(scenario, grid, comparisons=has_unblinding(scenario) or None,
                               **_cost_options(options)), args)
    curve = power_curve(scenario, grid, closed_forms=True,
                        comparisons=has_unblinding(scenario), **options)
    if options["progress"] is not None:
        options["progress"].close()
    provenance = provenance_of(args, scenario=scenario)
    if args.csv:
        emit_csv(args.csv, curve.to_rows(), provenance)
    if args.json:
        emit_json(args.json, curve.to_dict(), provenance)
    if args.plot:
        save_curve_figure(curve, args.plot, args.target, provenance)
    if "-" not in (args.csv, args.json):
        print(format_curve(curve))
    return 0


def cmd_size(args: argparse.Namespace) -> int:
    """``trialsim size``: the n per arm that reaches ``--target`` of ``--metric``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0; a target out of reach raises ConvergenceError).
    """
    scenario = scenario_from(args)
    options = simulation_options(args)
    check_n_max(args.n_max)
    result = solve_sample_size(scenario, target=args.target, metric=args.metric,
                               n_max=args.n_max, n_tolerance=args.n_tolerance,
                               size_on=args.size_on, **options)
    curve = None
    if args.plot:  # a curve only when one is drawn
        curve = power_curve(scenario, result.plot_sizes(), closed_forms=True,
                            **{**options, "progress": None})
    if options["progress"] is not None:
        options["progress"].close()
    provenance = provenance_of(args, scenario=scenario)
    if args.json:
        emit_json(args.json, result.to_dict(), provenance)
    if args.plot:
        if args.metric in ("power", "assurance"):
            save_curve_figure(curve, args.plot, args.target, provenance, solved=result)
        else:
            save_metric_figure(curve, args.metric, args.plot, args.target, provenance,
                               solved=result)
    if args.json != "-":
        print(format_size(result))
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    """``trialsim resolve``: P(the next trial(s) make the review conclusive).

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status: 0, or 3 when ``--target`` cannot be reached (the
        rest is still written and printed).
    """
    if args.plot and not args.n:
        raise ScenarioError(f"--plot {args.plot}: trialsim resolve draws a curve only with "
                            "--n START:STOP:STEP")
    options = simulation_options(args)
    scenario = scenario_from(args)
    sites = _settle_arguments(args, scenario)
    grid = parse_n_grid(args.n) if args.n else None
    reviewed = review_scenario(scenario, trials=args.trials, rules=args.rule)
    cost = estimated_seconds(reviewed, comparisons=False, **_cost_options(options))
    if grid:  # one pass of K trials per future gives every k's curve (conclusive_curves)
        cost += estimated_seconds(reviewed, grid, closed_forms=False, comparisons=False,
                                  **_cost_options(options))
    if scenario.recruitment is not None:  # when the review is settled: timelines per future
        k = reviewed.meta_analysis.new_trials
        cells = (len(grid) if grid else 1) * (len(sites) if sites else 1)
        cost += timeline_seconds(scenario, args.time_reps * k) * (1 + cells)
    announce(cost, args, besides="the --target solves" if args.target is not None else "")
    report = resolve_review(scenario, trials=args.trials, rules=args.rule, target=args.target,
                            n_per_arm=grid, **options)
    if options["progress"] is not None:
        options["progress"].close()
    provenance = provenance_of(args, scenario=scenario)
    if report.curves is not None and args.plot:
        save_conclusive_figure(report.curves, args.plot, args.target, provenance)
    when = None
    if scenario.recruitment is not None:
        from ..ops.settle_time import settle_time   # the recruitment modules, only when needed

        when = settle_time(report, sites=sites, by_months=args.by, n_reps=args.time_reps,
                           seed=options["seed"], n_jobs=options["n_jobs"])
        if args.time_plot:
            save_settle_figure(when, scenario.name, args.time_plot, provenance)
    if args.json:
        payload = report.to_dict()
        if when is not None:
            payload["settle_time"] = when.to_dict()
        emit_json(args.json, payload, provenance)
    solved_text = None
    if report.size is not None:
        solved_text = format_size(report.size)
    elif report.unreachable is not None:
        solved_text = f"P(conclusive) >= {report.target:g}: not reachable. {report.unreachable}"
    if report.by_trials:
        solved_text += "\n\n" + format_trials_answers(report.target, report.by_trials)
    if args.json != "-":
        print(format_resolve(report.scenario, report.result, solved_text, report.curves))
        if when is not None:
            print("\n" + format_settle_time(when))
    if report.unreachable is not None:
        print(f"trialsim: cannot solve: {report.unreachable}", file=sys.stderr)
        return 3
    return 0


def _settle_arguments(args: argparse.Namespace, scenario) -> tuple[int, ...] | None:
    """The checked ``--sites``, ``--by``, ``--time-reps`` and ``--time-plot`` (exit 2 first)."""
    asked = [f for f, v in (("--sites", args.sites), ("--by", args.by),
                            ("--time-plot", args.time_plot)) if v is not None]
    if asked and scenario.recruitment is None:
        raise ScenarioError(f"{asked[0]}: needs a [recruitment] table in the scenario (the new "
                            "trials' recruitment)")
    if args.by is not None and not is_horizon(args.by):
        raise ScenarioError(f"--by {args.by:g}: {HORIZON}, as meta_analysis.settled_by_months")
    if args.time_reps < 2:
        raise ScenarioError(f"--time-reps {args.time_reps}: must be an integer >= 2")
    if args.sites is None:
        return None
    try:
        sites = tuple(int(v) for v in args.sites.split(","))
    except ValueError:
        sites = ()
    if not sites or any(s < 1 or s > MAX_SITES for s in sites):
        raise ScenarioError(f"--sites {args.sites}: must be a comma-separated list of "
                            f"integers in [1, {MAX_SITES}]")
    from ..ops.settle_time import with_sites

    for s in sites:
        with_sites(scenario, s)   # a scenario whose sites do not open over a ramp: named now
    return sites
