"""Resolve the review: would the next trial(s) make the meta-analysis conclusive?

With a ``[meta_analysis]`` table this feature adds the ``futures`` pass. Each
simulated future draws, on a stream of its own, a centre effect (the
scenario's, or one from its prior) and ``k`` new trials with their own true
effects around it, ``centre + tau z_j`` (random effects); the trials' data
come from the same engine, and the update of the existing evidence is counted
conclusive per rule and direction (see :mod:`simulator.planning.review`).
Asked for (``Plan.trial_prefixes``), the update by each future's first ``k``
new trials is judged too, for every ``k`` below ``new_trials``: the first
``k`` of ``K`` independent trials are ``k`` independent trials, so one pass
gives the curves for 1 .. K new trials. The closed forms are in
:mod:`simulator.planning.resolve_closed`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..engine.kernel import ChunkContext, Pass
from ..engine.sample import TrialSample
from ..mc import MonteCarloProbability
from ..models.parameters import TrialParameters
from ..spec import MetaSpec, Scenario
from ..spec.schema import evolve
from .closed import expected_completers
from .plan import Plan, Point
from .resolve_closed import ResolveClosedForms, closed_forms
from .review import Existing, centre, existing_evidence, required_information
from .review_binary import binary_estimates, binary_event
from .review_rules import assess
from .review_tau2 import tau2_distribution
from .review_tsa import TSAPlan, tsa_plan

__all__ = ["DrawFutures", "ConclusiveCollector", "Resolve", "ResolveResult"]


@dataclass(frozen=True, slots=True)
class DrawFutures:
    """Per future, a centre effect and the true effects of its ``k`` new trials."""

    scenario: Scenario

    def __call__(self, rng: np.random.Generator, n: int) -> TrialParameters:
        s = self.scenario
        k = s.meta_analysis.new_trials
        point, prior = centre(s)
        middle = np.full(n, point) if prior is None else prior.sample(rng, n)
        z = rng.standard_normal((n, k))
        dist = tau2_distribution(s)
        tau2 = None if dist is None else dist.draw(_tau2_stream(rng), n)
        tau = math.sqrt(existing_evidence(s).tau2) if tau2 is None else np.sqrt(tau2)[:, None]
        theta = (middle[:, None] + tau * z).ravel()
        fixed = TrialParameters.fixed(s)
        if not s.meta_analysis.binary:
            return TrialParameters(effect=theta, active_risk=fixed.active_risk, tau2=tau2)
        ae = binary_event(s)  # true log risk ratios: each trial's active risk
        risks = {**fixed.active_risk, ae.name: np.minimum(ae.placebo_risk * np.exp(theta), 1.0)}
        return TrialParameters(effect=fixed.effect, active_risk=risks, tau2=tau2)


def _tau2_stream(rng: np.random.Generator) -> np.random.Generator:
    """tau^2's own stream, the child ``(..., 0)`` of the futures stream's key.

    It consumes nothing of the futures stream, so the futures with tau^2
    drawn share their centres, z's and trial data with the held ones.
    """
    seq = rng.bit_generator.seed_seq
    return np.random.default_rng(np.random.SeedSequence(seq.entropy,
                                                        spawn_key=(*seq.spawn_key, 0)))


@dataclass(frozen=True, slots=True)
class ConclusiveCollector:
    """Futures whose updated meta-analysis is conclusive, per rule and direction.

    ``prefixes``: the scenario with ``new_trials = k`` for each ``k`` whose
    update by the futures' first ``k`` trials is counted too, under keys
    ``"k/..."``.
    """

    scenario: Scenario
    prefixes: tuple[Scenario, ...] = ()

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        k = self.scenario.meta_analysis.new_trials
        if self.scenario.meta_analysis.binary:
            flat_est, flat_se = binary_estimates(self.scenario, sample, chunk.sizes)
        else:
            flat_est, flat_se = sample.primary.estimate, sample.primary.se
        est, se = flat_est.reshape(chunk.n_sims, k), flat_se.reshape(chunk.n_sims, k)
        tau2 = None if chunk.params is None else chunk.params.tau2
        out = _conclusive_counts(self.scenario, est, se, tau2)
        for s in self.prefixes:
            j = s.meta_analysis.new_trials
            out.update({f"{j}/{key}": value for key, value in
                        _conclusive_counts(s, est[:, :j], se[:, :j], tau2).items()})
        return out


def _conclusive_counts(scenario: Scenario, est: np.ndarray, se: np.ndarray,
                       tau2: np.ndarray | None) -> dict[str, Any]:
    """The counts of one update of every future by its new trials ``est``, ``se``."""
    out = {}
    rules, extra = assess(scenario, est, se, tau2)
    for rule, by in rules.items():
        out[f"{rule}:any"] = int(np.logical_or.reduce(list(by.values())).sum())
        out.update({f"{rule}:{d}": int(f.sum()) for d, f in by.items()})
    for key in ("not-rated-down", "crosses-threshold", "crosses-both", "below-ois"):
        out[f"grade:{key}"] = int(extra[key].sum())
    low, high = extra["pi-low"], extra["pi-high"]  # the update's prediction interval
    finite = np.isfinite(low) & np.isfinite(high)
    out.update({"pi:finite": int(finite.sum()), "pi:low": float(low[finite].sum()),
                "pi:high": float(high[finite].sum()),
                "pi:excludes-0": int(((high < 0) | (low > 0))[finite].sum())})
    if "tsa-ci-low" in extra:  # the TSA-adjusted CI of the last look, where finite
        low, high = extra["tsa-ci-low"], extra["tsa-ci-high"]
        finite = np.isfinite(low) & np.isfinite(high)
        out.update({"tsa-ci:finite": int(finite.sum()), "tsa-ci:low": float(low[finite].sum()),
                    "tsa-ci:high": float(high[finite].sum())})
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveResult:
    """How often the updated meta-analysis becomes conclusive.

    Attributes
    ----------
    rules : tuple of str
        The rules, the first being the headline.
    p_conclusive : dict of str to MonteCarloProbability
        Per rule, P(conclusive in any direction).
    by_direction : dict of str to dict of str to MonteCarloProbability
        Per rule and direction (see :data:`DIRECTIONS`).
    new_trials : int
    existing : Existing
    closed : ResolveClosedForms or None
        None when closed forms were not asked for (inside the solver).
    grade : dict of str to MonteCarloProbability
        GRADE imprecision of the update: ``not-rated-down`` (the CI includes
        neither MCID threshold and the total information reaches the optimal
        information size), ``crosses-threshold``, ``crosses-both`` and
        ``below-ois`` (see :func:`simulator.planning.review.grade_imprecision`).
    ois : float
        The optimal information size (inverse-variance units), I*.
    prediction : tuple of float or None
        The mean over futures of the updated meta-analysis's prediction
        interval (where it is finite; see :meth:`simulator.planning.review.Update.prediction`).
    p_prediction_excludes_0 : MonteCarloProbability
        P(the updated prediction interval excludes 0), among the futures
        where it is finite.
    tau2_prior : str
        ``meta_analysis.tau2_prior``: ``fixed``, or where each future's tau^2
        was drawn from.
    spec : MetaSpec or None
        The ``[meta_analysis]`` table the result is for.
    tsa : TSAPlan or None
        With the ``tsa`` rule: the planned trial sequential analysis.
    tsa_adjusted_ci : tuple of float or None
        With the ``tsa`` rule: the mean TSA-adjusted CI of the last look, over
        the futures where it is finite (``None`` when it is nowhere finite).
    by_trials : dict of int to ResolveResult or None
        With ``Plan.trial_prefixes``: the result for the first ``k`` new trials
        of the same futures, for each ``k`` below ``new_trials`` (not in
        :meth:`to_dict`).
    """

    rules: tuple[str, ...]
    p_conclusive: dict[str, MonteCarloProbability]
    by_direction: dict[str, dict[str, MonteCarloProbability]]
    new_trials: int
    existing: Existing
    closed: ResolveClosedForms | None
    grade: dict[str, MonteCarloProbability]
    ois: float
    prediction: tuple[float, float] | None = None
    p_prediction_excludes_0: MonteCarloProbability | None = None
    tau2_prior: str = "fixed"
    spec: MetaSpec | None = None
    tsa: TSAPlan | None = None
    tsa_adjusted_ci: tuple[float, float] | None = None
    by_trials: dict[int, ResolveResult] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Flat keys for the headline rule, then every rule in detail."""
        head = self.rules[0]
        out: dict[str, Any] = {
            "rule": head,
            **self.p_conclusive[head].to_dict("p_conclusive"),
        }
        for direction, p in self.by_direction[head].items():
            out[f"p_conclusive_{direction.replace('-', '_')}"] = p.value
            out[f"p_conclusive_{direction.replace('-', '_')}_se"] = p.se
        if self.closed is not None:
            out.update(self.closed.to_dict())
        out["new_trials"] = self.new_trials
        ex = self.existing
        out["existing"] = {"estimate": ex.estimate, "se": ex.se, "tau2": ex.tau2, "i2": ex.i2,
                           "k": ex.k}
        for key in ("tau2_ci", "prediction"):
            if getattr(ex, key) is not None:
                out["existing"][key] = list(getattr(ex, key))
        spec = self.spec
        if spec is not None and spec.studies is None:  # how the review analysed its summary
            out["existing"].update(ci_method=ex.ci_method, ci_studies=spec.ci_studies,
                                   tau2_method=spec.tau2_method,
                                   information_ratio=ex.information_ratio)
        out["rules"] = {rule: {**self.p_conclusive[rule].to_dict("p_conclusive"),
                               "by_direction": {d: p.value for d, p in
                                                self.by_direction[rule].items()}}
                        for rule in self.rules}
        if self.tsa is not None:
            out["tsa"] = {**self.tsa.to_dict(), "adjusted_ci_mean": (
                None if self.tsa_adjusted_ci is None else list(self.tsa_adjusted_ci))}
        out["tau2_prior"] = self.tau2_prior
        out["prediction_interval_mean"] = (None if self.prediction is None
                                           else list(self.prediction))
        if self.p_prediction_excludes_0 is not None:
            out.update(self.p_prediction_excludes_0.to_dict("p_prediction_excludes_0"))
        out["grade_imprecision"] = {
            "ois": self.ois,
            **{k: v for key, p in self.grade.items()
               for k, v in p.to_dict(f"p_{key.replace('-', '_')}").items()}}
        return out


