"""Adverse events: how often each trial detects the harm, and its exact value.

Counts, on the ``main`` pass, the trials whose log-risk-ratio test detects
the harm of each adverse event (the last active arm against the reference,
and each arm of a multi-arm trial) and the events per arm; on the ``prior``
pass (when a risk ratio has a prior), the same detection averaged over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis.power import harm_detection_probability
from ..engine.kernel import ChunkContext
from ..engine.sample import TrialSample
from ..mc import MonteCarloProbability
from ..spec.scenario import Scenario
from .closed import completion_probabilities
from .decisions import harm_by_arm
from .plan import Plan, Point
from .results import AdverseEventResult

__all__ = ["HarmCollector", "HarmGridCollector", "HarmAssuranceCollector", "Harms"]


@dataclass(frozen=True, slots=True)
class HarmCollector:
    """Harm detected and events, per adverse event."""

    scenario: Scenario

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, harm in harm_by_arm(self.scenario, sample, chunk.sizes).items():
            out[f"harm:{name}"] = int(harm[-1].sum())
            out[f"events:{name}"] = np.array([float(c.sum()) for c in sample.ae_counts[name]])
            if sample.comparisons is not None:
                out[f"arm_harm:{name}"] = np.array([int(h.sum()) for h in harm])
        return out


@dataclass(frozen=True, slots=True)
class HarmGridCollector(HarmCollector):
    """:class:`HarmCollector` that also counts every size of a curve at once (two arms)."""

    def grid(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        """The same counts from (sizes, trials) arrays, one value per size."""
        exposed = tuple(np.array([g[j] for g in chunk.grid], float)[:, None]
                        for j in range(len(chunk.grid[0])))
        out: dict[str, Any] = {}
        for name, harm in harm_by_arm(self.scenario, sample, exposed).items():
            out[f"harm:{name}"] = harm[-1].sum(axis=-1)
            out[f"events:{name}"] = np.stack([c.sum(axis=-1) for c in sample.ae_counts[name]],
                                             axis=-1).astype(float)
        return out


@dataclass(frozen=True, slots=True)
class HarmAssuranceCollector:
    """Harm detected with the risk ratios drawn from their priors."""

    scenario: Scenario

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        return {f"harm_assurance:{name}": int(harm[-1].sum())
                for name, harm in harm_by_arm(self.scenario, sample, chunk.sizes).items()}


def exposures(scenario: Scenario) -> tuple[int, ...]:
    """Patients exposed per treatment: the arm sizes, or a crossover's periods.

    A crossover exposes period 1 of one sequence and period 2 of the other's
    completers (exact without dropout; the expected exposures otherwise).
    """
    sizes = scenario.design.group_sizes
    if scenario.design.kind != "crossover":
        return sizes
    keep = completion_probabilities(scenario)
    return tuple(int(round(sizes[t] + sizes[1 - t] * keep[1 - t])) for t in (0, 1))


class Harms:
    """P(harm detected) per adverse event, with its exact value beside it."""

    def passes(self, plan: Plan) -> list:
        return []

    def collectors(self, plan: Plan) -> dict[str, list]:
        if not plan.scenario.adverse_events:
            return {}
        kind = HarmGridCollector if plan.scenario.design.kind == "parallel" else HarmCollector
        return {"main": [kind(plan.scenario)],
                "prior": [HarmAssuranceCollector(plan.scenario)]}

    def summarise(self, point: Point) -> dict[str, Any]:
        scenario, n = point.scenario, point.n_sims
        spec = scenario.analysis
        exposed = exposures(scenario)
        events = {}
        for ae in scenario.adverse_events:
            exact = harm_detection_probability(
                ae.placebo_risk, ae.active_risk, exposed[0], exposed[1], alpha=spec.alpha,
                sided=spec.sided) if point.plan.closed_forms else None
            assurance = None
            if ae.risk_ratio_prior != "fixed":
                assurance = MonteCarloProbability.from_counts(
                    point.counts["prior"][f"harm_assurance:{ae.name}"], n)
            events[ae.name] = AdverseEventResult(
                name=ae.name, placebo_risk=ae.placebo_risk, risk_ratio=ae.risk_ratio,
                p_harm_detected=MonteCarloProbability.from_counts(
                    point.main(f"harm:{ae.name}"), n),
                analytic_p_harm_detected=exact,
                mean_events=tuple(float(v) / n for v in point.main(f"events:{ae.name}")),
                harm_assurance=assurance)
        return {"adverse_events": events}
