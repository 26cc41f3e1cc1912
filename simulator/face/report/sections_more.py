"""The report's sections beyond the trial: resolving the review, recruitment,
interim analyses and the reproducibility block. Each returns HTML from
:class:`~.gather.ReportData`; none computes a number."""

from __future__ import annotations

import platform
import shlex

import numpy as np

from ..._version import __version__
from ..._format import fmt
from ..plots import plot_conclusive_curves
from ..plots_recruitment import plot_chair_utilisation, plot_enrolment
from ..plots_sequential import plot_boundaries
from .gather import ReportData
from .html import esc, num, pct, table
from .svg import figure_html

__all__ = ["resolve_html", "recruitment_html", "interim_html", "reproducibility_html"]


def _resolve_table(data: ReportData) -> str:
    """P(conclusive) by rule (rows) and number of new trials (columns)."""
    review = data.review
    first = review[min(review)].resolve
    rows = []
    for rule in first.rules:
        row = [rule]
        for k in sorted(review):
            p = review[k].resolve.p_conclusive[rule]
            row.append(f"{pct(p.value)} ({pct(p.se, 1)})")
        rows.append(row)
    closed = []
    for k in sorted(review):
        c = review[k].resolve.closed
        closed.append("n/a" if c is None or c.conditional_power is None else
                      pct(c.conditional_power))
    rows.append(["closed form, ci-excludes-0 (Roloff, tau^2 fixed)"] + closed)
    heads = ["rule"] + [f"{k} new trial{'s' if k > 1 else ''}" for k in sorted(review)]
    return table(heads, rows, numeric=tuple(range(1, len(heads))))


def resolve_html(data: ReportData) -> str:
    """P(conclusive) by rule and number of trials, the closed forms, k_min, information."""
    s = data.scenario
    res = data.result.resolve
    ex, closed = res.existing, res.closed
    body = (f"<p>The existing evidence: {fmt(ex.estimate, '+.3f')} NRS points "
            f"(SE {fmt(ex.se, '.3f')}), "
            f"tau^2 {ex.tau2:g}" + ("" if ex.i2 is None else f", I^2 {pct(ex.i2, 0)}")
            + (f", {ex.k} studies" if ex.k else "") + ". Each simulated future adds new "
            f"trials of this design ({s.design.n_per_arm} per arm, true effect "
            f"{s.pain.effect:+g}) and updates the meta-analysis; a rule says when the update "
            f"is conclusive. {data.result.n_sims:,} futures per column (MC SE in "
            "brackets).</p>")
    body += _resolve_table(data)
    if closed is not None:
        sizes = ", ".join(f"{k} trial{'s' if k > 1 else ''} of {n} per arm"
                          for k, n in closed.n_per_arm_for_k.items()) or "none"
        rows = [["required information I*", f"{fmt(closed.required_information, '.2f')}"],
                ["information of the review I0", f"{fmt(closed.existing_information, '.2f')}"],
                ["k_min: fewest new trials that can supply I* - I0", str(closed.k_min)],
                ["equal new trials that supply it", sizes],
                ["plateau of the conditional power as n grows", pct(closed.plateau)],
                ["TSA required information size (participants)", num(closed.ris, 4)],
                ["heterogeneity-adjusted (participants)", num(closed.daris, 4)]]
        body += "<h3>Closed forms and information sizes</h3>" + table(["", "value"], rows,
                                                                       numeric=(1,))
    ax = plot_conclusive_curves(data.conclusive, target=data.target)
    body += figure_html(ax, "resolve", data.provenance, "P(conclusive) by n per new trial",
                        "P(the updated meta-analysis is conclusive) for 1 to "
                        f"{max(data.conclusive)} new trials of the design, with shaded 95 % "
                        "Monte Carlo bands; dashed: the closed form.")
    return body


def _months(x) -> str:
    return f"{fmt(x.q50, '.1f')} ({fmt(x.q05, '.1f')} to {fmt(x.q95, '.1f')})"


