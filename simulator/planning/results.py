"""Result objects: frozen dataclasses that carry their Monte Carlo error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._format import pct
from .._frames import data_frame, flat_row
from ..mc import MonteCarloProbability, probability_dict

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["MonteCarloProbability", "AdverseEventResult", "SimulationResult"]


def _mc(p: MonteCarloProbability) -> str:
    return f"{pct(p.value)} (MC SE {pct(p.se, 2)}, 95 % {pct(p.ci[0])} to {pct(p.ci[1])})"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdverseEventResult:
    """How often the trial detects the harm of one adverse event.

    Attributes
    ----------
    name : str
    placebo_risk, risk_ratio : float
        The scenario's assumptions.
    p_harm_detected : MonteCarloProbability
        Proportion of trials whose log-risk-ratio test rejects in the harm
        direction (same alpha and sidedness as the primary test).
    analytic_p_harm_detected : float
        The same probability by exact enumeration of both binomial counts
        (at the expected exposures where they are random: a crossover with
        dropout).
    mean_events : tuple of float
        Mean number of patients with the event, per arm.
    harm_assurance : MonteCarloProbability or None
        The detection probability averaged over the risk-ratio prior; None
        when the risk ratio is fixed.
    """

    name: str
    placebo_risk: float
    risk_ratio: float
    p_harm_detected: MonteCarloProbability
    analytic_p_harm_detected: float | None
    mean_events: tuple[float, ...]
    harm_assurance: MonteCarloProbability | None = None

    def to_dict(self) -> dict[str, Any]:
        extra = self.harm_assurance.to_dict("harm_assurance") if self.harm_assurance else {}
        return {
            **extra,
            "placebo_risk": self.placebo_risk,
            "risk_ratio": self.risk_ratio,
            **self.p_harm_detected.to_dict("p_harm_detected"),
            "analytic_p_harm_detected": self.analytic_p_harm_detected,
            "mean_events": list(self.mean_events),
        }


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class SimulationResult:
    """Operating characteristics of one trial design, by simulation.

    Attributes
    ----------
    scenario_name : str
    arms : tuple of str
    group_sizes : tuple of int
        Patients randomised per arm (crossover: per sequence, placebo first
        then active first).
    n_sims : int
    design : {"parallel", "crossover"}
    path : {"aggregate", "patient"}
        The data path that produced the trials.
    analysis : str
        The primary analysis.
    seed_entropy : int
        Entropy of the root ``SeedSequence``; replays the run.
    power : MonteCarloProbability
        Rejections of the null in either direction (two-sided test), or in
        the benefit direction (one-sided test).
    power_benefit : MonteCarloProbability
        Rejections with the estimate in the benefit direction.
    analytic_power, analytic_method, analytic_exact
        The closed form of ``power`` (see :mod:`simulator.analytic`).
    true_effect : float
        The estimand's value under the model (active minus placebo).
    mean_estimate, mean_estimate_se : float or None
        Mean of the analysable trials' estimates and its Monte Carlo SE
        (None without an analysable trial, the SE also with only one; a note
        says so).
    ci_coverage : MonteCarloProbability or None
        Proportion of the analysable trials whose confidence interval covers
        ``true_effect`` (None when no trial could be analysed).
    mean_completers : tuple of float
        Mean number of patients with a primary outcome, per arm.
    n_not_analysable : int
        Trials too small to analyse (counted as not rejecting).
    adverse_events : dict of str to AdverseEventResult
    effect_prior : {"fixed", "pooled", "predictive"}
    assurance : MonteCarloProbability or None
        Probability of a significant benefit averaged over the prior of the
        true effect (O'Hagan, Stevens & Campbell 2005): each simulated trial
        draws its own true effect. None when the effect is fixed.
    assurance_ceiling : float or None
        Prior probability that the true effect is a benefit; assurance tends
        to it as n grows and cannot exceed it.
    analytic_assurance : float or None
        Closed-form assurance: the noncentral-t power in the benefit
        direction integrated over the normal prior (composite Gauss-Legendre),
        at the expected completers.
    evidence : tuple of dict
        The evidence entries the scenario's numbers came from, with tags.
    resolve : ResolveResult or None
        With a ``[meta_analysis]`` table: how often adding the new trial(s)
        makes the meta-analysis conclusive (see :mod:`simulator.resolve`).
    estimand : str
        How withdrawal is handled (``analysis.estimand``); ``true_effect``
        is this estimand's value.
    true_effect_se : float
        Monte Carlo error of ``true_effect`` when it comes from a very large
        simulated trial (0 for closed forms).
    power_no_dropout : MonteCarloProbability or None
        Power of the same trials with nobody withdrawn (common random
        numbers); ``power_loss_vs_no_dropout`` is its difference with
        ``power``.
    notes : tuple of str
        Warnings, e.g. that complete-case analysis is biased under
        outcome-dependent dropout, that the true effect is harm, or why a
        quantity is None (null in JSON).
    unblinding_bias : float or None
        With functional unblinding: the mean estimate minus the mean estimate
        of the same trials without the expectancy shift (NRS points): the part
        of the observed effect the unblinding explains.
    per_comparison : dict or None
        Multi-arm: per active arm, the multiplicity-adjusted ``power`` and
        ``power_benefit`` of its comparison with the reference (with SE and
        interval), its closed-form marginal power, and P(harm detected) per
        adverse event. Then ``power`` is P(any comparison rejects),
        ``power_benefit`` (also ``p_any_success``) P(at least one arm shows
        a benefit), and the estimate, bias and adverse events describe the
        last arm's comparison.
    parts : dict of str to result part
        Parts added by planning features beyond the fields above, by name
        (each with ``to_dict()``, whose keys join the result's); readable as
        attributes, e.g. ``result.relevance``.
    """

    scenario_name: str
    arms: tuple[str, ...]
    group_sizes: tuple[int, ...]
    n_sims: int
    design: str
    path: str
    analysis: str
    alpha: float
    sided: int
    seed_entropy: int
    power: MonteCarloProbability
    power_benefit: MonteCarloProbability
    analytic_power: float | None
    analytic_method: str
    analytic_exact: bool
    true_effect: float
    mean_estimate: float | None
    mean_estimate_se: float | None
    ci_coverage: MonteCarloProbability | None
    mean_completers: tuple[float, ...]
    n_not_analysable: int
    adverse_events: dict[str, AdverseEventResult]
    effect_prior: str = "fixed"
    assurance: MonteCarloProbability | None = None
    assurance_ceiling: float | None = None
    analytic_assurance: float | None = None
    evidence: tuple[dict[str, Any], ...] = ()
    resolve: Any = None
    estimand: str = "hypothetical"
    true_effect_se: float = 0.0
    power_no_dropout: MonteCarloProbability | None = None
    notes: tuple[str, ...] = ()
    unblinding_bias: float | None = None
    per_comparison: dict[str, dict[str, Any]] | None = None
    parts: dict[str, Any] = field(default_factory=dict)
    worker_processes: int = field(default=1, compare=False, repr=False)

    def __getattr__(self, name: str) -> Any:
        """A part added by a feature, as an attribute (``result.relevance``)."""
        try:
            return object.__getattribute__(self, "parts")[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} has no attribute or part "
                                 f"{name!r}") from None

    @property
    def n_per_arm(self) -> int:
        """Patients randomised to the reference arm."""
        return self.group_sizes[0]

    @property
    def interval_level(self) -> float:
        """The level of the confidence intervals that go with the test: ``1 - 2 alpha /
        sided`` (0.95 for a two-sided test at 0.05, 0.9 for a one-sided one)."""
        return 1.0 - 2.0 * self.alpha / self.sided

    def __repr__(self) -> str:
        return (f"SimulationResult(scenario={self.scenario_name!r}, n_per_arm={self.n_per_arm}, "
                f"power={self.power.value:.4f} (MC SE {self.power.se:.4f}), "
                f"n_sims={self.n_sims}, path={self.path!r}, seed={self.seed_entropy})")

    def summary(self) -> str:
        """A few lines to read: the design, power, the estimate, harms, assurance.

        Examples
        --------
        >>> from simulator import Scenario, simulate
        >>> s = Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {"effect": -1.0}})
        >>> print(simulate(s, n_sims=2000, seed=1).summary().splitlines()[0])
        unnamed: parallel, placebo 50, active 50 (100 patients); ancova, alpha 0.05 two-sided
        """
        sided = "two-sided" if self.sided == 2 else "one-sided"
        arms = ", ".join(f"{a} {n}" for a, n in zip(self.arms, self.group_sizes))
        exact = "exact" if self.analytic_exact else "approximate"
        lines = [f"{self.scenario_name}: {self.design}, {arms} ({sum(self.group_sizes)} "
                 f"patients); {self.analysis}, alpha {self.alpha:g} {sided}",
                 f"power {_mc(self.power)}; closed form {pct(self.analytic_power)} ({exact})",
                 f"power in the benefit direction {_mc(self.power_benefit)}",
                 f"mean estimate {self.mean_estimate:+.3f} (true {self.true_effect:+.3f}, "
                 f"bias {self.bias:+.3f})"]
        if self.assurance is not None:
            lines.append(f"assurance {_mc(self.assurance)}; ceiling "
                         f"{pct(self.assurance_ceiling)}")
        if self.adverse_events:
            lines.append("P(harm detected): " + ", ".join(
                f"{k} {pct(v.p_harm_detected.value)}" for k, v in self.adverse_events.items()))
        if self.resolve is not None:
            lines.append("P(review conclusive): " + ", ".join(
                f"{r} {pct(p.value)}" for r, p in self.resolve.p_conclusive.items()))
        lines.append(f"{self.n_sims:,} simulated trials on the {self.path} path, seed "
                     f"{self.seed_entropy}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row pandas DataFrame (needs pandas).

        The columns are :meth:`to_dict`'s keys, nested ones dotted
        (``adverse_events.any.p_harm_detected``), intervals split into
        ``_low`` and ``_high``; rows of many results concatenate
        (``pandas.concat([r.to_frame() for r in results])``).
        """
        return data_frame([flat_row(self.to_dict())])

    @property
    def bias(self) -> float | None:
        """Mean estimate minus the true effect (None without an analysable trial)."""
        return None if self.mean_estimate is None else self.mean_estimate - self.true_effect

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the ``trialsim run --json`` output)."""
        return {
            "scenario": self.scenario_name,
            "design": self.design,
            "arms": list(self.arms),
            "n_per_arm": self.n_per_arm,
            "group_sizes": list(self.group_sizes),
            "n_total": sum(self.group_sizes),
            "n_sims": self.n_sims,
            "path": self.path,
            "analysis": self.analysis,
            "alpha": self.alpha,
            "sided": self.sided,
            "seed_entropy": self.seed_entropy,
            **self.power.to_dict("power"),
            **self.power_benefit.to_dict("power_benefit"),
            "analytic_power": self.analytic_power,
            "analytic_method": self.analytic_method,
            "analytic_exact": self.analytic_exact,
            "estimand": self.estimand,
            "true_effect": self.true_effect,
            "true_effect_se": self.true_effect_se,
            "mean_estimate": self.mean_estimate,
            "mean_estimate_se": self.mean_estimate_se,
            "bias": self.bias,
            **probability_dict("ci_coverage", self.ci_coverage),
            "mean_completers": list(self.mean_completers),
            "n_not_analysable": self.n_not_analysable,
            "power_no_dropout": None if self.power_no_dropout is None
            else self.power_no_dropout.value,
            "power_loss_vs_no_dropout": None if self.power_no_dropout is None
            else self.power_no_dropout.value - self.power.value,
            "notes": list(self.notes),
            "unblinding_bias": self.unblinding_bias,
            **({} if self.per_comparison is None else {
                "per_comparison": self.per_comparison,
                "p_any_success": self.power_benefit.value,
                "p_any_success_se": self.power_benefit.se}),
            "unblinding_share": (None if self.unblinding_bias is None or not self.mean_estimate
                                 else self.unblinding_bias / self.mean_estimate),
            "adverse_events": {k: v.to_dict() for k, v in self.adverse_events.items()},
            "effect_prior": self.effect_prior,
            **probability_dict("assurance", self.assurance),
            "assurance_ceiling": self.assurance_ceiling,
            "analytic_assurance": self.analytic_assurance,
            "evidence": [dict(e) for e in self.evidence],
            **({} if self.resolve is None else {"resolve": self.resolve.to_dict()}),
            **{k: v for part in self.parts.values() for k, v in part.to_dict().items()},
        }
