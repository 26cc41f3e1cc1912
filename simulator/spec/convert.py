"""Scenario files and dictionaries to values and back, apart from the values.

``scenario_parts`` reads the nested mapping of a TOML file: it rejects
unknown keys (naming the closest known one), names required fields that are
missing, resolves ``{ from = "evidence", key = "..." }`` references against
the evidence table, reads tables given by arm name, and builds each section's
value (which checks its own fields). ``scenario_to_dict`` writes a scenario
back in the same shape. Errors carry no file name; the caller adds it.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

from ..errors import ScenarioError
from .bounds import is_real, is_sd
from .convert_back import scenario_to_dict
from .decision import DecisionSpec
from .design import CROSSOVER_FIELDS, DESIGN_KINDS, Design
from .events import AdverseEvent, Dropout
from .evidence_entry import EvidenceEntry, EvidenceTable
from .interim import InterimSpec
from .meta import MetaSpec
from .pain import Pain
from .parse import parse_sweep_values
from .recruitment import MAX_SITES, RecruitmentSpec, even_ramp
from .schema import MISSING, fail, file_keys, required_keys, show
from .settings import AnalysisSpec, SimulationSpec
from .sweep import SweepSpec

__all__ = ["scenario_parts", "scenario_to_dict", "apply_overrides", "TOP_KEYS"]

TOP_KEYS = ("name", "seed", "design", "pain", "adverse_events", "dropout", "analysis",
            "simulation", "meta_analysis", "recruitment", "interim", "sweep", "decision")
_REFERENCE = 'must be a number or { from = "evidence", key = "..." }'


def table(data: Any, name: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    """A section's mapping, with every key checked against ``allowed``."""
    label = f"[{name}]" if name else "top level"
    if data is MISSING:
        return {}
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{label}: must be a table, got {show(data)}")
    for key in data:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            also = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ScenarioError(f"{label} {key}: unknown key{also}; allowed: "
                                f"{', '.join(allowed)}")
    return dict(data)


def _build(cls: type, section: str, given: dict[str, Any], **extra: Any) -> Any:
    """Construct a section value, naming a missing required field first."""
    for key, allowed in required_keys(cls).items():
        if key not in given and key not in extra:
            raise fail(f"[{section}] {key}", MISSING, f"required; {allowed}")
    return cls(**given, **extra)


def reference(value: Any, where: str, measure: str, evidence: EvidenceTable) -> EvidenceEntry:
    """Resolve ``{ from = "evidence", key = "..." }`` to an evidence entry."""
    if not isinstance(value, Mapping):
        raise fail(where, value, _REFERENCE)
    if set(value) != {"from", "key"} or value.get("from") != "evidence" \
            or not isinstance(value.get("key"), str):
        raise fail(where, dict(value), _REFERENCE)
    entry = evidence.lookup(value["key"], where=where)
    if entry.measure == "SMD" and measure == "MD":
        raise fail(where, dict(value), f"entry {entry.key!r} is an SMD: give the SD that "
                                       "converts it to NRS points, { from = \"evidence\", key = "
                                       f"\"{entry.key}\", sd = 2.5 }}")
    if entry.measure != measure:
        raise fail(where, dict(value), f"entry {entry.key!r} is a {entry.measure}; this field "
                                       f"needs a {measure} entry")
    if entry.estimate is None:
        instead = f"; it names {entry.stands_in!r} to stand in for it" if entry.stands_in else ""
        raise fail(where, dict(value), f"entry {entry.key!r} has no estimate (tagged "
                                       f"missing){instead}")
    return entry


def by_arm(raw: Any, where: str, design: Design) -> tuple[Any, ...]:
    """A table ``{active arm name: value}`` as a tuple in arm order."""
    active = list(design.arms[1:])
    if design.kind != "multiarm":
        raise fail(where, raw, "only for design.kind = 'multiarm'")
    if not isinstance(raw, Mapping) or set(raw) != set(active):
        raise fail(where, raw, f"must be a table with one value per active arm: "
                               f"{', '.join(active)}")
    return tuple(raw[name] for name in active)


def _design(raw: Any) -> Design:
    t = table(raw, "design", file_keys(Design))
    kind = t.get("kind", "parallel")
    if kind in DESIGN_KINDS and kind != "crossover":
        for key in CROSSOVER_FIELDS:
            if key in t:
                raise fail(f"[design] {key}", t[key], "only for kind = 'crossover'")
    return _build(Design, "design", t)


