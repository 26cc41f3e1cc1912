"""Simulate a scenario: its trials, and the result with its Monte Carlo error.

Reproducibility rule: the chunk layout depends only on the number of trials,
the scenario and its memory budget, never on the number of workers; chunk
``i`` always draws from child ``i`` of ``SeedSequence(seed)``; chunk results
are combined in chunk order. So a seed gives the same numbers on 1 worker, 2,
or any joblib backend.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import joblib
import numpy as np

from ..analysis.estimates import decide
from ..analysis.multiplicity import adjusted_decisions
from ..analysis.power import harm_detection_probability
from ..analysis.twosample import log_risk_ratio
from ..engine.dispatch import FULL_DATA, PathName, choose_path, simulate_sizes
from ..engine.layout import chunk_layout
from ..engine.sample import TrialSample
from ..errors import ScenarioError
from ..models.aggregate import AGGREGATE_BYTES_PER_TRIAL
from ..models.estimand_truth import estimand_truth
from ..models.parameters import TrialParameters, assurance_ceiling, has_prior
from ..models.patient import patient_bytes_per_trial
from ..models.truth import true_crossover_effect
from ..planning.closed import (
    AnalyticPower,
    analytic_assurance,
    analytic_power,
    comparison_powers,
    completion_probabilities,
)
from ..planning.resolve import (
    ResolveResult,
    centre_prior,
    closed_forms,
    conclusive,
    existing_evidence,
)
from ..planning.results import (
    AdverseEventResult,
    MonteCarloProbability,
    SimulationResult,
)
from ..spec.scenario import Scenario
from ..spec.variants import (
    at_n,
    first_period_equivalent,
    has_dropout,
    without_dropout,
    without_unblinding,
)

__all__ = ["simulate", "simulate_grid", "ProgressCallback"]

ProgressCallback = Callable[[int, int], None]


@dataclass(slots=True)
class _Tally:
    """Sufficient counts of one chunk, summed across chunks in chunk order."""

    n: int = 0
    reject: int = 0
    reject_benefit: int = 0
    valid: int = 0
    covered: int = 0
    sum_est: float = 0.0
    sum_est2: float = 0.0
    completers: np.ndarray = field(default_factory=lambda: np.zeros(0))
    harm: dict[str, int] = field(default_factory=dict)
    events: dict[str, np.ndarray] = field(default_factory=dict)
    assurance: int = 0
    harm_assurance: dict[str, int] = field(default_factory=dict)
    conclusive: dict[str, dict[str, int]] = field(default_factory=dict)
    reject_no_dropout: int = 0
    sum_est_blind: float = 0.0
    valid_blind: int = 0
    arm_reject: np.ndarray | None = None
    arm_benefit: np.ndarray | None = None
    arm_harm: dict[str, np.ndarray] = field(default_factory=dict)
    pids: set[int] = field(default_factory=set)

    def add(self, other: _Tally) -> None:
        self.n += other.n
        self.reject += other.reject
        self.reject_benefit += other.reject_benefit
        self.valid += other.valid
        self.covered += other.covered
        self.sum_est += other.sum_est
        self.sum_est2 += other.sum_est2
        self.completers = other.completers if self.completers.size == 0 else (
            self.completers + other.completers)
        for k, v in other.harm.items():
            self.harm[k] = self.harm.get(k, 0) + v
            self.events[k] = self.events[k] + other.events[k] if k in self.events else other.events[k]
        self.assurance += other.assurance
        self.reject_no_dropout += other.reject_no_dropout
        self.sum_est_blind += other.sum_est_blind
        self.valid_blind += other.valid_blind
        if other.arm_reject is not None:
            self.arm_reject = (other.arm_reject if self.arm_reject is None
                               else self.arm_reject + other.arm_reject)
            self.arm_benefit = (other.arm_benefit if self.arm_benefit is None
                                else self.arm_benefit + other.arm_benefit)
        for k, v in other.arm_harm.items():
            self.arm_harm[k] = self.arm_harm[k] + v if k in self.arm_harm else v
        for k, v in other.harm_assurance.items():
            self.harm_assurance[k] = self.harm_assurance.get(k, 0) + v
        for rule, counts in other.conclusive.items():
            mine = self.conclusive.setdefault(rule, {})
            for direction, c in counts.items():
                mine[direction] = mine.get(direction, 0) + c
        self.pids |= other.pids


def _harm_detected(scenario: Scenario, sample: TrialSample,
                   sizes: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Per AE, the trials whose log-risk-ratio test rejects in the harm direction."""
    return {name: harm[-1] for name, harm in _harm_by_arm(scenario, sample, sizes).items()}


