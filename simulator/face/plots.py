"""Figures. Plotting is kept apart from computing: each function draws a result
on an Axes (a new one if none is given) and returns it; only the CLI saves
files. matplotlib is imported lazily.

Every figure has a title that wraps to its width, axes named in words with
their units (:mod:`simulator.spec.labels`), a legend entry for the shaded
95 % Monte Carlo bands and a caption line with the key parameters
(:mod:`.plot_text`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..mc import Z95
from ..planning.curves import PowerCurve
from ..planning.solver import SampleSize
from .._format import sided_text
from .plot_text import add_caption, band_legend, column_label, metric_label, set_title

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_power_curve", "plot_harm_curve", "plot_conclusive_curves", "plot_sweep",
           "plot_metric_curve", "axes_or_new", "mark_n"]


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


def mark_n(ax: Axes, n: int, label: str, n_range: tuple[int, int] | None = None) -> None:
    """A vertical line at ``n`` per arm (and its Monte Carlo range, shaded grey).

    Parameters
    ----------
    ax : matplotlib Axes
    n : int
    label : str
        Its legend entry.
    n_range : tuple of int, optional
        A range of n drawn as a light band (a solve's 95 % range).
    """
    ax.axvline(n, color="k", lw=1.0, ls="--", label=label)
    if n_range is not None and n_range[1] > n_range[0]:
        ax.axvspan(n_range[0], n_range[1], color="0.6", alpha=0.25, lw=0)


def _mark_solved(ax: Axes, solved: SampleSize | None) -> None:
    if solved is not None:
        lo, hi = solved.n_range
        mark_n(ax, solved.n_per_arm, f"solved n = {solved.n_per_arm} per arm "
                                     f"(95 % range {lo}-{hi})", solved.n_range)


def _curve_caption(curve: PowerCurve) -> str:
    first = curve.points[0]
    return (f"{first.analysis} analysis, alpha {first.alpha:g} {sided_text(first.sided)}; "
            f"true effect {first.true_effect:+.3g}; {first.n_sims:,} simulated trials per n "
            f"on the {first.path} path, seed {first.seed_entropy}")


def plot_power_curve(curve: PowerCurve, *, target: float | None = None,
                     solved: SampleSize | None = None, chosen_n: int | None = None,
                     ax: Axes | None = None) -> Axes:
    """Power (and assurance) against n per arm, with 95 % Monte Carlo bands.

    Closed forms, where computed, are drawn dashed; ``target`` adds a
    horizontal line, ``solved`` the solved n with its range, ``chosen_n`` a
    vertical line at the scenario's n.

    Parameters
    ----------
    curve : PowerCurve
    target : float, optional
        A target probability drawn as a horizontal line.
    solved : SampleSize, optional
        A solve's answer, marked with its 95 % range.
    chosen_n : int, optional
        The n per arm of the plan, marked.
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
    _mark_solved(ax, solved)
    if chosen_n is not None:
        mark_n(ax, chosen_n, f"planned n = {chosen_n} per arm")
    ax.set(xlabel="patients randomised per arm (reference arm)", ylabel="probability",
           ylim=(0, 1.02))
    set_title(ax, f"{curve.scenario_name}: power by patients per arm")
    _finish(ax, "lower right")
    add_caption(ax, _curve_caption(curve))
    return ax


def _finish(ax: Axes, loc: str) -> None:
    """Grid, the band's legend entry and the legend."""
    ax.grid(alpha=0.3)
    band_legend(ax)
    ax.legend(loc=loc, fontsize="small")


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
           ylabel="P(harm detected)", ylim=(0, 1.02))
    set_title(ax, f"{curve.scenario_name}: detecting adverse-event harm (log risk ratio)")
    _finish(ax, "lower right")
    first = curve.points[0]
    add_caption(ax, f"log risk ratio test, alpha {first.alpha:g} {sided_text(first.sided)}, "
                    f"in the harm direction; {first.n_sims:,} simulated trials per n, seed "
                    f"{first.seed_entropy}")
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
           ylabel=f"P(meta-analysis conclusive: {rule})", ylim=(0, 1.02))
    set_title(ax, f"{curves[min(curves)].scenario_name}: resolving the review")
    _finish(ax, "lower right")
    add_caption(ax, f"rule {rule}; {first.n_sims:,} simulated futures per n, seed "
                    f"{first.seed_entropy}; dashed: closed form (Roloff, tau^2 fixed), "
                    "dotted: its plateau")
    return ax


