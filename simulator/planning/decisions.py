"""The primary test's decisions on a chunk's analysed trials, and the harm tests."""

from __future__ import annotations

import numpy as np

from ..analysis.estimates import Decisions, decide
from ..analysis.multiplicity import adjusted_decisions
from ..analysis.twosample import log_risk_ratio
from ..engine.sample import TrialSample
from ..spec.scenario import Scenario

__all__ = ["benefit_sign", "decide_primary", "adjusted", "harm_by_arm"]


def benefit_sign(scenario: Scenario) -> int:
    """+1 where a larger estimate favours the drug (responders), -1 for pain scores."""
    return 1 if scenario.pain.is_responder else -1


def decide_primary(scenario: Scenario, sample: TrialSample) -> Decisions:
    """The primary analysis' test at the scenario's alpha (the last arm's, multi-arm)."""
    spec = scenario.analysis
    return decide(sample.primary, alpha=spec.alpha, sided=spec.sided,
                  benefit_sign=benefit_sign(scenario))


def adjusted(scenario: Scenario, sample: TrialSample, sizes: tuple[int, ...]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Multi-arm: multiplicity-adjusted rejections, (comparisons, trials) arrays."""
    spec = scenario.analysis
    return adjusted_decisions(sample.comparisons, method=spec.multiplicity, alpha=spec.alpha,
                              sided=spec.sided, benefit_sign=benefit_sign(scenario),
                              n_reference=sizes[0], n_active=sizes[1:])


def harm_by_arm(scenario: Scenario, sample: TrialSample, sizes: tuple[int, ...]
                ) -> dict[str, list[np.ndarray]]:
    """Per AE, harm detected for each active arm against the reference.

    The log-risk-ratio test at the primary test's alpha and sidedness, in the
    harm direction; exposures are the arm sizes, or a crossover's periods.
    """
    spec = scenario.analysis
    n = sample.ae_exposed if sample.ae_exposed is not None else sizes
    return {name: [decide(log_risk_ratio(counts[j], n[j], counts[0], n[0]), alpha=spec.alpha,
                          sided=spec.sided, benefit_sign=1).reject_benefit
                   for j in range(1, len(counts))]
            for name, counts in sample.ae_counts.items()}
