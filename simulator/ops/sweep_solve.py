"""A sweep that solves the sample size at every point (``trialsim sweep --target``).

Instead of simulating each point at its own n, a solving sweep asks
:func:`~simulator.planning.solver.solve_sample_size` for the n per arm at
which ``metric`` reaches ``target`` at every point, from the same seed (so
every point's solve draws the same streams). A point whose target cannot be
reached keeps a row with ``n_per_arm`` empty and the reason in
``unreachable``; what no point can be asked (an adverse event a point lacks,
assurance without a prior, P(conclusive) without ``[meta_analysis]``) is
refused before anything runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..engine.dispatch import PathName
from ..errors import ConvergenceError, ScenarioError
from ..planning.metric import Metric
from ..planning.reachable import check_available, check_target
from ..planning.solver import solve_sample_size
from ..spec import Scenario

if TYPE_CHECKING:  # pragma: no cover
    from .sweep import SweepPoint

__all__ = ["check_solve", "solve_row", "SOLVE_COLUMNS"]

#: The result columns of a solving sweep's row, after the sweep keys.
SOLVE_COLUMNS = ("metric", "target", "n_per_arm", "n_total", "n_range_low", "n_range_high",
                 "achieved", "achieved_se", "analytic_n_per_arm", "inflation_n_per_arm",
                 "converged", "unreachable", "n_sims", "path", "seed_entropy")


def _point_name(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def check_solve(points: Sequence[SweepPoint], metric: str, target: float) -> Metric:
    """Check, before any point runs, that every point can be asked for ``metric``.

    Parameters
    ----------
    points : sequence of SweepPoint
    metric : str
        ``power``, ``power_benefit``, ``assurance``, ``harm:<event>`` or
        ``conclusive[:<rule>]``.
    target : float
        In (0, 1).

    Returns
    -------
    Metric

    Raises
    ------
    ScenarioError
        Naming ``--metric`` or ``--target`` and, for a point, its values.
    """
    try:
        parsed = Metric.parse(metric)
    except ScenarioError as exc:
        raise ScenarioError(f"--metric {metric}: {str(exc).split(': ', 1)[1]}") from None
    check_target(target, "--target")
    for point in points:
        try:
            check_available(point.scenario, parsed)
        except ScenarioError as exc:
            raise ScenarioError(f"--metric {metric}: sweep point ({_point_name(point.values)}): "
                                f"{exc}") from None
    return parsed


def solve_row(values: dict[str, Any], scenario: Scenario, metric: Metric, target: float, *,
              n_sims: int, seed: int, path: PathName, n_max: int | None = None
              ) -> dict[str, Any]:
    """The row of one point of a solving sweep.

    Parameters
    ----------
    values : dict
        The point's override values (the first columns).
    scenario : Scenario
        The point's scenario.
    metric : Metric
    target : float
    n_sims, seed, path, n_max
        As in :func:`~simulator.planning.solver.solve_sample_size` (``n_max``
        None: its default).

    Returns
    -------
    dict
        The sweep keys, then :data:`SOLVE_COLUMNS`; ``n_per_arm`` None and
        ``unreachable`` the reason when the target cannot be reached.
    """
    row: dict[str, Any] = {**values, **dict.fromkeys(SOLVE_COLUMNS)}
    row.update(metric=str(metric), target=target, seed_entropy=seed, converged=False)
    try:
        size = solve_sample_size(scenario, target=target, metric=metric, n_sims=n_sims,
                                 seed=seed, path=path,
                                 **({} if n_max is None else {"n_max": n_max}))
    except ConvergenceError as exc:
        row.update(unreachable=str(exc), n_sims=0, path=path)
        return row
    row.update(n_per_arm=size.n_per_arm, n_total=size.n_total, n_range_low=size.n_range[0],
               n_range_high=size.n_range[1], achieved=size.achieved,
               achieved_se=size.achieved_se, analytic_n_per_arm=size.analytic_n_per_arm,
               inflation_n_per_arm=size.inflation_n_per_arm, converged=size.converged,
               n_sims=size.n_sims, path=size.path, seed_entropy=size.seed_entropy)
    return row
