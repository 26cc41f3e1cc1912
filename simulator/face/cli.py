"""The ``trialsim`` command line.

Verbs: ``run`` (simulate a scenario and print its operating characteristics),
``curve`` (the same over a grid of n), ``size`` (the n a target needs),
``resolve`` (would the next trial(s) make the review conclusive), ``value``
(is the next trial worth running: EVPI, EVSI and ENBS by n),
``boundaries`` (the boundary table of a design with interim analyses), ``meta`` (fit
a meta-analysis of a study table), ``recruit`` (recruitment and infusion
capacity over time, simpy), ``sweep`` (a grid of variants into a resumable
result store, on loky or Dask),
``validate`` (check a scenario file without running it), ``evidence`` (list
the evidence table or show one entry with its sources) and ``report`` (a
self-contained HTML report of a scenario). Exit status: 2 for
bad input, 3 when a target cannot be reached, 130 when interrupted. Errors in a
scenario exit with status 2 and one line naming the field; Ctrl-C exits 130.
Output paths are checked before any work (:mod:`.targets`), and the worker
processes of ``--jobs`` exit with trialsim (:mod:`.workers`).

This module builds the parser (one small function per verb; the shared flags
are in :mod:`.flags`) and turns errors into exit statuses; the verbs run in
:mod:`.commands_planning`, :mod:`.commands_value`, :mod:`.commands_sequential`,
:mod:`.commands_ops` and :mod:`.commands_evidence`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._version import __version__
from ..engine.workers import workers_exit_with_parent
from ..errors import ConvergenceError, ScenarioError, SimulatorError
from ..spec import RULES
from ..spec.settings import N_TOLERANCE
from ..spec.sweep import BACKENDS
from .flags import add_evidence_flag, add_scenario_flags, add_simulation_flags, check_seed
from .targets import check_outputs

__all__ = ["main", "build_parser"]

if TYPE_CHECKING:  # pragma: no cover
    Verbs = argparse._SubParsersAction[argparse.ArgumentParser]


def _add_run(verbs: Verbs) -> None:
    run = verbs.add_parser("run", help="simulate a scenario and report power and harms")
    add_scenario_flags(run)
    run.add_argument("--n-sims", type=int, help="number of simulated trials")
    run.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    run.add_argument("--jobs", type=int, default=1, help="parallel workers (-1 = all cores)")
    run.add_argument("--path", choices=("auto", "aggregate", "patient"), default="auto",
                     help="data path (default: aggregate when it is exact)")
    run.add_argument("--json", metavar="FILE", help="write the result as JSON ('-' = stdout)")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.set_defaults(handler="commands_planning:cmd_run")


def _add_validate(verbs: Verbs) -> None:
    validate = verbs.add_parser("validate", help="check a scenario file without running it")
    add_scenario_flags(validate)
    validate.set_defaults(handler="commands_validate:cmd_validate")


def _add_curve(verbs: Verbs) -> None:
    curve = verbs.add_parser("curve", help="power, assurance and harm detection over n")
    add_scenario_flags(curve)
    add_simulation_flags(curve)
    curve.add_argument("--n", required=True, metavar="START:STOP:STEP",
                       help="sizes of the reference arm, e.g. 20:400:20 or 50,100,200")
    curve.add_argument("--csv", metavar="FILE", help="write one row per n ('-' = stdout)")
    curve.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    curve.add_argument("--plot", metavar="FILE.png", help="save a figure of the curve(s)")
    curve.add_argument("--target", type=float, help="draw a target line on the plot")
    curve.set_defaults(handler="commands_planning:cmd_curve")


def _add_size(verbs: Verbs) -> None:
    size = verbs.add_parser("size", help="the n per arm that reaches a target")
    add_scenario_flags(size)
    add_simulation_flags(size)
    size.add_argument("--target", type=float, default=0.9, help="e.g. 0.9 (default)")
    size.add_argument("--metric", default="power",
                      help="power | power_benefit | assurance | harm:<AE name> | "
                           "conclusive[:<rule>]")
    size.add_argument("--n-max", type=int, default=20_000, help="largest n per arm to try")
    size.add_argument("--n-tolerance", type=float, default=N_TOLERANCE, metavar="SHARE",
                      help="widest Monte Carlo range of n accepted, as a share of n "
                           f"(default {N_TOLERANCE:g}: 2 %%); the solver runs trials until "
                           "the range is this narrow")
    size.add_argument("--size-on", choices=("drug", "observed"), default="drug",
                      help="with functional unblinding: size on the drug effect alone "
                           "(default) or on the effect as observed, expectancy bias included; "
                           "both answers are shown")
    size.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    size.add_argument("--plot", metavar="FILE.png",
                      help="save a curve around the answer, with its range marked")
    size.set_defaults(handler="commands_planning:cmd_size")


def _add_resolve(verbs: Verbs) -> None:
    resolve = verbs.add_parser("resolve", help="P(the next trial(s) make the review conclusive)")
    add_scenario_flags(resolve)
    add_simulation_flags(resolve)
    resolve.add_argument("--trials", type=int, help="number of new trials (default: the "
                                                    "scenario's meta_analysis.new_trials)")
    resolve.add_argument("--rule", action="append", choices=RULES, metavar="RULE",
                         help="conclusive rule (repeatable): " + ", ".join(RULES))
    resolve.add_argument("--target", type=float, help="also solve the n per arm that reaches "
                                                      "this P(conclusive)")
    resolve.add_argument("--n", metavar="START:STOP:STEP",
                         help="curve of P(conclusive) over n, one line per number of trials "
                              "(1 .. --trials)")
    resolve.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    resolve.add_argument("--plot", metavar="FILE.png", help="save the curve (with --n)")
    resolve.add_argument("--sites", metavar="LIST",
                         help="with [recruitment]: the date the review is settled by n per "
                              "arm (--n) and these numbers of sites, e.g. 5,10,20")
    resolve.add_argument("--by", type=float, metavar="MONTHS",
                         help="with [recruitment]: P(settled by this date), months from the "
                              "start (default meta_analysis.settled_by_months)")
    resolve.add_argument("--time-reps", type=int, default=1000, metavar="N",
                         help="with [recruitment]: recruitment futures per cell (default 1000)")
    resolve.add_argument("--time-plot", metavar="FILE.png",
                         help="with [recruitment]: save P(settled by t) over time (and over "
                              "n and sites, with --sites or --n and a date)")
    resolve.set_defaults(handler="commands_planning:cmd_resolve")


def _add_boundaries(verbs: Verbs) -> None:
    bounds = verbs.add_parser("boundaries", help="the boundary table of the scenario's "
                                                 "interim analyses ([interim])")
    add_scenario_flags(bounds)
    bounds.add_argument("--csv", metavar="FILE", help="write one row per look ('-' = stdout)")
    bounds.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    bounds.add_argument("--plot", metavar="FILE.png",
                        help="the bounds on the z scale, with simulated trials' z paths")
    bounds.add_argument("--paths", type=int, default=20,
                        help="simulated trials drawn on the plot (default 20)")
    bounds.add_argument("--seed", type=int, help="root seed of the paths")
    bounds.set_defaults(handler="commands_sequential:cmd_boundaries")


def _add_recruit(verbs: Verbs) -> None:
    recruit = verbs.add_parser("recruit", help="recruitment and infusion capacity over time "
                                               "(simpy), and the power at the deadline")
    add_scenario_flags(recruit)
    recruit.add_argument("--reps", type=int, help="simulated trials (default 1000; with "
                                                  "--solve: draws of the site rates, 2000)")
    recruit.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    recruit.add_argument("--jobs", type=int, help="parallel workers (-1 = all cores; default 1)")
    recruit.add_argument("--deadline-months", type=float, metavar="M",
                         help="end of recruitment (default: recruitment.deadline_months)")
    recruit.add_argument("--path", choices=("auto", "simpy", "vectorized"),
                         help="vectorized needs no capacity limit (default: auto)")
    recruit.add_argument("--n-sims", type=int, help="trials per n of the power curve")
    recruit.add_argument("--solve", choices=("sites", "months"),
                         help="instead of simulating: the fewest sites (opening over the ramp) "
                              "or the months that complete enrolment by the deadline with "
                              "--probability")
    recruit.add_argument("--probability", type=float, metavar="P",
                         help="with --solve: the wanted P(full enrolment), in (0, 1) "
                              "(default 0.9)")
    recruit.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    recruit.add_argument("--plot", metavar="FILE.png", help="enrolment over time and chair "
                                                            "utilisation")
    recruit.set_defaults(handler="commands_ops:cmd_recruit")


def _add_sweep(verbs: Verbs) -> None:
    sweep = verbs.add_parser("sweep", help="run a grid of scenario variants into a result store")
    add_scenario_flags(sweep)
    add_simulation_flags(sweep)
    sweep.add_argument("--grid", action="append", default=[], metavar="KEY=VALUES",
                       help="a crossed sweep key: KEY=V1,V2,... or KEY=START:STOP:STEP "
                            "(repeatable; adds to or replaces the file's [sweep.grid])")
    sweep.add_argument("--zip", action="append", default=[], metavar="KEY=VALUES",
                       help="keys that vary together, equal numbers of values (repeatable)")
    sweep.add_argument("--out", required=True, metavar="FILE.csv",
                       help="result CSV (a .jsonl twin is written beside it)")
    sweep.add_argument("--backend", choices=BACKENDS, default="loky")
    sweep.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="Dask scheduler address")
    sweep.add_argument("--workers", type=int, help="LocalCluster workers (dask-local)")
    sweep.add_argument("--resume", action="store_true",
                       help="continue an existing result store, skipping finished points")
    sweep.add_argument("--plot", metavar="FILE.png", help="plot a metric against a grid key")
    sweep.add_argument("--x", metavar="KEY", help="grid key on the x axis (default: the first)")
    sweep.add_argument("--by", metavar="KEY", help="grid key with one line per value")
    sweep.add_argument("--metric", default="power",
                       help="column to plot (default power); with --target, the metric to "
                            "solve for: power | power_benefit | assurance | harm:<AE name> | "
                            "conclusive[:<rule>]")
    sweep.add_argument("--target", type=float,
                       help="solve the n per arm at which --metric reaches this target at "
                            "every point (the plot then shows that n)")
    sweep.add_argument("--n-max", type=int,
                       help="with --target: the largest n per arm a point's solve tries "
                            "(default 20000)")
    sweep.set_defaults(handler="commands_ops:cmd_sweep")


def _add_meta(verbs: Verbs) -> None:
    meta = verbs.add_parser("meta", help="fit a meta-analysis of a study table")
    meta.add_argument("file", type=Path, help="CSV with columns estimate,se, or TOML with "
                                              "studies = [[estimate, se], ...]")
    meta.add_argument("--method", choices=("fixed", "dl", "reml", "pm"), default="reml")
    meta.add_argument("--hksj", action="store_true", help="Hartung-Knapp-Sidik-Jonkman CI")
    meta.add_argument("--hksj-truncate", "--hksj-modified", dest="hksj_truncate",
                      action="store_true",
                      help="the modified HKSJ: its variance factor truncated at 1 (Roever, "
                           "Knapp & Friede 2015; never narrower than the CI without HKSJ; "
                           "implies --hksj)")
    meta.add_argument("--alpha", type=float, default=0.05)
    meta.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    meta.set_defaults(handler="commands_evidence:cmd_meta")


def _add_evidence(verbs: Verbs) -> None:
    evidence = verbs.add_parser("evidence", help="list the evidence table, or show one entry")
    evidence.add_argument("action", nargs="?", choices=("list", "show"), default="list")
    evidence.add_argument("key", nargs="?", help="entry key (with 'show')")
    evidence.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    add_evidence_flag(evidence)
    evidence.set_defaults(handler="commands_evidence:cmd_evidence")


def _add_report(verbs: Verbs) -> None:
    report = verbs.add_parser("report", help="a self-contained HTML report of the scenario "
                                             "for a grant panel or an ethics committee")
    add_scenario_flags(report)
    report.add_argument("--out", dest="report_out", default="report.html", metavar="FILE.html",
                        help="the report (default report.html; - for standard output)")
    add_simulation_flags(report, path=False)
    report.add_argument("--target", type=float, metavar="POWER",
                        help="also solve the n per arm for this power, e.g. 0.9")
    report.set_defaults(handler="commands_report:cmd_report")


def _add_value(verbs: Verbs) -> None:
    value = verbs.add_parser("value", help="is the next trial worth running? EVPI, EVSI and "
                                           "ENBS by n ([decision])")
    add_scenario_flags(value)
    add_simulation_flags(value)
    value.add_argument("--n", metavar="START:STOP:STEP",
                       help="sizes of the reference arm (default: the scenario's n_per_arm)")
    value.add_argument("--trials", type=int, default=1,
                       help="new trials of the design per future (default 1)")
    value.add_argument("--max-trials", type=int, metavar="K",
                       help="compare 1 .. K new trials (one run each) and report the n and "
                            "number of trials of largest ENBS")
    value.add_argument("--bootstraps", type=int, default=200,
                       help="resamples behind the Monte Carlo range of the optimal n "
                            "(default 200; 0 = no range)")
    value.add_argument("--csv", metavar="FILE", help="write one row per n ('-' = stdout)")
    value.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    value.add_argument("--plot", metavar="FILE.png", help="save EVSI, cost and ENBS by n")
    value.set_defaults(handler="commands_value:cmd_value")


def _add_adaptive(verbs: Verbs) -> None:
    adaptive = verbs.add_parser("adaptive", help="a 2-look design with promising-zone "
                                                 "sample-size re-estimation, simulated")
    add_scenario_flags(adaptive)
    adaptive.add_argument("--n-sims", type=int, default=100_000,
                          help="simulated trials (default 100000)")
    adaptive.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    adaptive.add_argument("--max-factor", type=float, default=2.0,
                          help="the second stage may grow to this many times its plan "
                               "(default 2)")
    adaptive.add_argument("--cp-min", type=float, default=0.36,
                          help="lower end of the promising zone (default 0.36)")
    adaptive.add_argument("--cp-target", type=float, default=0.8,
                          help="conditional power the re-estimated stage aims at (default 0.8)")
    adaptive.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    adaptive.set_defaults(handler="commands_sequential:cmd_adaptive")


_VERBS = (_add_run, _add_validate, _add_curve, _add_size, _add_resolve, _add_value,
          _add_boundaries, _add_adaptive, _add_recruit, _add_sweep, _add_meta, _add_evidence, _add_report)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests).

    Returns
    -------
    argparse.ArgumentParser
        One sub-parser per verb; each sets ``handler``, ``"module:function"``
        of the function (in this package) that runs the verb and returns the
        exit status; the module is imported only when its verb runs.
    """
    parser = argparse.ArgumentParser(
        prog="trialsim",
        description="Simulate trials of NMDA-receptor antagonists for chronic pain "
                    "and plan their size.")
    parser.add_argument("--version", action="version", version=f"trialsim {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for add_verb in _VERBS:
        add_verb(verbs)
    return parser


def _handler(name: str) -> Callable[[argparse.Namespace], int]:
    """The verb's function from ``"module:function"``, its module imported only now
    (so that ``validate`` and ``evidence`` do not load the engine and planning)."""
    module, function = name.split(":")
    return getattr(importlib.import_module(f".{module}", __package__), function)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 for other simulator errors, 2 for bad input (argparse
        exits 2 itself), 3 when a target cannot be reached, 130 when
        interrupted.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.command = shlex.join(["trialsim", *argv])  # recorded in every output's provenance
    try:
        check_outputs(args)  # every output path, before any work
        check_seed(getattr(args, "seed", None))  # every verb's, before any work
        # Worker processes start only with --jobs other than 1; other verbs
        # (validate, evidence, ...) do not pay for importing joblib.
        workers = getattr(args, "jobs", 1) != 1
        with workers_exit_with_parent() if workers else contextlib.nullcontext():
            return _handler(args.handler)(args)
    except ScenarioError as exc:
        print(f"trialsim: error: {exc}", file=sys.stderr)
        return 2
    except ConvergenceError as exc:
        print(f"trialsim: cannot solve: {exc}", file=sys.stderr)
        return 3
    except SimulatorError as exc:
        print(f"trialsim: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("trialsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `trialsim evidence | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
