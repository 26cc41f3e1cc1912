"""The verb ``value``: is the next trial worth running, and at what size?

It loads the scenario (with its ``[decision]`` table), asks the planning
layer for EVPI, EVPPI and EVSI and ENBS by n
(:func:`~simulator.planning.value.value_of_information`), writes what was
asked for (JSON, CSV, a figure, each with the run's provenance) and prints
its table.
"""

from __future__ import annotations

import argparse

from ..planning.value import value_of_information
from ..planning.value_model import check_decision
from ..spec.parse import parse_n_grid
from .figures import save_value_figure
from .flags import scenario_from, simulation_options
from .output import emit_csv, emit_json
from .provenance import provenance_of
from .tables_value import format_value

__all__ = ["cmd_value"]


def cmd_value(args: argparse.Namespace) -> int:
    """``trialsim value``: EVPI, EVPPI, and EVSI, cost and ENBS by n.

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
    grid = parse_n_grid(args.n) if args.n else None
    options = simulation_options(args)
    result = value_of_information(scenario, grid, trials=args.trials,
                                  bootstraps=args.bootstraps, **options)
    if options["progress"] is not None:
        options["progress"].close()
    provenance = provenance_of(args, scenario=scenario)
    if args.csv:
        emit_csv(args.csv, result.to_rows(), provenance)
    if args.json:
        emit_json(args.json, result.to_dict(), provenance)
    if args.plot:
        save_value_figure(result, args.plot, provenance)
    if "-" not in (args.csv, args.json):
        print(format_value(scenario, result))
    return 0
