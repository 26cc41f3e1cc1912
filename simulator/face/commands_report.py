"""The verb ``report``: one self-contained HTML report of a scenario."""

from __future__ import annotations

import argparse
import time

from .._io import check_output_path, same_file, write_atomic
from ..errors import ScenarioError
from ..spec.parse import parse_override
from ..planning.cost import estimated_seconds
from ..spec import Scenario
from ..spec.settings import ESTIMANDS
from .flags import announce, scenario_from, simulation_options
from .provenance import provenance_of

__all__ = ["cmd_report"]


def _check_report_flags(args: argparse.Namespace) -> None:
    """The output path and ``--target``, before any work."""
    check_output_path(args.report_out, "--out")
    if same_file(args.report_out, args.scenario):
        raise ScenarioError(f"--out {args.report_out}: is the scenario file of this run; it "
                            "would be overwritten: choose another file")
    if args.target is not None and not 0 < args.target < 1:
        raise ScenarioError(f"--target {args.target}: must be a probability in (0, 1)")


def _report_seconds(scenario: Scenario, options: dict, target: float | None) -> float:
    """A rough estimate of the report's runs (:func:`~.report.gather_report`): the trial,
    the power curve, a solve (about 10 runs), the other estimands, the review's updates."""
    from .report.gather import MAX_REVIEW_TRIALS, curve_sizes

    cost = {k: options[k] for k in ("n_sims", "n_jobs")}
    one = estimated_seconds(scenario, **cost)
    grid = curve_sizes(scenario.design.n_per_arm)
    total = one + estimated_seconds(scenario, grid, **cost) + (10 * one if target else 0.0)
    if scenario.dropout.rate > 0 or scenario.dropout.after_ae:
        total += (len(ESTIMANDS) - 1) * one
    if scenario.meta_analysis is not None:
        k = max(MAX_REVIEW_TRIALS, scenario.meta_analysis.new_trials)
        total += k * one + estimated_seconds(scenario, grid, closed_forms=False, **cost) * k
    return total


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

    _check_report_flags(args)
    scenario = scenario_from(args)
    options = simulation_options(args)
    announce(_report_seconds(scenario, options, args.target), args)
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
    write_atomic(args.report_out, text)
    if not args.quiet:
        print(f"report: {args.report_out} ({len(text) // 1024:,} KiB, "
              f"{time.perf_counter() - started:.1f} s)")
    return 0
