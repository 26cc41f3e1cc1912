"""The verb on a scenario's interim analyses: ``boundaries``."""

from __future__ import annotations

import argparse

from ..errors import ScenarioError
from ..planning.boundary_table import boundary_table, z_paths
from .figures import save_boundaries_figure
from .flags import scenario_from
from .output import emit_csv, emit_json
from .provenance import provenance_of
from .tables_sequential import format_boundaries

__all__ = ["cmd_boundaries"]

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
