"""The text of ``trialsim resolve``: the existing evidence, P(settled) and the rules, the closed forms.

Each function turns a result of the planning layer into the lines the verb
prints; none computes a number of its own.
"""

from __future__ import annotations

import math

from ..planning.curves import PowerCurve
from ..planning.results import SimulationResult
from ..planning.review_run import TrialsAnswer
from ..planning.review_tau2 import TAU2_SOURCES, tau2_distribution
from ..spec import Scenario
from ..spec.evidence_checks import is_evidence_warning
from .._format import fmt, pct

__all__ = ["format_resolve", "format_trials_answers"]


def _resolve_header(scenario: Scenario, result: SimulationResult) -> list[str]:
    """The existing evidence, the new trials, the simulation and P(conclusive) by rule."""
    res = result.resolve
    ex = res.existing
    spec = scenario.meta_analysis
    k = res.new_trials
    source = (f"evidence {spec.evidence}" if spec.evidence else
              f"{ex.k} studies ({spec.method}{', HKSJ' if spec.hksj else ''})" if spec.studies
              else "a pooled summary")
    scale = f"log RR {fmt(ex.estimate, '+.3f')} (RR {math.exp(ex.estimate):.3g})" if spec.binary \
        else f"{fmt(ex.estimate, '+.3f')}"
    lines = [
        f"Existing evidence  {source}: {scale} (SE {fmt(ex.se, '.3f')}), tau^2 {ex.tau2:g}"
        + ("" if ex.tau2_ci is None else
           f" (Q-profile CI {ex.tau2_ci[0]:.3g} to {ex.tau2_ci[1]:.3g})")
        + ("" if ex.i2 is None else f", I^2 {pct(ex.i2, 0)}")
        + ("" if ex.prediction is None else
           f"; prediction interval {fmt(ex.prediction[0], '+.2f')} to "
           f"{fmt(ex.prediction[1], '+.2f')}"),
        *([] if ex.ci_method == "z" else [
            f"{'':<19}the review's CI is {ex.ci_method.upper()} on "
            f"{spec.ci_studies or ex.k} studies: it holds {fmt(ex.information_ratio, '.2f')} x "
            "the "
            "information a z interval of its width suggests"]),
        f"New trials         {k} x {scenario.design.n_total} patients "
        f"({', '.join(str(n) for n in scenario.design.group_sizes)} per arm), "
        + _truth(scenario),
        f"Simulation         {result.n_sims:,} futures on the {result.path} path, seed "
        f"{result.seed_entropy}",
        "",
    ]
    lines += _tau2_rows(scenario, res) + _settled_headline(scenario, res)
    closed = res.closed.by_rule if res.closed is not None else {}
    fixed = None if res.closed is None else res.closed.by_rule_fixed_tau2
    lines.append(f"{'P(conclusive)':<22}{'overall':>10}{'MC SE':>8}{'closed':>9}"
                 + ("" if fixed is None else f"{'tau2 held':>11}") + "   by direction")
    for rule in res.rules:
        p = res.p_conclusive[rule]
        dirs = ", ".join(f"{d} {pct(q.value)}" for d, q in res.by_direction[rule].items())
        cf = (f"{fmt(100 * closed[rule]['p_conclusive'], '>7.1f')} %" if rule in closed
              else f"{'-':>9}")
        if fixed is not None:
            cf += (f"{fmt(100 * fixed[rule]['p_conclusive'], '>9.1f')} %" if rule in fixed
                   else f"{'-':>11}")
        lines.append(f"  {rule:<20}{fmt(100 * p.value, '>8.1f')} %{fmt(100 * p.se, '>6.2f')} %"
                     f"{cf}   {dirs}")
    return lines + _grade_rows(scenario, res) + _prediction_rows(res)


def _truth(scenario: Scenario) -> str:
    """What the new trials measure and their true effect (a binary outcome's risk ratio)."""
    spec, pain = scenario.meta_analysis, scenario.pain
    if not spec.binary:
        return (f"{pain.analysis}, true effect {fmt(pain.effect, '+.3f')}"
                + ("" if pain.effect_prior == "fixed" else f" ({pain.effect_prior} prior)"))
    ae = next(a for a in scenario.adverse_events if a.name == spec.outcome)
    return (f"{ae.name} (log risk ratios), placebo risk {ae.placebo_risk:g}, true RR "
            f"{ae.risk_ratio:g}" + ("" if ae.risk_ratio_prior == "fixed"
                                    else f" ({ae.risk_ratio_prior} prior)")
            + f"; important harm: RR >= {spec.harm_margin:g}")


