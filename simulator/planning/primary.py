"""The primary analysis: power, the estimate, its bias and the interval's coverage.

This feature defines the run's ``main`` pass (the scenario's own trials) and
counts, per grid size: rejections (in either direction and in the benefit
direction; for a multi-arm trial, of any comparison after the multiplicity
adjustment, and of each), analysable trials, intervals covering the truth,
the sum and sum of squares of the estimates, and completers per arm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.kernel import ChunkContext, Pass
from ..engine.sample import TrialSample
from ..mc import MonteCarloMean, MonteCarloProbability, finite
from ..spec.scenario import Scenario
from .closed import AnalyticPower, analytic_power, too_few_completers
from .decisions import adjusted, decide_primary
from .plan import Plan, Point

__all__ = ["PrimaryCollector", "PrimaryGridCollector", "Primary"]


@dataclass(frozen=True, slots=True)
class PrimaryCollector:
    """Counts of the primary test, the estimate and the completers."""

    scenario: Scenario
    truth: float

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        primary = sample.primary
        dec = decide_primary(self.scenario, sample)
        valid = primary.valid
        est = primary.estimate if valid.all() else primary.estimate[valid]
        out = {
            "n": len(valid),
            "reject": int(dec.reject.sum()),
            "reject_benefit": int(dec.reject_benefit.sum()),
            "valid": int(valid.sum()),
            "covered": int(((dec.ci_low <= self.truth) & (self.truth <= dec.ci_high)).sum()),
            "sum_est": float(est.sum()),
            "sum_est2": float(np.dot(est, est)),
            "completers": np.array([float(c.sum()) for c in sample.completers]),
        }
        if sample.comparisons is not None:
            reject, benefit = adjusted(self.scenario, sample, chunk.sizes)
            out.update(arm_reject=reject.sum(axis=1), arm_benefit=benefit.sum(axis=1),
                       reject=int(reject.any(axis=0).sum()),  # power: any comparison rejects
                       reject_benefit=int(benefit.any(axis=0).sum()))  # P(any dose succeeds)
        return out


@dataclass(frozen=True, slots=True)
class PrimaryGridCollector(PrimaryCollector):
    """:class:`PrimaryCollector` that also counts every size of a curve at once (two arms)."""

    def grid(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        """The same counts from (sizes, trials) arrays, one value per size."""
        primary = sample.primary
        dec = decide_primary(self.scenario, sample)
        valid = primary.valid
        sizes, trials = valid.shape
        every = bool(valid.all())
        est = primary.estimate if every else np.where(valid, primary.estimate, 0.0)
        covered = (dec.ci_low <= self.truth) & (self.truth <= dec.ci_high)
        return {
            "n": np.full(sizes, trials),
            "reject": dec.reject.sum(axis=-1), "reject_benefit": dec.reject_benefit.sum(axis=-1),
            "valid": np.full(sizes, trials) if every else valid.sum(axis=-1),
            "covered": covered.sum(axis=-1),
            "sum_est": est.sum(axis=-1), "sum_est2": (est * est).sum(axis=-1),
            "completers": np.stack([c.sum(axis=-1) for c in sample.completers], axis=-1)
            .astype(float),
        }


def estimate_summary(point: Point) -> tuple[float | None, float | None]:
    """Mean of the analysable trials' estimates, and its Monte Carlo SE.

    None for the mean without an analysable trial, and for the SE with fewer
    than two.
    """
    valid, total, squares = (point.main(k) for k in ("valid", "sum_est", "sum_est2"))
    m = MonteCarloMean.from_sums(total, squares, valid)
    return finite(m.value), finite(m.se)


def estimate_notes(valid: int, n_sims: int) -> tuple[str, ...]:
    """Why the estimate's summaries are null, when they are."""
    if valid == 0:
        return (f"mean_estimate, mean_estimate_se, bias and ci_coverage are null: none of the "
                f"{n_sims:,} trials could be analysed (too few patients with a primary "
                "outcome)",)
    if valid == 1:
        return ("mean_estimate_se is null: only one trial could be analysed",)
    return ()


class Primary:
    """Power, the estimate and its coverage (the ``main`` pass)."""

    def passes(self, plan: Plan) -> list[Pass]:
        kind = PrimaryCollector if plan.scenario.design.kind == "multiarm" \
            else PrimaryGridCollector
        collector = kind(scenario=plan.scenario, truth=plan.truth)
        return [Pass(name="main", scenario=plan.scenario, path=plan.path,
                     collectors=(collector,))]

    def collectors(self, plan: Plan) -> dict:
        return {}

    def summarise(self, point: Point) -> dict[str, Any]:
        n, valid = point.n_sims, point.main("valid")
        mean, mean_se = estimate_summary(point)
        closed = analytic_power(point.scenario) if point.plan.closed_forms else AnalyticPower(
            value=None, method="not computed", exact=False)
        notes = estimate_notes(valid, n)
        if point.plan.closed_forms and closed.value is None \
                and point.scenario.design.kind != "multiarm" \
                and (why := too_few_completers(point.scenario)):
            notes += (f"analytic_power is null: {why}",)
        prob = MonteCarloProbability.from_counts
        return dict(
            power=prob(point.main("reject"), n),
            power_benefit=prob(point.main("reject_benefit"), n),
            analytic_power=closed.value, analytic_method=closed.method,
            analytic_exact=closed.exact,
            true_effect=point.plan.truth, true_effect_se=point.plan.truth_se,
            mean_estimate=mean, mean_estimate_se=mean_se,
            ci_coverage=prob(point.main("covered"), valid) if valid else None,
            mean_completers=tuple(float(c) / n for c in point.main("completers")),
            n_not_analysable=n - valid,
            estimand=point.scenario.analysis.estimand,
            notes=notes,
        )
