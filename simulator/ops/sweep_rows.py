"""The rows a sweep stores: one flat dictionary per point, and the columns it
will have, known before the sweep runs (for the checks of ``--x``, ``--by``
and ``--metric``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..planning.results import SimulationResult
from ..spec import Scenario
from .sweep_solve import SOLVE_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    from .sweep import SweepPoint

__all__ = ["result_row", "row_columns", "metric_columns", "solve_columns"]


def result_row(values: dict[str, Any], result: SimulationResult) -> dict[str, Any]:
    """The flat row a sweep stores for one point.

    Parameters
    ----------
    values : dict
        The point's override values (the first columns).
    result : SimulationResult
        The point's simulation.

    Returns
    -------
    dict
        Overrides, power, assurance, harm detection, conclusiveness, bias and
        run settings, one column each.
    """
    d = result.to_dict()
    row: dict[str, Any] = dict(values)
    row.update({"n_per_arm": d["n_per_arm"], "n_total": d["n_total"],
                "power": d["power"], "power_se": d["power_se"],
                "power_benefit": d["power_benefit"], "power_benefit_se": d["power_benefit_se"],
                "analytic_power": d["analytic_power"]})
    if d["assurance"] is not None:
        row.update(assurance=d["assurance"], assurance_se=d["assurance_se"],
                   assurance_ceiling=d["assurance_ceiling"])
    for name, ae in d["adverse_events"].items():
        row[f"p_harm_{name}"] = ae["p_harm_detected"]
        row[f"p_harm_{name}_se"] = ae["p_harm_detected_se"]
    if "resolve" in d:
        row.update(p_conclusive=d["resolve"]["p_conclusive"],
                   p_conclusive_se=d["resolve"]["p_conclusive_se"])
    row.update(mean_estimate=d["mean_estimate"], bias=d["bias"],
               mean_completers=sum(d["mean_completers"]), n_sims=d["n_sims"], path=d["path"],
               seed_entropy=d["seed_entropy"])
    return row


def row_columns(values: dict[str, Any], scenario: Scenario) -> list[str]:
    """The columns :func:`result_row` gives a point, known before it runs.

    Parameters
    ----------
    values : dict
        The point's override values.
    scenario : Scenario
        The point's scenario.

    Returns
    -------
    list of str
        In row order (without ``scenario_hash`` and ``version``, which the
        store adds).
    """
    columns = list(values) + ["n_per_arm", "n_total", "power", "power_se", "power_benefit",
                              "power_benefit_se", "analytic_power"]
    if scenario.pain.effect_prior != "fixed":
        columns += ["assurance", "assurance_se", "assurance_ceiling"]
    for ae in scenario.adverse_events:
        columns += [f"p_harm_{ae.name}", f"p_harm_{ae.name}_se"]
    if scenario.meta_analysis is not None:
        columns += ["p_conclusive", "p_conclusive_se"]
    return columns + ["mean_estimate", "bias", "mean_completers", "n_sims", "path",
                      "seed_entropy"]


#: Row columns that are not a metric to plot: labels and identities.
_NOT_METRICS = frozenset({"path", "seed_entropy"})


def metric_columns(points: list[SweepPoint]) -> list[str]:
    """The numeric result columns every point's row will have (what a plot can show).

    Parameters
    ----------
    points : list of SweepPoint
        The sweep's points (:func:`expand_sweep`).

    Returns
    -------
    list of str
        In row order: power, power_benefit, analytic_power, ... (not the
        sweep keys, ``path`` or ``seed_entropy``).
    """
    keys = set(points[0].values)
    common = set.intersection(*(set(row_columns(p.values, p.scenario)) for p in points))
    return [c for c in row_columns(points[0].values, points[0].scenario)
            if c in common and c not in keys and c not in _NOT_METRICS]


def solve_columns() -> list[str]:
    """The numeric columns of a solving sweep's rows (what its plot can show).

    Returns
    -------
    list of str
        ``n_per_arm`` first.
    """
    return [c for c in SOLVE_COLUMNS if c in ("n_per_arm", "n_total", "n_range_low",
                                              "n_range_high", "achieved",
                                              "analytic_n_per_arm", "inflation_n_per_arm")]
