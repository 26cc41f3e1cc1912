"""Interim analyses: every trial analysed at each look, stopped at its boundary.

With ``[interim]`` the engine analyses each trial at every look as a prefix
of its own patients (:mod:`simulator.engine.looks`). This feature's
collector takes the looks of the ``main`` pass (and of the ``prior`` pass,
for assurance) and applies the design's boundaries trial by trial: the z of a
look is its t statistic mapped to the normal at the same p-value, oriented
so that benefit is positive (the collector compares the t statistic with the
bound's t at the trial's df, which is the same); a trial stops for efficacy when z crosses the
efficacy bound (either sign, two-sided), for futility when it falls to the
futility bound, and is otherwise analysed at the last look.

The result's ``power``, ``power_benefit``, ``assurance`` and closed-form
power are then the sequential trial's; the part ``sequential``
(:class:`SequentialPart`) holds the stopping probabilities per look, the
expected n, the estimate at stopping, the power a fixed design of the
maximum n would have, and the closed forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._lazy import special
from ..analysis.sequential import SequentialDesign
from ..engine.kernel import ChunkContext
from ..engine.looks import look_sizes
from ..engine.sample import TrialSample
from ..mc import MonteCarloMean, MonteCarloProbability
from ..spec.scenario import Scenario
from .closed_sequential import (SequentialClosedForm, closed_form_undefined, design_of,
                                sequential_closed_form)
from .decisions import benefit_sign, harm_by_arm
from .plan import Plan, Point

__all__ = ["SequentialCollector", "SequentialReject", "SequentialPart", "Sequential", "look_z"]


def look_z(sample: TrialSample, sign: int) -> np.ndarray:
    """Each trial's z at one look: its t statistic at the same p-value, benefit positive.

    Trials that cannot be analysed get NaN (they cross no bound).
    """
    est = sample.primary
    t = sign * np.asarray(est.statistic, float)
    tail = special.stdtr(np.asarray(est.df, float), -np.abs(t))  # df inf: the normal
    z = np.sign(t) * -special.ndtri(tail)
    return np.where(est.valid, z, np.nan)


def t_bound(df: np.ndarray, z: float) -> np.ndarray:
    """Per trial, the t statistic at the same p-value as ``z`` (``df`` inf: ``z`` itself).

    The t quantile is computed once per distinct df (a block has few), so
    comparing t with it costs what comparing z with ``z`` would.

    Examples
    --------
    >>> t_bound(np.array([10.0, np.inf, 10.0]), 1.96).round(4).tolist()
    [2.2282, 1.96, 2.2282]
    """
    df = np.asarray(df, float)
    if not np.isfinite(z):
        return np.full(df.shape, z)
    values, inverse = np.unique(df, return_inverse=True)
    finite = np.isfinite(values)
    out = np.full(values.shape, float(z))
    out[finite] = -special.stdtrit(values[finite], special.ndtr(-z))
    return out[inverse.reshape(df.shape)]


@dataclass(frozen=True, slots=True)
class SequentialCollector:
    """Trial-by-trial stopping at the design's boundaries, counted per look."""

    scenario: Scenario
    design: SequentialDesign
    per_look = True

    def __call__(self, samples: list[TrialSample], chunk: ChunkContext) -> dict[str, Any]:
        d, sign = self.design, benefit_sign(self.scenario)
        k = len(samples)
        n = len(samples[0].primary.estimate)
        active = np.ones(n, bool)
        stop_at = np.full(n, k - 1)
        efficacy, benefit, futility = np.zeros(k), np.zeros(k), np.zeros(k)
        crossed_ever = np.zeros(n, bool)  # efficacy at any look, futility ignored
        for j, sample in enumerate(samples):
            est = sample.primary
            t = np.where(est.valid, sign * np.asarray(est.statistic, float), np.nan)
            df = np.where(est.valid, est.df, np.inf)
            bound = t_bound(df, d.critical_values[j])
            up = t >= bound
            down = (t <= -bound) if d.sided == 2 else np.zeros(n, bool)
            crossed_ever |= up | down
            stop_eff = active & (up | down)
            efficacy[j], benefit[j] = stop_eff.sum(), (active & up).sum()
            stop = stop_eff
            if d.sided == 1 and j < k - 1:
                stop_fut = active & ~up & (t <= t_bound(df, d.futility_bounds[j]))
                futility[j] = stop_fut.sum()
                stop = stop | stop_fut
            stop_at[stop & active] = j
            active &= ~stop
        totals = np.array([sum(s) for s in chunk.looks], float)[stop_at]
        est = np.choose(stop_at, [s.primary.estimate for s in samples])
        valid = np.isfinite(est)
        harm_at_stop = {}
        if self.scenario.adverse_events:
            harms = [harm_by_arm(self.scenario, s, sizes)
                     for s, sizes in zip(samples, chunk.looks)]
            harm_at_stop = {f"seq_harm_{name}": int(np.choose(stop_at, [h[name][0] for h in harms]
                                                              ).sum())
                            for name in harms[0]}
        return {**harm_at_stop,
            "seq_efficacy": efficacy, "seq_benefit": benefit, "seq_futility": futility,
            "seq_reject_ignoring_futility": int(crossed_ever.sum()),
            "seq_n": float(totals.sum()), "seq_n2": float(np.dot(totals, totals)),
            "seq_est": float(est[valid].sum()), "seq_est2": float(np.dot(est[valid], est[valid])),
            "seq_valid": int(valid.sum()),
        }


