"""The text of ``trialsim resolve`` with ``[recruitment]``: when the review is settled.

It turns a :class:`~simulator.ops.settle_time.SettleTime` into lines; it
computes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._format import fmt, pct

if TYPE_CHECKING:  # pragma: no cover
    from ..ops.settle_time import SettleCell, SettleTime

__all__ = ["format_settle_time"]


def _when(st: SettleTime, months: float | None) -> str:
    if months is None:
        return "-"
    day = st.date_of(months)
    return f"{months:.1f} mo" + (f" ({day})" if day else "")


def _by(cell: SettleCell) -> str:
    if cell.p_settled_by is None:
        return f"{'-':>14}{'-':>15}"
    return (f"{fmt(100 * cell.p_update_by.value, '>12.1f')} %"
            f"{fmt(100 * cell.p_settled_by.value, '>13.1f')} %")


def format_settle_time(st: SettleTime) -> str:
    """The lines on when the review is settled.

    Parameters
    ----------
    st : SettleTime

    Returns
    -------
    str
    """
    cell = st.cell
    d = cell.update_months
    by = ("" if st.by_months is None else f" by {_when(st, st.by_months)}")
    lines = [
        f"When is the review settled? {st.new_trials} new trial(s) recruiting at once "
        f"({st.n_reps:,} recruitment futures), the update {st.analysis_lag_months:g} months "
        "after the last primary outcome:",
        f"  update date: median {_when(st, d.q50)} (MC SE {fmt(d.q50_se, '.2f')}), 90 % of "
        f"futures {_when(st, d.q05)} to {_when(st, d.q95)}",
    ]
    if d.q50 is None:
        lines.append("  NOTE: no update date: in no future did a new trial have a patient "
                     "with a primary outcome")
    if cell.p_settled_by is not None:
        lines.append(
            f"  P(settled{by}) = P({st.rule}) {pct(cell.p_settled.value)} x P(update"
            f"{by}) {pct(cell.p_update_by.value)} = {pct(cell.p_settled_by.value)} "
            f"(MC SE {pct(cell.p_settled_by.se, 2)})")
    lines.append("  median date the review is settled: "
                 + (_when(st, cell.median_settled_months) if cell.median_settled_months
                    is not None else f"never in half the futures (P({st.rule}) < 50 %)"))
    if st.grid:
        lines += ["", f"By n per arm and number of sites{by}:",
                  f"{'n/arm':>8}{'sites':>7}{'P(' + st.rule + ')':>14}{'median update':>16}"
                  f"{'P(update by)':>14}{'P(settled by)':>15}"]
        for c in st.grid:
            lines.append(f"{c.n_per_arm:>8}{c.sites:>7}{fmt(100 * c.p_settled.value, '>12.1f')} %"
                         f"{fmt(c.update_months.q50, '>13.1f')} mo{_by(c)}")
    return "\n".join(lines)
