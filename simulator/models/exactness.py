"""Whether the aggregate data path is exact for a scenario.

Apart from the samplers so that choosing a path (``trialsim validate``)
imports no model.
"""

from __future__ import annotations

from ..spec.scenario import Scenario

__all__ = ["aggregate_unsupported"]


def aggregate_unsupported(scenario: Scenario) -> str | None:
    """Why the aggregate path cannot simulate this scenario (None if it can)."""
    pain = scenario.pain
    if scenario.design.kind == "crossover":
        return "design.kind = 'crossover' runs on the per-patient path"
    if pain.bounded:
        return "pain.bounded = true (clipped, rounded scores need per-patient data)"
    if pain.truncated:
        return "pain.inclusion_min/max truncate the baseline (not normal)"
    if pain.is_responder:
        return f"pain.analysis = {pain.analysis!r} needs per-patient responder status"
    if any(q > 0 for q in scenario.dropout.after_ae.values()):
        return "dropout.after_ae ties withdrawal to adverse events, patient by patient"
    if scenario.dropout.mechanism in ("mar", "mnar"):
        return f"dropout.mechanism = {scenario.dropout.mechanism!r} depends on each patient"
    if pain.unblinding_ae is not None:
        return "pain.unblinding_ae shifts the pain of patients with the event"
    if scenario.analysis.estimand != "hypothetical":
        return f"analysis.estimand = {scenario.analysis.estimand!r} needs per-patient data"
    return None
