"""The verb ``report``: one self-contained HTML report of a scenario."""

from __future__ import annotations

import argparse
import sys
import time

from .._io import write_atomic
from ..spec.parse import parse_override
from ..planning.reachable import check_target
from .flags import announce, scenario_from, simulation_options
from .provenance import provenance_of

__all__ = ["cmd_report"]


def cmd_report(args: argparse.Namespace) -> int:
    """``trialsim report``: simulate the scenario and write the report.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status (0).
    """
    import matplotlib

    from .report import gather_report, render_report
    from .report.gather import report_seconds

    if args.target is not None:  # the output paths are checked with every verb's (targets)
        check_target(args.target, "--target")
    scenario = scenario_from(args)
    options = simulation_options(args)
    announce(report_seconds(scenario, n_sims=options["n_sims"], n_jobs=options["n_jobs"],
                            target=args.target), args)
    matplotlib.use("Agg")
    started = time.perf_counter()
    overrides = dict(parse_override(item) for item in args.overrides)
    data = gather_report(scenario, n_sims=options["n_sims"], seed=options["seed"],
                         n_jobs=options["n_jobs"], target=args.target,
                         progress=options["progress"],
                         provenance=provenance_of(args, scenario=scenario),
                         overrides=overrides)
    text = render_report(data)
    if options["progress"] is not None:
        options["progress"].close()
    if args.report_out == "-":  # the page on standard output, nothing else there
        sys.stdout.write(text)
        return 0
    write_atomic(args.report_out, text)
    if not args.quiet:
        print(f"report: {args.report_out} ({len(text) // 1024:,} KiB, "
              f"{time.perf_counter() - started:.1f} s)")
    return 0
