"""Scenario values back to the shape of a scenario file (the inverse of :mod:`.convert`)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .design import CROSSOVER_FIELDS
from .events import AdverseEvent
from .evidence_entry import EvidenceTable
from .meta import MetaSpec
from .pain import Pain
from .recruitment import RecruitmentSpec
from .schema import file_keys
from .settings import AnalysisSpec

if TYPE_CHECKING:
    from .scenario import Scenario

__all__ = ["scenario_to_dict"]


def _pain_dict(s: Scenario, evidence: EvidenceTable) -> dict[str, Any]:
    pain = {k: getattr(s.pain, k) for k in file_keys(Pain)}
    if s.pain.effect_evidence is not None:
        entry = evidence[s.pain.effect_evidence]
        pain["effect"] = {"from": "evidence", "key": entry.key}
        if s.pain.effect_smd_sd is not None:
            pain["effect"]["sd"] = s.pain.effect_smd_sd
        del pain["effect_sd"]
        if pain["tau2"] == (None if entry.tau2 is None
                            else entry.tau2 * (s.pain.effect_smd_sd or 1.0) ** 2):
            del pain["tau2"]
    pain = {k: v for k, v in pain.items() if v is not None}
    if s.pain.arm_effects is not None:
        pain["arm_effects"] = dict(zip(s.design.arms[1:], s.pain.arm_effects))
    if "unblinding_ae" not in pain:
        pain.pop("unblinding_shift", None)
    return pain


def _ae_dict(ae: AdverseEvent, arms: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"placebo_risk": ae.placebo_risk, "risk_ratio": ae.risk_ratio,
                           "risk_ratio_prior": ae.risk_ratio_prior}
    if ae.arm_risk_ratios is not None:
        out["arm_risk_ratios"] = dict(zip(arms[1:], ae.arm_risk_ratios))
    if ae.risk_ratio_evidence is not None:
        out["risk_ratio"] = {"from": "evidence", "key": ae.risk_ratio_evidence}
    elif ae.log_rr_sd is not None:
        out["log_rr_sd"] = ae.log_rr_sd
    return out


def _meta_dict(m: MetaSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"method": m.method, "hksj": m.hksj, "new_trials": m.new_trials,
                           "rules": list(m.rules), "power": m.power}
    if m.studies is not None:
        out["studies"] = [list(row) for row in m.studies]
    if m.pooled is not None and m.evidence is None:
        out["pooled"] = {"estimate": m.pooled[0], "se": m.pooled[1]}
        if m.pooled[2] is not None:
            out["pooled"]["k"] = m.pooled[2]
    if m.evidence is not None:
        out["evidence"] = m.evidence
    for key in ("tau2", "precision", "delta"):
        if getattr(m, key) is not None:
            out[key] = getattr(m, key)
    defaults = {f.name: f.default for f in dataclasses.fields(MetaSpec)}
    for key in file_keys(MetaSpec):  # the other options, where they are not the default
        value = getattr(m, key)
        if key not in out and key not in ("studies", "pooled", "evidence") \
                and value != defaults[key]:
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _recruitment_dict(r: RecruitmentSpec) -> dict[str, Any]:
    out = {k: getattr(r, k) for k in file_keys(RecruitmentSpec)}
    # an even ramp is written back as the ramp, so that sweeping `sites` keeps it
    ramp = r.opening_ramp
    out["site_open_months"] = ramp if ramp is not None else list(r.site_open_months)
    return {k: v for k, v in out.items() if v is not None}


def _plain(section: Any) -> dict[str, Any]:
    """Every file field of a value, tuples as lists."""
    return {k: list(v) if isinstance(v, tuple) else v
            for k in file_keys(type(section)) if (v := getattr(section, k)) is not None}


def _analysis_dict(a: AnalysisSpec) -> dict[str, Any]:
    """``[analysis]``; ``responder_test`` only where it is not the default (so that a
    scenario written before it has the same dictionary, and a sweep point the same hash)."""
    out = _plain(a)
    if out.get("responder_test") == "z":
        del out["responder_test"]
    return out


def scenario_to_dict(s: Scenario, evidence: EvidenceTable) -> dict[str, Any]:
    """The scenario as a nested dictionary in the shape of its TOML file."""
    design = _plain(s.design)
    if s.design.kind != "crossover":
        design = {k: v for k, v in design.items() if k not in CROSSOVER_FIELDS}
    dropout = {"rate": s.dropout.rate, "after_ae": dict(s.dropout.after_ae),
               "mechanism": s.dropout.mechanism}
    if s.dropout.mechanism in ("mar", "mnar"):
        dropout["slope"] = s.dropout.slope
    out: dict[str, Any] = {
        "name": s.name, "seed": s.seed, "design": design, "pain": _pain_dict(s, evidence),
        "adverse_events": {ae.name: _ae_dict(ae, s.design.arms) for ae in s.adverse_events},
        "dropout": dropout, "analysis": _analysis_dict(s.analysis),
        "simulation": _plain(s.simulation),
    }
    if s.meta_analysis is not None:
        out["meta_analysis"] = _meta_dict(s.meta_analysis)
    if s.recruitment is not None:
        out["recruitment"] = _recruitment_dict(s.recruitment)
    if s.interim is not None:
        out["interim"] = _plain(s.interim)
    if s.sweep is not None:
        out["sweep"] = {"grid": {k: list(v) for k, v in s.sweep.grid},
                        "zip": {k: list(v) for k, v in s.sweep.zip}}
    if s.decision is not None:
        out["decision"] = {**_plain(s.decision), "event_weights": dict(s.decision.event_weights)}
    return out
