"""The words on a figure: titles that wrap, a caption line of the key
parameters, the Monte Carlo band's legend entry, and human names of metrics
and sweep columns (the scenario's fields come from
:mod:`simulator.spec.labels`). matplotlib is imported lazily."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from ..spec.labels import axis_label

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["set_title", "add_caption", "band_legend", "metric_label", "column_label",
           "BAND_LABEL"]

#: The legend entry of the shaded Monte Carlo bands.
BAND_LABEL = "shaded: 95 % Monte Carlo band"

#: Average glyph width as a share of the font size (DejaVu Sans, with a margin).
_GLYPH = 0.58


def _wrap(ax: Axes, text: str, fontsize: float) -> str:
    """``text`` wrapped to the figure's width at ``fontsize`` points."""
    width_pt = ax.figure.get_figwidth() * 72 * 0.96
    chars = max(24, int(width_pt / (fontsize * _GLYPH)))
    return "\n".join(textwrap.fill(part, chars) for part in text.split("\n"))


def set_title(ax: Axes, text: str) -> None:
    """A title wrapped to the figure's width (no line runs off the figure).

    Parameters
    ----------
    ax : matplotlib Axes
    text : str
        Explicit line breaks are kept.
    """
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    size = FontProperties(size=rcParams["axes.titlesize"]).get_size_in_points()
    ax.set_title(_wrap(ax, text, size))


def add_caption(ax: Axes, text: str) -> None:
    """A caption under the x axis label: the key parameters of the figure, wrapped.

    Parameters
    ----------
    ax : matplotlib Axes
    text : str
    """
    size = 7.5
    ax.annotate(_wrap(ax, text, size), xy=(0.5, 0.0), xycoords=ax.xaxis.label,
                xytext=(0, -4), textcoords="offset points", ha="center", va="top",
                fontsize=size, color="0.25")


def band_legend(ax: Axes) -> None:
    """Add the legend entry of the shaded 95 % Monte Carlo bands (a grey patch)."""
    ax.fill_between([], [], color="0.5", alpha=0.3, lw=0, label=BAND_LABEL)


def metric_label(metric: str) -> str:
    """The words for a metric name of the solver and the curves.

    Examples
    --------
    >>> metric_label("harm:nausea"), metric_label("conclusive:mcid")
    ('P(harm detected): nausea', 'P(meta-analysis conclusive): mcid')
    """
    kind, _, arg = str(metric).partition(":")
    words = {"power": "power", "power_benefit": "power in the benefit direction",
             "assurance": "assurance", "harm": "P(harm detected)",
             "conclusive": "P(meta-analysis conclusive)"}.get(kind, str(metric))
    return f"{words}: {arg}" if arg else words


#: Sweep result columns other than metrics and scenario keys.
_COLUMNS = {
    "n_per_arm": "patients randomised per arm (reference arm)",
    "n_total": "patients randomised in all arms",
    "analytic_power": "closed-form power",
    "assurance_ceiling": "assurance ceiling",
    "p_conclusive": "P(meta-analysis conclusive)",
    "mean_estimate": "mean estimate (NRS points)",
    "bias": "bias of the estimate (NRS points)",
    "mean_completers": "patients with a primary outcome",
    "n_sims": "simulated trials",
    "achieved": "metric at the solved n",
    "n_range_low": "low end of the n range (per arm)",
    "n_range_high": "high end of the n range (per arm)",
    "analytic_n_per_arm": "closed-form n per arm",
}


def column_label(column: str) -> str:
    """The words (and unit) for a sweep's column or grid key.

    Examples
    --------
    >>> column_label("pain.effect"), column_label("p_harm_nausea")
    ('true effect (NRS points)', 'P(harm detected): nausea')
    """
    if "." in column:
        return axis_label(column)
    if column.startswith("p_harm_"):
        return f"P(harm detected): {column[len('p_harm_'):]}"
    if column in _COLUMNS:
        return _COLUMNS[column]
    return metric_label(column)
