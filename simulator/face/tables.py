"""The text tables of ``trialsim run``, ``curve`` and ``size`` (``resolve``: :mod:`.tables_resolve`).

Each function turns a result of the planning layer into the lines the verb
prints; none computes a number of its own.
"""

from __future__ import annotations

import textwrap
from typing import Any

from ..mc import MonteCarloProbability
from ..planning.curves import PowerCurve
from ..planning.results import SimulationResult
from ..planning.solver import SampleSize
from ..spec import Scenario
from ..spec.evidence_checks import is_evidence_warning
from .._format import fmt, pct, sided_text
from .tables_sequential import sequential_rows

__all__ = ["format_result", "format_curve", "format_size", "evidence_warning"]


def _mc_row(label: str, p: MonteCarloProbability) -> str:
    return (f"{label:<27}{pct(p.value):>12}{fmt(100 * p.se, '>7.2f')} %   "
            f"[{pct(p.ci[0])}, {pct(p.ci[1])}]")


def _design_text(result: SimulationResult, scenario: Scenario) -> tuple[str, str]:
    """The arms and the analysis, as the header of ``trialsim run`` shows them."""
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
    return arms, analysis


def _result_header(result: SimulationResult, scenario: Scenario, elapsed: float) -> list[str]:
    sided = sided_text(result.sided)
    arms, analysis = _design_text(result, scenario)
    return [
        f"Scenario     {result.scenario_name}  ({scenario.source})",
        f"Design       {arms} (total {sum(result.group_sizes)})",
        f"Analysis     {analysis}, alpha {result.alpha:g} {sided}; "
        f"true effect {fmt(result.true_effect, '+.3f')}",
        f"Simulation   {result.n_sims:,} trials on the {result.path} path, seed "
        f"{result.seed_entropy}, {elapsed:.1f} s",
        "",
        f"{'':27}{'simulated':>12}{'MC SE':>9}   {'95 % MC interval':<18}",
    ]


def _power_rows(result: SimulationResult) -> list[str]:
    if result.per_comparison is None:
        lines = [_mc_row("Power" if "unblinding" not in result.parts else "Power, as observed",
                         result.power),
                 _mc_row("Power, benefit direction", result.power_benefit)]
        if "unblinding" in result.parts:
            part = result.parts["unblinding"]
            lines += [_mc_row("Power, drug effect alone", part.power_drug_alone),
                      _mc_row("False positives", part.false_positive_rate)
                      + f"  no drug effect: the expectancy bias alone (alpha {result.alpha:g})"]
        return lines
    lines = [_mc_row("P(any arm rejects)", result.power),
             _mc_row("P(any arm shows benefit)", result.power_benefit)]
    for arm, comp in result.per_comparison.items():
        closed = comp["analytic_power"]
        lines.append(f"  {arm + ' vs ' + result.arms[0]:<25}{pct(comp['power']):>12}"
                     f"{fmt(100 * comp['power_se'], '>7.2f')} %   effect "
                     f"{fmt(comp['effect'], '+.2f')}; "
                     f"closed form {pct(closed)}")
    return lines


def _estimate_rows(result: SimulationResult, scenario: Scenario,
                   d: dict[str, Any]) -> list[str]:
    """Closed-form power, the mean estimate, assurance, coverage, dropout, completers."""
    exact = "exact" if result.analytic_exact else "approximate"
    lines = [f"{'Closed-form power':<27}{pct(result.analytic_power):>12}   ({exact})"]
    lines += textwrap.wrap(result.analytic_method, width=88, initial_indent=" " * 29,
                           subsequent_indent=" " * 29)
    lines.append(f"{'Mean estimate':<27}{fmt(result.mean_estimate, '>+12.3f')}"
                 f"{fmt(result.mean_estimate_se, '>9.3f')}   bias {fmt(d['bias'], '+.3f')}")
    relevance = result.parts.get("relevance")
    if relevance is not None:
        lines.append(_mc_row(f"Estimate beyond MCID {relevance.mcid:g}",
                             relevance.p_estimate_beyond_mcid))
        if relevance.minimal_detectable_difference is not None:
            lines.append(f"{'Min. detectable difference':<27}"
                         f"{fmt(relevance.minimal_detectable_difference, '>12.3f')}   "
                         "(mean t_crit x SE: the smallest significant estimate)")
    if result.assurance is not None:
        prior = scenario.pain
        lines.append(_mc_row(f"Assurance ({prior.effect_prior} prior)", result.assurance))
        if result.analytic_assurance is not None:
            lines.append(f"{'Closed-form assurance':<27}{pct(result.analytic_assurance):>12}")
        if result.assurance_ceiling is not None:
            lines.append(f"{'Assurance ceiling':<27}{pct(result.assurance_ceiling):>12}   "
                         "(prior probability of a benefit)")
    if result.ci_coverage is not None:
        lines.append(_mc_row("CI coverage", result.ci_coverage))
    if result.power_no_dropout is not None:
        lost = result.power_no_dropout.value - result.power.value
        lines.append(f"{'Power without dropout':<27}{pct(result.power_no_dropout.value):>12}   "
                     f"(dropout costs {fmt(100 * lost, '.1f')} points; estimand "
                     f"{result.estimand})")
    completers = ", ".join(f"{c:.1f}" for c in result.mean_completers)
    per = "sequence" if result.design == "crossover" else "arm"
    lines.append(f"{f'Completers per {per} (mean)':<27}{completers:>12}")
    if result.n_not_analysable:
        lines.append(f"{'Trials not analysable':<27}{result.n_not_analysable:>12,}")
    return lines


