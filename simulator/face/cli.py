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
import textwrap
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
from ..spec.evidence import EvidenceEntry, EvidenceTable, default_evidence, load_evidence
from ..planning.results import SimulationResult
from ..spec.scenario import RULES, Scenario, SweepSpec, load_scenario
from ..spec.values import parse_n_grid, parse_override, parse_sweep_values
from ..ops.sweep import BACKENDS, run_sweep
from .figures import (save_conclusive_figure, save_curve_figure, save_metric_figure,
                      save_recruitment_figure, save_sweep_figure)
from .inputs import read_studies
from .output import emit_csv, emit_json
from .progress import progress_line

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
        print(f"{'key':<50}{'measure':>8}{'estimate':>10}{'SE':>8}  tags")
        for e in table.values():
            est = "missing" if e.estimate is None else f"{e.estimate:.3g}"
            se = "" if e.se is None else f"{e.se:.3g}"
            print(f"{e.key:<50}{e.measure:>8}{est:>10}{se:>8}  {', '.join(e.tags)}")
        print(f"\n{len(table)} entries from {', '.join(table.files)}. MD on the 0-10 NRS "
              "(negative = benefit); SE of RR on the log scale.")
    return 0


def format_entry(entry: EvidenceEntry) -> str:
    """The ``trialsim evidence show`` text."""
    lines = [f"{entry.key}", f"  {entry.drug} ({entry.route}) vs {entry.comparator}: "
             f"{entry.outcome}, {entry.window}; {entry.study}"]
    if entry.estimate is None:
        lines.append("  estimate: missing"
                     + (f"; stands in: {entry.stands_in}" if entry.stands_in else ""))
    else:
        unit = {"MD": "NRS points (0-10)", "RR": "risk ratio", "SMD": "SMD"}[entry.measure]
        ci = "" if entry.ci is None else f" (95 % CI {entry.ci[0]:.4g} to {entry.ci[1]:.4g})"
        se = "" if entry.se is None else (
            f", SE {entry.se:.4g}" + (" on the log scale" if entry.measure == "RR" else ""))
        lines.append(f"  estimate: {entry.estimate:.4g}{ci} {unit}{se}")
        if entry.scale == "0-100":
            lines.append(f"  published: {entry.published_estimate} {list(entry.published_ci or [])}"
                         " on 0-100")
    lines.append(f"  tag: {entry.tag}   source: {entry.source}")
    for name, prov in entry.provenance.items():
        value = getattr(entry, name)
        shown = "missing" if value is None else value
        extra = "".join(f"; {x}" for x in (prov.source, prov.note) if x)
        lines.append(f"  {name}: {shown} [{prov.tag}]{extra}")
    if entry.note:
        lines.append(f"  note: {entry.note}")
    lines.append(f"  file: {entry.origin}")
    return "\n".join(lines)


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


def format_curve(curve) -> str:
    """The table of ``trialsim curve``."""
    first = curve.points[0]
    names = list(first.adverse_events)
    head = f"{'n/arm':>6}{'total':>7}{'power':>9}{'SE':>7}{'closed':>9}"
    if curve.has_assurance:
        head += f"{'assur.':>9}{'SE':>7}"
    head += "".join(f"{'harm:' + n[:10]:>17}" for n in names)
    lines = [f"{curve.scenario_name}: {first.analysis}, {first.n_sims:,} trials per n on the "
             f"{first.path} path (common random numbers), seed {first.seed_entropy}", "", head]
    for p in curve.points:
        closed = "" if p.analytic_power is None else f"{p.analytic_power:.3f}"
        line = (f"{p.n_per_arm:>6}{sum(p.group_sizes):>7}{p.power.value:>9.3f}"
                f"{p.power.se:>7.3f}{closed:>9}")
        if p.assurance is not None:
            line += f"{p.assurance.value:>9.3f}{p.assurance.se:>7.3f}"
        line += "".join(f"{p.adverse_events[n].p_harm_detected.value:>17.3f}" for n in names)
        lines.append(line)
    if first.assurance_ceiling is not None:
        lines.append(f"\nassurance ceiling (prior probability of benefit): "
                     f"{first.assurance_ceiling:.3f}")
    return "\n".join(lines)


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


def format_size(r) -> str:
    """The text of ``trialsim size``."""
    arms = ", ".join(str(n) for n in r.group_sizes)
    lines = [
        f"{r.metric} >= {r.target:g}: n = {r.n_per_arm} per arm (arms {arms}; "
        f"{r.n_total} randomised, {r.expected_completers:.1f} expected completers)",
        f"  achieved {r.achieved:.4f} (MC SE {r.achieved_se:.4f}) with {r.n_sims:,} trials "
        f"per n on the {r.path} path",
        f"  n consistent with the Monte Carlo error: {r.n_range[0]} to {r.n_range[1]}",
    ]
    if r.analytic_n_per_arm is not None:
        lines.append(f"  closed form: {r.analytic_n_per_arm} per arm ({r.analytic_method})")
    else:
        lines.append("  closed form: none for this metric and model")
    if r.inflation_n_per_arm is not None:
        lines.append(f"  textbook dropout inflation n / (1 - d): {r.inflation_n_per_arm:.1f} "
                     "per arm")
    return "\n".join(lines)


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


