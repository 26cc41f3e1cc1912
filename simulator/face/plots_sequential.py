"""The figure of ``trialsim boundaries``: the bounds on the z scale, with z paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._format import sided_text
from ..planning.boundary_table import BoundaryTable
from .plot_text import add_caption, set_title
from .plots import axes_or_new

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_boundaries"]


def plot_boundaries(table: BoundaryTable, paths: np.ndarray | None = None, *,
                    ax: Axes | None = None) -> Axes:
    """Efficacy (and futility) bounds against the information fraction.

    Parameters
    ----------
    table : BoundaryTable
    paths : ndarray, optional
        Simulated trials' z at each look, ``(trials, looks)``: drawn up to
        the look at which each trial stops.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_new(ax)
    t = np.array([r.information for r in table.rows])
    z = np.array([np.nan if r.z is None else r.z for r in table.rows])
    ax.plot(t, z, "-o", color="C3", label="efficacy bound")
    if table.sided == 2:
        ax.plot(t, -z, "-o", color="C3", alpha=0.6, label="efficacy bound (harm side)")
    fut = np.array([np.nan if r.futility_z is None else r.futility_z for r in table.rows])
    if np.isfinite(fut).any():
        ax.plot(t, fut, "-s", color="C0", label="futility bound")
    if paths is not None:
        for k, path in enumerate(paths):
            stop = _stop_look(path, z, fut, table.sided)
            ax.plot(t[:stop + 1], path[:stop + 1], "-", color="0.5", lw=0.8, alpha=0.7,
                    label="simulated trials" if k == 0 else None)
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xlabel("information fraction (share of the patients with an outcome)")
    ax.set_ylabel("z statistic (benefit positive)")
    ax.set_xlim(0, 1.05)
    set_title(ax, f"{table.scenario_name}: {len(table.rows)} looks, {table.alpha_spending} "
                  "alpha spending")
    ax.legend(loc="best", fontsize="small")
    futility = ("no futility bound" if table.beta_spending == "none" else
                f"{'binding' if table.binding else 'non-binding'} futility "
                f"({table.beta_spending})")
    add_caption(ax, f"alpha {table.alpha:g} {sided_text(table.sided)}; {futility}; "
                    f"maximum information {table.inflation_factor:.3f} x the fixed design's"
                    + ("; grey: simulated trials' z up to their stop" if paths is not None
                       else ""))
    return ax


def _stop_look(path: np.ndarray, upper: np.ndarray, futility: np.ndarray, sided: int) -> int:
    """The look at which a trial with this z path stops."""
    for k, z in enumerate(path):
        if z >= upper[k] or (sided == 2 and z <= -upper[k]) or z <= futility[k]:
            return k
    return len(path) - 1