def _pain(raw: Any, design: Design, evidence: EvidenceTable) -> Pain:
    t = table(raw, "pain", file_keys(Pain))
    extra: dict[str, Any] = {}
    if isinstance(t.get("effect"), Mapping):
        entry, factor = _effect_reference(dict(t.pop("effect")), evidence)
        if "effect_sd" in t:
            raise fail("[pain] effect_sd", t["effect_sd"], "comes from the evidence entry; "
                       "give effect as a number to set your own")
        extra = dict(effect=entry.estimate * factor,
                     effect_sd=None if entry.se is None else entry.se * factor,
                     effect_evidence=entry.key,
                     effect_smd_sd=factor if entry.measure == "SMD" else None)
        if "tau2" not in t:
            extra["tau2"] = None if entry.tau2 is None else entry.tau2 * factor ** 2
    if "arm_effects" in t:
        t["arm_effects"] = by_arm(t["arm_effects"], "[pain] arm_effects", design)
    return _build(Pain, "pain", t, **extra)


def _effect_reference(value: dict[str, Any], evidence: EvidenceTable
                      ) -> tuple[EvidenceEntry, float]:
    """``[pain] effect``'s entry and the factor to NRS points (an SMD's stated SD, else 1)."""
    where = "[pain] effect"
    if "sd" not in value:
        return reference(value, where, "MD", evidence), 1.0
    sd = value.pop("sd")
    entry = reference(value, where, "SMD", evidence)
    if not (is_real(sd) and is_sd(sd)):
        raise fail("[pain] effect.sd", sd, "must be a number in [0.01, 10]: the SD (NRS points) "
                                           "that converts the SMD to NRS points")
    return entry, float(sd)


def _adverse_events(raw: Any, design: Design, evidence: EvidenceTable
                    ) -> tuple[AdverseEvent, ...]:
    if raw is MISSING:
        return ()
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"[adverse_events]: must be a table of named tables, got {show(raw)}")
    events = []
    for name, spec in raw.items():
        section = f"adverse_events.{name}"
        if not str(name).replace("_", "").replace("-", "").isalnum():
            raise ScenarioError(f"[{section}]: the name must use letters, digits, '_' or '-'")
        t = table(spec, section, file_keys(AdverseEvent))
        extra: dict[str, Any] = {"name": str(name)}
        if isinstance(t.get("risk_ratio"), Mapping):
            entry = reference(t.pop("risk_ratio"), f"[{section}] risk_ratio", "RR", evidence)
            if "log_rr_sd" in t:
                raise fail(f"[{section}] log_rr_sd", t["log_rr_sd"], "comes from the evidence "
                           "entry; give risk_ratio as a number to set your own")
            extra.update(risk_ratio=entry.estimate, log_rr_sd=entry.se,
                         risk_ratio_evidence=entry.key)
        if "arm_risk_ratios" in t:
            t["arm_risk_ratios"] = by_arm(t["arm_risk_ratios"],
                                          f"[{section}] arm_risk_ratios", design)
        events.append(_build(AdverseEvent, section, t, **extra))
    return tuple(events)


def _meta(raw: Any, pain: Pain, evidence: EvidenceTable) -> MetaSpec:
    t = table(raw, "meta_analysis", file_keys(MetaSpec))
    given = [k for k in ("studies", "pooled", "evidence") if k in t]
    if len(given) != 1:
        raise fail(f"[meta_analysis] {' / '.join(given) or 'studies'}",
                   "both" if given else MISSING,
                   "give exactly one of studies = [[estimate, se], ...], "
                   "pooled = { estimate, se, k } or evidence = \"key\"")
    if "pooled" in t:
        p = table(t["pooled"], "meta_analysis.pooled", ("estimate", "se", "k"))
        if "estimate" not in p or "se" not in p:
            raise fail("[meta_analysis.pooled] se" if "estimate" in p
                       else "[meta_analysis.pooled] estimate", MISSING, "required")
        t["pooled"] = (p["estimate"], p["se"], p.get("k"))
    elif "evidence" in t:
        ref = t["evidence"]
        if not isinstance(ref, (str, Mapping)):
            raise fail("[meta_analysis] evidence", ref,
                       'must be an evidence key ("drug-route/outcome/window") or '
                       '{ from = "evidence", key = "..." }')
        binary = t.get("outcome", "pain") != "pain"  # log risk ratios from an RR entry
        entry = reference({"from": "evidence", "key": ref} if isinstance(ref, str) else ref,
                          "[meta_analysis] evidence", "RR" if binary else "MD", evidence)
        if entry.se is None:
            raise fail("[meta_analysis] evidence", entry.key, "the entry has no CI, so no SE")
        estimate = entry.log_estimate if binary else entry.estimate
        t.update(evidence=entry.key, pooled=(estimate, entry.se, entry.studies))
        for key in ("ci_method", "tau2_method"):  # how the review analysed, where recorded
            if key not in t and getattr(entry, key) is not None:
                t[key] = getattr(entry, key)
    if "tau2" not in t and "studies" not in t:  # held in updates: the pain's, else the entry's
        t["tau2"] = pain.tau2 if t.get("outcome", "pain") == "pain" else None
        if t["tau2"] is None and "evidence" in t:
            t["tau2"] = evidence[t["evidence"]].tau2
        if t["tau2"] is None:
            del t["tau2"]
    return MetaSpec(**t)


