"""The figure file of each verb's ``--plot``: the plots of :mod:`.plots` (and
:mod:`.plots_recruitment`) laid out on one figure, drawn off-screen (Agg) and
saved, with the run's provenance (``provenance``: metadata and a footer, see
:func:`.output.save_figure`). matplotlib is imported lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..planning.boundary_table import BoundaryTable
from ..planning.curves import PowerCurve
from ..planning.solver import SampleSize
from ..planning.value_results import ValueResult
from .output import save_figure
from .plots_sequential import plot_boundaries
from .plots_value import plot_value_curve
from .plots import (
    plot_conclusive_curves,
    plot_harm_curve,
    plot_metric_curve,
    plot_power_curve,
    plot_sweep,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..ops.recruitment import RecruitmentResult
    from ..ops.settle_time import SettleTime
    from ..provenance import RunProvenance

__all__ = ["save_curve_figure", "save_metric_figure", "save_conclusive_figure",
           "save_recruitment_figure", "save_sweep_figure", "save_boundaries_figure",
           "save_settle_figure", "save_value_figure"]


def _off_screen() -> None:
    import matplotlib

    matplotlib.use("Agg")


def save_curve_figure(curve: PowerCurve, target_file: str, target: float | None,
                      provenance: RunProvenance | None = None,
                      solved: SampleSize | None = None) -> None:
    """Power (and assurance) over n, above P(harm detected) when there are adverse events.

    Parameters
    ----------
    curve : PowerCurve
    target_file : str
        The figure file.
    target : float or None
        A target line on the power panel.
    provenance : RunProvenance, optional
        In the file's metadata and footer.
    solved : SampleSize, optional
        The solved n, marked with its range (``trialsim size``).
    """
    _off_screen()
    import matplotlib.pyplot as plt

    if curve.points[0].adverse_events:
        _, (top, bottom) = plt.subplots(2, 1, figsize=(7, 8), layout="constrained")
        plot_power_curve(curve, target=target, solved=solved, ax=top)
        plot_harm_curve(curve, ax=bottom)
        save_figure(top, target_file, provenance)
    else:
        save_figure(plot_power_curve(curve, target=target, solved=solved), target_file,
                    provenance)


def save_metric_figure(curve: PowerCurve, metric: str, target_file: str,
                       target: float | None, provenance: RunProvenance | None = None,
                       solved: SampleSize | None = None) -> None:
    """One metric of a curve over n (``trialsim size --metric harm:...``, ...).

    Parameters
    ----------
    curve : PowerCurve
    metric : str
        A metric name that ``PowerCurve.metric`` accepts.
    target_file : str
        The figure file.
    target : float or None
        A target line.
    provenance : RunProvenance, optional
        In the file's metadata and footer.
    solved : SampleSize, optional
        The solved n, marked with its range.
    """
    _off_screen()
    save_figure(plot_metric_curve(curve, metric, target=target, solved=solved), target_file,
                provenance)


def save_conclusive_figure(curves: dict[int, PowerCurve], target_file: str,
                           target: float | None,
                           provenance: RunProvenance | None = None) -> None:
    """P(conclusive) over n, one line per number of new trials (``trialsim resolve``).

    Parameters
    ----------
    curves : dict of int to PowerCurve
        One curve per number of new trials.
    target_file : str
        The figure file.
    target : float or None
        A target line.
    provenance : RunProvenance, optional
        In the file's metadata and footer.
    """
    _off_screen()
    save_figure(plot_conclusive_curves(curves, target=target), target_file, provenance)


def save_settle_figure(st: SettleTime, name: str, target_file: str,
                       provenance: RunProvenance | None = None) -> None:
    """P(settled by t) over time, beside P(settled by the date) over n and sites (with a grid).

    Parameters
    ----------
    st : SettleTime
    name : str
        The scenario's name.
    target_file : str
        The figure file.
    provenance : RunProvenance, optional
        In the file's metadata and footer.
    """
    _off_screen()
    import matplotlib.pyplot as plt

    from .plots_settle import plot_settled_by, plot_settled_grid

    if not st.grid or st.by_months is None:
        save_figure(plot_settled_by(st, name), target_file, provenance)
        return
    _, (left, right) = plt.subplots(2, 1, figsize=(7, 9), layout="constrained")
    plot_settled_by(st, name, ax=left)
    plot_settled_grid(st, name, ax=right)
    save_figure(left, target_file, provenance)


def save_recruitment_figure(result: RecruitmentResult, target_file: str, chairs: bool,
                            provenance: RunProvenance | None = None) -> None:
    """Enrolment over time, above chair utilisation when the sites have chairs.

    Parameters
    ----------
    result : RecruitmentResult
    target_file : str
        The figure file.
    chairs : bool
        Whether the scenario sets ``recruitment.chairs_per_site``.
    provenance : RunProvenance, optional
        In the file's metadata and footer.
    """
    _off_screen()
    import matplotlib.pyplot as plt

    from .plots_recruitment import plot_chair_utilisation, plot_enrolment

    if not chairs:  # nothing to show for chairs
        save_figure(plot_enrolment(result), target_file, provenance)
    else:
        _, (top, bottom) = plt.subplots(2, 1, figsize=(7, 8), layout="constrained")
        plot_enrolment(result, ax=top)
        plot_chair_utilisation(result, ax=bottom)
        save_figure(top, target_file, provenance)


def save_sweep_figure(rows: list[dict], target_file: str, *, x: str, by: str | None,
                      metric: str, provenance: RunProvenance | None = None) -> None:
    """A sweep's metric against one grid key, one line per value of another.

    Parameters
    ----------
    rows : list of dict
        The sweep's result rows.
    target_file : str
        The figure file.
    x : str
        The grid key on the x axis.
    by : str or None
        A grid key with one line per value.
    metric : str
        The column on the y axis.
    provenance : RunProvenance, optional
        In the file's metadata and footer.
    """
    _off_screen()
    save_figure(plot_sweep(rows, x=x, by=by, metric=metric), target_file, provenance)


def save_boundaries_figure(table: BoundaryTable, paths, target_file: str,
                           provenance: RunProvenance | None = None) -> None:
    """The bounds of ``trialsim boundaries`` on the z scale, with simulated z paths.

    Parameters
    ----------
    table : BoundaryTable
    paths : ndarray or None
        ``(trials, looks)`` z values.
    target_file : str
    provenance : RunProvenance, optional
        In the file's metadata and footer.
    """
    _off_screen()
    save_figure(plot_boundaries(table, paths), target_file, provenance)


def save_value_figure(result: ValueResult, target_file: str,
                      provenance: RunProvenance | None = None) -> None:
    """EVSI, cost and ENBS over n (``trialsim value --plot``).

    Parameters
    ----------
    result : ValueResult
    target_file : str
        The figure file.
    provenance : RunProvenance, optional
        In the file's metadata and footer.
    """
    _off_screen()
    save_figure(plot_value_curve(result), target_file, provenance)