def _adverse_event_rows(result: SimulationResult) -> list[str]:
    if not result.adverse_events:
        return []
    lines = ["", f"{'Adverse event':<20}{'placebo':>8}{'RR':>7}{'P(harm detected)':>19}"
                 f"{'MC SE':>9}{'exact':>9}"]
    for name, ae in result.adverse_events.items():
        lines.append(f"{name:<20}{ae.placebo_risk:>8.3f}{ae.risk_ratio:>7.2f}"
                     f"{pct(ae.p_harm_detected.value):>19}"
                     f"{fmt(100 * ae.p_harm_detected.se, '>7.2f')} %"
                     f"{pct(ae.analytic_p_harm_detected):>9}")
    return lines


def _evidence_rows(result: SimulationResult) -> list[str]:
    """The 'Evidence used' footer, with a warning for weakly sourced numbers."""
    if not result.evidence:
        return []
    lines = ["", "Evidence used"]
    for e in result.evidence:
        lines.append(f"  {e['key']}: {e['estimate']:.4g} (SE {e['se']:.3g}), "
                     f"tags: {', '.join(e['tags'])}" if e["se"] is not None else
                     f"  {e['key']}: {e['estimate']:.4g}, tags: {', '.join(e['tags'])}")
    warning = evidence_warning(result)
    if warning:
        lines.append(f"  WARNING: {warning}")
    lines += [f"  WARNING: {note}" for note in result.notes if is_evidence_warning(note)]
    return lines


def evidence_warning(result: SimulationResult) -> str | None:
    """The warning ``trialsim run`` prints for weakly sourced evidence, or None.

    Parameters
    ----------
    result : SimulationResult

    Returns
    -------
    str or None
    """
    weak = [e["key"] for e in result.evidence if e["weak"]]
    if not weak:
        return None
    return (f"{', '.join(weak)} rest(s) on secondary, tertiary, proposed or missing numbers; "
            "check them against the review before relying on this plan.")


def format_result(result: SimulationResult, scenario: Scenario, elapsed: float) -> str:
    """The human-readable table of ``trialsim run``.

    Parameters
    ----------
    result : SimulationResult
    scenario : Scenario
        The scenario that was simulated.
    elapsed : float
        Seconds the simulation took.

    Returns
    -------
    str
        The table, lines joined by newlines (no trailing newline).
    """
    d = result.to_dict()
    lines = _result_header(result, scenario, elapsed)
    lines += _power_rows(result)
    lines += _estimate_rows(result, scenario, d)
    lines += _adverse_event_rows(result)
    lines += sequential_rows(result)
    if result.unblinding_bias is not None:
        share = d["unblinding_share"]
        lines.append(f"{'Unblinding bias':<27}{fmt(result.unblinding_bias, '>+12.3f')}   "
                     + ("" if share is None else f"({fmt(100 * share, '.0f')} % of the mean "
                                                 "estimate, from expectancy after the "
                                                 "unblinding event)"))
    for note in result.notes:
        if not is_evidence_warning(note):
            lines.append(f"NOTE: {note}")
    lines += _evidence_rows(result)
    return "\n".join(lines)


