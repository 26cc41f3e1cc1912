"""The report's sections on the trial itself: evidence, power, harms, and the
sensitivity to dropout, the estimand and functional unblinding. Each returns
HTML from :class:`~.gather.ReportData`; none computes a number."""

from __future__ import annotations

from ...mc import MonteCarloProbability
from ...spec.evidence_checks import is_evidence_warning
from ..plots import plot_harm_curve, plot_power_curve
from ..tables import evidence_warning
from ..._format import fmt
from .gather import ReportData
from .html import esc, num, pct, table
from .svg import figure_html

__all__ = ["evidence_html", "power_html", "harms_html", "sensitivity_html"]


def _mc(label: str, p: MonteCarloProbability, note: str = "") -> list[str]:
    return [label, pct(p.value), pct(p.se, 2), f"{pct(p.ci[0])} to {pct(p.ci[1])}", note]


def evidence_html(data: ReportData) -> str:
    """The evidence entries the numbers came from, with tags, and the CLI's warnings."""
    r = data.result
    rows = [[e["key"], num(e["estimate"], 4), num(e["se"], 3), ", ".join(e["tags"]),
             e["study"] or "", e["source"] or ""] for e in r.evidence]
    body = ("<p>The evidence table entries this scenario's numbers were taken from, with the "
            "provenance tags of every number in the entry (verified, derived, secondary, "
            "tertiary, proposed, missing: from the strongest to the weakest).</p>")
    body += (table(["entry", "estimate", "SE", "tags", "study", "source"], rows,
                   numeric=(1, 2)) if rows else
             "<p>No number of this scenario comes from the evidence table: every value is "
             "set in the scenario (see the inputs and their sources).</p>")
    warnings = [f"WARNING: {w}" for w in [evidence_warning(r)] if w]
    warnings += [f"{'WARNING' if is_evidence_warning(n) else 'NOTE'}: {n}" for n in r.notes]
    if warnings:
        body += "<h3>Warnings</h3>" + "".join(f'<div class="warning">{esc(w)}</div>'
                                              for w in warnings)
    return body


def _power_rows(data: ReportData) -> list[list[str]]:
    r = data.result
    observed = " (as observed)" if "unblinding" in r.parts else ""
    rows = [_mc(f"power{observed}", r.power, "rejects the null in either direction"
                if r.sided == 2 else "rejects in the benefit direction"),
            _mc("power in the benefit direction", r.power_benefit)]
    if r.analytic_power is not None:
        exact = "exact" if r.analytic_exact else "approximate"
        rows.append(["closed-form power", pct(r.analytic_power), "", "",
                     f"{exact}: {r.analytic_method}"])
    rows.append(["mean estimate (NRS points)", f"{fmt(r.mean_estimate, '+.3f')}",
                 f"{fmt(r.mean_estimate_se, '.3f')}", "",
                 f"true effect {fmt(r.true_effect, '+.3f')}, bias {fmt(r.bias, '+.3f')}"])
    if r.ci_coverage is not None:
        rows.append(_mc("confidence interval coverage", r.ci_coverage))
    relevance = r.parts.get("relevance")
    if relevance is not None:
        rows.append(_mc(f"estimate beyond the MCID ({relevance.mcid:g})",
                        relevance.p_estimate_beyond_mcid))
    if r.assurance is not None:
        rows.append(_mc(f"assurance ({data.scenario.pain.effect_prior} prior)", r.assurance,
                        "power averaged over the prior of the effect"))
        rows.append(["closed-form assurance", pct(r.analytic_assurance), "", "", ""])
        rows.append(["assurance ceiling", pct(r.assurance_ceiling), "", "",
                     "prior probability of a benefit: assurance cannot exceed it"])
    return rows


def power_html(data: ReportData) -> str:
    """Power beside its closed form, with Monte Carlo error, assurance and the curve."""
    r, s = data.result, data.scenario
    body = (f"<p>{r.n_sims:,} simulated trials of {s.design.n_total} patients "
            f"({', '.join(f'{a} {n}' for a, n in zip(r.arms, r.group_sizes))}) on the "
            f"{esc(r.path)} data path, seed {r.seed_entropy}. Monte Carlo standard errors "
            "and 95 % (Wilson) intervals say how precisely the simulation knows each "
            "number.</p>")
    body += table(["", "value", "MC SE", "95 % MC interval", "note"], _power_rows(data),
                  numeric=(1, 2))
    if r.per_comparison:
        rows = [[f"{arm} vs {r.arms[0]}", pct(c["power"]), pct(c["power_se"], 2),
                 pct(c["analytic_power"]), f"{c['effect']:+g}"]
                for arm, c in r.per_comparison.items()]
        body += "<h3>Each active arm</h3>" + table(
            ["comparison", "power (adjusted)", "MC SE", "closed form", "effect"], rows,
            numeric=(1, 2, 3, 4))
    ax = plot_power_curve(data.curve, target=data.target, solved=data.size,
                          chosen_n=s.design.n_per_arm)
    body += figure_html(ax, "power", data.provenance, "Power by patients per arm",
                        f"Simulated power (solid, with its shaded 95 % Monte Carlo band) and "
                        f"its closed form (dashed) from {min(data.curve.n_per_arm)} to "
                        f"{max(data.curve.n_per_arm)} patients per arm; the planned "
                        f"{s.design.n_per_arm} per arm is marked.")
    return body