def _tau2_rows(scenario: Scenario, res) -> list[str]:
    """Where each future's tau^2 comes from, when it is drawn."""
    if res.tau2_prior == "fixed":
        return []
    dist = tau2_distribution(scenario)
    return [f"tau^2 in the futures: drawn from {TAU2_SOURCES[res.tau2_prior]}, median "
            f"{dist.median:.3g}; 'closed' integrates over it, 'tau2 held' is at "
            f"{res.existing.tau2:g}", ""]


def _prediction_rows(res) -> list[str]:
    if res.prediction is None:
        return []
    p = res.p_prediction_excludes_0
    return [f"  updated prediction interval, mean over futures: "
            f"{fmt(res.prediction[0], '+.3f')} to "
            f"{fmt(res.prediction[1], '+.3f')}; it excludes 0 in {pct(p.value)} "
            f"(MC SE {pct(p.se, 2)})"]


def _grade_rows(scenario: Scenario, res) -> list[str]:
    """P(GRADE would no longer rate the update down for imprecision), and why it would."""
    g, spec = res.grade, scenario.meta_analysis
    thresholds = (f"RR {1 / spec.harm_margin:.3g} or {spec.harm_margin:g}" if spec.binary
                  else f"-{scenario.pain.mcid:g} or +{scenario.pain.mcid:g}")
    not_down = g["not-rated-down"]
    return [
        f"  {'GRADE not rated down':<20}{fmt(100 * not_down.value, '>8.1f')} %"
        f"{fmt(100 * not_down.se, '>6.2f')} %{'-':>9}   for imprecision",
        f"{'':<24}rated down: CI includes {thresholds} "
        f"{pct(g['crosses-threshold'].value)} (both {pct(g['crosses-both'].value)}), "
        f"information below the OIS ({fmt(res.ois, '.2f')}) {pct(g['below-ois'].value)}",
    ]


_SETTLED_WORDS = {"benefit": "important benefit", "no-important-effect": "no important effect",
                  "harm": "harm", "no-important-harm": "important harm ruled out"}


def _settled_headline(scenario: Scenario, res) -> list[str]:
    """The headline when it is ``settled``: the probability the question is settled either way."""
    if res.rules[0] != "settled":
        return []
    p = res.p_conclusive["settled"]
    ways = ", ".join(f"{_SETTLED_WORDS[d]} {pct(q.value)}"
                     for d, q in res.by_direction["settled"].items())
    spec = scenario.meta_analysis
    prior = (next(a for a in scenario.adverse_events if a.name == spec.outcome).risk_ratio_prior
             if spec.binary else scenario.pain.effect_prior)
    what = "risk ratio" if spec.binary else "effect"
    over = (f"at the scenario's true {what}" if prior == "fixed" else
            f"averaged over the {prior} distribution of the true {what} (what the review knows)")
    return [f"Settled either way: {pct(p.value)} of futures (MC SE {pct(p.se, 2)}): "
            f"{ways}", f"  {over}", ""]


def _resolve_closed_rows(result: SimulationResult) -> list[str]:
    """Roloff's conditional power, the information size and the TSA sizes."""
    ex, closed = result.resolve.existing, result.resolve.closed
    lines = []
    if closed.conditional_power is not None and closed.conditional_power_fixed_tau2 is not None:
        lines.append(f"Closed form (Roloff, integrated over tau^2): conditional power "
                     f"{pct(closed.conditional_power)}, plateau as n grows "
                     f"{pct(closed.plateau)}; with tau^2 held at {ex.tau2:g}: "
                     f"{pct(closed.conditional_power_fixed_tau2)}")
    elif closed.conditional_power is not None:
        lines.append(f"Closed form (Roloff, tau^2 fixed): conditional power "
                     f"{pct(closed.conditional_power)}, plateau as n grows "
                     f"{pct(closed.plateau)}")
    lines.append(f"Information size: required I* = {fmt(closed.required_information, '.2f')}, "
                 "the review "
                 f"has I0 = {fmt(closed.existing_information, '.2f')}; k_min = {closed.k_min} new "
                 f"trial{'s' if closed.k_min != 1 else ''}")
    if closed.n_per_arm_for_k:
        sizes = ", ".join(f"{kk} trial{'s' if kk > 1 else ''} of {n}/arm"
                          for kk, n in closed.n_per_arm_for_k.items())
        lines.append(f"  equal new trials that supply I* - I0: {sizes}")
    if closed.k_min > 1:
        lines.append(f"  no single trial can supply it (tau^2 = {ex.tau2:g}: one trial adds at "
                     f"most 1 / tau^2 = {fmt(1 / ex.tau2, '.2f')})")
    lines.append(f"TSA required information size: RIS {fmt(closed.ris, '.0f')} participants; "
                 f"diversity-adjusted (D^2 {fmt(closed.d2, '.2f')}) DARIS "
                 f"{fmt(closed.daris, '.0f')}; "
                 f"I^2-adjusted (I^2 {fmt(closed.i2, '.2f')}) {fmt(closed.ris_i2, '.0f')}")
    return lines + _tsa_rows(result.resolve)


