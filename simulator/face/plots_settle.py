"""Figures of when the review is settled (:mod:`simulator.ops.settle_time`).

Each function draws a :class:`~simulator.ops.settle_time.SettleTime` on an
Axes (a new one if none is given) and returns it; matplotlib is imported
lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..ops.settle_time import SettleTime
from .plot_text import add_caption, set_title
from .plots import axes_or_new

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_settled_by", "plot_settled_grid"]


def plot_settled_by(st: SettleTime, name: str, *, ax: Axes | None = None) -> Axes:
    """P(settled by t) over months from the start, levelling off at P(settled).

    Parameters
    ----------
    st : SettleTime
    name : str
        The scenario's name, for the title.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_new(ax)
    cell = st.cell
    ax.plot(st.months, st.curve, "-", color="C0",
            label=f"P({st.rule} by t), {cell.n_per_arm}/arm, {cell.sites} sites")
    ax.axhline(cell.p_settled.value, color="k", lw=0.8, ls="-.",
               label=f"P({st.rule}) {cell.p_settled.value:.2f}: the ceiling")
    if st.by_months is not None and cell.p_settled_by is not None:
        ax.axvline(st.by_months, color="C3", lw=0.8, ls="--",
                   label=f"by {st.date_of(st.by_months) or f'{st.by_months:g} months'}: "
                         f"{cell.p_settled_by.value:.2f}")
    ax.set(xlabel="months from the start" + (f" ({st.start_date})" if st.start_date else ""),
           ylabel="P(review settled by then)", ylim=(0, 1))
    set_title(ax, f"{name}: when the review is settled ({st.new_trials} new "
                  f"trial{'s' if st.new_trials > 1 else ''})")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    add_caption(ax, _caption(st))
    return ax


def plot_settled_grid(st: SettleTime, name: str, *, ax: Axes | None = None) -> Axes:
    """P(settled by the date asked about) over n per arm, one line per number of sites.

    Parameters
    ----------
    st : SettleTime
        With a grid and ``by_months``.
    name : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_new(ax)
    for i, sites in enumerate(sorted({c.sites for c in st.grid})):
        cells = sorted((c for c in st.grid if c.sites == sites), key=lambda c: c.n_per_arm)
        ax.plot([c.n_per_arm for c in cells], [c.p_settled_by.value for c in cells], "o-",
                color=f"C{i}", label=f"{sites} sites")
    ax.set(xlabel="n per arm of each new trial", ylim=(0, 1),
           ylabel=f"P(settled by {st.date_of(st.by_months) or f'{st.by_months:g} months'})")
    set_title(ax, f"{name}: settled by the date, by trial size and sites")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    add_caption(ax, _caption(st))
    return ax


def _caption(st: SettleTime) -> str:
    return (f"{st.n_reps:,} recruitment futures of {st.new_trials} trial(s); update "
            f"{st.analysis_lag_months:g} months after the last outcome; P(settled by t) = "
            f"P({st.rule}) x P(update by t) (dates independent of results)")
