"""The 2x2 crossover: two sequences, placebo then active (0) and active then placebo (1).

Each patient has a baseline ``X`` and two period scores. In standard units,
with ``r`` the baseline/follow-up correlation and ``rho`` the correlation of
the two period scores (``rho >= r^2``),

    Y_p = mu_p + sd * (r zx + sqrt(rho - r^2) zs + sqrt(1 - rho) z_p),

so both periods correlate ``r`` with the baseline and ``rho`` with each other.
The period means are ``baseline_mean + placebo_change``, plus ``effect`` on
active, plus ``period_effect`` in period 2, plus ``carryover`` in period 2
after active in period 1. Scores are observed as in the parallel design
(clipped and rounded when ``bounded``).

The within-patient analysis takes each complete patient's half period
difference ``(Y_1 - Y_2) / 2`` and compares the sequences with a two-sample t
test: the estimate is ``effect - carryover / 2`` (period effects cancel), with
variance ``sd^2 (1 - rho) / 2 (1/n_0 + 1/n_1)``. A patient lost before the end
of period 1 (``dropout.rate``), after it (``washout_dropout``), or withdrawn
after an adverse event in period 1 (``dropout.after_ae``) has no period
difference and is not analysed.

Adverse events are counted per treatment period: every randomised patient is
exposed in period 1, those who go on in period 2; each patient-period has the
event independently with the treatment's risk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..moments import ArmMoments, Prefix, column, prefix_of
from ..spec.scenario import Scenario
from .draw import Draw
from .outcomes import draw_baseline_z, followup_mean, observe
from .parameters import TrialParameters

__all__ = ["simulate_crossover_grid", "crossover_sd"]


def crossover_sd(scenario: Scenario) -> float:
    """SD of one patient's half period difference (NRS points)."""
    return scenario.pain.sd * math.sqrt((1.0 - scenario.design.within_correlation) / 2.0)


def simulate_crossover_grid(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                            grid: Sequence[tuple[int, ...]],
                            params: TrialParameters | None = None) -> Draw:
    """Simulate 2x2 crossover trials at several sizes (patients per sequence).

    Parameters
    ----------
    scenario : Scenario
        ``design.kind = "crossover"`` with the within-patient analysis.
    n_sims : int
    rng : numpy.random.Generator
    grid : sequence of tuple of int
        Patients per sequence at each size, non-decreasing; smaller sizes are
        the first patients of the largest (common random numbers).
    params : TrialParameters, optional
        True effect and active-period AE risks (per trial under a prior).

    Returns
    -------
    Draw
        Each sequence's half period differences of complete patients (as
        ``followup`` moments), completers, and the AE counts of each
        treatment with ``ae_exposed`` (the placebo and active periods).
    """
    params = params or TrialParameters.fixed(scenario)
    shape = (n_sims, len(grid))
    sequences, completers = [], []
    events = {ae.name: [np.zeros(shape), np.zeros(shape)] for ae in scenario.adverse_events}
    exposed = [np.zeros(shape), np.zeros(shape)]
    for seq in (0, 1):
        prefix = prefix_of(tuple(g[seq] for g in grid))
        half = _half_differences(scenario, rng, seq, (n_sims, prefix.size), params)
        stay = _periods(scenario, rng, seq, prefix, n_sims, params, events, exposed)
        m = prefix.sums(stay)
        with np.errstate(divide="ignore", invalid="ignore"):
            hm = half * stay
            s1 = prefix.sums(hm)
            mean = s1 / m
            ss = prefix.sums(hm, half) - s1 * mean
        sequences.append(ArmMoments(n=m, mean_y=mean, cyy=ss))
        completers.append(m)
    return Draw(analysis="followup", arms=tuple(sequences), completers=tuple(completers),
                ae_counts={k: tuple(v) for k, v in events.items()}, ae_exposed=tuple(exposed))


def _half_differences(scenario: Scenario, rng: np.random.Generator, seq: int, shape,
                      params: TrialParameters) -> np.ndarray:
    """Each patient's half period difference ``(Y_1 - Y_2) / 2`` in one sequence."""
    pain, design = scenario.pain, scenario.design
    r, rho, sd = pain.correlation, design.within_correlation, pain.sd
    base = followup_mean(pain, False)
    effect = column(params.effect)
    if pain.truncated:
        zx = draw_baseline_z(rng, shape, pain)
        shared = r * zx + math.sqrt(max(rho - r * r, 0.0)) * rng.standard_normal(shape)
    else:
        shared = math.sqrt(max(rho, 0.0)) * rng.standard_normal(shape)
    own = math.sqrt(1.0 - rho)
    mu1 = base + (effect if seq == 1 else 0.0)
    mu2 = base + design.period_effect + (effect if seq == 0 else design.carryover)
    y1 = observe(mu1 + sd * (shared + own * rng.standard_normal(shape)), pain.bounded)
    y2 = observe(mu2 + sd * (shared + own * rng.standard_normal(shape)), pain.bounded)
    return (y1 - y2) / 2.0


def _periods(scenario: Scenario, rng: np.random.Generator, seq: int, prefix: Prefix,
             n_sims: int, params: TrialParameters, events: dict, exposed: list) -> np.ndarray:
    """Who completes both periods, adding each period's exposures and events in place."""
    design = scenario.design
    shape = (n_sims, prefix.size)
    first = "active" if seq == 1 else "placebo"
    risk = {"active": params.active_risk,
            "placebo": {ae.name: ae.placebo_risk for ae in scenario.adverse_events}}
    gone = rng.random(shape) < scenario.dropout.rate if scenario.dropout.rate > 0 \
        else np.zeros(shape, bool)
    if design.washout_dropout > 0:
        gone |= rng.random(shape) < design.washout_dropout
    flags1 = {}
    for ae in scenario.adverse_events:
        flags1[ae.name] = rng.random(shape) < column(risk[first][ae.name])
        q = scenario.dropout.after_ae.get(ae.name, 0.0)
        if q > 0:
            gone |= flags1[ae.name] & (rng.random(shape) < q)
    stay = ~gone
    second = "placebo" if seq == 1 else "active"
    t1, t2 = (1, 0) if seq == 1 else (0, 1)  # treatment index of each period
    exposed[t1] += prefix.counts(n_sims)
    exposed[t2] += prefix.sums(stay)
    for ae in scenario.adverse_events:
        flags2 = (rng.random(shape) < column(risk[second][ae.name])) & stay
        events[ae.name][t1] += prefix.sums(flags1[ae.name])
        events[ae.name][t2] += prefix.sums(flags2)
    return stay
