"""Figures. Plotting is kept apart from computing: each function draws a result
on an Axes (a new one if none is given) and returns it; only the CLI saves
files. matplotlib is imported lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..mc import Z95
from ..planning.curves import PowerCurve

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_power_curve", "plot_harm_curve", "plot_conclusive_curves", "plot_sweep",
           "plot_metric_curve", "axes_or_new"]


def axes_or_new(ax: Axes | None) -> Axes:
    """The given Axes, or a new 7 x 4.5 inch figure's Axes when ``ax`` is None.

    Parameters
    ----------
    ax : matplotlib Axes or None

    Returns
    -------
    matplotlib Axes
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    return ax


def _band(ax: Axes, n: np.ndarray, estimates, label: str, color: str) -> None:
    v = np.array([e.value for e in estimates])
    se = np.array([e.se for e in estimates])
    ax.plot(n, v, "-o", ms=3, color=color, label=label)
    ax.fill_between(n, np.clip(v - Z95 * se, 0, 1), np.clip(v + Z95 * se, 0, 1),
                    color=color, alpha=0.2, lw=0)


def plot_power_curve(curve: PowerCurve, *, target: float | None = None,
                     ax: Axes | None = None) -> Axes:
    """Power (and assurance) against n per arm, with 95 % Monte Carlo bands.

    Closed forms, where computed, are drawn dashed; ``target`` adds a
    horizontal line.

    Parameters
    ----------
    curve : PowerCurve
    target : float, optional
        A target probability drawn as a horizontal line.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_new(ax)
    n = np.array(curve.n_per_arm)
    _band(ax, n, curve.metric("power"), "power (simulated)", "C0")
    analytic = [p.analytic_power for p in curve.points]
    if all(a is not None for a in analytic):
        exact = curve.points[0].analytic_exact
        ax.plot(n, analytic, "--", color="C0", lw=1,
                label="power, closed form" + ("" if exact else " (approximate)"))
    if curve.has_assurance:
        _band(ax, n, curve.metric("assurance"), "assurance (simulated)", "C1")
        closed = [p.analytic_assurance for p in curve.points]
        if all(a is not None for a in closed):
            ax.plot(n, closed, "--", color="C1", lw=1, label="assurance, closed form")
        ceiling = curve.points[0].assurance_ceiling
        if ceiling is not None:
            ax.axhline(ceiling, color="C1", lw=0.8, ls=":",
                       label=f"assurance ceiling {ceiling:.2f}")
    if target is not None:
        ax.axhline(target, color="k", lw=0.8, ls="-.", label=f"target {target:g}")
    first = curve.points[0]
    sided = "two-sided" if first.sided == 2 else "one-sided"
    ax.set(xlabel="patients randomised per arm (reference arm)",
           ylabel="probability", ylim=(0, 1.02),
           title=f"{curve.scenario_name}: {first.analysis}, alpha {first.alpha:g} {sided}, "
                 f"{first.n_sims:,} trials per n")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_harm_curve(curve: PowerCurve, *, ax: Axes | None = None) -> Axes:
    """P(harm detected) against n per arm, one line per adverse event.

    Parameters
    ----------
    curve : PowerCurve
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_new(ax)
    n = np.array(curve.n_per_arm)
    names = list(curve.points[0].adverse_events)
    for i, name in enumerate(names):
        ae = curve.points[0].adverse_events[name]
        _band(ax, n, curve.metric(f"harm:{name}"),
              f"{name} (placebo {ae.placebo_risk:g}, RR {ae.risk_ratio:g})", f"C{i}")
    ax.set(xlabel="patients randomised per arm (reference arm)",
           ylabel="P(harm detected)", ylim=(0, 1.02),
           title=f"{curve.scenario_name}: detecting adverse-event harm (log risk ratio)")
    ax.grid(alpha=0.3)
    if names:
        ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_conclusive_curves(curves: dict[int, PowerCurve], *, target: float | None = None,
                           ax: Axes | None = None) -> Axes:
    """P(the updated meta-analysis is conclusive) against n per arm, one line
    per number of new trials, with the headline rule's closed form (tau^2
    fixed) dashed and its plateau dotted, where the rule has one.

    Parameters
    ----------
    curves : dict of int to PowerCurve
        One curve per number of new trials.
    target : float, optional
        A target probability drawn as a horizontal line.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_new(ax)
    first = None
    for i, (k, curve) in enumerate(sorted(curves.items())):
        first = curve.points[0]
        n = np.array(curve.n_per_arm)
        rule = first.resolve.rules[0]
        _band(ax, n, curve.metric("conclusive"), f"{k} new trial{'s' if k > 1 else ''}", f"C{i}")
        closed = [p.resolve.closed.by_rule.get(rule) if p.resolve.closed else None
                  for p in curve.points]
        if all(c is not None for c in closed):
            ax.plot(n, [c["p_conclusive"] for c in closed], "--", color=f"C{i}", lw=1)
            plateau = closed[-1]["plateau"]
            if plateau < 1:
                ax.axhline(plateau, color=f"C{i}", lw=0.8, ls=":")
    if target is not None:
        ax.axhline(target, color="k", lw=0.8, ls="-.", label=f"target {target:g}")
    ax.set(xlabel="patients randomised per arm in each new trial",
           ylabel=f"P(meta-analysis conclusive: {rule})", ylim=(0, 1.02),
           title=f"{curves[min(curves)].scenario_name}: resolving the review\n"
                 f"{first.n_sims:,} futures per n; dashed: closed form, dotted: plateau")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_sweep(rows: list[dict], *, x: str, by: str | None = None, metric: str = "power",
               ax: Axes | None = None) -> Axes:
    """A sweep's metric against one grid key, one line per value of another,
    with 95 % Monte Carlo bands where the rows carry ``<metric>_se``.

    Parameters
    ----------
    rows : list of dict
        The sweep's result rows.
    x : str
        The grid key on the x axis.
    by : str, optional
        A grid key with one line per value.
    metric : str
        The column on the y axis (default ``"power"``).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    KeyError
        When the rows have no column ``x`` or ``metric``.
    """
    ax = axes_or_new(ax)
    if not rows or x not in rows[0] or metric not in rows[0]:
        missing = x if rows and x not in rows[0] else metric
        raise KeyError(f"the sweep rows have no column {missing!r}")
    groups: dict = {}
    for row in rows:
        groups.setdefault(row.get(by) if by else None, []).append(row)
    for i, (value, group) in enumerate(groups.items()):
        group = sorted(group, key=lambda r: r[x])
        xs = np.array([r[x] for r in group], dtype=float)
        ys = np.array([np.nan if r[metric] is None else r[metric] for r in group], dtype=float)
        label = f"{by} = {value}" if by else metric
        ax.plot(xs, ys, "-o", ms=3, color=f"C{i % 10}", label=label)
        if f"{metric}_se" in group[0]:
            se = np.array([r[f"{metric}_se"] or 0.0 for r in group], dtype=float)
            ax.fill_between(xs, ys - Z95 * se, ys + Z95 * se, color=f"C{i % 10}", alpha=0.2, lw=0)
    ax.set(xlabel=x, ylabel=metric, title=f"sweep: {metric} against {x}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def plot_metric_curve(curve: PowerCurve, metric: str, *, target: float | None = None,
                      ax: Axes | None = None) -> Axes:
    """Any metric of a curve (``harm:<AE>``, ``conclusive``, ...) against n per arm.

    Parameters
    ----------
    curve : PowerCurve
    metric : str
        A metric name that ``PowerCurve.metric`` accepts.
    target : float, optional
        A target probability drawn as a horizontal line.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_new(ax)
    _band(ax, np.array(curve.n_per_arm), curve.metric(metric), f"{metric} (simulated)", "C0")
    if target is not None:
        ax.axhline(target, color="k", lw=0.8, ls="-.", label=f"target {target:g}")
    ax.set(xlabel="patients randomised per arm (reference arm)", ylabel=metric,
           ylim=(0, 1.02), title=f"{curve.scenario_name}: {metric}, "
                                 f"{curve.points[0].n_sims:,} trials per n")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return ax
