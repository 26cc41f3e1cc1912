"""The tables of interim analyses: ``trialsim boundaries``, and the rows ``run`` adds."""

from __future__ import annotations

from ..planning.adaptive import PromisingZone
from ..planning.boundary_table import BoundaryTable
from ..planning.results import SimulationResult
from .._format import fmt, pct, sided_text

__all__ = ["format_boundaries", "sequential_rows", "format_promising_zone"]


def format_boundaries(table: BoundaryTable) -> str:
    """The text of ``trialsim boundaries``: one row per look.

    Parameters
    ----------
    table : BoundaryTable

    Returns
    -------
    str
    """
    sided = sided_text(table.sided)
    futility = ("no futility bounds" if all(r.futility_z is None for r in table.rows) else
                f"{'binding' if table.binding else 'non-binding'} futility"
                + ("" if table.beta_spending == "none" else f" ({table.beta_spending})"))
    lines = [f"{table.scenario_name}: {len(table.rows)} looks, {table.alpha_spending} alpha "
             f"spending, alpha {table.alpha:g} {sided}, {futility}", "",
             f"{'look':>4}{'info':>7}{'n/arm':>13}{'z':>8}{'nominal p':>11}{'effect':>9}"
             f"{'fut. z':>8}{'fut. eff.':>10}{'alpha spent':>13}{'beta spent':>12}"]
    for r in table.rows:
        arms = ",".join(str(n) for n in r.group_sizes)
        lines.append(f"{r.look:>4}{r.information:>7.3f}{arms:>13}{fmt(r.z, '.3f', none='-'):>8}"
                     f"{r.nominal_p:>11.5f}{fmt(r.effect, '+.3f', none='-'):>9}"
                     f"{fmt(r.futility_z, '.3f', none='-'):>8}"
                     f"{fmt(r.futility_effect, '+.3f', none='-'):>10}"
                     f"{r.alpha_spent:>13.5f}{r.beta_spent:>12.4f}")
    lines += ["",
              "z: efficacy bound (benefit positive"
              + ("; also rejects at -z" if table.sided == 2 else "") + "); effect: the "
              "estimate (NRS points) at that bound, at the look's expected standard error",
              f"maximum information {table.inflation_factor:.4f} x a fixed design's; expected "
              f"information {table.expected_information_h0:.4f} (H0) and "
              f"{table.expected_information_h1:.4f} (H1) x a fixed design's",
              f"at the scenario's effect and n: power {pct(table.power)}, expected patients "
              f"{fmt(table.expected_n, '.1f')} (closed form)"]
    lines += [f"NOTE: {note}" for note in table.notes]
    return "\n".join(lines)


def sequential_rows(result: SimulationResult) -> list[str]:
    """The interim-analysis block of ``trialsim run`` (empty without ``[interim]``)."""
    if "sequential" not in result.parts:
        return []
    part = result.parts["sequential"]
    cf = part.closed_form
    closed = "" if cf is None else f"{'closed':>9}"
    lines = ["", f"Interim analyses ({len(part.looks)} looks; power above is the sequential "
             "trial's)",
             f"{'look':>4}{'n/arm':>13}{'z bound':>9}{'P(stop, efficacy)':>19}{closed}"
             f"{'P(stop, futility)':>19}{closed}"
             + ("" if not part.conditional_power_design else
                f"{'CP design':>11}{'CP trend':>10}")]
    for k, sizes in enumerate(part.looks):
        fut = part.futility[k] if k < len(part.futility) else None
        line = (f"{k + 1:>4}{','.join(str(n) for n in sizes):>13}"
                f"{part.critical_values[k]:>9.3f}{pct(part.efficacy[k].value):>19}")
        if cf is not None:
            line += f"{pct(cf.efficacy[k]):>9}"
        line += f"{'-' if fut is None else pct(fut.value):>19}"
        if cf is not None:
            line += f"{'-' if fut is None else pct(cf.futility[k]):>9}"
        if k < len(part.conditional_power_design):
            line += (f"{_meanpct(part.conditional_power_design[k]):>11}"
                     f"{_meanpct(part.conditional_power_trend[k]):>10}")
        lines.append(line)
    en = part.expected_n
    beside = "" if cf is None else f"closed form {cf.expected_n:.1f}; "
    lines.append(f"{'Expected patients':<27}{fmt(en.value, '>12.1f')}{fmt(en.se, '>9.2f')}   "
                 f"{beside}maximum {part.max_n}")
    if part.conditional_power_design:
        lines.append("CP: mean conditional power of the trials going on past the look, under "
                     "the design's drift and under the current trend")
    return lines + _common_rows(result)