class Resolve:
    """P(the updated meta-analysis is conclusive) by rule (the ``futures`` pass)."""

    def passes(self, plan: Plan) -> list[Pass]:
        s = plan.scenario
        if s.meta_analysis is None:
            return []
        prefixes = () if not plan.trial_prefixes else tuple(
            evolve(s, {"meta_analysis.new_trials": k})
            for k in range(1, s.meta_analysis.new_trials))
        return [Pass(name="futures", scenario=s, path=plan.path, stream="futures",
                     collectors=(ConclusiveCollector(s, prefixes),), params=DrawFutures(s),
                     trials_per_sim=s.meta_analysis.new_trials)]

    def collectors(self, plan: Plan) -> dict:
        return {}

    def summarise(self, point: Point) -> dict[str, Any]:
        scenario, spec = point.scenario, point.scenario.meta_analysis
        if spec is None:
            return {"resolve": None}
        counts = point.counts["futures"]
        result = _result(scenario, counts, point)
        if point.plan.trial_prefixes and spec.new_trials > 1:
            by_trials = {k: _result(evolve(scenario, {"meta_analysis.new_trials": k}),
                                    {key.partition("/")[2]: c for key, c in counts.items()
                                     if key.startswith(f"{k}/")}, point)
                         for k in range(1, spec.new_trials)}
            result = replace(result, by_trials=by_trials)
        return {"resolve": result, "notes": _notes(scenario, counts, result)}


