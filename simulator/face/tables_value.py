"""The text of ``trialsim value``: EVPI and EVPPI, then EVSI, cost and ENBS by n.

Each function turns a :class:`~simulator.planning.value_results.ValueResult`
into the lines the verb prints; none computes a number of its own.
"""

from __future__ import annotations

from .._format import money
from ..planning.value_results import OptimalDesign, ValueResult
from ..spec import Scenario

__all__ = ["format_value", "format_design"]


def _header(scenario: Scenario, r: ValueResult) -> list[str]:
    d = scenario.decision
    lines = [
        f"Decision           adopt or not; E[net benefit] per patient {r.prior_mean_inb:+,.2f} "
        f"{r.unit}: on current evidence, {r.decision}",
        f"Population         {d.population_per_year:,.0f} a year over {d.horizon_years:g} years "
        f"at {100 * d.discount_rate:g} %: {r.population:,.0f} discounted patients",
        f"Simulation         {r.n_sims:,} futures, {r.trials} new trial(s) each, seed {r.seed}; "
        f"EVSI by {r.method}; closed form: {r.closed_form}",
        "",
        f"{'value of':<34}{'per patient':>14}{'population':>18}  method",
    ]
    for p in (r.evpi, *r.evppi):
        name = "perfect information (EVPI)" if p.parameter == "all" else f"EVPPI {p.parameter}"
        se = f" (SE {p.se:.2g})" if p.se else ""
        lines.append(f"{name:<34}{p.per_patient:>14,.3f}{p.population:>18,.0f}  "
                     f"{p.method}{se}")
    return lines + [""]


def format_value(scenario: Scenario, r: ValueResult) -> str:
    """The lines ``trialsim value`` prints.

    Parameters
    ----------
    scenario : Scenario
    r : ValueResult

    Returns
    -------
    str
    """
    lines = _header(scenario, r)
    lines.append(f"{'n/arm':>6}{'EVSI/pt':>10}{'(SE)':>8}{'closed':>9}{'P(change)':>11}"
                 f"{'months':>8}{'pop. EVSI':>13}{'cost':>12}{'ENBS':>13}{'(SE)':>10}"
                 f"{'closed':>13}")
    for p in r.points:
        closed = "-" if p.evsi_closed is None else f"{p.evsi_closed:.3f}"
        lines.append(f"{p.n_per_arm:>6}{p.evsi:>10.3f}{p.evsi_se:>8.3f}{closed:>9}"
                     f"{p.p_change.value:>11.3f}{p.months_to_result:>8.1f}"
                     f"{money(p.population_evsi, '-'):>13}{money(p.trial_cost, '-'):>12}"
                     f"{money(p.enbs, '-'):>13}{money(p.enbs_se, '-'):>10}"
                     f"{money(p.enbs_closed, '-'):>13}")
    span = ("no Monte Carlo range (bootstraps = 0)" if r.optimal_range is None else
            f"Monte Carlo range of the argmax {r.optimal_range[0]}-{r.optimal_range[1]} "
            f"({100 * r.optimal_share:.0f} % of {r.bootstraps} resamples at {r.optimal_n})")
    lines += ["", f"Optimal n          {r.optimal_n} per arm (ENBS "
              f"{money(r.point_at(r.optimal_n).enbs, '-')} {r.unit}); {span}"
              + ("" if r.optimal_n_closed is None else
                 f"; closed form {r.optimal_n_closed}")]
    lines.append("Worth running      " + ("yes: the best ENBS is above 0" if r.worth_running
                                         else "no: no size on the grid has ENBS above 0"))
    lines.append("Values are the user's value judgements (see docs/value.md).")
    return "\n".join(lines)


def format_design(scenario: Scenario, d: OptimalDesign) -> str:
    """The lines of ``trialsim value --max-trials K``: one table per number of trials.

    Parameters
    ----------
    scenario : Scenario
    d : OptimalDesign

    Returns
    -------
    str
    """
    blocks = [f"=== {k} new trial(s) ===\n" + format_value(scenario, r)
              for k, r in d.by_trials.items()]
    unit = d.by_trials[d.trials].unit
    blocks.append(f"Optimal design     {d.trials} new trial(s) of {d.n_per_arm} per arm "
                  f"(ENBS {money(d.enbs, '-')} {unit}); each number of trials is its own run, so "
                  "compare them with their Monte Carlo SEs")
    return "\n\n".join(blocks)