def recruitment_html(data: ReportData) -> str:
    """Timelines, P(complete by the deadline), chair use and power at the deadline."""
    r = data.recruitment
    rows = [["months to full enrolment, median (5-95 %)", _months(r.months_to_full_enrolment)],
            ["months to the last primary outcome", _months(r.months_to_last_outcome)]]
    if r.p_complete_by_deadline is not None:
        p = r.p_complete_by_deadline
        rows += [[f"P(complete by {r.deadline_months:g} months)",
                  f"{pct(p.value)} (MC SE {pct(p.se, 2)})"],
                 ["patients randomised by the deadline (mean)",
                  f"{fmt(r.n_randomized_by_deadline.value, '.1f')}"],
                 ["patients with a primary outcome by the deadline (mean)",
                  f"{fmt(r.n_completed_by_deadline.value, '.1f')}"]]
    if r.chair_utilisation is not None:
        rows += [["chair utilisation", f"{pct(r.chair_utilisation.value)} (ceiling "
                                       f"{pct(r.utilisation_ceiling)})"],
                 ["mean wait for a first session (days)",
                  f"{fmt(r.mean_wait_days.value, '.1f')}"],
                 ["patients withdrawn while waiting (mean)",
                  f"{fmt(r.n_withdrawn_waiting.value, '.1f')}"]]
    if r.power_at_deadline is not None:
        rows.append(["power at the deadline", f"{pct(r.power_at_deadline.value)} (MC SE "
                                              f"{pct(r.power_at_deadline.se, 2)})"])
    if r.cost is not None:
        rows.append(["total cost, median (5-95 %)", _months(r.cost)])
    body = (f"<p>{r.n_reps:,} simulated recruitments of {r.n_target} patients at {r.sites} "
            f"sites ({esc(r.path)} path, seed {r.seed_entropy}).</p>")
    body += table(["", "value"], rows, numeric=(1,))
    body += figure_html(plot_enrolment(r), "enrolment", data.provenance, "Enrolment over time",
                        "Patients randomised and primary outcomes over time: median and "
                        "5-95 % of the simulated trials; the target and the deadline.")
    if r.utilisation is not None:
        body += figure_html(plot_chair_utilisation(r), "chairs", data.provenance,
                            "Infusion chair utilisation",
                            "Share of the open sites' chair hours in use over time.")
    return body


def _stopped_estimates(part, result) -> str:
    """The median-unbiased estimate and the intervals' coverage, where the run has them."""
    mue, final, naive = (part.median_unbiased, part.final_ci_coverage,
                         part.naive_ci_coverage_at_stop)
    if mue is None or final is None or naive is None or mue.n == 0:
        return ""
    level = pct(result.interval_level)
    return (f", median-unbiased (stage-wise) {fmt(mue.value, '+.3f')}; the {level} final "
            f"confidence interval covers the true effect in {pct(final.value)} of trials, the "
            f"naive interval of the look at which a trial stopped in {pct(naive.value)}")


def interim_html(data: ReportData) -> str:
    """The boundary table and the sequential trial's operating characteristics."""
    t, part = data.boundaries, data.result.parts.get("sequential")
    rows = [[str(r.look), f"{fmt(r.information, '.3f')}", str(sum(r.group_sizes)), num(r.z, 4),
             num(r.nominal_p, 3), num(r.effect, 3), num(r.futility_z, 4),
             f"{fmt(r.alpha_spent, '.5f')}"] for r in t.rows]
    body = (f"<p>{len(t.rows)} looks, {esc(t.alpha_spending)} alpha spending, "
            f"{'binding' if t.binding else 'non-binding'} futility ({esc(t.beta_spending)}); "
            f"closed-form power {pct(t.power)}, expected patients "
            f"{fmt(t.expected_n, '.1f')}, maximum "
            f"information {fmt(t.inflation_factor, '.3f')} times the fixed design's.</p>")
    body += table(["look", "information", "patients", "efficacy z", "nominal p",
                   "effect bound", "futility z", "alpha spent"], rows,
                  numeric=tuple(range(8)))
    if part is not None:
        srows = [[str(k + 1), pct(e.value),
                  pct(part.futility[k].value) if k < len(part.futility) else "-"]
                 for k, e in enumerate(part.efficacy)]
        body += ("<h3>The sequential trial, simulated</h3>"
                 f"<p>Expected patients at stopping {fmt(part.expected_n.value, '.1f')} of "
                 f"{part.max_n} (MC SE {fmt(part.expected_n.se, '.1f')}); power of the fixed "
                 "design "
                 f"of the maximum n on the same trials {pct(part.power_fixed.value)}; "
                 f"mean estimate at stopping {fmt(part.estimate_at_stop.value, '+.3f')}"
                 f"{_stopped_estimates(part, data.result)}.</p>")
        body += table(["look", "P(stop for efficacy)", "P(stop for futility)"], srows,
                      numeric=(1, 2))
    ax = plot_boundaries(t, data.z_paths)
    body += figure_html(ax, "boundaries", data.provenance, "Boundaries on the z scale",
                        "Efficacy and futility bounds against the information fraction, "
                        "with simulated trials' z paths up to their stop.")
    return body


def reproducibility_html(data: ReportData) -> str:
    """Everything needed to make this report again."""
    p = data.provenance
    items = [("trialsim", __version__), ("scenario", p.scenario or ""),
             ("scenario SHA-256", p.scenario_sha256 or ""), ("seed", str(data.seed)),
             ("n_sims", f"{data.n_sims:,}"), ("command", p.command), ("date", p.created),
             ("Python", platform.python_version()), ("numpy", np.__version__),
             ("scipy", p.scipy), ("--set", ", ".join(f"{k}={v}" for k, v in
                                                   data.overrides.items()) or "none")]
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    again = shlex.split(p.command) if p.command else []
    if again and "--seed" not in again:
        again += ["--seed", str(data.seed)]
    return ("<p>The same command on a scenario file with the same SHA-256, with the same "
            "versions, gives the same numbers.</p>"
            f'<dl class="repro">{rows}</dl><h3>To make it again</h3>'
            f"<pre>{esc(shlex.join(again))}</pre>")