def _notes(scenario: Scenario, counts: dict[str, Any], result: ResolveResult
           ) -> tuple[str, ...]:
    """Why a part of the resolve result is null (JSON never holds NaN)."""
    closed, notes = result.closed, ()
    if closed is not None and closed.conditional_power is None \
            and min(expected_completers(scenario)) <= 0:
        notes = ("resolve conditional_power and plateau are null: no patient is expected "
                 "to complete in an arm of the new trial",)
    return notes + _null_notes(counts, scenario.meta_analysis) + _part_notes(closed, result.tsa)


def _result(scenario: Scenario, counts: dict[str, Any], point: Point) -> ResolveResult:
    """The result of the update by ``scenario.meta_analysis.new_trials`` trials."""
    spec, n = scenario.meta_analysis, point.n_sims
    prob = MonteCarloProbability.from_counts
    by_direction = {r: {key.partition(":")[2]: prob(c, n) for key, c in counts.items()
                        if key.startswith(f"{r}:") and key != f"{r}:any"}
                    for r in spec.rules}
    return ResolveResult(
        rules=spec.rules, p_conclusive={r: prob(counts[f"{r}:any"], n) for r in spec.rules},
        by_direction=by_direction, new_trials=spec.new_trials,
        existing=existing_evidence(scenario),
        closed=closed_forms(scenario) if point.plan.closed_forms else None,
        grade={key.partition(":")[2]: prob(c, n) for key, c in counts.items()
               if key.startswith("grade:")},
        ois=required_information(spec, scenario.pain, scenario.analysis.alpha),
        tau2_prior=spec.tau2_prior, spec=spec, **_prediction_parts(counts),
        **_tsa_parts(scenario, counts))


