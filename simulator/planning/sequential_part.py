"""The ``sequential`` part of a result: a trial with interim analyses, as run."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..mc import MonteCarloMean, MonteCarloProbability, finite, mean_dict, probability_dict
from .closed_sequential import SequentialClosedForm

__all__ = ["SequentialPart", "estimates_part"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SequentialPart:
    """The operating characteristics of a trial with interim analyses.

    Attributes
    ----------
    looks : tuple of tuple of int
        Patients per arm analysed at each look.
    critical_values, futility_bounds : tuple of float
        The design's bounds on the z scale (futility: one a look before the
        last; ``-inf`` where none).
    efficacy, benefit, futility : tuple of MonteCarloProbability
        P(stop at each look) for efficacy (either direction), in the benefit
        direction, and for futility (the last look's is 0).
    reject_ignoring_futility : MonteCarloProbability
        P(an efficacy bound is crossed at some look) if futility stops are
        ignored: the type I error the non-binding bounds are built for.
    expected_n : MonteCarloMean
        Patients analysed at stopping, all arms.
    max_n : int
    estimate_at_stop : MonteCarloMean
        The estimate of the look at which each trial stopped (its bias is
        the group-sequential selection bias).
    bias_at_stop : MonteCarloMean
        ``estimate_at_stop`` less the true effect.
    median_unbiased, median_unbiased_bias : MonteCarloMean or None
        The median-unbiased estimate at stopping (stage-wise ordering,
        :mod:`simulator.analysis.sequential_estimates`) and its mean less the
        true effect. None on a run that did not compute it.
    final_ci_coverage : MonteCarloProbability or None
        P(the final confidence interval, stage-wise ordering, covers the true
        effect): a ``1 - 2 alpha / sided`` interval (95 % for a one-sided
        alpha of 0.025), among the trials analysable at the look they
        stopped. None on a run that did not compute it.
    final_ci_width : MonteCarloMean or None
        Its mean width (the effect's units).
    naive_ci_coverage_at_stop : MonteCarloProbability or None
        The same for the fixed-design interval of the look at which each
        trial stopped (estimate -+ the t quantile times its SE), which
        ignores the stopping rule.
    conditional_power_design, conditional_power_trend : tuple of MonteCarloMean
        Per interim look, the mean conditional power of the trials that go on
        past it, under the design's drift and under the current trend (empty
        when not computed).
    power_fixed : MonteCarloProbability
        Power of a fixed design of the maximum n on the same trials.
    harm_at_stop : dict of str to MonteCarloProbability
        Per adverse event, P(harm detected) with the patients of the look at
        which the trial stopped (the adverse-event table's is at the maximum n).
    closed_form : SequentialClosedForm or None
        None when the run computes no closed forms (``closed_forms=False``).
    """

    looks: tuple[tuple[int, ...], ...]
    critical_values: tuple[float, ...]
    futility_bounds: tuple[float, ...]
    efficacy: tuple[MonteCarloProbability, ...]
    benefit: tuple[MonteCarloProbability, ...]
    futility: tuple[MonteCarloProbability, ...]
    reject_ignoring_futility: MonteCarloProbability
    expected_n: MonteCarloMean
    max_n: int
    estimate_at_stop: MonteCarloMean
    bias_at_stop: MonteCarloMean
    median_unbiased: MonteCarloMean | None
    median_unbiased_bias: MonteCarloMean | None
    final_ci_coverage: MonteCarloProbability | None
    final_ci_width: MonteCarloMean | None
    naive_ci_coverage_at_stop: MonteCarloProbability | None
    conditional_power_design: tuple[MonteCarloMean, ...]
    conditional_power_trend: tuple[MonteCarloMean, ...]
    power_fixed: MonteCarloProbability
    harm_at_stop: dict[str, MonteCarloProbability]
    closed_form: SequentialClosedForm | None

    def to_dict(self) -> dict[str, Any]:
        cf = self.closed_form
        return {"sequential": {
            "looks": [list(s) for s in self.looks],
            "critical_values": [b if np.isfinite(b) else None for b in self.critical_values],
            "futility_bounds": [None if not np.isfinite(b) else b for b in self.futility_bounds],
            "p_stop_efficacy": [p.value for p in self.efficacy],
            "p_stop_efficacy_se": [p.se for p in self.efficacy],
            "p_stop_benefit": [p.value for p in self.benefit],
            "p_stop_futility": [p.value for p in self.futility],
            "p_stop_futility_se": [p.se for p in self.futility],
            **self.reject_ignoring_futility.to_dict("reject_ignoring_futility"),
            **self.expected_n.to_dict("expected_n"),
            "max_n": self.max_n,
            **mean_dict("estimate_at_stop", self.estimate_at_stop),
            **mean_dict("bias_at_stop", self.bias_at_stop),
            **mean_dict("median_unbiased", self.median_unbiased),
            **mean_dict("median_unbiased_bias", self.median_unbiased_bias),
            **probability_dict("final_ci_coverage", self.final_ci_coverage),
            **mean_dict("final_ci_width", self.final_ci_width),
            **probability_dict("naive_ci_coverage_at_stop", self.naive_ci_coverage_at_stop),
            "conditional_power_design": [finite(m.value) for m in self.conditional_power_design],
            "conditional_power_design_se": [finite(m.se) for m in self.conditional_power_design],
            "conditional_power_trend": [finite(m.value) for m in self.conditional_power_trend],
            "conditional_power_trend_se": [finite(m.se) for m in self.conditional_power_trend],
            **self.power_fixed.to_dict("power_fixed"),
            "p_harm_detected_at_stop": {k: p.value for k, p in self.harm_at_stop.items()},
            "analytic": None if cf is None else {
                "power": cf.power, "power_benefit": cf.power_benefit,
                "p_stop_efficacy": list(cf.efficacy), "p_stop_futility": list(cf.futility),
                "expected_n": cf.expected_n, "theta": cf.theta, "method": cf.method},
        }}


def _share(count: int, n: int) -> MonteCarloProbability | None:
    """``count`` of ``n`` trials; None when no trial counts."""
    return MonteCarloProbability.from_counts(int(count), int(n)) if n else None


def _shifted(m: MonteCarloMean, truth: float, truth_se: float) -> MonteCarloMean:
    """``m`` less a true value (itself known to ``truth_se``)."""
    return MonteCarloMean(value=m.value - truth, se=math.sqrt(m.se ** 2 + truth_se ** 2), n=m.n)


def estimates_part(c: dict[str, Any], truth: float, truth_se: float) -> dict[str, Any]:
    """The part's estimate fields from the collector's sums."""
    at_stop = MonteCarloMean.from_sums(c["seq_est"], c["seq_est2"], c["seq_valid"])
    out: dict[str, Any] = {"estimate_at_stop": at_stop,
                           "bias_at_stop": _shifted(at_stop, truth, truth_se),
                           "median_unbiased": None, "median_unbiased_bias": None,
                           "final_ci_coverage": None, "final_ci_width": None,
                           "naive_ci_coverage_at_stop": None,
                           "conditional_power_design": (), "conditional_power_trend": ()}
    if "seq_mue" not in c:
        return out
    mue = MonteCarloMean.from_sums(c["seq_mue"], c["seq_mue2"], c["seq_mue_valid"])
    n = [int(x) for x in c["seq_cp_n"]]
    valid = c["seq_mue_valid"]
    out.update(median_unbiased=mue, median_unbiased_bias=_shifted(mue, truth, truth_se),
               final_ci_coverage=_share(c["seq_fci_covered"], valid),
               final_ci_width=MonteCarloMean.from_sums(c["seq_fci_width"], c["seq_fci_width2"],
                                                       valid),
               naive_ci_coverage_at_stop=_share(c["seq_naive_covered"], c["seq_valid"]),
               conditional_power_design=tuple(MonteCarloMean.from_sums(a, b, m) for a, b, m in
                                              zip(c["seq_cp_design"], c["seq_cp_design2"], n)),
               conditional_power_trend=tuple(MonteCarloMean.from_sums(a, b, m) for a, b, m in
                                             zip(c["seq_cp_trend"], c["seq_cp_trend2"], n)))
    return out