def _meanpct(m) -> str:
    return "-" if m.n == 0 else pct(m.value)


def _common_rows(result: SimulationResult) -> list[str]:
    part = result.parts["sequential"]
    lines = [
        f"{'Power, fixed design':<27}{pct(part.power_fixed.value):>12}   (all "
        f"{part.max_n} patients, no interim look)",
        f"{'Estimate at stopping':<27}{fmt(part.estimate_at_stop.value, '>+12.3f')}"
        f"{fmt(part.estimate_at_stop.se, '>9.3f')}   (bias {fmt(part.bias_at_stop.value, '+.3f')}, "
        f"MC SE {fmt(part.bias_at_stop.se, '.3f')}; stopping at a bound selects extreme "
        "estimates)",
    ]
    mue, bias = part.median_unbiased, part.median_unbiased_bias
    if mue is not None and mue.n > 0:
        lines.append(f"{'Median-unbiased estimate':<27}{mue.value:>+12.3f}{mue.se:>9.3f}   "
                     f"(bias {bias.value:+.3f}, MC SE {bias.se:.3f}; stage-wise ordering, "
                     "as rpact's getFinalConfidenceInterval)")
    final, naive = part.final_ci_coverage, part.naive_ci_coverage_at_stop
    if final is not None and naive is not None:
        level = pct(result.interval_level)
        lines += [f"{'Final CI covers the truth':<27}{pct(final.value):>12}"
                  f"{fmt(100 * final.se, '>7.2f')} %   ({level} stage-wise interval, mean "
                  f"width {fmt(part.final_ci_width.value, '.3f')})",
                  f"{'Naive CI at stopping':<27}{pct(naive.value):>12}"
                  f"{fmt(100 * naive.se, '>7.2f')} %   (the fixed-design {level} interval of "
                  "the look, ignoring the stopping rule)"]
    if part.reject_ignoring_futility.value != result.power.value:
        lines.append(f"{'Rejects, futility ignored':<27}"
                     f"{pct(part.reject_ignoring_futility.value):>12}   (if the "
                     "non-binding futility stops are not followed)")
    if part.harm_at_stop:
        lines.append("P(harm detected) with the patients analysed at stopping (the "
                     "adverse-event table's: at the maximum n)")
    for name, p in part.harm_at_stop.items():
        lines.append(f"  {name:<25}{pct(p.value):>12}{fmt(100 * p.se, '>7.2f')} %")
    return lines


def format_promising_zone(r: PromisingZone) -> str:
    """The text of ``trialsim adaptive``.

    Parameters
    ----------
    r : PromisingZone

    Returns
    -------
    str
    """
    n = r.reject.n_sims

    def row(label: str, p, note: str = "") -> str:
        return f"{label:<40}{pct(p.value):>9}{100 * p.se:>8.2f} %   {note}".rstrip()

    return "\n".join([
        f"Promising-zone re-estimation: {r.n1}/arm, then {r.n2_planned}/arm planned (up to "
        f"{r.n2_max}/arm when the conditional power under the trend is in "
        f"[{r.cp_min:g}, {r.cp_target:g})); effect {r.effect:g}; {n:,} trials",
        f"bounds z {r.critical_values[0]:.3f}, {r.critical_values[1]:.3f}; inverse normal "
        f"weights {r.weights[0]:.4f}, {r.weights[1]:.4f} (fixed at the plan)", "",
        f"{'':<40}{'P(reject)':>9}{'MC SE':>10}",
        row("weighted inverse normal (CHW)", r.reject,
            f"closed form {pct(r.closed_form)}"),
        row("pooled t test, all patients", r.reject_pooled, "ignores the re-estimation"),
        row("no re-estimation (the plan)", r.reject_planned, "the same trials"),
        row("rejected at the interim", r.stop_first),
        row("second stage enlarged", r.increased),
        f"{'Expected patients':<40}{r.expected_n.value:>9.1f}{r.expected_n.se:>10.2f}   "
        f"(planned {2 * (r.n1 + r.n2_planned)})"])