def _recruitment(raw: Any) -> RecruitmentSpec:
    t = table(raw, "recruitment", file_keys(RecruitmentSpec))
    opening = t.get("site_open_months")
    sites = t.get("sites")
    if not (isinstance(sites, int) and 1 <= sites <= MAX_SITES):
        sites = None  # refused by RecruitmentSpec, before a ramp of that many sites is built
    if opening is not None and not isinstance(opening, list) and isinstance(sites, int) \
            and not isinstance(sites, bool) and sites >= 1:
        if isinstance(opening, bool) or not isinstance(opening, (int, float)) \
                or not opening >= 0:
            raise fail("[recruitment] site_open_months", opening,
                       "must be a list of opening times or a ramp >= 0 (months)")
        t["site_open_months"] = even_ramp(float(opening), sites)
    elif opening is None and isinstance(sites, int) and not isinstance(sites, bool) \
            and sites >= 1:
        t["site_open_months"] = even_ramp(0.0, sites)
    return _build(RecruitmentSpec, "recruitment", t)


def _interim(raw: Any) -> InterimSpec:
    t = table(raw, "interim", file_keys(InterimSpec))
    looks = t.get("looks")
    if isinstance(looks, int) and not isinstance(looks, bool):  # equally spaced looks
        if not 2 <= looks <= 20:
            raise fail("[interim] looks", looks, "a number of looks must be in [2, 20]")
        t["looks"] = tuple((i + 1) / looks for i in range(looks))
    return _build(InterimSpec, "interim", t)


def _sweep(raw: Any) -> SweepSpec:
    t = table(raw, "sweep", ("grid", "zip"))
    parts = {}
    for name in ("grid", "zip"):
        entries = t.get(name, {})
        if not isinstance(entries, Mapping):
            raise fail(f"[sweep] {name}", entries,
                       'must be a table { "dotted.key" = [values] or "START:STOP:STEP" }')
        parts[name] = tuple((str(k), parse_sweep_values(str(k), v, f"[sweep.{name}]"))
                            for k, v in entries.items())
    return SweepSpec(**parts)


def _decision(raw: Any) -> DecisionSpec:
    t = table(raw, "decision", file_keys(DecisionSpec))
    if "event_weights" in t:
        weights = t["event_weights"]
        if not isinstance(weights, Mapping):
            raise fail("[decision] event_weights", weights,
                       "must be a table { adverse event name = weight >= 0 }")
        t["event_weights"] = tuple((str(k), v) for k, v in weights.items())
    return _build(DecisionSpec, "decision", t)


def scenario_parts(data: Mapping[str, Any], evidence: EvidenceTable) -> dict[str, Any]:
    """The keyword arguments of :class:`Scenario` for a scenario file's mapping."""
    top = table(data, "", TOP_KEYS)
    if "design" not in top:
        raise fail("[design] n_per_arm", MISSING, "required; an integer in [2, 100000]")
    if "pain" not in top:
        raise fail("[pain] effect", MISSING, "required; a number in [-10, 10] (NRS points)")
    parts: dict[str, Any] = {k: top[k] for k in ("name", "seed") if k in top}
    design = parts["design"] = _design(top["design"])
    pain = parts["pain"] = _pain(top["pain"], design, evidence)
    if "analysis" in top:
        parts["analysis"] = _build(AnalysisSpec, "analysis",
                                   table(top["analysis"], "analysis", file_keys(AnalysisSpec)))
    parts["adverse_events"] = _adverse_events(top.get("adverse_events", MISSING), design,
                                              evidence)
    if "dropout" in top:
        parts["dropout"] = _build(Dropout, "dropout",
                                  table(top["dropout"], "dropout", file_keys(Dropout)))
    if "simulation" in top:
        parts["simulation"] = _build(SimulationSpec, "simulation", table(
            top["simulation"], "simulation", file_keys(SimulationSpec)))
    if "meta_analysis" in top:
        parts["meta_analysis"] = _meta(top["meta_analysis"], pain, evidence)
    sections = {"recruitment": _recruitment, "interim": _interim, "sweep": _sweep,
                "decision": _decision}
    parts.update({key: read(top[key]) for key, read in sections.items() if key in top})
    return parts


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a scenario mapping with dotted keys set to (file) values."""
    out = copy.deepcopy(dict(data))
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                raise ScenarioError(f"--set {dotted}: {where} is not a table")
            node = child
        node[parts[-1]] = value
    return out