def harms_html(data: ReportData) -> str:
    """P(harm detected) per adverse event, beside its exact value, and over n."""
    r = data.result
    rows = []
    for name, ae in r.adverse_events.items():
        p = ae.p_harm_detected
        rows.append([name, f"{ae.placebo_risk:g}", f"{ae.risk_ratio:.3g}",
                     f"{min(1.0, ae.placebo_risk * ae.risk_ratio):.3g}", pct(p.value),
                     pct(p.se, 2), pct(ae.analytic_p_harm_detected),
                     ", ".join(f"{fmt(m, '.1f')}" for m in ae.mean_events)])
    body = ("<p>The probability that the trial detects each adverse event's harm: the log "
            f"risk ratio test rejects in the harm direction at alpha {r.alpha:g} "
            f"({'two' if r.sided == 2 else 'one'}-sided), beside its exact value by "
            "enumeration of both binomial counts.</p>")
    body += table(["adverse event", "placebo risk", "risk ratio", "active risk",
                   "P(harm detected)", "MC SE", "exact", "mean events per arm"], rows,
                  numeric=(1, 2, 3, 4, 5, 6))
    ax = plot_harm_curve(data.curve)
    body += figure_html(ax, "harms", data.provenance, "Detecting harm by patients per arm",
                        "P(harm detected) for each adverse event, with its shaded 95 % "
                        "Monte Carlo band.")
    return body


def _estimand_rows(data: ReportData) -> list[list[str]]:
    runs = {data.scenario.analysis.estimand: data.result, **data.estimands}
    rows = []
    for name, run in runs.items():
        mark = " (the scenario's)" if name == data.scenario.analysis.estimand else ""
        cover = "n/a" if run.ci_coverage is None else pct(run.ci_coverage.value)
        rows.append([name + mark, pct(run.power.value), pct(run.power.se, 2),
                     f"{fmt(run.mean_estimate, '+.3f')}", f"{fmt(run.true_effect, '+.3f')}",
                     f"{fmt(run.bias, '+.3f')}", cover])
    rows += [[f"{name} (not allowed)", "", "", "", "", "", why]
             for name, why in data.estimands_refused.items()]
    return rows


def sensitivity_html(data: ReportData) -> str:
    """Power without dropout, the estimands side by side, and unblinding bias."""
    r = data.result
    body = ""
    if r.power_no_dropout is not None:
        lost = r.power_no_dropout.value - r.power.value
        body += (f"<p>Without dropout the same trials would have {pct(r.power_no_dropout.value)}"
                 f" power (MC SE {pct(r.power_no_dropout.se, 2)}), against "
                 f"{pct(r.power.value)} with it: dropout costs {fmt(100 * lost, '.1f')} "
                 "percentage "
                 "points of power (common random numbers: the same trials with nobody "
                 "withdrawn).</p>")
    if data.estimands:
        body += ("<h3>Estimands side by side</h3><p>The same trials analysed under each "
                 "estimand the scenario allows: how withdrawal is handled changes what is "
                 "estimated (the true effect), the power and the bias.</p>")
        body += table(["estimand", "power", "MC SE", "mean estimate", "true effect", "bias",
                       "CI coverage"], _estimand_rows(data), numeric=(1, 2, 3, 4, 5))
    elif not body:
        body += "<p>No dropout is assumed: every estimand analyses the same data.</p>"
    part = r.parts.get("unblinding")
    if part is not None:
        body += "<h3>Functional unblinding</h3>" + table(
            ["", "value", "MC SE", "95 % MC interval", "note"],
            [_mc("power as observed", r.power, "drug effect plus expectancy bias"),
             _mc("power of the drug alone", part.power_drug_alone,
                 "the same trials without the expectancy shift"),
             _mc("false-positive rate", part.false_positive_rate,
                 f"no drug effect, the shift alone (alpha {r.alpha:g})"),
             ["unblinding bias (NRS points)", num(r.unblinding_bias), "", "",
              "mean estimate minus the mean without the shift"]], numeric=(1, 2))
    return body
