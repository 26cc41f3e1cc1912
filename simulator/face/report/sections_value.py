"""The report's value-of-information section: is the next trial worth running?

It reads :attr:`~.gather.ReportData.value` (a
:class:`~simulator.planning.value_results.ValueResult`) and computes
nothing of its own.
"""

from __future__ import annotations

from ..._format import money
from ..plots_value import plot_value_curve
from .gather import ReportData
from .html import esc, pct, table
from .svg import figure_html

__all__ = ["value_html"]


def value_html(data: ReportData) -> str:
    """EVPI and EVPPI, EVSI, cost and ENBS by n, the optimal n, with the value judgements."""
    r, d = data.value, data.scenario.decision
    unit = esc(r.unit)
    body = (f"<p>The decision: adopt the treatment or not. Adopting is worth "
            f"{d.value_per_point:,.0f} {unit} per NRS point less pain per treated patient, "
            f"minus {d.treatment_cost:,.0f} {unit} of treatment"
            + "".join(f", minus {w:,.0f} {unit} per {esc(name)} event"
                      for name, w in d.event_weights)
            + f". On current evidence the expected net benefit is {r.prior_mean_inb:+,.0f} "
            f"{unit} per patient: <strong>{esc(r.decision)}</strong>. "
            f"{d.population_per_year:,.0f} patients a year over {d.horizon_years:g} years at "
            f"{100 * d.discount_rate:g} % make {r.population:,.0f} discounted patients. "
            "<strong>These weights, the population, the horizon and the discount rate are "
            "value judgements of the decision maker, not evidence.</strong></p>")
    rows = [[("perfect information (EVPI)" if p.parameter == "all"
              else f"perfect information on {p.parameter} (EVPPI)"),
             f"{p.per_patient:,.2f}", money(p.population), p.method] for p in
            (r.evpi, *r.evppi)]
    body += table(["", f"per patient ({r.unit})", f"population ({r.unit})", "method"], rows,
                  numeric=(1, 2))
    rows = [[str(p.n_per_arm), f"{p.evsi:,.2f} ({p.evsi_se:.2f})",
             "n/a" if p.evsi_closed is None else f"{p.evsi_closed:,.2f}",
             pct(p.p_change.value), f"{p.months_to_result:.1f}", money(p.population_evsi),
             money(p.trial_cost), f"{money(p.enbs)} ({money(p.enbs_se)})"]
            for p in r.points]
    body += table(["n per arm", "EVSI per patient (SE)", "closed form", "P(decision changes)",
                   "months to result", "population EVSI", "trial cost", "ENBS (SE)"], rows,
                  numeric=tuple(range(8)))
    span = ("" if r.optimal_range is None else
            f" (Monte Carlo range of the argmax {r.optimal_range[0]} to {r.optimal_range[1]})")
    verdict = ("worth running" if r.worth_running else
               "not worth running at any size shown (every ENBS is below 0)")
    body += (f"<p>EVSI comes from {r.n_sims:,} simulated futures of the design (the "
             f"assurance trials) by {esc(r.method)}. The trial is {verdict}; the size of "
             f"largest ENBS is <strong>{r.optimal_n} per arm</strong>{span}.</p>")
    ax = plot_value_curve(r)
    body += figure_html(ax, "value", data.provenance, "EVSI, cost and ENBS by n per arm",
                        "Population EVSI (discounted to the result), the trial's cost and "
                        "ENBS, with 95 % Monte Carlo bands; the optimal n and its range.")
    return body
