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
(:class:`~simulator.planning.sequential_part.SequentialPart`) holds the
stopping probabilities per look, the expected n, the estimate at stopping
and its bias, the median-unbiased estimate (stage-wise ordering) and its
bias, the mean conditional power at each interim look of the trials that go
on (under the design's drift and the current trend; read per trial off the
tables of :mod:`simulator.planning.look_tables`), the power a fixed design of
the maximum n would have, and the closed forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._lazy import special
from ..analysis.estimates import half_width, z_of_t
from ..analysis.sequential import SequentialDesign
from ..engine.kernel import ChunkContext
from ..engine.looks import look_sizes
from ..engine.sample import TrialSample
from ..mc import MonteCarloMean, MonteCarloProbability
from ..spec.scenario import Scenario
from .closed_sequential import closed_form_undefined, design_of, sequential_closed_form
from .decisions import benefit_sign, harm_by_arm
from .look_tables import LookTables, conditional_power_sums, look_tables, stagewise_at_stop
from .plan import Plan, Point
from .sequential_part import SequentialPart, estimates_part

__all__ = ["SequentialCollector", "SequentialReject", "SequentialPart", "Sequential", "look_z",
           "t_bound", "look_tables", "stagewise_at_stop"]


def look_z(sample: TrialSample, sign: int) -> np.ndarray:
    """Each trial's z at one look: its t statistic at the same p-value, benefit positive.

    Trials that cannot be analysed get NaN (they cross no bound).
    """
    est = sample.primary
    z = z_of_t(sign * np.asarray(est.statistic, float), np.asarray(est.df, float))
    return np.where(est.valid, z, np.nan)


def t_bound(df: np.ndarray, z: float) -> np.ndarray:
    """Per trial, the t statistic at the same p-value as ``z`` (``df`` inf: ``z`` itself).

    The t quantile is computed once per distinct df: one number when every
    trial has the same df, a table over the range when the df are whole
    numbers (Student's t), else once per distinct value. So comparing t with
    it costs what comparing z with ``z`` would. ``df`` NaN counts as inf.

    Examples
    --------
    >>> t_bound(np.array([10.0, np.inf, 10.0]), 1.96).round(4).tolist()
    [2.2282, 1.96, 2.2282]
    >>> t_bound(np.array([10.0, 12.0, 10.0]), 1.96).round(4).tolist()
    [2.2282, 2.1789, 2.2282]
    """
    df = np.asarray(df, float)
    if not np.isfinite(z):
        return np.broadcast_to(float(z), df.shape)
    p = special.ndtr(-z)
    if df.ndim == 1 and df.size and df.strides[0] == 0:  # one df broadcast over the trials
        lo = hi = df[0]
    else:
        lo, hi = (df.min(), df.max()) if df.size else (np.inf, np.inf)
    if lo == hi:
        return np.broadcast_to(float(z) if np.isinf(lo) else -float(special.stdtrit(lo, p)),
                               df.shape)
    if np.isfinite(lo) and np.isfinite(hi) and hi - lo < 1e6:
        whole = df.astype(np.int64)
        if np.array_equal(whole, df):
            table = -special.stdtrit(np.arange(lo, hi + 1.0), p)
            return table[whole - int(lo)]
    df = np.where(np.isnan(df), np.inf, df)
    values, inverse = np.unique(df, return_inverse=True)
    finite = np.isfinite(values)
    out = np.full(values.shape, float(z))
    out[finite] = -special.stdtrit(values[finite], p)
    return out[inverse.reshape(df.shape)]


