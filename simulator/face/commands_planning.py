"""The verbs on one scenario's trials: ``validate``, ``run``, ``curve``,
``size`` and ``resolve``. Each loads the scenario, calls the planning layer,
writes what was asked for (JSON, CSV, a figure) and prints its table; each
returns the exit status."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..engine.dispatch import choose_path
from ..errors import ConvergenceError, ScenarioError
from ..planning.curves import PowerCurve, conclusive_curves, power_curve
from ..planning.results import SimulationResult
from ..planning.simulate import simulate
from ..planning.solver import solve_sample_size
from ..spec import Scenario
from ..spec.parse import parse_n_grid
from ..spec.variants import first_period_equivalent
from .figures import save_conclusive_figure, save_curve_figure, save_metric_figure
from .flags import scenario_from, simulation_options
from .output import emit_csv, emit_json
from .tables import format_curve, format_resolve, format_result, format_size

__all__ = ["cmd_validate", "cmd_run", "cmd_curve", "cmd_size", "cmd_resolve"]


def cmd_validate(args: argparse.Namespace) -> int:
    """``trialsim validate``: load the scenario and say which data path it takes.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    scenario = scenario_from(args)
    path = choose_path(first_period_equivalent(scenario))
    print(f"{args.scenario}: valid; {scenario.design.n_total} patients, "
          f"{scenario.pain.analysis} analysis, {path} path")
    return 0


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
    progress = options["progress"]
    started = time.perf_counter()
    result = simulate(scenario, **options)
    if progress is not None:
        progress.close()
    elapsed = time.perf_counter() - started
    if args.json:
        emit_json(args.json, result.to_dict())
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
    scenario = scenario_from(args)
    grid = parse_n_grid(args.n)
    options = simulation_options(args)
    curve = power_curve(scenario, grid, closed_forms=True, **options)
    if options["progress"] is not None:
        options["progress"].close()
    if args.csv:
        emit_csv(args.csv, curve.to_rows())
    if args.json:
        emit_json(args.json, curve.to_dict())
    if args.plot:
        save_curve_figure(curve, args.plot, args.target)
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
    result = solve_sample_size(scenario, target=args.target, metric=args.metric,
                               n_max=args.n_max, **options)
    if options["progress"] is not None:
        options["progress"].close()
    if args.json:
        emit_json(args.json, result.to_dict())
    if args.plot:
        if args.metric in ("power", "assurance"):
            save_curve_figure(result.curve, args.plot, args.target)
        else:
            save_metric_figure(result.curve, args.metric, args.plot, args.target)
    if args.json != "-":
        print(format_size(result))
    return 0


def _resolve_scenario(args: argparse.Namespace) -> Scenario:
    """The scenario with ``--trials`` and ``--rule`` applied to its ``[meta_analysis]``."""
    scenario = scenario_from(args)
    if scenario.meta_analysis is None:
        raise ScenarioError(f"{scenario.source}: [meta_analysis]: required by trialsim resolve "
                            "(the existing evidence: studies, pooled or evidence)")
    overrides: dict[str, Any] = {}
    if args.trials is not None:
        overrides["meta_analysis.new_trials"] = args.trials
    if args.rule:
        overrides["meta_analysis.rules"] = list(dict.fromkeys(args.rule))
    if overrides:
        scenario = scenario.with_overrides(overrides)
    return scenario


def _resolve_target(scenario: Scenario, target: float,
                    options: dict[str, Any]) -> tuple[dict[str, Any], str, int]:
    """The n per arm that reaches P(conclusive) >= target: JSON, text, exit status."""
    try:
        size = solve_sample_size(scenario, target=target, metric="conclusive", **options)
    except ConvergenceError as exc:
        return ({"target": target, "n_per_arm": None, "reason": str(exc)},
                f"P(conclusive) >= {target:g}: not reachable. {exc}", 3)
    return size.to_dict(), format_size(size), 0


def _curves_payload(curves: dict[int, PowerCurve]) -> dict[str, list[dict[str, Any]]]:
    """P(conclusive) under the first rule, per n, per number of new trials."""
    return {str(k): [{"n_per_arm": p.n_per_arm,
                      **p.resolve.p_conclusive[p.resolve.rules[0]].to_dict("p_conclusive")}
                     for p in c.points]
            for k, c in curves.items()}


def _resolve_payload(scenario: Scenario, result: SimulationResult) -> dict[str, Any]:
    return {"scenario": scenario.name, "n_per_arm": result.n_per_arm,
            "n_sims": result.n_sims, "path": result.path,
            "seed_entropy": result.seed_entropy, **result.resolve.to_dict()}


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
    scenario = _resolve_scenario(args)
    options = simulation_options(args)
    result = simulate(scenario, **options)
    payload = _resolve_payload(scenario, result)
    solved_text, status = None, 0
    if args.target is not None:
        payload["target"], solved_text, status = _resolve_target(scenario, args.target, options)
    curves = None
    if args.n:
        curves = conclusive_curves(scenario, parse_n_grid(args.n), **options)
        payload["curves"] = _curves_payload(curves)
        if args.plot:
            save_conclusive_figure(curves, args.plot, args.target)
    if options["progress"] is not None:
        options["progress"].close()
    if args.json:
        emit_json(args.json, payload)
    if args.json != "-":
        print(format_resolve(scenario, result, solved_text, curves))
    return status
