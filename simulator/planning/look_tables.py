"""What the interim collector reads off per trial: stage-wise estimates and intervals,
conditional power.

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
from ..analysis.sequential_estimates import (ConditionalPowerTable, StagewiseTable,
                                              conditional_power_table, stagewise_table)
from ..engine.sample import TrialSample
from ..spec.interim import InterimSpec, sequential_design
from ..spec.scenario import Scenario

__all__ = ["LookTables", "look_tables", "read_off", "StagewiseAtStop", "stagewise_at_stop",
           "conditional_power_sums"]


@dataclass(frozen=True, slots=True, eq=False)
class LookTables:
    """What the collector reads off per trial: stage-wise estimates and intervals,
    conditional power.

    Compared (and hashed) by identity: one per design, cached.
    """

    stagewise: StagewiseTable
    power: ConditionalPowerTable


@lru_cache(maxsize=16)
def _tables(interim: InterimSpec, alpha: float, sided: int) -> LookTables:
    design = sequential_design(interim, alpha, sided)
    return LookTables(stagewise=stagewise_table(design), power=conditional_power_table(design))


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


@lru_cache(maxsize=256)
def _slopes_on_t(tables: LookTables, look: int, df: float, what: str
                 ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_on_t`'s values and each step's slope (the last 0): a trial's value is
    its grid point's plus its fraction of the step (two 1-d gathers, no subtraction)."""
    values = _on_t(tables, look, df, what)[2]
    slopes = np.zeros_like(values)
    slopes[:-1] = np.diff(values)
    return values, slopes


def _lookup(tables: LookTables, look: int, z: np.ndarray, what: str) -> np.ndarray:
    if what in ("median", "lower", "upper"):
        return tables.stagewise.lookup(look, z, what)
    return tables.power.lookup(look, z)[0 if what == "design" else 1]


def _grid_position(t: np.ndarray, t0: float, step: float) -> np.ndarray:
    """Each t's position on the even grid, ``(t - t0) / step`` within [0, points - 1)
    (two in-place ufuncs: ``np.clip`` costs more than the arithmetic here)."""
    u = t - t0
    u /= step
    np.maximum(u, 0.0, out=u)
    return np.minimum(u, _T_POINTS - 1.000001, out=u)


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
    """Each of ``what`` (median, lower, upper, design, trend) at ``look`` for trials ``at``,
    from their t.

    A trial's z is its t statistic's p-value as a normal quantile (benefit
    positive). With one df for every trial of the look, the values are read
    off an even grid of t (exact z beyond it); else z is computed trial by
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
    u = _grid_position(t, t0, step)
    i = u.astype(np.intp)
    u -= i
    # off the grid (z below -5 or above 8): each trial's z, and the table's extrapolation
    off = np.flatnonzero((t < t0) | (t > t0 + step * (_T_POINTS - 1)))
    out = []
    for w in what:
        values, slopes = _slopes_on_t(tables, look, df, w)
        v = values[i]
        v += u * slopes[i]
        if off.size:
            v[off] = _lookup(tables, look, z_of_t(t[off], df), w)
        out.append(v)
    return out


@dataclass(frozen=True, slots=True)
class StagewiseAtStop:
    """Each trial's stage-wise estimate and final interval at the look it stopped (effects).

    NaN where the trial could not be analysed at that look.
    """

    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def stagewise_at_stop(samples: list[TrialSample], stop_at: np.ndarray, sign: int,
                      tables: LookTables) -> StagewiseAtStop:
    """Each trial's median-unbiased estimate and final ``1 - 2a`` interval (stage-wise
    ordering, ``a`` the table's ``alpha_side``) at the look it stopped.

    At the first look, the estimate itself and the estimate -+ ``z_{1-a}``
    standard errors (as rpact); later, the table's values of the mean of ``Z``
    at the trial's ``z``, times its standard error, in the effect's direction
    (with benefit negative, the interval's ends swap).
    """
    first = samples[0].primary
    est = np.array(first.estimate, float)
    half = float(special.ndtri(1.0 - tables.stagewise.alpha_side)) * np.asarray(first.se, float)
    out = StagewiseAtStop(median=est, lower=est - half, upper=est + half)
    for j in range(1, len(samples)):
        at = np.flatnonzero(stop_at == j)
        if at.size == 0:
            continue
        look = samples[j].primary
        valid = np.asarray(look.valid)[at]
        if not valid.all():  # a trial not analysable at its last look has no estimate
            for a in (out.median, out.lower, out.upper):
                a[at[~valid]] = np.nan
            at = at[valid]
        mu, low, high = read_off(tables, samples[j], at, sign, j, ("median", "lower", "upper"))
        se = sign * np.asarray(look.se, float)[at]
        out.median[at] = mu * se
        out.lower[at], out.upper[at] = (low * se, high * se) if sign > 0 else (high * se,
                                                                                low * se)
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
    u = _grid_position(t, t0, step)
    i = u.astype(np.intp)
    u -= i
    weights = np.bincount(i, 1.0 - u, _T_POINTS + 1)
    weights[1:] += np.bincount(i, u, _T_POINTS)  # below the grid: the first point
    weights = weights[:_T_POINTS]
    return (float(at.size), float(weights @ design), float(weights @ (design * design)),
            float(weights @ trend), float(weights @ (trend * trend)))