def _harm_by_arm(scenario: Scenario, sample: TrialSample,
                 sizes: tuple[int, ...]) -> dict[str, list[np.ndarray]]:
    """Per AE, harm detected for each active arm against the reference."""
    spec = scenario.analysis
    n = sample.ae_exposed if sample.ae_exposed is not None else sizes
    return {name: [decide(log_risk_ratio(counts[j], n[j], counts[0], n[0]), alpha=spec.alpha,
                          sided=spec.sided, benefit_sign=1).reject_benefit
                   for j in range(1, len(counts))]
            for name, counts in sample.ae_counts.items()}


def _decide_primary(scenario: Scenario, sample: TrialSample):
    spec = scenario.analysis
    benefit_sign = 1 if scenario.pain.is_responder else -1
    return decide(sample.primary, alpha=spec.alpha, sided=spec.sided, benefit_sign=benefit_sign)


def _tally(scenario: Scenario, sample: TrialSample, truth: float,
           sizes: tuple[int, ...]) -> _Tally:
    primary = sample.primary
    dec = _decide_primary(scenario, sample)
    valid = primary.valid
    est = primary.estimate[valid]
    tally = _Tally(
        n=len(valid),
        reject=int(dec.reject.sum()),
        reject_benefit=int(dec.reject_benefit.sum()),
        valid=int(valid.sum()),
        covered=int(((dec.ci_low <= truth) & (truth <= dec.ci_high)).sum()),
        sum_est=float(est.sum()),
        sum_est2=float(np.dot(est, est)),
        completers=np.array([float(c.sum()) for c in sample.completers]),
        pids={os.getpid()},
    )
    for name, harm in _harm_by_arm(scenario, sample, sizes).items():
        tally.harm[name] = int(harm[-1].sum())
        tally.events[name] = np.array([float(c.sum()) for c in sample.ae_counts[name]])
        if sample.comparisons is not None:
            tally.arm_harm[name] = np.array([int(h.sum()) for h in harm])
    if sample.comparisons is not None:
        spec = scenario.analysis
        benefit_sign = 1 if scenario.pain.is_responder else -1
        reject, benefit = adjusted_decisions(
            sample.comparisons, method=spec.multiplicity, alpha=spec.alpha, sided=spec.sided,
            benefit_sign=benefit_sign, n_reference=sizes[0], n_active=sizes[1:])
        tally.arm_reject = reject.sum(axis=1)
        tally.arm_benefit = benefit.sum(axis=1)
        tally.reject = int(reject.any(axis=0).sum())  # power: any comparison rejects
        tally.reject_benefit = int(benefit.any(axis=0).sum())  # P(any dose succeeds)
    return tally


def _run_chunk(scenario: Scenario, path: str, n_sims: int, seed: np.random.SeedSequence,
               truth: float, grid: list[tuple[int, ...]], extras: bool = True) -> list[_Tally]:
    """Simulate one chunk at every grid size; one tally per grid point.

    ``extras`` adds the comparison runs a report needs (without unblinding,
    without dropout); searches leave them out.
    """
    samples = simulate_sizes(scenario, n_sims, np.random.default_rng(seed), path, grid)
    tallies = [_tally(scenario, sample, truth, sizes) for sample, sizes in zip(samples, grid)]
    if has_prior(scenario):
        # Assurance: the same trials (the same data stream: common random
        # numbers), each with its own true parameters drawn from the prior on
        # a stream of its own.
        prior_seed = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key + (1,))
        params = TrialParameters.draw(scenario, n_sims, np.random.default_rng(prior_seed))
        drawn = simulate_sizes(scenario, n_sims, np.random.default_rng(seed), path, grid, params)
        for tally, sample, sizes in zip(tallies, drawn, grid):
            tally.assurance = int(_decide_primary(scenario, sample).reject_benefit.sum())
            tally.harm_assurance = {k: int(v.sum())
                                    for k, v in _harm_detected(scenario, sample, sizes).items()}
    if scenario.meta_analysis is not None:
        _resolve_chunk(scenario, path, n_sims, seed, grid, tallies)
    if extras and scenario.pain.unblinding_ae is not None:
        # The same trials without the expectancy shift: how much of the
        # estimate the unblinding explains.
        blind = without_unblinding(scenario)
        # the same module and draws as the unblinded run: paired trial by trial
        for tally, sample in zip(tallies, simulate_sizes(
                blind, n_sims, np.random.default_rng(seed), FULL_DATA, grid)):
            est = sample.primary.estimate
            tally.sum_est_blind = float(np.nansum(est))
            tally.valid_blind = int(np.isfinite(est).sum())
    if extras and has_dropout(scenario):
        # The same trials' seed with nobody withdrawn: the power the dropout
        # costs (the draws pair up only where the two share their structure).
        complete = without_dropout(scenario)
        full = simulate_sizes(complete, n_sims, np.random.default_rng(seed),
                              choose_path(complete, "auto") if path == "aggregate" else path, grid)
        for tally, sample in zip(tallies, full):
            tally.reject_no_dropout = int(_decide_primary(scenario, sample).reject.sum())
    return tallies


