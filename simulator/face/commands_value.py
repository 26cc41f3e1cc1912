"""The verb ``value``: is the next trial worth running, and at what size?

It loads the scenario (with its ``[decision]`` table), asks the planning
layer for EVPI, EVPPI and EVSI and ENBS by n
(:func:`~simulator.planning.value.value_of_information`), writes what was
asked for (JSON, CSV, a figure, each with the run's provenance) and prints
its table.
"""

from __future__ import annotations

import argparse

from ..errors import ScenarioError
from ..planning.value import optimal_design, value_of_information
from ..planning.value_model import check_decision
from ..spec.parse import parse_n_grid
from .figures import save_value_figure
from .flags import scenario_from, simulation_options
from .output import emit_csv, emit_json
from .provenance import provenance_of
from .tables_value import format_design, format_value

__all__ = ["cmd_value"]


def cmd_value(args: argparse.Namespace) -> int:
    """``trialsim value``: EVPI, EVPPI, and EVSI, cost and ENBS by n (and by trials).

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    scenario = scenario_from(args)
    check_decision(scenario)  # bad input exits 2 before any work
    if args.max_trials is not None and args.trials != 1:
        raise ScenarioError(f"--trials {args.trials} --max-trials {args.max_trials}: give one "
                            "(--max-trials compares 1 .. K new trials)")
    grid = parse_n_grid(args.n) if args.n else None
    options = simulation_options(args)
    if args.max_trials is not None:
        result = optimal_design(scenario, grid, max_trials=args.max_trials,
                                bootstraps=args.bootstraps, **options)
        best = result.by_trials[result.trials]
    else:
        result = best = value_of_information(scenario, grid, trials=args.trials,
                                             bootstraps=args.bootstraps, **options)
    if options["progress"] is not None:
        options["progress"].close()
    provenance = provenance_of(args, scenario=scenario)
    if args.csv:
        emit_csv(args.csv, result.to_rows(), provenance)
    if args.json:
        emit_json(args.json, result.to_dict(), provenance)
    if args.plot:
        save_value_figure(best, args.plot, provenance)
    if "-" not in (args.csv, args.json):
        print(format_value(scenario, result) if result is best
              else format_design(scenario, result))
    return 0
