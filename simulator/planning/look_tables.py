"""What the interim collector reads off per trial: median-unbiased estimates, conditional power.

The tables of :mod:`simulator.analysis.sequential_estimates` are built once
per design (cached) and read per trial from its t statistic: with one df for
every trial of a look (no dropout), off an even grid of t, one product per
trial; else through each trial's z (its t statistic's p-value as a normal
quantile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._lazy import special
from ..analysis.estimates import z_of_t
from ..analysis.sequential_estimates import (ConditionalPowerTable, MedianUnbiasedTable,
                                              conditional_power_table, median_unbiased_table)
from ..engine.sample import TrialSample
from ..spec.interim import InterimSpec, sequential_design
from ..spec.scenario import Scenario

__all__ = ["LookTables", "look_tables", "read_off", "median_unbiased_at_stop",
           "conditional_power_sums"]


@dataclass(frozen=True, slots=True, eq=False)
class LookTables:
    """What the collector reads off per trial: median-unbiased estimates, conditional power.

    Compared (and hashed) by identity: one per design, cached.
    """

    median: MedianUnbiasedTable
    power: ConditionalPowerTable


@lru_cache(maxsize=16)
def _tables(interim: InterimSpec, alpha: float, sided: int) -> LookTables:
    design = sequential_design(interim, alpha, sided)
    return LookTables(median=median_unbiased_table(design), power=conditional_power_table(design))


def look_tables(scenario: Scenario) -> LookTables:
    """The scenario's tables (computed once per design)."""
    spec = scenario.analysis
    return _tables(scenario.interim, spec.alpha, spec.sided)


_T_POINTS = 1025  # a look's tables on an even grid of t: one product per trial, no search


@lru_cache(maxsize=256)
def _on_t(tables: LookTables, look: int, df: float, what: str) -> tuple[float, float, np.ndarray]:
    """A table of ``what`` at ``look`` on an even grid of t (df ``df``): (t0, step, values)."""
    t0 = -float(special.stdtrit(df, special.ndtr(5.0)))  # z = -5
    t1 = -float(special.stdtrit(df, special.ndtr(-8.0)))  # z = 8
    t = np.linspace(t0, t1, _T_POINTS)
    z = z_of_t(t, df)
    return t0, (t1 - t0) / (_T_POINTS - 1), _lookup(tables, look, z, what)


def _lookup(tables: LookTables, look: int, z: np.ndarray, what: str) -> np.ndarray:
    if what == "median":
        return tables.median.lookup(look, z)
    return tables.power.lookup(look, z)[0 if what == "design" else 1]


def _one_df(est) -> float | None:
    """The df shared by every trial of a look (None when they differ or are infinite)."""
    df = np.asarray(est.df, float)
    if df.ndim == 0 or df.strides[0] == 0:
        first = float(df.flat[0])
    elif df.size and df.min() == df.max():
        first = float(df[0])
    else:
        return None
    return first if math.isfinite(first) else None


def read_off(tables: LookTables, sample: TrialSample, at: np.ndarray, sign: int, look: int,
             what: tuple[str, ...]) -> list[np.ndarray]:
    """Each of ``what`` (median, design, trend) at ``look`` for trials ``at``, from their t.

    A trial's z is its t statistic's p-value as a normal quantile (benefit
    positive). With one df for every trial of the look, the values are read
    off an even grid of t (exact z below it); else z is computed trial by
    trial and looked up.
    """
    est = sample.primary
    t = np.asarray(est.statistic, float)[at]
    if sign < 0:
        np.negative(t, out=t)
    df = _one_df(est)
    if df is None:
        dfs = np.broadcast_to(np.asarray(est.df, float), np.shape(est.estimate))[at]
        z = z_of_t(t, dfs)
        return [_lookup(tables, look, z, w) for w in what]
    t0, step, _ = _on_t(tables, look, df, what[0])
    u = np.clip((t - t0) / step, 0.0, _T_POINTS - 1.000001)
    i = u.astype(np.intp)
    u -= i
    low = np.flatnonzero(t < t0)
    out = []
    for w in what:
        values = _on_t(tables, look, df, w)[2]
        v = values[i]
        v += u * (values[i + 1] - v)
        if low.size:
            v[low] = _lookup(tables, look, z_of_t(t[low], df), w)
        out.append(v)
    return out


def median_unbiased_at_stop(samples: list[TrialSample], stop_at: np.ndarray, sign: int,
                            tables: LookTables) -> np.ndarray:
    """Each trial's median-unbiased estimate (stage-wise ordering) at the look it stopped.

    At the first look, the estimate itself (as rpact); later, the table's
    estimate of the mean of ``Z`` at the trial's ``z``, times its standard
    error, in the effect's direction.
    """
    out = np.array(samples[0].primary.estimate, float)
    for j in range(1, len(samples)):
        at = np.flatnonzero(stop_at == j)
        if at.size == 0:
            continue
        est = samples[j].primary
        valid = np.asarray(est.valid)[at]
        if not valid.all():  # a trial not analysable at its last look has no estimate
            out[at[~valid]] = np.nan
            at = at[valid]
        mu, = read_off(tables, samples[j], at, sign, j, ("median",))
        out[at] = sign * mu * np.asarray(est.se, float)[at]
    return out


def conditional_power_sums(sample: TrialSample, going: np.ndarray, look: int, sign: int,
                           tables: LookTables) -> tuple[float, ...]:
    """Trials going on, and the sums and sums of squares of their conditional power
    (design, trend).

    With one df for the look, the trials are binned on the even grid of t
    (each trial's linear-interpolation weights added to its two grid points):
    the sums are then exactly those of the trials' interpolated values, the
    sums of squares those of the grid values (within the interpolation's
    error, which only the Monte Carlo SE sees).
    """
    at = np.flatnonzero(going & np.asarray(sample.primary.valid))
    if at.size == 0:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    df = _one_df(sample.primary)
    if df is None:
        design, trend = read_off(tables, sample, at, sign, look, ("design", "trend"))
        return (float(at.size), float(design.sum()), float(np.einsum("i,i->", design, design)),
                float(trend.sum()), float(np.einsum("i,i->", trend, trend)))
    t = sign * np.asarray(sample.primary.statistic, float)[at]
    t0, step, design = _on_t(tables, look, df, "design")
    trend = _on_t(tables, look, df, "trend")[2]
    u = np.clip((t - t0) / step, 0.0, _T_POINTS - 1.000001)
    i = u.astype(np.intp)
    u -= i
    weights = np.bincount(i, 1.0 - u, _T_POINTS + 1)
    weights[1:] += np.bincount(i, u, _T_POINTS)  # below the grid: the first point
    weights = weights[:_T_POINTS]
    return (float(at.size), float(weights @ design), float(weights @ (design * design)),
            float(weights @ trend), float(weights @ (trend * trend)))