def plot_sweep(rows: list[dict], *, x: str, by: str | None = None, metric: str = "power",
               ax: Axes | None = None) -> Axes:
    """A sweep's metric against one grid key, one line per value of another,
    with 95 % Monte Carlo bands where the rows carry ``<metric>_se`` (a solving
    sweep's ``n_per_arm``: its 95 % range, ``n_range_low`` to ``n_range_high``).

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
        label = f"{column_label(by)} = {value}" if by else column_label(metric)
        ax.plot(xs, ys, "-o", ms=3, color=f"C{i % 10}", label=label)
        low, high = _sweep_band(group, metric, ys)
        if low is not None:
            ax.fill_between(xs, low, high, color=f"C{i % 10}", alpha=0.2, lw=0)
    words = column_label(metric)
    first = rows[0]
    if metric == "n_per_arm" and first.get("target") is not None:
        words = f"n per arm for {metric_label(first['metric'])} >= {first['target']:g}"
    ax.set(xlabel=column_label(x), ylabel=words)
    set_title(ax, f"sweep: {words} against {column_label(x)}")
    _finish(ax, "best")
    trials = [r.get("n_sims") or 0 for r in rows]
    what = (f"{min(trials):,} to {max(trials):,} simulated trials per solve"
            if first.get("target") is not None else f"{trials[0]:,} simulated trials per point")
    add_caption(ax, f"{len(rows)} points; {what} on the {first.get('path', '?')} path, seed "
                    f"{first.get('seed_entropy', '?')}; the same seed at every point")
    return ax


def _sweep_band(group: list[dict], metric: str, ys: np.ndarray):
    """The 95 % band of a sweep's column: from ``<metric>_se``, or a solve's n range."""
    if f"{metric}_se" in group[0]:
        se = np.array([r[f"{metric}_se"] or 0.0 for r in group], dtype=float)
        return ys - Z95 * se, ys + Z95 * se
    if metric == "n_per_arm" and "n_range_low" in group[0]:
        def col(key):
            return np.array([np.nan if r[key] is None else r[key] for r in group], dtype=float)
        return col("n_range_low"), col("n_range_high")
    return None, None


def plot_metric_curve(curve: PowerCurve, metric: str, *, target: float | None = None,
                      solved: SampleSize | None = None, ax: Axes | None = None) -> Axes:
    """Any metric of a curve (``harm:<AE>``, ``conclusive``, ...) against n per arm.

    Parameters
    ----------
    curve : PowerCurve
    metric : str
        A metric name that ``PowerCurve.metric`` accepts.
    target : float, optional
        A target probability drawn as a horizontal line.
    solved : SampleSize, optional
        A solve's answer, marked with its 95 % range.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_new(ax)
    words = metric_label(metric)
    _band(ax, np.array(curve.n_per_arm), curve.metric(metric), f"{words} (simulated)", "C0")
    if target is not None:
        ax.axhline(target, color="k", lw=0.8, ls="-.", label=f"target {target:g}")
    _mark_solved(ax, solved)
    ax.set(xlabel="patients randomised per arm (reference arm)", ylabel=words,
           ylim=(0, 1.02))
    set_title(ax, f"{curve.scenario_name}: {words} by patients per arm")
    _finish(ax, "lower right")
    add_caption(ax, _curve_caption(curve))
    return ax