def format_resolve(scenario: Scenario, result, solved_text, curves) -> str:
    """The text of ``trialsim resolve``."""
    res = result.resolve
    ex, closed = res.existing, res.closed
    spec = scenario.meta_analysis
    k = res.new_trials
    source = (f"evidence {spec.evidence}" if spec.evidence else
              f"{ex.k} studies ({spec.method}{', HKSJ' if spec.hksj else ''})" if spec.studies
              else "a pooled summary")
    lines = [
        f"Existing evidence  {source}: {ex.estimate:+.3f} (SE {ex.se:.3f}), tau^2 {ex.tau2:g}"
        + ("" if ex.i2 is None else f", I^2 {100 * ex.i2:.0f} %"),
        f"New trials         {k} x {scenario.design.n_total} patients "
        f"({', '.join(str(n) for n in scenario.design.group_sizes)} per arm), "
        f"{scenario.pain.analysis}, true effect {scenario.pain.effect:+.3f}"
        + ("" if scenario.pain.effect_prior == "fixed"
           else f" ({scenario.pain.effect_prior} prior)"),
        f"Simulation         {result.n_sims:,} futures on the {result.path} path, seed "
        f"{result.seed_entropy}",
        "",
        f"{'P(conclusive)':<22}{'overall':>10}{'MC SE':>8}   by direction",
    ]
    for rule in res.rules:
        p = res.p_conclusive[rule]
        dirs = ", ".join(f"{d} {100 * q.value:.1f} %" for d, q in res.by_direction[rule].items())
        lines.append(f"  {rule:<20}{100 * p.value:>8.1f} %{100 * p.se:>6.2f} %   {dirs}")
    lines.append("")
    if closed.conditional_power is not None:
        lines.append(f"Closed form (Roloff, tau^2 fixed): conditional power "
                     f"{100 * closed.conditional_power:.1f} %, plateau as n grows "
                     f"{100 * closed.plateau:.1f} %")
    lines.append(f"Information size: required I* = {closed.required_information:.2f}, the review "
                 f"has I0 = {closed.existing_information:.2f}; k_min = {closed.k_min} new "
                 f"trial{'s' if closed.k_min != 1 else ''}")
    if closed.n_per_arm_for_k:
        sizes = ", ".join(f"{kk} trial{'s' if kk > 1 else ''} of {n}/arm"
                          for kk, n in closed.n_per_arm_for_k.items())
        lines.append(f"  equal new trials that supply I* - I0: {sizes}")
    if closed.k_min > 1:
        lines.append(f"  no single trial can supply it (tau^2 = {ex.tau2:g}: one trial adds at "
                     f"most 1 / tau^2 = {1 / ex.tau2:.2f})")
    daris = "unknown (I^2 missing)" if closed.daris is None else f"{closed.daris:.0f}"
    lines.append(f"TSA required information size: RIS {closed.ris:.0f} participants, "
                 f"heterogeneity-adjusted {daris}")
    if solved_text:
        lines += ["", solved_text]
    if curves:
        lines += ["", "P(conclusive) by n per arm and number of new trials:"]
        grid = curves[1].n_per_arm
        lines.append(f"{'n/arm':>8}" + "".join(f"{f'k={kk}':>9}" for kk in curves))
        for i, n in enumerate(grid):
            row = "".join(f"{c.metric('conclusive')[i].value:>9.3f}" for c in curves.values())
            lines.append(f"{n:>8}{row}")
    return "\n".join(lines)


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
        d = fit.to_dict()
        print(f"{d['k']} studies, {args.method}{' + HKSJ' if args.hksj else ''}: "
              f"estimate {d['estimate']:.4f} (SE {d['se']:.4f}), "
              f"{100 * (1 - args.alpha):g} % CI {d['ci'][0]:.4f} to {d['ci'][1]:.4f}, "
              f"p = {d['pvalue']:.4g}\n"
              f"tau^2 {d['tau2']:.4f}, I^2 {100 * d['i2']:.1f} %, Q {d['q']:.3f}")
    return 0


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def format_result(result: SimulationResult, scenario: Scenario, elapsed: float) -> str:
    """The human-readable table of ``trialsim run``."""
    d = result.to_dict()
    sided = "two-sided" if result.sided == 2 else "one-sided"
    if result.design == "crossover":
        p, a = result.arms
        arms = f"2x2 crossover: {p} then {a} {result.group_sizes[0]}, " \
               f"{a} then {p} {result.group_sizes[1]}"
        analysis = "within-patient, period-adjusted"
    else:
        kind = "multi-arm" if result.design == "multiarm" else "parallel"
        arms = f"{kind}: " + ", ".join(f"{a} {n}" for a, n in zip(result.arms, result.group_sizes))
        analysis = result.analysis
        if result.design == "multiarm":
            analysis += f", each arm vs {result.arms[0]} ({scenario.analysis.multiplicity})"
    lines = [
        f"Scenario     {result.scenario_name}  ({scenario.source})",
        f"Design       {arms} (total {sum(result.group_sizes)})",
        f"Analysis     {analysis}, alpha {result.alpha:g} {sided}; "
        f"true effect {result.true_effect:+.3f}",
        f"Simulation   {result.n_sims:,} trials on the {result.path} path, seed "
        f"{result.seed_entropy}, {elapsed:.1f} s",
        "",
        f"{'':27}{'simulated':>12}{'MC SE':>9}   {'95 % MC interval':<18}",
    ]

    def row(label: str, p) -> str:
        return (f"{label:<27}{_pct(p.value):>12}{100 * p.se:>7.2f} %   "
                f"[{_pct(p.ci[0])}, {_pct(p.ci[1])}]")

    if result.per_comparison is not None:
        lines.append(row("P(any arm rejects)", result.power))
        lines.append(row("P(any arm shows benefit)", result.power_benefit))
        for arm, comp in result.per_comparison.items():
            closed = comp["analytic_power"]
            lines.append(f"  {arm + ' vs ' + result.arms[0]:<25}{_pct(comp['power']):>12}"
                         f"{100 * comp['power_se']:>7.2f} %   effect {comp['effect']:+.2f}; "
                         f"closed form {_pct(closed)}")
    else:
        lines.append(row("Power", result.power))
        lines.append(row("Power, benefit direction", result.power_benefit))
    exact = "exact" if result.analytic_exact else "approximate"
    lines.append(f"{'Closed-form power':<27}{_pct(result.analytic_power):>12}   ({exact})")
    lines += textwrap.wrap(result.analytic_method, width=88, initial_indent=" " * 29,
                           subsequent_indent=" " * 29)
    lines.append(f"{'Mean estimate':<27}{result.mean_estimate:>+12.3f}"
                 f"{result.mean_estimate_se:>9.3f}   bias {d['bias']:+.3f}")
    if result.assurance is not None:
        prior = scenario.pain
        lines.append(row(f"Assurance ({prior.effect_prior} prior)", result.assurance))
        if result.analytic_assurance is not None:
            lines.append(f"{'Closed-form assurance':<27}{_pct(result.analytic_assurance):>12}")
        if result.assurance_ceiling is not None:
            lines.append(f"{'Assurance ceiling':<27}{_pct(result.assurance_ceiling):>12}   "
                         "(prior probability of a benefit)")
    if result.ci_coverage is not None:
        lines.append(row("CI coverage", result.ci_coverage))
    if result.power_no_dropout is not None:
        lost = result.power_no_dropout.value - result.power.value
        lines.append(f"{'Power without dropout':<27}{_pct(result.power_no_dropout.value):>12}   "
                     f"(dropout costs {100 * lost:.1f} points; estimand {result.estimand})")
    completers = ", ".join(f"{c:.1f}" for c in result.mean_completers)
    per = "sequence" if result.design == "crossover" else "arm"
    lines.append(f"{f'Completers per {per} (mean)':<27}{completers:>12}")
    if result.n_not_analysable:
        lines.append(f"{'Trials not analysable':<27}{result.n_not_analysable:>12,}")
    if result.adverse_events:
        lines += ["", f"{'Adverse event':<20}{'placebo':>8}{'RR':>7}{'P(harm detected)':>19}"
                      f"{'MC SE':>9}{'exact':>9}"]
        for name, ae in result.adverse_events.items():
            lines.append(f"{name:<20}{ae.placebo_risk:>8.3f}{ae.risk_ratio:>7.2f}"
                         f"{_pct(ae.p_harm_detected.value):>19}"
                         f"{100 * ae.p_harm_detected.se:>7.2f} %"
                         f"{_pct(ae.analytic_p_harm_detected):>9}")
    if result.unblinding_bias is not None:
        share = d["unblinding_share"]
        lines.append(f"{'Unblinding bias':<27}{result.unblinding_bias:>+12.3f}   "
                     + ("" if share is None else f"({100 * share:.0f} % of the mean estimate, "
                                                 "from expectancy after the unblinding event)"))
    for note in result.notes:
        lines.append(f"NOTE: {note}")
    if result.evidence:
        lines += ["", "Evidence used"]
        for e in result.evidence:
            lines.append(f"  {e['key']}: {e['estimate']:.4g} (SE {e['se']:.3g}), "
                         f"tags: {', '.join(e['tags'])}" if e["se"] is not None else
                         f"  {e['key']}: {e['estimate']:.4g}, tags: {', '.join(e['tags'])}")
        weak = [e["key"] for e in result.evidence if e["weak"]]
        if weak:
            lines.append(f"  WARNING: {', '.join(weak)} rest(s) on secondary, tertiary, proposed "
                         "or missing numbers; check them against the review before relying "
                         "on this plan.")
    return "\n".join(lines)