def _prediction_parts(counts: dict[str, Any]) -> dict[str, Any]:
    finite = counts["pi:finite"]
    if finite == 0:
        return {}
    return {"prediction": (counts["pi:low"] / finite, counts["pi:high"] / finite),
            "p_prediction_excludes_0": MonteCarloProbability.from_counts(
                counts["pi:excludes-0"], finite)}


def _null_notes(counts: dict[str, Any], spec: MetaSpec) -> tuple[str, ...]:
    """Why a mean over futures is null: it was nowhere finite."""
    out = []
    if counts["pi:finite"] == 0:
        out.append("prediction_interval_mean and p_prediction_excludes_0 are null: the "
                   "updated prediction interval was finite in no simulated future")
    if "tsa" in spec.rules and counts["tsa-ci:finite"] == 0:
        out.append("the TSA-adjusted CI (tsa.adjusted_ci_mean) is null: it was finite in no "
                   "simulated future")
    return tuple(out)


def _part_notes(closed: ResolveClosedForms | None, tsa: TSAPlan | None) -> tuple[str, ...]:
    """The closed forms' and the TSA plan's reasons for a null."""
    return ((() if closed is None else closed.notes())
            + (() if tsa is None else tuple(f"tsa: {n}" for n in tsa.notes())))


def _tsa_parts(scenario: Scenario, counts: dict[str, Any]) -> dict[str, Any]:
    if "tsa" not in scenario.meta_analysis.rules:
        return {}
    finite = counts["tsa-ci:finite"]
    ci = (None if finite == 0 else
          (counts["tsa-ci:low"] / finite, counts["tsa-ci:high"] / finite))
    return {"tsa": tsa_plan(scenario), "tsa_adjusted_ci": ci}