@dataclass(frozen=True, slots=True)
class SequentialCollector:
    """Trial-by-trial stopping at the design's boundaries, counted per look.

    With ``tables`` it also sums each trial's stage-wise estimate, counts the
    trials whose final interval (and whose fixed-design interval at the look
    they stopped) covers ``truth``, and sums the conditional power at each
    interim look.
    """

    scenario: Scenario
    design: SequentialDesign
    tables: LookTables | None = None
    truth: float = 0.0
    per_look = True

    def __call__(self, samples: list[TrialSample], chunk: ChunkContext) -> dict[str, Any]:
        d, sign = self.design, benefit_sign(self.scenario)
        k = len(samples)
        n = len(samples[0].primary.estimate)
        active = np.ones(n, bool)
        stop_at = np.zeros(n, np.int64)  # looks passed before stopping
        efficacy, benefit, futility = np.zeros(k), np.zeros(k), np.zeros(k)
        crossed_ever = np.zeros(n, bool)  # efficacy at any look, futility ignored
        going = []  # per interim look, the trials that go on past it
        for j, sample in enumerate(samples):
            est = sample.primary
            t = np.where(est.valid, sign * np.asarray(est.statistic, float), np.nan)
            df = est.df  # an invalid trial's t is NaN: its bound does not matter
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
            active &= ~stop
            if j < k - 1:
                stop_at += active
                going.append(active.copy())
        totals = np.array([sum(s) for s in chunk.looks], float)[stop_at]
        est = np.array(samples[-1].primary.estimate, float)  # np.choose is slower
        stops = [stop_at == j for j in range(k - 1)]
        for j in range(k - 1):
            np.copyto(est, samples[j].primary.estimate, where=stops[j])
        valid = np.isfinite(est)
        extra = {} if self.tables is None else self._estimates(samples, stop_at, stops, est,
                                                               going, sign)
        if self.scenario.adverse_events:
            harms = [harm_by_arm(self.scenario, s, sizes)
                     for s, sizes in zip(samples, chunk.looks)]
            extra.update({f"seq_harm_{name}": int(np.choose(stop_at, [h[name][0] for h in harms]
                                                                     ).sum())
                                 for name in harms[0]})
        return {**extra,
            "seq_efficacy": efficacy, "seq_benefit": benefit, "seq_futility": futility,
            "seq_reject_ignoring_futility": int(crossed_ever.sum()),
            # sums of squares by einsum, not np.dot: BLAS threads on a busy machine
            # cost more than the whole collector
            "seq_n": float(totals.sum()), "seq_n2": float(np.einsum("i,i->", totals, totals)),
            "seq_est": float(est[valid].sum()),
            "seq_est2": float(np.einsum("i,i->", est[valid], est[valid])),
            "seq_valid": int(valid.sum()),
        }


    def _estimates(self, samples: list[TrialSample], stop_at: np.ndarray,
                   stops: list[np.ndarray], est: np.ndarray, going: list[np.ndarray],
                   sign: int) -> dict[str, Any]:
        """Sums of the stage-wise estimates, the intervals' coverage and width, and each
        look's conditional power (``stops``: the trials stopping at each interim look;
        ``est``: each trial's estimate at stopping)."""
        stage = stagewise_at_stop(samples, stop_at, sign, self.tables)
        ok = np.isfinite(stage.median)
        if ok.all():  # every trial analysable at its stop (the usual case): no copies
            mue, low, high = stage.median, stage.lower, stage.upper
        else:
            mue, low, high = stage.median[ok], stage.lower[ok], stage.upper[ok]
        width = high - low
        out: dict[str, Any] = {
            "seq_mue": float(mue.sum()),
            "seq_mue2": float(np.einsum("i,i->", mue, mue)),
            "seq_mue_valid": mue.size,
            "seq_fci_covered": int(((low <= self.truth) & (self.truth <= high)).sum()),
            "seq_fci_width": float(width.sum()),
            "seq_fci_width2": float(np.einsum("i,i->", width, width)),
            "seq_naive_covered": self._naive_covered(samples, stops, est)}
        sums = np.array([conditional_power_sums(samples[j], g, j, sign, self.tables)
                         for j, g in enumerate(going)]).reshape(len(going), 5)
        out.update(seq_cp_n=sums[:, 0], seq_cp_design=sums[:, 1], seq_cp_design2=sums[:, 2],
                   seq_cp_trend=sums[:, 3], seq_cp_trend2=sums[:, 4])
        return out

    def _naive_covered(self, samples: list[TrialSample], stops: list[np.ndarray],
                       est: np.ndarray) -> int:
        """Trials whose fixed-design interval at the look they stopped (the primary
        analysis' interval there, :func:`~simulator.analysis.estimates.half_width`) covers
        the truth; an unanalysable trial's estimate is NaN and covers nothing."""
        d = self.design

        def half(sample: TrialSample) -> np.ndarray:
            return np.asarray(half_width(sample.primary, alpha=d.alpha, sided=d.sided), float)

        width = half(samples[-1])
        for j, where in enumerate(stops):
            np.copyto(width, half(samples[j]), where=where)
        return int((np.abs(est - self.truth) <= width).sum())


@dataclass(frozen=True, slots=True)
class SequentialReject:
    """Rejections of the sequential trial (``reject``), for a comparison run."""

    scenario: Scenario
    design: SequentialDesign
    per_look = True

    def __call__(self, samples: list[TrialSample], chunk: ChunkContext) -> dict[str, Any]:
        counts = SequentialCollector(self.scenario, self.design)(samples, chunk)
        return {"reject": int(counts["seq_efficacy"].sum())}

class Sequential:
    """The ``sequential`` part (scenarios with ``[interim]``)."""

    def passes(self, plan: Plan) -> list:
        return []

    def collectors(self, plan: Plan) -> dict:
        if plan.scenario.interim is None:
            return {}
        design = design_of(plan.scenario)
        collect = SequentialCollector(plan.scenario, design, look_tables(plan.scenario),
                                      truth=plan.truth)
        return {"main": [collect], "prior": [SequentialCollector(plan.scenario, design)]}

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
            **estimates_part(c, point.plan.truth, point.plan.truth_se),
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
        names = ("estimate_at_stop, median_unbiased, final_ci_width (with their SEs), "
                 "final_ci_coverage and naive_ci_coverage_at_stop are" if valid == 0 else
                 "the SEs of estimate_at_stop, median_unbiased and final_ci_width are")
        out.append(f"sequential {names} null: "
                   + ("no trial" if valid == 0 else "only one trial")
                   + " could be analysed at the look where it stopped")
    why = closed_form_undefined(scenario)
    if closed_forms and why is not None:
        out.append(f"the sequential closed form (analytic) is null: {why}")
    return tuple(out)
