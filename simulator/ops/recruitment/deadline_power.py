"""Power and assurance at the n the deadline leaves, from one power curve.

One :func:`simulator.planning.curves.power_curve` call at the distinct n per
arm reached (common random numbers) gives ``P(n)``; the estimate averages
``P(n_r)`` over replications. Its standard error is explained under
*Outputs* in :mod:`simulator.ops.recruitment`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...mc import MonteCarloMean
from ...planning.curves import PowerCurve, power_curve
from ...spec.scenario import Scenario

__all__ = ["DeadlinePower", "n_per_arm_of_total", "power_at_deadline"]


@dataclass(frozen=True, slots=True)
class DeadlinePower:
    """Power (and assurance) averaged over the n per arm the replications reached.

    Attributes
    ----------
    power : MonteCarloMean
    assurance : MonteCarloMean or None
        With an effect prior only.
    curve : PowerCurve or None
        The curve at the distinct analysable n (None: none analysable).
    n_per_arm : dict of int to int
        How many replications reached each n per arm.
    """

    power: MonteCarloMean
    assurance: MonteCarloMean | None
    curve: PowerCurve | None
    n_per_arm: dict[int, int]


def n_per_arm_of_total(scenario: Scenario, totals: np.ndarray) -> np.ndarray:
    """Largest n per arm whose design puts at most ``totals`` patients in all arms."""
    design = scenario.design
    table = np.array([sum(design.group_sizes_at(n)) for n in range(design.n_per_arm + 1)])
    return np.searchsorted(table, totals, side="right") - 1


def power_at_deadline(scenario: Scenario, n_treated: np.ndarray, seed: int, n_sims: int,
                      n_jobs: int) -> DeadlinePower:
    """Power (assurance) at the n per arm each replication treated by the deadline.

    Parameters
    ----------
    scenario : Scenario
    n_treated : ndarray of int, shape (R,)
        Patients randomised and treated by the deadline, per replication.
    seed, n_sims, n_jobs : int
        Of the power curve.

    Returns
    -------
    DeadlinePower
    """
    n_arm = n_per_arm_of_total(scenario, n_treated)
    distinct, counts = np.unique(n_arm, return_counts=True)
    weights = counts / n_arm.size
    analysable = np.array([min(scenario.design.group_sizes_at(int(n))) >= 2 for n in distinct])
    grid = [int(n) for n in distinct[analysable]]
    curve = None
    metrics = {"power": (np.zeros(distinct.size), np.zeros(distinct.size))}
    prior = scenario.pain.effect_prior != "fixed"  # the engine reports assurance then
    if prior:
        metrics["assurance"] = (np.zeros(distinct.size), np.zeros(distinct.size))
    if grid:
        curve = power_curve(scenario, grid, n_sims=n_sims, seed=seed, n_jobs=n_jobs,
                            closed_forms=False)
        for name, (value, se) in metrics.items():
            est = curve.metric(name)
            value[analysable] = [e.value for e in est]
            se[analysable] = [e.se for e in est]
    out = {name: _average(weights, value, se, n_arm.size)
           for name, (value, se) in metrics.items()}
    n_map = {int(n): int(c) for n, c in zip(distinct, counts)}
    return DeadlinePower(power=out["power"], assurance=out.get("assurance"), curve=curve,
                         n_per_arm=n_map)


def _average(weights: np.ndarray, value: np.ndarray, se: np.ndarray, r: int) -> MonteCarloMean:
    """The replication average of ``value``; SE: replication and curve errors in quadrature."""
    mean = float(np.dot(weights, value))
    rep_var = float(np.dot(weights, (value - mean) ** 2)) * r / (r - 1) / r
    curve_se = float(np.dot(weights, se))
    return MonteCarloMean(value=mean, se=math.sqrt(rep_var + curve_se ** 2), n=r)
