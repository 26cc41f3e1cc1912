"""The ``trialsim`` command line.

Verbs: ``run`` (simulate a scenario and print its operating characteristics),
``curve`` (the same over a grid of n), ``size`` (the n a target needs),
``resolve`` (would the next trial(s) make the review conclusive), ``meta`` (fit
a meta-analysis of a study table), ``recruit`` (recruitment and infusion
capacity over time, simpy), ``sweep`` (a grid of variants into a resumable
result store, on loky or Dask),
``validate`` (check a scenario file without running it) and ``evidence`` (list
the evidence table or show one entry with its sources). Exit status: 2 for
bad input, 3 when a target cannot be reached, 130 when interrupted. Errors in a
scenario exit with status 2 and one line naming the field; Ctrl-C exits 130.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._version import __version__
from ..engine.dispatch import choose_path
from ..planning.simulate import simulate
from ..spec.variants import first_period_equivalent
from ..errors import ConvergenceError
from ..analysis.metaanalysis import meta_analyse
from ..planning.curves import conclusive_curves, power_curve
from ..planning.solver import solve_sample_size
from ..errors import ScenarioError, SimulatorError
from ..spec.evidence import EvidenceTable, default_evidence, load_evidence
from ..spec.scenario import RULES, Scenario, SweepSpec, load_scenario
from ..spec.values import parse_n_grid, parse_override, parse_sweep_values
from ..ops.sweep import BACKENDS, run_sweep
from .figures import (save_conclusive_figure, save_curve_figure, save_metric_figure,
                      save_recruitment_figure, save_sweep_figure)
from .inputs import read_studies
from .output import emit_csv, emit_json
from .progress import progress_line
from .tables import format_curve, format_resolve, format_result, format_size
from .tables_evidence import format_entry, format_evidence_list, format_meta

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="trialsim",
        description="Simulate trials of NMDA-receptor antagonists for chronic pain "
                    "and plan their size.")
    parser.add_argument("--version", action="version", version=f"trialsim {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def evidence_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--evidence", action="append", default=[], type=Path, metavar="FILE",
                       help="an evidence table (TOML) that adds or replaces entries of the "
                            "built-in one (repeatable)")

    def scenario_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("scenario", type=Path, help="scenario file (TOML)")
        p.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="KEY=VALUE",
                       help="override a scenario field, e.g. --set pain.effect=-1.0 "
                            "(repeatable)")
        evidence_arg(p)

    run = verbs.add_parser("run", help="simulate a scenario and report power and harms")
    scenario_args(run)
    run.add_argument("--n-sims", type=int, help="number of simulated trials")
    run.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    run.add_argument("--jobs", type=int, default=1, help="parallel workers (-1 = all cores)")
    run.add_argument("--path", choices=("auto", "aggregate", "patient"), default="auto",
                     help="data path (default: aggregate when it is exact)")
    run.add_argument("--json", metavar="FILE", help="write the result as JSON ('-' = stdout)")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.set_defaults(handler=_cmd_run)

    validate = verbs.add_parser("validate", help="check a scenario file without running it")
    scenario_args(validate)
    validate.set_defaults(handler=_cmd_validate)

    def sim_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--n-sims", type=int, help="number of simulated trials (per n)")
        p.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
        p.add_argument("--jobs", type=int, default=1, help="parallel workers (-1 = all cores)")
        p.add_argument("--path", choices=("auto", "aggregate", "patient"), default="auto",
                       help="data path (default: aggregate when it is exact)")
        p.add_argument("--quiet", action="store_true", help="no progress on stderr")

    curve = verbs.add_parser("curve", help="power, assurance and harm detection over n")
    scenario_args(curve)
    sim_args(curve)
    curve.add_argument("--n", required=True, metavar="START:STOP:STEP",
                       help="sizes of the reference arm, e.g. 20:400:20 or 50,100,200")
    curve.add_argument("--csv", metavar="FILE", help="write one row per n ('-' = stdout)")
    curve.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    curve.add_argument("--plot", metavar="FILE.png", help="save a figure of the curve(s)")
    curve.add_argument("--target", type=float, help="draw a target line on the plot")
    curve.set_defaults(handler=_cmd_curve)

    size = verbs.add_parser("size", help="the n per arm that reaches a target")
    scenario_args(size)
    sim_args(size)
    size.add_argument("--target", type=float, default=0.9, help="e.g. 0.9 (default)")
    size.add_argument("--metric", default="power",
                      help="power | power_benefit | assurance | harm:<AE name> | "
                           "conclusive[:<rule>]")
    size.add_argument("--n-max", type=int, default=20_000, help="largest n per arm to try")
    size.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    size.add_argument("--plot", metavar="FILE.png", help="save the refining curve")
    size.set_defaults(handler=_cmd_size)

    resolve = verbs.add_parser("resolve", help="P(the next trial(s) make the review conclusive)")
    scenario_args(resolve)
    sim_args(resolve)
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
    resolve.set_defaults(handler=_cmd_resolve)

    recruit = verbs.add_parser("recruit", help="recruitment and infusion capacity over time "
                                               "(simpy), and the power at the deadline")
    scenario_args(recruit)
    recruit.add_argument("--reps", type=int, help="simulated trials (default 1000)")
    recruit.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    recruit.add_argument("--jobs", type=int, default=1, help="parallel workers (-1 = all cores)")
    recruit.add_argument("--deadline-months", type=float, metavar="M",
                         help="end of recruitment (default: recruitment.deadline_months)")
    recruit.add_argument("--path", choices=("auto", "simpy", "vectorized"), default="auto",
                         help="vectorized needs no capacity limit (default: auto)")
    recruit.add_argument("--n-sims", type=int, help="trials per n of the power curve")
    recruit.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    recruit.add_argument("--plot", metavar="FILE.png", help="enrolment over time and chair "
                                                            "utilisation")
    recruit.set_defaults(handler=_cmd_recruit)

    sweep = verbs.add_parser("sweep", help="run a grid of scenario variants into a result store")
    scenario_args(sweep)
    sim_args(sweep)
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
    sweep.add_argument("--metric", default="power", help="column to plot (default power)")
    sweep.set_defaults(handler=_cmd_sweep)

    meta = verbs.add_parser("meta", help="fit a meta-analysis of a study table")
    meta.add_argument("file", type=Path, help="CSV with columns estimate,se, or TOML with "
                                              "studies = [[estimate, se], ...]")
    meta.add_argument("--method", choices=("fixed", "dl", "reml", "pm"), default="reml")
    meta.add_argument("--hksj", action="store_true", help="Hartung-Knapp-Sidik-Jonkman CI")
    meta.add_argument("--alpha", type=float, default=0.05)
    meta.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    meta.set_defaults(handler=_cmd_meta)

    evidence = verbs.add_parser("evidence", help="list the evidence table, or show one entry")
    evidence.add_argument("action", nargs="?", choices=("list", "show"), default="list")
    evidence.add_argument("key", nargs="?", help="entry key (with 'show')")
    evidence.add_argument("--json", metavar="FILE", help="write JSON ('-' = stdout)")
    evidence_arg(evidence)
    evidence.set_defaults(handler=_cmd_evidence)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
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


def _table(args: argparse.Namespace) -> EvidenceTable | None:
    return load_evidence(args.evidence) if args.evidence else None


def _load(args: argparse.Namespace) -> Scenario:
    overrides = dict(parse_override(item) for item in args.overrides)
    return load_scenario(args.scenario, overrides, evidence=_table(args))


def _cmd_evidence(args: argparse.Namespace) -> int:
    table = _table(args) or default_evidence()
    if args.action == "show":
        if not args.key:
            raise ScenarioError("trialsim evidence show: give an entry KEY")
        entry = table.lookup(args.key, where="trialsim evidence show")
        if args.json:
            emit_json(args.json, entry.to_dict())
        if args.json != "-":
            print(format_entry(entry))
        return 0
    if args.json:
        emit_json(args.json, [e.to_dict() for e in table.values()])
    if args.json != "-":
        print(format_evidence_list(table))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    scenario = _load(args)
    path = choose_path(first_period_equivalent(scenario))
    print(f"{args.scenario}: valid; {scenario.design.n_total} patients, "
          f"{scenario.pain.analysis} analysis, {path} path")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    scenario = _load(args)
    if args.n_sims is not None and args.n_sims < 1:
        raise ScenarioError(f"--n-sims {args.n_sims}: must be an integer >= 1")
    if args.jobs == 0:
        raise ScenarioError("--jobs 0: must be a non-zero integer (-1 = all cores)")
    progress = progress_line(args.quiet)
    started = time.perf_counter()
    result = simulate(scenario, n_sims=args.n_sims, seed=args.seed, n_jobs=args.jobs,
                      path=args.path, progress=progress)
    if progress is not None:
        progress.close()
    elapsed = time.perf_counter() - started
    if args.json:
        emit_json(args.json, result.to_dict())
    if args.json != "-":
        print(format_result(result, scenario, elapsed))
    return 0


def _sim_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    if args.n_sims is not None and args.n_sims < 1:
        raise ScenarioError(f"--n-sims {args.n_sims}: must be an integer >= 1")
    if args.jobs == 0:
        raise ScenarioError("--jobs 0: must be a non-zero integer (-1 = all cores)")
    progress = progress_line(args.quiet)
    return dict(n_sims=args.n_sims, seed=args.seed, n_jobs=args.jobs, path=args.path,
                progress=progress)


def _cmd_curve(args: argparse.Namespace) -> int:
    scenario = _load(args)
    grid = parse_n_grid(args.n)
    kwargs = _sim_kwargs(args)
    curve = power_curve(scenario, grid, **kwargs)
    if kwargs["progress"] is not None:
        kwargs["progress"].close()
    rows = curve.to_rows()
    if args.csv:
        emit_csv(args.csv, rows)
    if args.json:
        emit_json(args.json, curve.to_dict())
    if args.plot:
        save_curve_figure(curve, args.plot, args.target)
    if "-" not in (args.csv, args.json):
        print(format_curve(curve))
    return 0


def _cmd_size(args: argparse.Namespace) -> int:
    scenario = _load(args)
    kwargs = _sim_kwargs(args)
    result = solve_sample_size(scenario, target=args.target, metric=args.metric,
                               n_max=args.n_max, **kwargs)
    if kwargs["progress"] is not None:
        kwargs["progress"].close()
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


def _cmd_resolve(args: argparse.Namespace) -> int:
    scenario = _load(args)
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
    kwargs = _sim_kwargs(args)
    result = simulate(scenario, **kwargs)
    payload = {"scenario": scenario.name, "n_per_arm": result.n_per_arm,
               "n_sims": result.n_sims, "path": result.path,
               "seed_entropy": result.seed_entropy, **result.resolve.to_dict()}
    solved_text = None
    status = 0
    if args.target is not None:
        try:
            size = solve_sample_size(scenario, target=args.target, metric="conclusive", **kwargs)
            payload["target"] = size.to_dict()
            solved_text = format_size(size)
        except ConvergenceError as exc:
            payload["target"] = {"target": args.target, "n_per_arm": None, "reason": str(exc)}
            solved_text = f"P(conclusive) >= {args.target:g}: not reachable. {exc}"
            status = 3
    curves = None
    if args.n:
        grid = parse_n_grid(args.n)
        curves = conclusive_curves(scenario, grid, **kwargs)
        payload["curves"] = {str(k): [{"n_per_arm": p.n_per_arm,
                                       **p.resolve.p_conclusive[p.resolve.rules[0]].to_dict(
                                           "p_conclusive")} for p in c.points]
                             for k, c in curves.items()}
        if args.plot:
            save_conclusive_figure(curves, args.plot, args.target)
    if kwargs["progress"] is not None:
        kwargs["progress"].close()
    if args.json:
        emit_json(args.json, payload)
    if args.json != "-":
        print(format_resolve(scenario, result, solved_text, curves))
    return status


def _cmd_recruit(args: argparse.Namespace) -> int:
    from ..ops.recruitment import format_recruitment, simulate_recruitment

    scenario = _load(args)
    for flag, value, least in (("--reps", args.reps, 2), ("--n-sims", args.n_sims, 1)):
        if value is not None and value < least:
            raise ScenarioError(f"{flag} {value}: must be an integer >= {least}")
    if args.jobs == 0:
        raise ScenarioError("--jobs 0: must be a non-zero integer (-1 = all cores)")
    if args.deadline_months is not None and not args.deadline_months > 0:
        raise ScenarioError(f"--deadline-months {args.deadline_months}: must be > 0")
    result = simulate_recruitment(scenario, n_reps=args.reps, seed=args.seed, n_jobs=args.jobs,
                                  deadline_months=args.deadline_months, path=args.path,
                                  n_power_sims=args.n_sims)
    if args.json:
        emit_json(args.json, result.to_dict())
    if args.plot:
        save_recruitment_figure(result, args.plot,
                                chairs=scenario.recruitment.chairs_per_site is not None)
    if args.json != "-":
        print(format_recruitment(result))
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    scenario = _load(args)
    spec = scenario.sweep or SweepSpec()
    grid, zipped = dict(spec.grid), dict(spec.zip)
    for flag, target in (("--grid", grid), ("--zip", zipped)):
        for item in getattr(args, flag[2:]):
            key, sep, raw = item.partition("=")
            if not sep or not key.strip():
                raise ScenarioError(f"{flag} {item!r}: expected KEY=V1,V2,... or KEY=START:STOP:STEP")
            target[key.strip()] = parse_sweep_values(key.strip(), raw.strip(), flag)
    spec = Scenario.from_dict({**scenario.to_dict(), "sweep": {
        "grid": {k: list(v) for k, v in grid.items()},
        "zip": {k: list(v) for k, v in zipped.items()}}}, source=scenario.source,
        evidence=scenario.evidence).sweep
    if not spec.keys:
        raise ScenarioError("trialsim sweep: no sweep keys: give --grid KEY=VALUES or a "
                            "[sweep] table")
    kwargs = _sim_kwargs(args)
    bar = kwargs.pop("progress")
    if bar is not None:
        bar.unit = "points"
    rows = run_sweep(scenario, spec, args.out, n_sims=kwargs["n_sims"], seed=kwargs["seed"],
                     path=kwargs["path"], n_jobs=kwargs["n_jobs"], backend=args.backend,
                     scheduler=args.scheduler, workers=args.workers, resume=args.resume,
                     progress=bar)
    if bar is not None:
        bar.close()
    if args.plot:
        keys = list(spec.keys)
        x = args.x or keys[0]
        by = args.by or next((k for k in keys if k != x), None)
        save_sweep_figure(rows, args.plot, x=x, by=by, metric=args.metric)
    if not args.quiet:
        print(f"{len(rows)} points in {args.out} (and {Path(args.out).with_suffix('.jsonl')})")
    return 0


def _cmd_meta(args: argparse.Namespace) -> int:
    if not 0 < args.alpha < 0.5:
        raise ScenarioError(f"--alpha {args.alpha}: must be in (0, 0.5)")
    y, se = read_studies(args.file)
    fit = meta_analyse(y, se, method=args.method, hksj=args.hksj, alpha=args.alpha)
    if args.json:
        emit_json(args.json, fit.to_dict())
    if args.json != "-":
        print(format_meta(fit, args.method, args.hksj, args.alpha))
    return 0