def _tsa_rows(res) -> list[str]:
    """The planned TSA of the ``tsa`` rule: its looks, boundaries and adjusted CI."""
    if res.tsa is None:
        return []
    plan, b = res.tsa, res.tsa.boundaries
    name = {"daris": "the DARIS", "i2": "the I^2-adjusted RIS", "ris": "the RIS"}[plan.adjustment]
    fut = "" if b.beta_spending is None else (
        f", futility {b.beta_spending} ({'binding' if b.binding else 'non-binding'})")
    looks = ", ".join(f"{fmt(t, '.2f')}" for t in b.fractions)
    crit = ", ".join(f"{fmt(c, '.2f')}" for c in b.critical_values)
    ci = ("not finite" if res.tsa_adjusted_ci is None
          else f"{fmt(res.tsa_adjusted_ci[0], '+.3f')} to {fmt(res.tsa_adjusted_ci[1], '+.3f')}")
    return [f"TSA rule ({b.alpha_spending}{fut}) against {name}, "
            f"{fmt(plan.required_information, '.2f')} "
            f"(inverse variance; I* = {fmt(plan.unadjusted, '.2f')}):",
            f"  {plan.existing_looks} existing look{'s' if plan.existing_looks > 1 else ''}, "
            f"then each new trial: fractions {looks}; Z boundaries {crit}",
            f"  TSA-adjusted CI of the last look, mean over futures: {ci}"]


def _conclusive_curve_rows(curves: dict[int, PowerCurve]) -> list[str]:
    lines = ["", "P(conclusive) by n per arm and number of new trials:"]
    grid = curves[1].n_per_arm
    lines.append(f"{'n/arm':>8}" + "".join(f"{f'k={kk}':>9}" for kk in curves))
    for i, n in enumerate(grid):
        row = "".join(f"{c.metric('conclusive')[i].value:>9.3f}" for c in curves.values())
        lines.append(f"{n:>8}{row}")
    return lines


def format_resolve(scenario: Scenario, result: SimulationResult, solved_text: str | None,
                   curves: dict[int, PowerCurve] | None) -> str:
    """The text of ``trialsim resolve``.

    Parameters
    ----------
    scenario : Scenario
        The scenario simulated (with ``[meta_analysis]``).
    result : SimulationResult
        Its result, with ``resolve`` set.
    solved_text : str or None
        The ``--target`` answer, already formatted.
    curves : dict of int to PowerCurve or None
        The ``--n`` curves, one per number of new trials.

    Returns
    -------
    str
    """
    lines = _resolve_header(scenario, result)
    lines.append("")
    lines += _resolve_closed_rows(result)
    if solved_text:
        lines += ["", solved_text]
    if curves:
        lines += _conclusive_curve_rows(curves)
    if result.notes:
        lines += [""] + [f"  WARNING: {note}" if is_evidence_warning(note) else f"  NOTE: {note}"
                         for note in result.notes]
    return "\n".join(lines)


def format_trials_answers(target: float, answers: tuple[TrialsAnswer, ...]) -> str:
    """The ``--target`` answer with 1 .. k new trials: one row per number of trials.

    Parameters
    ----------
    target : float
    answers : tuple of TrialsAnswer

    Returns
    -------
    str
    """
    lines = [f"P(conclusive) >= {target:g} by number of new trials (each trial's n per arm):",
             f"{'trials':>7}{'n/arm':>8}{'95 % MC range':>16}{'randomised':>12}"
             f"{'closed form':>13}"]
    below = []  # why a row cannot reach the target, or its solve's notes
    for a in answers:
        if a.size is None:
            lines.append(f"{a.trials:>7}{'-':>8}{'-':>16}{'-':>12}{'-':>13}   not reachable")
            below.append(f"  {a.unreachable}")
            continue
        r = a.size
        closed = "-" if r.analytic_n_per_arm is None else str(r.analytic_n_per_arm)
        flag = "   (see the note)" if r.notes else ""
        lines.append(f"{a.trials:>7}{r.n_per_arm:>8}{f'{r.n_range[0]}-{r.n_range[1]}':>16}"
                     f"{a.trials * r.n_total:>12,}{closed:>13}{flag}")
        below += [f"  NOTE ({a.trials} trials): {note}" for note in r.notes]
    return "\n".join(lines + below)
