"""The question in one paragraph, and the sample-size paragraph of a protocol.

The sample-size paragraph is worded as statisticians write it in a
protocol: the design, the primary analysis, alpha, the effect and the SD
with their sources, dropout and how it is handled, the resulting n and its
power, the software with its version and the seed. Every number in it is
the run's (the paragraph carries them as ``data-`` attributes too, so that a
test can hold the words to the numbers).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..._version import __version__
from ...spec import Scenario
from ..._format import fmt, sided_text
from .gather import ReportData
from .html import esc, pct
from .inputs import FieldSource

__all__ = ["question_html", "sample_size_html", "ANALYSES", "ESTIMAND_HANDLING"]

#: The primary analyses in a protocol's words.
ANALYSES = {
    "ancova": "an analysis of covariance (ANCOVA) of the follow-up pain score adjusted for "
              "the baseline score",
    "change": "a two-sample {test} t test of the change in pain score from baseline",
    "followup": "a two-sample {test} t test of the follow-up pain score",
    "responder30": "a comparison of the proportions of patients with at least 30 % pain "
                   "reduction",
    "responder50": "a comparison of the proportions of patients with at least 50 % pain "
                   "reduction",
}

#: How each estimand handles patients who withdraw.
ESTIMAND_HANDLING = {
    "hypothetical": "patients who withdraw are not analysed (hypothetical estimand; a "
                    "complete-case analysis)",
    "treatment-policy-bocf": "every randomised patient is analysed, a withdrawn patient's "
                             "baseline score carried forward (treatment-policy estimand)",
    "treatment-policy-j2r": "every randomised patient is analysed, the follow-up of withdrawn "
                            "patients imputed from the placebo arm (jump to reference; "
                            "{m} multiple imputations combined by Rubin's rules)",
    "composite": "every randomised patient is analysed, withdrawal counted as non-response "
                 "(composite estimand)",
}

_MECHANISM = {"mcar": "completely at random", "mar": "depending on the baseline score",
              "mnar": "depending on the patient's own outcome",
              "ae": "after adverse events only"}


def _source(key: str, sources: Mapping[str, FieldSource]) -> str:
    """A field's source for a sentence: ``scenario file: ...``."""
    return sources.get(key, FieldSource("default")).short


def _points(x: float) -> str:
    """NRS points as a protocol writes them: one decimal at least."""
    return f"{x:.1f}" if round(x, 1) == x else f"{x:g}"


def _analysis(scenario: Scenario) -> str:
    test = "Student" if scenario.analysis.test == "student" else "Welch"
    d = scenario.design
    if d.kind == "crossover" and d.crossover_analysis == "within":
        return ("the period-adjusted within-patient comparison (a two-sample t test of the "
                "half period differences between the two sequences)")
    text = ANALYSES[scenario.pain.analysis].format(test=test)
    if d.kind == "crossover":
        text += " in the first period alone"
    if d.kind == "multiarm":
        adjust = {"dunnett": "Dunnett's", "holm": "Holm's", "bonferroni": "the Bonferroni",
                  "none": "no"}[scenario.analysis.multiplicity]
        text += f", each active arm against {d.arms[0]} with {adjust} adjustment for multiplicity"
    return text


