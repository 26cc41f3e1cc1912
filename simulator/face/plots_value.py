"""The plot of ``trialsim value --plot``: EVSI, the trial's cost and ENBS by n.

matplotlib is imported lazily (through :func:`.plots.axes_or_new`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..mc import Z95
from ..planning.value_results import ValueResult
from .plots import axes_or_new, mark_n

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_value_curve"]


def plot_value_curve(r: ValueResult, *, ax: Axes | None = None) -> Axes:
    """Population EVSI, trial cost and ENBS over n per arm, the optimal n marked.

    Parameters
    ----------
    r : ValueResult
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_new(ax)
    n = np.array([p.n_per_arm for p in r.points])
    evsi = np.array([p.population_evsi for p in r.points])
    enbs = np.array([p.enbs for p in r.points])
    se = np.array([p.enbs_se for p in r.points])
    ax.plot(n, evsi, "-o", ms=3, color="C0", label="population EVSI (discounted)")
    ax.fill_between(n, evsi - Z95 * se, evsi + Z95 * se, color="C0", alpha=0.2, lw=0)
    ax.plot(n, [p.trial_cost for p in r.points], "-", color="C3",
            label=f"cost of {r.trials} trial(s)")
    ax.plot(n, enbs, "-o", ms=3, color="C2", label="ENBS = EVSI - cost")
    ax.fill_between(n, enbs - Z95 * se, enbs + Z95 * se, color="C2", alpha=0.2, lw=0)
    if all(p.enbs_closed is not None for p in r.points):
        ax.plot(n, [p.enbs_closed for p in r.points], ":", color="k", lw=1,
                label="ENBS, normal-normal closed form")
    ax.axhline(r.evpi.population, color="0.4", lw=1, ls="-.", label="population EVPI")
    ax.axhline(0.0, color="0.7", lw=0.8)
    span = ("" if r.optimal_range is None else
            f" (MC range {r.optimal_range[0]}-{r.optimal_range[1]})")
    mark_n(ax, r.optimal_n, f"optimal n = {r.optimal_n} per arm{span}", r.optimal_range)
    ax.set_xlabel("patients randomised per arm (reference arm)")
    ax.set_ylabel(f"value ({r.unit})")
    ax.set_title(f"{r.scenario_name}: is the next trial worth running?", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return ax
