"""Human labels and units of the scenario's fields, for figures and reports.

Each field a scenario file can set has a label in words and a unit (None
for a count, a name or a choice), so that a figure's axis reads "true effect
(NRS points)" and never ``pain.effect``. The keys are the dotted keys of
``--set`` and sweeps; an adverse event's fields are declared once, under
``adverse_events.*``, and labelled with the event's name.
``tests/spec/test_labels.py`` checks that every field of every section
has a label.
"""

from __future__ import annotations

__all__ = ["FIELD_LABELS", "field_label", "field_unit", "axis_label"]

NRS = "NRS points"

#: (label, unit) by dotted key.
FIELD_LABELS: dict[str, tuple[str, str | None]] = {
    "name": ("scenario name", None),
    "seed": ("root seed", None),
    "design.kind": ("design", None),
    "design.arms": ("arms", None),
    "design.allocation": ("allocation ratio", None),
    "design.n_per_arm": ("patients randomised per arm (reference arm)", "patients"),
    "design.within_correlation": ("within-patient correlation of period scores", None),
    "design.period_effect": ("period effect", NRS),
    "design.carryover": ("carry-over effect", NRS),
    "design.washout_dropout": ("dropout during washout", "probability"),
    "design.crossover_analysis": ("crossover analysis", None),
    "pain.effect": ("true effect", NRS),
    "pain.sd": ("SD of the follow-up score", NRS),
    "pain.baseline_mean": ("mean baseline score", NRS),
    "pain.baseline_sd": ("SD of the baseline score", NRS),
    "pain.correlation": ("baseline-follow-up correlation", None),
    "pain.placebo_change": ("mean change on placebo", NRS),
    "pain.mcid": ("minimal clinically important difference", NRS),
    "pain.bounded": ("scores clipped to 0-10 and rounded", None),
    "pain.inclusion_min": ("lowest baseline score included", NRS),
    "pain.inclusion_max": ("highest baseline score included", NRS),
    "pain.analysis": ("primary analysis", None),
    "pain.effect_prior": ("prior of the true effect", None),
    "pain.effect_sd": ("SD of the effect prior", NRS),
    "pain.tau2": ("between-study variance tau^2", "NRS points squared"),
    "pain.effect_evidence": ("evidence entry of the effect", None),
    "pain.effect_smd_sd": ("SD converting the evidence SMD to NRS points", NRS),
    "pain.followup_weeks": ("primary outcome, weeks from the start of treatment", "weeks"),
    "pain.unblinding_ae": ("adverse event that unblinds", None),
    "pain.unblinding_shift": ("expectancy shift after unblinding", NRS),
    "pain.arm_effects": ("true effect of each active arm", NRS),
    "adverse_events.*.placebo_risk": ("risk on placebo", "probability"),
    "adverse_events.*.risk_ratio": ("risk ratio", None),
    "adverse_events.*.risk_ratio_prior": ("prior of the risk ratio", None),
    "adverse_events.*.log_rr_sd": ("SD of the log risk ratio", "log scale"),
    "adverse_events.*.risk_ratio_evidence": ("evidence entry of the risk ratio", None),
    "adverse_events.*.arm_risk_ratios": ("risk ratio of each active arm", None),
    "dropout.rate": ("dropout", "probability"),
    "dropout.after_ae": ("extra withdrawal after an adverse event", "probability"),
    "dropout.mechanism": ("dropout mechanism", None),
    "dropout.slope": ("dropout slope on the pain score", "log odds per NRS point"),
    "analysis.alpha": ("significance level alpha", None),
    "analysis.sided": ("sides of the test", None),
    "analysis.test": ("two-sample test", None),
    "analysis.estimand": ("estimand", None),
    "analysis.imputations": ("multiple imputations", None),
    "analysis.multiplicity": ("multiplicity adjustment", None),
    "analysis.responder_test": ("responder test (z, or continuity-corrected)", None),
    "simulation.n_sims": ("simulated trials", "trials"),
    "simulation.chunk_mb": ("memory per task", "MB"),
    "meta_analysis.studies": ("existing studies (estimate, SE)", NRS),
    "meta_analysis.pooled": ("existing pooled estimate (estimate, SE, k)", NRS),
    "meta_analysis.analysis_lag_months": ("last outcome to updated review", "months"),
    "meta_analysis.start_date": ("calendar date of month 0", None),
    "meta_analysis.settled_by_months": ("date asked about: P(settled by then)", "months"),
    "meta_analysis.evidence": ("evidence entry of the existing review", None),
    "meta_analysis.method": ("tau^2 estimator", None),
    "meta_analysis.hksj": ("Hartung-Knapp-Sidik-Jonkman interval", None),
    "meta_analysis.tau2": ("between-study variance tau^2", "NRS points squared"),
    "meta_analysis.new_trials": ("new trials", "trials"),
    "meta_analysis.rules": ("conclusive rules", None),
    "meta_analysis.precision": ("precision target (CI half-width)", NRS),
    "meta_analysis.power": ("power of the information size", None),
    "meta_analysis.delta": ("effect of the information size", NRS),
    "meta_analysis.tsa_alpha_spending": ("TSA alpha-spending function", None),
    "meta_analysis.tsa_beta_spending": ("TSA beta-spending (futility) function", None),
    "meta_analysis.tsa_binding": ("binding TSA futility boundary", None),
    "meta_analysis.tsa_gamma_a": ("TSA alpha-spending parameter", None),
    "meta_analysis.tsa_gamma_b": ("TSA beta-spending parameter", None),
    "meta_analysis.tsa_ris": ("heterogeneity adjustment of the TSA information size", None),
    "meta_analysis.hksj_truncate": ("modified HKSJ (never narrower than the z interval)", None),
    "meta_analysis.tau2_prior": ("distribution of tau^2 in the future", None),
    "meta_analysis.tau2_prior_mu": ("mean of ln tau^2", None),
    "meta_analysis.tau2_prior_sigma": ("SD of ln tau^2", None),
    "meta_analysis.ci_method": ("the review's CI method", None),
    "meta_analysis.ci_studies": ("studies in the review's CI", "studies"),
    "meta_analysis.tau2_method": ("the review's tau^2 estimator", None),
    "meta_analysis.outcome": ("outcome meta-analysed", None),
    "meta_analysis.harm_margin": ("important harm (risk ratio)", "risk ratio"),
    "recruitment.sites": ("recruiting sites", "sites"),
    "recruitment.rate_per_site_month": ("patients screened per site", "per month"),
    "recruitment.site_open_months": ("months over which sites open", "months"),
    "recruitment.rate_cv": ("between-site CV of the screening rate", None),
    "recruitment.screen_failure": ("screen failure", "probability"),
    "recruitment.chairs_per_site": ("infusion chairs per site", "chairs"),
    "recruitment.sessions_per_patient": ("infusion sessions per patient", "sessions"),
    "recruitment.working_days_per_week": ("working days", "per week"),
    "recruitment.session_hours": ("session length", "hours"),
    "recruitment.hours_per_day": ("chair opening hours", "hours per day"),
    "recruitment.max_wait_days": ("longest wait before withdrawal", "days"),
    "recruitment.followup_months": ("follow-up to the primary outcome", "months"),
    "recruitment.deadline_months": ("recruitment deadline", "months"),
    "recruitment.cost_per_patient": ("cost per patient", "currency units"),
    "recruitment.cost_per_site_month": ("cost per site-month", "currency units"),
    "recruitment.cost_per_infusion": ("cost per infusion", "currency units"),
    "decision.unit": ("unit of value and cost", None),
    "decision.value_per_point": ("value of one NRS point less pain per patient", "decision unit"),
    "decision.event_weights": ("disvalue of one adverse event", "decision unit"),
    "decision.treatment_cost": ("treatment cost per patient", "decision unit"),
    "decision.population_per_year": ("patients a year the decision affects", "patients"),
    "decision.horizon_years": ("decision horizon", "years"),
    "decision.discount_rate": ("discount rate", "per year"),
    "decision.months_to_result": ("time until the trial's result", "months"),
    "decision.trial_fixed_cost": ("fixed cost of a trial", "decision unit"),
    "decision.trial_cost_per_patient": ("trial cost per patient", "decision unit"),
    "interim.looks": ("information fractions of the looks", None),
    "interim.alpha_spending": ("alpha spending", None),
    "interim.beta_spending": ("beta spending (futility)", None),
    "interim.binding": ("binding futility", None),
    "interim.beta": ("type II error beta", None),
    "interim.gamma_a": ("alpha-spending gamma", None),
    "interim.gamma_b": ("beta-spending gamma", None),
    "interim.delta_wt": ("Wang-Tsiatis delta", None),
    "interim.user_alpha_spending": ("alpha spent by each look", None),
    "interim.user_beta_spending": ("beta spent by each look", None),
    "interim.futility_bounds": ("futility bounds", "z"),
    "interim.futility_conditional_power": ("futility at conditional power below", None),
}