def _resolve_chunk(scenario: Scenario, path: str, n_sims: int, seed: np.random.SeedSequence,
                   grid: list[tuple[int, ...]], tallies: list[_Tally]) -> None:
    """Add k new trials to the existing meta-analysis in each simulated future.

    Each future draws its centre effect (the scenario's, or one from its
    prior) and each new trial its own true effect around it (tau^2), on a
    stream of its own; the trials' data come from the same engine.
    """
    k = scenario.meta_analysis.new_trials
    rng = np.random.default_rng(
        np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key + (2,)))
    prior = centre_prior(scenario.pain)
    centre = (np.full(n_sims, scenario.pain.effect) if prior is None
              else prior.sample(rng, n_sims))
    tau = math.sqrt(existing_evidence(scenario).tau2)
    theta = centre[:, None] + tau * rng.standard_normal((n_sims, k))
    params = TrialParameters(effect=theta.ravel(),
                             active_risk=TrialParameters.fixed(scenario).active_risk)
    samples = simulate_sizes(scenario, n_sims * k, rng, path, grid, params)
    for tally, sample in zip(tallies, samples):
        est = sample.primary.estimate.reshape(n_sims, k)
        se = sample.primary.se.reshape(n_sims, k)
        flags = conclusive(scenario, est, se)
        tally.conclusive = {
            rule: {"any": int(np.logical_or.reduce(list(by.values())).sum()),
                   **{d: int(f.sum()) for d, f in by.items()}}
            for rule, by in flags.items()}


def simulate(
    scenario: Scenario,
    *,
    n_sims: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    path: PathName = "auto",
    progress: ProgressCallback | None = None,
) -> SimulationResult:
    """Simulate many trials of a scenario and summarise their operating characteristics.

    Parameters
    ----------
    scenario : Scenario
    n_sims : int, optional
        Number of trials; default ``scenario.simulation.n_sims``.
    seed : int, optional
        Root seed; default ``scenario.seed``.
    n_jobs : int
        joblib workers (loky processes); the result does not depend on it.
    path : {"auto", "aggregate", "patient"}
        Data path; ``auto`` picks the aggregate path when it is exact.
    progress : callable, optional
        Called as ``progress(trials_done, trials_total)`` after each chunk.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> from simulator import Scenario, simulate
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 100},
    ...                         "pain": {"effect": -1.0, "analysis": "followup"}})
    >>> r = simulate(s, n_sims=20_000, seed=1)
    >>> abs(r.power.value - r.analytic_power) < 4 * r.power.se
    True
    """
    return simulate_grid(scenario, None, n_sims=n_sims, seed=seed, n_jobs=n_jobs, path=path,
                         progress=progress)[0]