@dataclass(frozen=True, slots=True)
class SequentialReject:
    """Rejections of the sequential trial (``reject``), for a comparison run."""

    scenario: Scenario
    design: SequentialDesign
    per_look = True

    def __call__(self, samples: list[TrialSample], chunk: ChunkContext) -> dict[str, Any]:
        counts = SequentialCollector(self.scenario, self.design)(samples, chunk)
        return {"reject": int(counts["seq_efficacy"].sum())}


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
            **self.estimate_at_stop.to_dict("estimate_at_stop"),
            **self.power_fixed.to_dict("power_fixed"),
            "p_harm_detected_at_stop": {k: p.value for k, p in self.harm_at_stop.items()},
            "analytic": None if cf is None else {
                "power": cf.power, "power_benefit": cf.power_benefit,
                "p_stop_efficacy": list(cf.efficacy), "p_stop_futility": list(cf.futility),
                "expected_n": cf.expected_n, "theta": cf.theta, "method": cf.method},
        }}


class Sequential:
    """The ``sequential`` part (scenarios with ``[interim]``)."""

    def passes(self, plan: Plan) -> list:
        return []

    def collectors(self, plan: Plan) -> dict:
        if plan.scenario.interim is None:
            return {}
        collect = SequentialCollector(plan.scenario, design_of(plan.scenario))
        return {"main": [collect], "prior": [collect]}

    def summarise(self, point: Point) -> dict[str, Any]:
        s = point.scenario
        if s.interim is None:
            return {}
        c, n = point.counts["main"], point.n_sims
        prob = MonteCarloProbability.from_counts
        design = design_of(s)
        closed = sequential_closed_form(s) if point.plan.closed_forms else None
        part = SequentialPart(
            looks=tuple(look_sizes(s, s.design.n_per_arm)), critical_values=tuple(design.critical_values.tolist()),
            futility_bounds=tuple(design.futility_bounds.tolist()),
            efficacy=tuple(prob(int(x), n) for x in c["seq_efficacy"]),
            benefit=tuple(prob(int(x), n) for x in c["seq_benefit"]),
            futility=tuple(prob(int(x), n) for x in c["seq_futility"][:-1]),
            reject_ignoring_futility=prob(c["seq_reject_ignoring_futility"], n),
            expected_n=MonteCarloMean.from_sums(c["seq_n"], c["seq_n2"], n),
            max_n=sum(s.design.group_sizes),
            estimate_at_stop=MonteCarloMean.from_sums(c["seq_est"], c["seq_est2"],
                                                      c["seq_valid"]),
            power_fixed=prob(c["reject"], n),
            harm_at_stop={ae.name: prob(c[f"seq_harm_{ae.name}"], n) for ae in s.adverse_events},
            closed_form=closed)
        out: dict[str, Any] = {
            "power": prob(int(c["seq_efficacy"].sum()), n),
            "power_benefit": prob(int(c["seq_benefit"].sum()), n),
            "parts": {"sequential": part}, "notes": _notes(s, part, point.plan.closed_forms)}
        if closed is not None:
            out.update(analytic_power=closed.power, analytic_method=closed.method,
                       analytic_exact=False)
        if "prior" in point.counts and s.pain.effect_prior != "fixed":
            out["assurance"] = prob(int(point.counts["prior"]["seq_benefit"].sum()), n)
            out["analytic_assurance"] = None
        return out


def _notes(scenario: Scenario, part: SequentialPart, closed_forms: bool) -> tuple[str, ...]:
    """Why a value of the sequential part is null."""
    out = []
    valid = part.estimate_at_stop.n
    if valid < 2:
        out.append("sequential estimate_at_stop" + (" and its SE are" if valid == 0 else
                                                    "_se is") + " null: "
                   + ("no trial" if valid == 0 else "only one trial")
                   + " could be analysed at the look where it stopped")
    why = closed_form_undefined(scenario)
    if closed_forms and why is not None:
        out.append(f"the sequential closed form (analytic) is null: {why}")
    return tuple(out)
