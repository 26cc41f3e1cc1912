"""The verbs on a scenario's interim analyses: ``boundaries`` and ``adaptive``."""

from __future__ import annotations

import argparse

from ..errors import ScenarioError
from ..planning.adaptive import simulate_promising_zone
from ..planning.boundary_table import boundary_table, z_paths
from .figures import save_boundaries_figure
from .flags import scenario_from
from .output import emit_csv, emit_json
from .provenance import provenance_of
from .tables_sequential import format_boundaries, format_promising_zone

__all__ = ["cmd_boundaries", "cmd_adaptive"]

MAX_PATHS = 1000


def cmd_boundaries(args: argparse.Namespace) -> int:
    """``trialsim boundaries``: the boundary table of the scenario's ``[interim]`` design.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    if not 0 <= args.paths <= MAX_PATHS:
        raise ScenarioError(f"--paths = {args.paths}: must be an integer in [0, {MAX_PATHS}]")
    scenario = scenario_from(args)
    table = boundary_table(scenario)
    # the table is closed form; the seed draws the plot's simulated z paths
    provenance = provenance_of(args, seed=args.seed if args.seed is not None else scenario.seed)
    if args.csv:
        emit_csv(args.csv, table.to_rows(), provenance)
    if args.json:
        emit_json(args.json, table.to_dict(), provenance)
    if args.plot:
        paths = z_paths(scenario, args.paths, args.seed) if args.paths else None
        save_boundaries_figure(table, paths, args.plot, provenance)
    if "-" not in (args.csv, args.json):
        print(format_boundaries(table))
    return 0


def cmd_adaptive(args: argparse.Namespace) -> int:
    """``trialsim adaptive``: the 2-look design with promising-zone re-estimation, simulated.

    The weighted inverse normal test (Cui, Hung & Wang 1999) beside the
    pooled test and the design without re-estimation, on the same trials.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    scenario = scenario_from(args)
    seed = args.seed if args.seed is not None else scenario.seed
    result = simulate_promising_zone(scenario, n_sims=args.n_sims, seed=seed,
                                     max_factor=args.max_factor, cp_min=args.cp_min,
                                     cp_target=args.cp_target)
    if args.json:
        emit_json(args.json, result.to_dict(),
                  provenance_of(args, scenario=scenario, n_sims=args.n_sims, seed=seed))
    if args.json != "-":
        print(format_promising_zone(result))
    return 0