def _entry(key: str) -> tuple[str, str | None, str | None]:
    """(label, unit, adverse event name) of a dotted key; KeyError if unknown."""
    parts = key.split(".")
    if parts[0] == "adverse_events" and len(parts) == 3:
        label, unit = FIELD_LABELS[f"adverse_events.*.{parts[2]}"]
        return label, unit, parts[1]
    label, unit = FIELD_LABELS[key]
    return label, unit, None


def field_label(key: str) -> str:
    """The label of a dotted key, without its unit (the key itself if unknown).

    Examples
    --------
    >>> field_label("pain.effect"), field_label("adverse_events.nausea.risk_ratio")
    ('true effect', 'risk ratio of nausea')
    """
    try:
        label, _, event = _entry(key)
    except KeyError:
        return key
    return label if event is None else f"{label} of {event}"


def field_unit(key: str) -> str | None:
    """The unit of a dotted key (None for a count, a name, a choice or an unknown key)."""
    try:
        return _entry(key)[1]
    except KeyError:
        return None


def axis_label(key: str) -> str:
    """The label of a dotted key with its unit, as an axis shows it.

    Examples
    --------
    >>> axis_label("pain.effect")
    'true effect (NRS points)'
    >>> axis_label("analysis.alpha")
    'significance level alpha'
    """
    unit = field_unit(key)
    label = field_label(key)
    return label if unit is None or unit in label else f"{label} ({unit})"
