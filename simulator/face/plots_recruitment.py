"""Figures of a recruitment simulation (:mod:`simulator.ops.recruitment`).

Plotting is kept apart from computing: each function draws a
:class:`~simulator.ops.recruitment.RecruitmentResult` on an Axes (a new one if
none is given) and returns it; only the CLI saves files. matplotlib is
imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ScenarioError
from ..ops.recruitment import RecruitmentResult, TimeBands
from .plot_text import add_caption, set_title
from .plots import axes_or_new

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_enrolment", "plot_chair_utilisation"]


def _bands(ax: Axes, bands: TimeBands, label: str, color: str) -> None:
    ax.plot(bands.months, bands.q50, "-", color=color, label=f"{label}, median")
    ax.fill_between(bands.months, bands.q05, bands.q95, color=color, alpha=0.2, lw=0,
                    label=f"{label}, 5-95 % of trials")


def plot_enrolment(result: RecruitmentResult, *, ax: Axes | None = None) -> Axes:
    """Patients randomised and primary outcomes over time, with 5-95 % bands.

    The target enrolment is a horizontal line; the deadline, if any, a
    vertical one.

    Parameters
    ----------
    result : RecruitmentResult
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_new(ax)
    _bands(ax, result.enrolment, "randomised", "C0")
    _bands(ax, result.outcomes, "primary outcomes", "C2")
    ax.axhline(result.n_target, color="k", lw=0.8, ls="-.",
               label=f"target {result.n_target}")
    if result.deadline_months is not None:
        p = result.p_complete_by_deadline
        ax.axvline(result.deadline_months, color="C3", lw=0.8, ls="--",
                   label=f"deadline {result.deadline_months:g} months "
                         f"(P(complete) {p.value:.2f})")
    ax.set(xlabel="months from the start", ylabel="patients",
           ylim=(0, result.n_target * 1.05))
    set_title(ax, f"{result.scenario_name}: enrolment over time, {result.sites} sites")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    add_caption(ax, _caption(result))
    return ax


def _caption(result: RecruitmentResult) -> str:
    return (f"{result.n_reps:,} simulated trials ({result.path} path), seed "
            f"{result.seed_entropy}; between-site CV of the rates {result.rate_cv:g}; "
            f"{result.working_days_per_week} working days a week")


def plot_chair_utilisation(result: RecruitmentResult, *, ax: Axes | None = None) -> Axes:
    """Share of the open sites' chair hours in use over time, mean and 5-95 % band.

    Parameters
    ----------
    result : RecruitmentResult
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ScenarioError
        When the scenario has no ``chairs_per_site`` (no capacity to plot).
    """
    if result.utilisation is None:
        raise ScenarioError(f"{result.scenario_name}: [recruitment] chairs_per_site is not "
                            "set: there is no chair capacity to plot")
    ax = axes_or_new(ax)
    u = result.utilisation
    ax.plot(u.months, u.mean, "-", color="C1", label="mean over trials")
    ax.fill_between(u.months, u.q05, u.q95, color="C1", alpha=0.2, lw=0,
                    label="5-95 % of trials")
    if result.utilisation_ceiling is not None and result.utilisation_ceiling < 1:
        ax.axhline(result.utilisation_ceiling, color="k", lw=0.8, ls=":",
                   label=f"most possible {result.utilisation_ceiling:.2f} (whole sessions)")
    overall = result.chair_utilisation
    ax.set(xlabel="months from the start", ylabel="chair hours in use / chair hours open",
           ylim=(0, 1.02))
    set_title(ax, f"{result.scenario_name}: {result.chairs_per_site} "
                  f"chair{'s' if result.chairs_per_site != 1 else ''} per site, "
                  f"utilisation {overall.value:.2f} overall")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize="small")
    add_caption(ax, _caption(result))
    return ax