def _and(items: list[str]) -> str:
    """``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _effect(s: Scenario, sources: Mapping[str, FieldSource]) -> str:
    """The assumed true difference(s) with the source."""
    d = s.design
    source = esc(_source("pain.arm_effects" if s.pain.arm_effects else "pain.effect", sources))
    if s.pain.arm_effects:
        each = _and([f"{_points(e)} ({esc(a)})" for a, e in zip(d.arms[1:], s.pain.arm_effects)])
        return (f"true differences of {each} NRS points against {esc(d.arms[0])} "
                f"({source})")
    versus = "each active arm" if d.kind == "multiarm" else esc(d.arms[1])
    return (f"a true difference of {_points(s.pain.effect)} NRS points ({versus} minus "
            f"{esc(d.arms[0])}; {source})")


def _power(data: ReportData) -> str:
    """The power clause: power (multi-arm: of any comparison), its MC SE and closed form."""
    r = data.result
    closed = ("" if r.analytic_power is None else
              f"; closed-form {'value' if r.analytic_exact else 'approximation'} "
              f"{pct(r.analytic_power)}")
    what, each = "to reject the null hypothesis", ""
    if r.per_comparison:
        what = "that at least one comparison rejects its null hypothesis"
        each = "; each arm: " + _and([f"{esc(a)} {pct(c['power'])}"
                                      for a, c in r.per_comparison.items()])
    text = (f"{pct(r.power.value)} power {what} (Monte Carlo standard error "
            f"{pct(r.power.se, 2)}{closed}{each})")
    if r.assurance is not None:
        text += (f"; averaged over the {esc(data.scenario.pain.effect_prior)} prior of the "
                 f"effect, the probability of a significant benefit (assurance) is "
                 f"{pct(r.assurance.value)}, at most {pct(r.assurance_ceiling)} (the prior "
                 "probability of a benefit)")
    return text


def question_html(data: ReportData) -> str:
    """The planning question in one paragraph."""
    s, r = data.scenario, data.result
    active = ", ".join(s.design.arms[1:])
    sided = sided_text(s.analysis.sided)
    extra = []
    if s.meta_analysis is not None:
        extra.append("whether new trials of this design would make the existing "
                     "meta-analysis conclusive")
    if s.recruitment is not None:
        extra.append("whether the sites can recruit and treat the patients by the deadline")
    if s.interim is not None:
        extra.append("how the interim analyses change power and the expected number of "
                     "patients")
    also = f" It also asks {'; '.join(extra)}." if extra else ""
    return (f'<p id="question">Would a {s.design.kind} trial of {esc(active)} against '
            f"{esc(s.design.arms[0])} in adults with chronic pain, with "
            f"{s.design.n_total} patients randomised, show an effect on pain intensity "
            f"(0-10 numerical rating scale) if the true effect is {_points(s.pain.effect)} NRS "
            f"points (active minus placebo; negative is less pain), and how likely is it to "
            f"detect the adverse events of the drug? The primary analysis is "
            f"{esc(_analysis(s))}, at a {sided} significance level of {s.analysis.alpha:g}. "
            f"This report answers by simulating {r.n_sims:,} trials of the design.{esc(also)}"
            "</p>")


def _randomise(s: Scenario) -> str:
    """Who is randomised to what, in a sentence."""
    d = s.design
    if d.kind == "crossover":
        p, a = d.arms
        return (f"The trial will randomise {d.group_sizes[0]} patients to {p} then {a} and "
                f"{d.group_sizes[1]} to {a} then {p}, a 2x2 crossover")
    arms = [f"{n} to {name}" for name, n in zip(d.arms, d.group_sizes)]
    arms[0] = f"{d.group_sizes[0]} patients to {d.arms[0]}"
    return f"The trial will randomise {', '.join(arms[:-1])} and {arms[-1]}"


def _dropout_sentence(data: ReportData, sources: Mapping[str, FieldSource]) -> str:
    s, r = data.scenario, data.result
    d = s.dropout
    handling = ESTIMAND_HANDLING[s.analysis.estimand].format(m=s.analysis.imputations)
    if d.rate == 0 and not d.after_ae:
        return f"No dropout is assumed; {handling}."
    parts = []
    if d.rate > 0:
        parts.append(f"{pct(d.rate, 0 if (100 * d.rate).is_integer() else 1)} dropout "
                     f"{_MECHANISM[d.mechanism]} ({esc(_source('dropout.rate', sources))})")
    for name, p in d.after_ae.items():
        parts.append(f"the withdrawal of a further {pct(p, 0)} of patients with "
                     f"{esc(name)} events ({esc(_source('dropout.after_ae', sources))})")
    completers = _and([f"{c:.1f}" for c in r.mean_completers])
    return (f"The calculation allows for {' and '.join(parts)}, in the simulated trials "
            f"themselves rather than by inflating n: on average {completers} patients per "
            f"arm have a primary outcome; {handling}.")


def _design_sentences(data: ReportData) -> str:
    """Interim analyses and functional unblinding, where the scenario has them."""
    s, r = data.scenario, data.result
    text = ""
    seq = r.parts.get("sequential")
    if s.interim is not None and seq is not None:
        looks = ", ".join(f"{f:g}" for f in s.interim.looks[:-1])
        futility = ("no futility bound" if s.interim.beta_spending == "none" else
                    f"{'binding' if s.interim.binding else 'non-binding'} futility bounds "
                    f"({esc(s.interim.beta_spending)})")
        text += (f"The power is that of the group-sequential design: interim analyses at "
                 f"{looks} of the information, {esc(s.interim.alpha_spending)} alpha "
                 f"spending and {futility}; the trial stops after "
                 f"{fmt(seq.expected_n.value, '.0f')} "
                 f"of its {seq.max_n} patients on average. ")
    part = r.parts.get("unblinding")
    if part is not None:
        text += (f"Patients with {esc(s.pain.unblinding_ae)} events may guess their arm and "
                 f"report their pain shifted by {s.pain.unblinding_shift:+g} points "
                 f"(functional unblinding): the power above is as observed; the drug effect "
                 f"alone has {pct(part.power_drug_alone.value)} power, and with no drug effect "
                 f"the expectancy bias alone makes {pct(part.false_positive_rate.value)} of "
                 f"trials significant. ")
    return text


def sample_size_html(data: ReportData, sources: Mapping[str, FieldSource]) -> str:
    """The protocol's sample-size paragraph, numbers from the run.

    Parameters
    ----------
    data : ReportData
    sources : mapping of str to FieldSource
        The fields' sources (:func:`.inputs.field_sources`).
    """
    s, r = data.scenario, data.result
    sided = sided_text(s.analysis.sided)
    corr = ""
    if s.design.kind == "crossover" and s.design.crossover_analysis == "within":
        corr = (f", with a correlation of {s.design.within_correlation:g} between a patient's "
                f"two periods ({esc(_source('design.within_correlation', sources))})")
    elif s.pain.analysis == "ancova":
        corr = (f", with a correlation of {s.pain.correlation:g} between baseline and "
                f"follow-up ({esc(_source('pain.correlation', sources))})")
    text = (
        f"<strong>Sample size.</strong> {esc(_randomise(s))} ({s.design.n_total} in total). "
        f"The primary analysis is {esc(_analysis(s))}, at a {sided} significance level of "
        f"{s.analysis.alpha:g}. Assuming {_effect(s, sources)} and a standard deviation of "
        f"{_points(s.pain.sd)} points at follow-up ({esc(_source('pain.sd', sources))}){corr}, "
        f"this gives {_power(data)}. {_dropout_sentence(data, sources)} ")
    text += _design_sentences(data)
    if data.size is not None:
        z = data.size
        text += (f"A power of {pct(data.target, 0)} would need {z.n_per_arm} patients per arm "
                 f"(95 % Monte Carlo range {z.n_range[0]} to {z.n_range[1]}). ")
    elif data.unreachable is not None:
        text += f"A power of {pct(data.target, 0)} cannot be reached: {esc(data.unreachable)} "
    text += (f"Power was estimated from {r.n_sims:,} simulated trials on the {r.path} data "
             f"path with trialsim {__version__} (seed {r.seed_entropy}).")
    attrs = (f'data-n-per-arm="{s.design.n_per_arm}" data-n-total="{s.design.n_total}" '
             f'data-power="{r.power.value!r}" data-power-se="{r.power.se!r}" '
             f'data-alpha="{s.analysis.alpha!r}" data-effect="{s.pain.effect!r}" '
             f'data-sd="{s.pain.sd!r}" data-dropout="{s.dropout.rate!r}" '
             f'data-seed="{r.seed_entropy}" data-n-sims="{r.n_sims}"')
    return f'<div class="protocol"><p id="sample-size-paragraph" {attrs}>{text}</p></div>'