def simulate_grid(
    scenario: Scenario,
    n_per_arm: Sequence[int] | None,
    *,
    n_sims: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    path: PathName = "auto",
    progress: ProgressCallback | None = None,
    closed_forms: bool = True,
    chunk_size: int | None = None,
) -> list[SimulationResult]:
    """Simulate a scenario at several sample sizes on common random numbers.

    Every trial is simulated once at the largest ``n_per_arm``; each smaller
    size analyses the first patients of the same trial. Differences between
    sizes are therefore not Monte Carlo noise, and the whole grid costs about
    one evaluation at its largest size.

    Parameters
    ----------
    scenario : Scenario
    n_per_arm : sequence of int or None
        Sizes of the reference arm (other arms follow the allocation); None
        means the scenario's own ``design.n_per_arm``.
    n_sims, seed, n_jobs, path, progress
        As in :func:`simulate`.
    closed_forms : bool
        Compute the closed-form power and assurance at each size, and the
        comparison runs of a report (power without dropout, the estimate
        without unblinding); searches switch them off.
    chunk_size : int, optional
        Force the chunk size instead of deriving it from the memory budget,
        so that several scenarios share the same random streams chunk by
        chunk (a sweep's common random numbers).

    Returns
    -------
    list of SimulationResult
        One per size, in increasing order of size.
    """
    first_period = (scenario.design.kind == "crossover"
                    and scenario.design.crossover_analysis == "first-period")
    scenario = first_period_equivalent(scenario)
    n_sims = scenario.simulation.n_sims if n_sims is None else int(n_sims)
    if n_sims < 1:
        raise ScenarioError(f"n_sims = {n_sims}: must be an integer >= 1")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ScenarioError(f"n_jobs = {n_jobs!r}: must be a non-zero integer (-1 = all cores)")
    seed = scenario.seed if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ScenarioError(f"seed = {seed!r}: must be an integer >= 0")
    sizes_n = [scenario.design.n_per_arm] if n_per_arm is None else sorted(set(n_per_arm))
    points = [at_n(scenario, n) for n in sizes_n]
    largest = points[-1]
    chosen = choose_path(largest, path)
    grid = [p.design.group_sizes for p in points]
    root = np.random.SeedSequence(seed)
    per_trial = (AGGREGATE_BYTES_PER_TRIAL * len(grid) if chosen == "aggregate"
                 else patient_bytes_per_trial(largest))
    if scenario.meta_analysis is not None:  # k new trials per future
        per_trial *= scenario.meta_analysis.new_trials
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ScenarioError(f"chunk_size = {chunk_size!r}: must be an integer >= 1")
        full, rest = divmod(n_sims, chunk_size)
        chunks = [chunk_size] * full + ([rest] if rest else [])
    else:
        chunks = chunk_layout(n_sims, per_trial, scenario.simulation.chunk_mb)
    streams = root.spawn(len(chunks))
    truth, truth_se = ((true_crossover_effect(scenario.pain, scenario.design.period_effect), 0.0)
                       if scenario.design.kind == "crossover" else estimand_truth(scenario))

    totals = [_Tally() for _ in grid]
    jobs = (joblib.delayed(_run_chunk)(largest, chosen, k, s, truth, grid, closed_forms)
            for k, s in zip(chunks, streams))
    runner = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
    for tallies in runner(jobs):
        for total, tally in zip(totals, tallies):
            total.add(tally)
        if progress is not None:
            progress(totals[0].n, n_sims)
    return [_summarise(p, chosen, root, t, truth, closed_forms, truth_se, first_period)
            for p, t in zip(points, totals)]


def _summarise(scenario: Scenario, path: str, root: np.random.SeedSequence, t: _Tally,
               truth: float, closed_forms: bool = True, truth_se: float = 0.0,
               first_period: bool = False) -> SimulationResult:
    n = t.n
    mean = t.sum_est / t.valid if t.valid else float("nan")
    var = (t.sum_est2 - t.valid * mean * mean) / (t.valid - 1) if t.valid > 1 else float("nan")
    sizes = scenario.design.group_sizes
    spec = scenario.analysis
    events = {}
    exposures = sizes
    if scenario.design.kind == "crossover":
        # Treatment periods: period 1 of one sequence, period 2 of the other's
        # completers (exact without dropout; at the expected exposures otherwise).
        keep = completion_probabilities(scenario)
        exposures = tuple(int(round(sizes[t] + sizes[1 - t] * keep[1 - t])) for t in (0, 1))
    for ae in scenario.adverse_events:
        exact = harm_detection_probability(ae.placebo_risk, ae.active_risk, exposures[0],
                                           exposures[1], alpha=spec.alpha, sided=spec.sided) \
            if closed_forms else None
        events[ae.name] = AdverseEventResult(
            name=ae.name, placebo_risk=ae.placebo_risk, risk_ratio=ae.risk_ratio,
            p_harm_detected=MonteCarloProbability.from_counts(t.harm[ae.name], n),
            analytic_p_harm_detected=exact,
            mean_events=tuple(float(v) / n for v in t.events[ae.name]),
            harm_assurance=(MonteCarloProbability.from_counts(t.harm_assurance[ae.name], n)
                            if ae.risk_ratio_prior != "fixed" else None),
        )
    closed = analytic_power(scenario) if closed_forms else AnalyticPower(
        value=None, method="not computed", exact=False)
    pain_prior = scenario.pain.effect_prior != "fixed"
    return SimulationResult(
        scenario_name=scenario.name,
        arms=scenario.design.arms,
        group_sizes=sizes,
        n_sims=n,
        design=scenario.design.kind if not first_period else "crossover-first-period",
        path=path,
        analysis=scenario.pain.analysis,
        alpha=spec.alpha,
        sided=spec.sided,
        seed_entropy=int(root.entropy),
        power=MonteCarloProbability.from_counts(t.reject, n),
        power_benefit=MonteCarloProbability.from_counts(t.reject_benefit, n),
        analytic_power=closed.value,
        analytic_method=closed.method,
        analytic_exact=closed.exact,
        true_effect=truth,
        mean_estimate=mean,
        mean_estimate_se=float(np.sqrt(max(var, 0.0) / t.valid)) if t.valid > 1 else float("nan"),
        ci_coverage=(MonteCarloProbability.from_counts(t.covered, t.valid) if t.valid
                     else None),
        mean_completers=tuple(float(c) / n for c in t.completers),
        n_not_analysable=n - t.valid,
        adverse_events=events,
        effect_prior=scenario.pain.effect_prior,
        assurance=MonteCarloProbability.from_counts(t.assurance, n) if pain_prior else None,
        assurance_ceiling=assurance_ceiling(scenario.pain),
        analytic_assurance=analytic_assurance(scenario) if pain_prior and closed_forms else None,
        evidence=tuple(_evidence_summary(e) for e in scenario.evidence_used()),
        estimand=scenario.analysis.estimand,
        true_effect_se=truth_se,
        power_no_dropout=(MonteCarloProbability.from_counts(t.reject_no_dropout, n)
                          if has_dropout(scenario) and closed_forms else None),
        notes=_notes(scenario),
        per_comparison=_per_comparison(scenario, t, closed_forms),
        unblinding_bias=(mean - t.sum_est_blind / t.valid_blind
                         if scenario.pain.unblinding_ae is not None and t.valid_blind
                         and closed_forms else None),
        resolve=_resolve_result(scenario, t, closed_forms_too=closed_forms),
        worker_processes=len(t.pids),
    )


