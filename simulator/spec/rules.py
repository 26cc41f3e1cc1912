"""The rules that span sections of a scenario (each section checks its own fields)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ScenarioError
from .evidence_entry import EvidenceTable
from .interim import sequential_design
from .meta import MIN_DELTA
from .schema import MISSING, fail

if TYPE_CHECKING:
    from .scenario import Scenario

__all__ = ["check_scenario"]


def check_scenario(s: Scenario, table: EvidenceTable) -> None:
    """Raise :class:`ScenarioError` for the first rule across sections that fails."""
    _check_multiarm(s)
    _check_estimand(s)
    _check_crossover(s)
    _check_by_arm(s)
    _check_event_names(s)
    _check_meta(s)
    _check_interim(s)
    _check_evidence(s, table)
    _check_decision(s)


def _check_multiarm(s: Scenario) -> None:
    if s.design.kind != "multiarm":
        return
    if s.pain.effect_prior != "fixed":
        raise fail("[pain] effect_prior", s.pain.effect_prior,
                   "multi-arm designs take fixed effects (per arm: arm_effects)")
    if s.analysis.test == "welch":
        raise fail("[analysis] test", "welch", "multi-arm comparisons use the pooled variance "
                   "of all arms: 'student'")
    if s.analysis.estimand != "hypothetical":
        raise fail("[analysis] estimand", s.analysis.estimand,
                   "multi-arm designs use the hypothetical estimand, without unblinding, "
                   "for now")
    if s.pain.unblinding_ae is not None:
        raise fail("[pain] unblinding_ae", s.pain.unblinding_ae,
                   "multi-arm designs use the hypothetical estimand, without unblinding, "
                   "for now")


def _check_estimand(s: Scenario) -> None:
    estimand, pain = s.analysis.estimand, s.pain
    if estimand == "composite" and not pain.is_responder:
        raise fail("[analysis] estimand", estimand,
                   "composite (withdrawal = non-response) needs a responder analysis "
                   "(pain.analysis = 'responder30' or 'responder50')")
    if estimand.startswith("treatment-policy") and pain.is_responder:
        raise fail("[analysis] estimand", estimand,
                   "needs a continuous analysis (ancova, change or followup); for responders "
                   "use 'composite'")


def _check_crossover(s: Scenario) -> None:
    design, pain = s.design, s.pain
    if design.kind != "crossover":
        return
    if s.dropout.mechanism in ("mar", "mnar"):
        raise fail("[dropout] mechanism", s.dropout.mechanism,
                   "crossover designs model dropout completely at random, washout dropout "
                   "and withdrawal after adverse events")
    if s.analysis.estimand != "hypothetical":
        raise fail("[analysis] estimand", s.analysis.estimand,
                   "crossover designs use the hypothetical estimand (complete pairs)")
    if pain.unblinding_ae is not None:
        raise fail("[pain] unblinding_ae", pain.unblinding_ae,
                   "functional unblinding is modelled for parallel designs")
    if design.crossover_analysis == "within":
        if pain.analysis != "followup":
            raise fail("[pain] analysis", pain.analysis,
                       "a crossover's within-patient analysis compares the period scores: use "
                       "'followup' (or design.crossover_analysis = 'first-period')")
        r2 = pain.correlation ** 2
        if pain.truncated and design.within_correlation < r2:
            raise fail("[design] within_correlation", design.within_correlation,
                       f"must be >= pain.correlation^2 = {r2:.3g} with a truncated baseline "
                       "(both periods share the baseline's correlation)")


def _check_by_arm(s: Scenario) -> None:
    """Per-arm effects and risk ratios: multi-arm only, one per active arm."""
    active = s.design.arms[1:]
    items = [("[pain] arm_effects", s.pain.arm_effects)]
    items += [(f"[adverse_events.{ae.name}] arm_risk_ratios", ae.arm_risk_ratios)
              for ae in s.adverse_events]
    for where, values in items:
        if values is None:
            continue
        if s.design.kind != "multiarm":
            raise fail(where, values, "only for design.kind = 'multiarm'")
        if len(values) != len(active):
            raise fail(where, values, f"must be a table with one value per active arm: "
                                      f"{', '.join(active)}")
    for ae in s.adverse_events:
        for arm, rr in zip(active, ae.arm_risk_ratios or ()):
            if ae.placebo_risk * rr > 1:
                raise fail(f"[adverse_events.{ae.name}] arm_risk_ratios",
                           dict(zip(active, ae.arm_risk_ratios)),
                           f"gives arm {arm!r} a risk {ae.placebo_risk * rr:.3g} > 1")


def _check_event_names(s: Scenario) -> None:
    names = [ae.name for ae in s.adverse_events]
    defined = ", ".join(names) if names else "none are defined in [adverse_events]"
    if len(set(names)) != len(names):
        raise ScenarioError(f"[adverse_events]: names must be distinct, got {names}")
    if s.pain.unblinding_ae is not None and s.pain.unblinding_ae not in names:
        raise fail("[pain] unblinding_ae", s.pain.unblinding_ae,
                   f"unknown adverse event; defined: {defined}")
    for name, prob in s.dropout.after_ae.items():
        if name not in names:
            raise fail(f"[dropout.after_ae] {name}", prob,
                       f"unknown adverse event; defined: {defined}")


def _check_meta(s: Scenario) -> None:
    meta, pain = s.meta_analysis, s.pain
    if meta is None:
        return
    if meta.binary:
        _check_binary_meta(s)
        return
    if pain.is_responder:
        raise fail("[pain] analysis", pain.analysis,
                   "updating a meta-analysis of mean differences needs a continuous analysis "
                   "(ancova, change or followup)")
    if s.design.kind == "multiarm":
        raise fail("[design] kind", s.design.kind,
                   "updating a meta-analysis ([meta_analysis]) needs a two-arm trial "
                   "('parallel' or 'crossover')")
    if meta.delta is None and pain.mcid < MIN_DELTA:
        raise fail("[meta_analysis] delta", MISSING,
                   f"required when pain.mcid is below {MIN_DELTA:g} (the effect the "
                   "information size is for)")


#: The smallest placebo risk of the event a binary update pools (log risk ratios).
MIN_EVENT_RISK = 1e-6


def _check_binary_meta(s: Scenario) -> None:
    """A binary update: the adverse event exists, and its important harm is a feasible risk."""
    meta = s.meta_analysis
    events = {ae.name: ae for ae in s.adverse_events}
    if meta.outcome not in events:
        raise fail("[meta_analysis] outcome", meta.outcome,
                   "must be 'pain' or the name of an adverse event; defined: "
                   + (", ".join(events) or "none are defined in [adverse_events]"))
    if s.design.kind != "parallel":
        raise fail("[meta_analysis] outcome", meta.outcome,
                   "a binary update takes a two-arm parallel design's events, for now")
    risk = events[meta.outcome].placebo_risk
    if risk < MIN_EVENT_RISK:
        raise fail(f"[adverse_events.{meta.outcome}] placebo_risk", risk,
                   f"must be at least {MIN_EVENT_RISK:g} for a binary update ([meta_analysis] "
                   "outcome): the variance of a log risk ratio grows as 1 / risk")
    if risk * meta.harm_margin >= 1:
        raise fail("[meta_analysis] harm_margin", meta.harm_margin,
                   f"with placebo_risk = {risk:g} the harmful risk {risk * meta.harm_margin:.3g} "
                   "must stay below 1 (no binary information size exists otherwise)")


def _check_interim(s: Scenario) -> None:
    if s.interim is None:
        return
    if s.design.kind != "parallel":
        raise fail("[design] kind", s.design.kind, "interim analyses ([interim]) need a "
                   "two-arm parallel design, for now")
    if s.meta_analysis is not None:
        raise ScenarioError("[interim] and [meta_analysis] cannot be combined yet: the "
                            "review update takes a fixed design's estimate")
    sequential_design(s.interim, s.analysis.alpha, s.analysis.sided)  # names what fails


def _check_evidence(s: Scenario, table: EvidenceTable) -> None:
    """Numbers that name an evidence entry must be that entry's."""
    pain = s.pain
    if pain.effect_evidence is not None:
        entry = table.lookup(pain.effect_evidence, where="[pain] effect")
        factor = pain.effect_smd_sd or 1.0
        if (pain.effect, pain.effect_sd) != (entry.estimate * factor,
                                             None if entry.se is None else entry.se * factor):
            raise fail("[pain] effect", pain.effect,
                       f"differs from evidence entry {entry.key!r} ({entry.estimate:g}, SE "
                       f"{entry.se}); set effect_evidence = None to give your own")
    for ae in s.adverse_events:
        if ae.risk_ratio_evidence is not None:
            entry = table.lookup(ae.risk_ratio_evidence,
                                 where=f"[adverse_events.{ae.name}] risk_ratio")
            if (ae.risk_ratio, ae.log_rr_sd) != (entry.estimate, entry.se):
                raise fail(f"[adverse_events.{ae.name}] risk_ratio", ae.risk_ratio,
                           f"differs from evidence entry {entry.key!r}; set "
                           "risk_ratio_evidence = None to give your own")
    meta = s.meta_analysis
    if meta is not None and meta.evidence is not None:
        entry = table.lookup(meta.evidence, where="[meta_analysis] evidence")
        estimate = entry.log_estimate if meta.binary else entry.estimate
        if meta.pooled != (estimate, entry.se, entry.studies):
            raise fail("[meta_analysis] pooled", meta.pooled,
                       f"differs from evidence entry {entry.key!r}; set evidence = None to "
                       "give your own")


def _check_decision(s: Scenario) -> None:
    d = s.decision
    if d is None:
        return
    names = {ae.name for ae in s.adverse_events}
    for name, _ in d.event_weights:
        if name not in names:
            raise fail("[decision] event_weights", name,
                       f"must name adverse events of the scenario: {', '.join(sorted(names))}"
                       if names else "the scenario has no adverse events")
    if s.design.kind == "multiarm":
        raise fail("[decision] (design.kind)", "multiarm",
                   "the decision compares one active treatment with placebo: a parallel "
                   "or crossover design")
    if d.months_to_result is not None and s.recruitment is not None:
        raise fail("[decision] months_to_result", d.months_to_result,
                   "comes from the [recruitment] table (by n); remove one")