def format_curve(curve: PowerCurve) -> str:
    """The table of ``trialsim curve``: one row per n.

    Parameters
    ----------
    curve : PowerCurve

    Returns
    -------
    str
    """
    first = curve.points[0]
    names = list(first.adverse_events)
    head = f"{'n/arm':>6}{'total':>7}{'power':>9}{'SE':>7}{'closed':>9}"
    if curve.has_assurance:
        head += f"{'assur.':>9}{'SE':>7}"
    unblinding = "unblinding" in first.parts
    if unblinding:
        head += f"{'drug':>9}{'SE':>7}{'false+':>9}"
    head += "".join(f"{'harm:' + n[:10]:>17}" for n in names)
    lines = [f"{curve.scenario_name}: {first.analysis}, {first.n_sims:,} trials per n on the "
             f"{first.path} path (common random numbers), seed {first.seed_entropy}", "", head]
    for p in curve.points:
        closed = "" if p.analytic_power is None else f"{p.analytic_power:.3f}"
        line = (f"{p.n_per_arm:>6}{sum(p.group_sizes):>7}{p.power.value:>9.3f}"
                f"{p.power.se:>7.3f}{closed:>9}")
        if p.assurance is not None:
            line += f"{p.assurance.value:>9.3f}{p.assurance.se:>7.3f}"
        if unblinding:
            part = p.parts["unblinding"]
            line += (f"{part.power_drug_alone.value:>9.3f}{part.power_drug_alone.se:>7.3f}"
                     f"{part.false_positive_rate.value:>9.3f}")
        line += "".join(f"{p.adverse_events[n].p_harm_detected.value:>17.3f}" for n in names)
        lines.append(line)
    if unblinding:
        lines.append("\npower: as observed (drug effect plus the expectancy bias of functional "
                     "unblinding); drug: the drug effect alone; false+: significant with no "
                     "drug effect")
    if first.assurance_ceiling is not None:
        lines.append(f"\nassurance ceiling (prior probability of benefit): "
                     f"{first.assurance_ceiling:.3f}")
    lines += [f"NOTE: {note}" for note in curve.notes]
    return "\n".join(lines)


def format_size(r: SampleSize) -> str:
    """The text of ``trialsim size``.

    Parameters
    ----------
    r : SampleSize

    Returns
    -------
    str
    """
    arms = ", ".join(str(n) for n in r.group_sizes)
    lines = [
        f"{r.metric} >= {r.target:g}: n = {r.n_per_arm} per arm (arms {arms}; "
        f"{r.n_total} randomised, {r.expected_completers:.1f} expected completers)",
        f"  {r.metric} at that n {r.achieved:.4f} (MC SE {r.achieved_se:.4f}), from "
        f"{r.n_sims:,} trials in {len(r.evaluations)} runs on the {r.path} path",
        f"  95 % Monte Carlo range of n: {r.n_range[0]} to {r.n_range[1]} "
        f"(tolerance {100 * r.n_tolerance:g} % of n)",
    ]
    if r.analytic_n_per_arm is not None:
        lines.append(f"  closed form: {r.analytic_n_per_arm} per arm ({r.analytic_method})")
    else:
        lines.append("  closed form: none for this metric and model")
    if r.inflation_n_per_arm is not None:
        lines.append(f"  textbook dropout inflation n / (1 - d): {r.inflation_n_per_arm:.1f} "
                     "per arm")
    lines += [f"  NOTE: {note}" for note in r.notes]
    if r.unblinding is not None:
        lines += _unblinding_size_lines(r)
    return "\n".join(lines)


def _unblinding_size_lines(r: SampleSize) -> list[str]:
    """Both answers of a solve with functional unblinding, and its false positives."""
    u = r.unblinding

    def answer(n: int | None, span: tuple[int, int] | None) -> str:
        return "out of reach" if n is None or span is None else \
            f"{n} per arm (range {span[0]} to {span[1]})"

    fp = u.false_positive_rate
    return [
        "Functional unblinding (patients with the unblinding event report their pain shifted):",
        f"  {'drug effect alone:':<20}{answer(u.drug_alone_n_per_arm, u.drug_alone_n_range)}"
        + ("   <- sized on" if u.sized_on == "drug" else ""),
        f"  {'as observed:':<20}{answer(u.observed_n_per_arm, u.observed_n_range)}"
        + ("   <- sized on" if u.sized_on == "observed" else "")
        + "   (drug effect plus expectancy bias)",
        f"  false positives at n = {r.n_per_arm}: {pct(fp.value)} "
        f"(MC SE {fmt(100 * fp.se, '.2f')} %) with no drug effect, from the expectancy bias "
        "alone",
    ] + [f"  NOTE: {note}" for note in u.notes]