def _evidence_summary(entry) -> dict:
    return {"key": entry.key, "estimate": entry.estimate, "se": entry.se, "tag": entry.tag,
            "tags": list(entry.tags), "weak": entry.weak, "study": entry.study,
            "source": entry.source}


def _resolve_result(scenario: Scenario, t: _Tally, closed_forms_too: bool) -> ResolveResult | None:
    spec = scenario.meta_analysis
    if spec is None:
        return None
    n = t.n
    prob = MonteCarloProbability.from_counts
    return ResolveResult(
        rules=spec.rules,
        p_conclusive={r: prob(t.conclusive[r]["any"], n) for r in spec.rules},
        by_direction={r: {d: prob(c, n) for d, c in t.conclusive[r].items() if d != "any"}
                      for r in spec.rules},
        new_trials=spec.new_trials,
        existing=existing_evidence(scenario),
        closed=closed_forms(scenario) if closed_forms_too else None,
    )


def _notes(scenario: Scenario) -> tuple[str, ...]:
    """Warnings a reader of the result needs."""
    notes = []
    if scenario.dropout.mechanism == "mnar" and scenario.dropout.rate > 0:
        notes.append("dropout depends on the outcome (mnar): no analysis of the observed data "
                     "is unbiased for the hypothetical estimand; complete-case results are "
                     "biased (see bias)")
    if scenario.analysis.estimand == "treatment-policy-bocf":
        notes.append("baseline observation carried forward breaks the analysis model's "
                     "equal-variance assumption; check ci_coverage")
    if scenario.design.kind == "crossover" and scenario.design.carryover != 0:
        notes.append("carry-over biases the within-patient comparison by -carryover / 2")
    return tuple(notes)


def _per_comparison(scenario: Scenario, t: _Tally, closed_forms: bool) -> dict | None:
    """Multi-arm: each active arm's adjusted rejections, successes and harms."""
    if t.arm_reject is None:
        return None
    closed = comparison_powers(scenario) if closed_forms else None
    out = {}
    for j, arm in enumerate(scenario.design.arms[1:]):
        out[arm] = {
            **MonteCarloProbability.from_counts(int(t.arm_reject[j]), t.n).to_dict("power"),
            **MonteCarloProbability.from_counts(int(t.arm_benefit[j]), t.n).to_dict(
                "power_benefit"),
            "analytic_power": None if closed is None else closed[j],
            "effect": scenario.pain.effect_of(j + 1),
            "p_harm_detected": {k: int(v[j]) / t.n for k, v in t.arm_harm.items()},
        }
    return out
