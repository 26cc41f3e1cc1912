"""Does the evidence fit the trial? Its time window against the follow-up, its scale.

A pooled estimate is for a time window (``immediate``, ``3-5 weeks``) and on a
scale (0-100, 0-10, SMD). :func:`evidence_checks` compares the entries a
scenario's pain numbers come from (``pain.effect`` and a continuous
``[meta_analysis] evidence``) with the trial:

* **window**: with ``pain.followup_weeks``, a warning when it lies outside
  the entry's ``window_weeks``, or when the entry's window is not given in
  weeks (then nobody has checked that it covers the follow-up);
* **scale**: a warning for each conversion made on load (an MD published on
  0-100 divided by 10; an SMD multiplied by the SD the scenario states).

Adverse-event risk ratios are left out: their window is the trial's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .evidence import default_evidence
from .evidence_entry import EvidenceEntry

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario

__all__ = ["evidence_checks", "is_evidence_warning"]


def is_evidence_warning(note: str) -> bool:
    """Whether a result's note is one of :func:`evidence_checks`'s warnings."""
    return note.startswith(("evidence window:", "evidence scale:"))


def _pain_entries(scenario: Scenario) -> list[tuple[str, EvidenceEntry]]:
    """(field, entry) for each pain-scale entry the scenario uses, each entry once."""
    table = scenario.evidence or default_evidence()
    out: dict[str, tuple[str, EvidenceEntry]] = {}
    if scenario.pain.effect_evidence is not None:
        out[scenario.pain.effect_evidence] = ("pain.effect",
                                              table[scenario.pain.effect_evidence])
    meta = scenario.meta_analysis
    if meta is not None and meta.evidence is not None and not meta.binary \
            and meta.evidence not in out:
        out[meta.evidence] = ("meta_analysis.evidence", table[meta.evidence])
    return list(out.values())


def _window(field: str, entry: EvidenceEntry, weeks: float | None) -> str | None:
    if weeks is None:
        return None
    if entry.window_weeks is None:
        return (f"evidence window: {field} comes from {entry.key}, whose window "
                f"{entry.window!r} is not given in weeks; the trial measures its primary "
                f"outcome at {weeks:g} weeks (pain.followup_weeks): check that the estimate "
                "holds that long after the start of treatment")
    first, last = entry.window_weeks
    if first <= weeks <= last:
        return None
    span = f"{first:g}" if first == last else f"{first:g}-{last:g}"
    return (f"evidence window: {field} comes from {entry.key}, an estimate for "
            f"{entry.window!r} ({span} weeks after the start of treatment); the trial measures "
            f"its primary outcome at {weeks:g} weeks (pain.followup_weeks): the effect may "
            "differ then")


def _scale(field: str, entry: EvidenceEntry, smd_sd: float | None) -> str | None:
    if entry.measure == "SMD":
        sd = smd_sd if smd_sd is not None else float("nan")
        se = "" if entry.se is None else f", SE {entry.se:.3g} -> {entry.se * sd:.3g}"
        return (f"evidence scale: {field} comes from {entry.key}, an SMD "
                f"({entry.estimate:g}); converted to NRS points with the stated SD {sd:g}: "
                f"{entry.estimate * sd:.4g}{se}")
    if entry.scale == "0-100":
        return (f"evidence scale: {field} comes from {entry.key}, published on 0-100 "
                f"({entry.published_estimate:g}); converted to the trial's 0-10 NRS by "
                f"dividing by 10 ({entry.estimate:.4g})")
    return None


def evidence_checks(scenario: Scenario) -> tuple[str, ...]:
    """Warnings where the evidence's window or scale differs from the trial's.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    tuple of str
        One sentence per mismatch, each starting ``evidence window:`` or
        ``evidence scale:``; empty when everything fits.

    Examples
    --------
    >>> from simulator import Scenario
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {
    ...     "effect": {"from": "evidence", "key": "ketamine-any/pain/moradi-3-5wk"},
    ...     "followup_weeks": 4}})
    >>> evidence_checks(s)
    ()
    """
    out = []
    for field, entry in _pain_entries(scenario):
        smd_sd = scenario.pain.effect_smd_sd if field == "pain.effect" else None
        out += [m for m in (_window(field, entry, scenario.pain.followup_weeks),
                            _scale(field, entry, smd_sd)) if m is not None]
    return tuple(out)
