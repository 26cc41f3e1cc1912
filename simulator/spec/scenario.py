"""Scenario specification: frozen dataclasses, TOML loading, validation.

A scenario file maps one to one onto :class:`Scenario`. Everything is checked
once, here, at the boundary: an unknown key or a bad value raises
:class:`~simulator.errors.ScenarioError` naming the source, the field, the
value and what is allowed. Nothing downstream re-checks, and nothing mutates a
spec: a variant is ``scenario.with_overrides({"design.n_per_arm": 120})``.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .._io import read_toml
from ..errors import ScenarioError
from .evidence import EvidenceEntry, EvidenceTable, default_evidence
from .values import parse_sweep_values

__all__ = [
    "Scenario",
    "Design",
    "Pain",
    "AdverseEvent",
    "Dropout",
    "AnalysisSpec",
    "SimulationSpec",
    "MetaSpec",
    "RecruitmentSpec",
    "SweepSpec",
    "load_scenario",
    "ANALYSES",
]

AnalysisName = Literal["ancova", "change", "followup", "responder30", "responder50"]
ANALYSES: tuple[str, ...] = ("ancova", "change", "followup", "responder30", "responder50")
RESPONDER_CUTOFFS: dict[str, float] = {"responder30": 0.30, "responder50": 0.50}

_FROZEN = dict(frozen=True, slots=True, kw_only=True)


@dataclass(**_FROZEN)
class Design:
    """The trial design.

    Attributes
    ----------
    kind : {"parallel", "crossover", "multiarm"}
        Design family. A 2x2 crossover randomises patients to two sequences,
        placebo then active and active then placebo; ``n_per_arm`` and
        ``allocation`` then count patients per sequence. A multi-arm trial has
        a reference arm and two or more active arms (doses), each compared
        with the reference.
    arms : tuple of str
        Arm names; the first is the reference (placebo) arm.
    allocation : tuple of float
        Allocation weights, one per arm (``(1, 2)`` puts twice as many
        patients on the second arm).
    n_per_arm : int
        Patients randomised to the reference arm. Arm ``i`` gets
        ``round(n_per_arm * allocation[i] / allocation[0])``.
    within_correlation : float
        Crossover: correlation of a patient's two period scores.
    period_effect : float
        Crossover: shift of every period-2 score (NRS points).
    carryover : float
        Crossover: shift of the period-2 (placebo) score after active in
        period 1 (NRS points; negative = benefit carried over).
    washout_dropout : float
        Crossover: probability that a patient who finished period 1 does not
        complete period 2.
    crossover_analysis : {"within", "first-period"}
        Crossover: the period-adjusted within-patient comparison (a t-test
        of the period differences between sequences, equal to the mixed-model
        analysis for complete 2x2 data; patients without both periods are
        not analysed), or the parallel analysis of period 1 alone.
    """

    kind: Literal["parallel", "crossover", "multiarm"] = "parallel"
    arms: tuple[str, ...] = ("placebo", "active")
    allocation: tuple[float, ...] = (1.0, 1.0)
    n_per_arm: int
    within_correlation: float = 0.7
    period_effect: float = 0.0
    carryover: float = 0.0
    washout_dropout: float = 0.0
    crossover_analysis: Literal["within", "first-period"] = "within"

    @property
    def group_sizes(self) -> tuple[int, ...]:
        """Patients randomised to each arm, in the order of ``arms``."""
        base = self.allocation[0]
        return tuple(int(round(self.n_per_arm * w / base)) for w in self.allocation)

    @property
    def n_total(self) -> int:
        """Patients randomised in all arms."""
        return sum(self.group_sizes)


@dataclass(**_FROZEN)
class Pain:
    """The pain outcome on the 0-10 numerical rating scale (NRS).

    Baseline ``X`` and follow-up ``Y`` are bivariate normal in the screened
    population: ``X ~ N(baseline_mean, baseline_sd^2)``, ``Y`` has standard
    deviation ``sd``, correlation ``correlation`` with ``X``, and mean
    ``baseline_mean + placebo_change`` on placebo plus ``effect`` on the
    active arm. Patients are enrolled when their (observed) baseline lies in
    ``[inclusion_min, inclusion_max]``. With ``bounded`` the observed scores
    are clipped to 0-10 and rounded to integers.

    Attributes
    ----------
    effect : float
        True treatment effect on the follow-up score, NRS points
        (active minus placebo; negative = benefit).
    sd, baseline_mean, baseline_sd, correlation, placebo_change : float
        The model above (NRS points).
    mcid : float
        Minimal clinically important between-group difference, NRS points.
    bounded : bool
        Clip observed scores to 0-10 and round them to integers.
    inclusion_min, inclusion_max : float or None
        Inclusion range on the observed baseline score (None = no limit).
    analysis : {"ancova", "change", "followup", "responder30", "responder50"}
        Primary analysis: ANCOVA of follow-up on baseline, t-test of change
        from baseline, t-test of follow-up, or the difference in the
        proportion of patients with at least 30 % / 50 % pain reduction.
    effect_prior : {"fixed", "pooled", "predictive"}
        ``fixed``: every simulated trial has the true effect ``effect``
        (conditional power). ``pooled``: each trial draws its true effect
        from N(effect, effect_sd^2); ``predictive``: from the random-effects
        predictive distribution N(effect, effect_sd^2 + tau2). Either gives
        assurance beside the conditional power.
    effect_sd : float or None
        Standard error of the pooled effect (NRS points); from the evidence
        entry when ``effect`` refers to one.
    tau2 : float or None
        Between-study variance (NRS points squared); the scenario's value,
        else the evidence entry's.
    effect_evidence : str or None
        The evidence key ``effect`` came from.
    unblinding_ae : str or None
        Functional unblinding: patients who have this adverse event (and so
        can guess their arm) report their follow-up pain shifted by
        ``unblinding_shift``, in either arm.
    unblinding_shift : float
        That expectancy shift, NRS points (negative = less pain reported).
    arm_effects : tuple of float or None
        Multi-arm: the true effect of each active arm, in the order of
        ``design.arms`` (the file gives a table by arm name); None = every
        active arm has ``effect``.
    """

    effect: float
    sd: float = 2.5
    baseline_mean: float = 6.5
    baseline_sd: float = 1.3
    correlation: float = 0.3
    placebo_change: float = -1.0
    mcid: float = 1.0
    bounded: bool = False
    inclusion_min: float | None = None
    inclusion_max: float | None = None
    analysis: AnalysisName = "ancova"
    effect_prior: Literal["fixed", "pooled", "predictive"] = "fixed"
    effect_sd: float | None = None
    tau2: float | None = None
    effect_evidence: str | None = None
    unblinding_ae: str | None = None
    unblinding_shift: float = 0.0
    arm_effects: tuple[float, ...] | None = None

    def effect_of(self, arm: int) -> float:
        """True effect of arm ``arm`` (0 = reference) against the reference."""
        if arm == 0:
            return 0.0
        return self.effect if self.arm_effects is None else self.arm_effects[arm - 1]

    @property
    def is_responder(self) -> bool:
        """Whether the primary analysis compares responder proportions."""
        return self.analysis in RESPONDER_CUTOFFS

    @property
    def responder_cutoff(self) -> float | None:
        """Fractional reduction from baseline that defines a responder."""
        return RESPONDER_CUTOFFS.get(self.analysis)

    @property
    def prior_sd(self) -> float | None:
        """SD of the distribution each trial's true effect is drawn from (None = fixed)."""
        if self.effect_prior == "fixed":
            return None
        if self.effect_prior == "pooled":
            return self.effect_sd
        return math.sqrt(self.effect_sd**2 + self.tau2)

    @property
    def truncated(self) -> bool:
        """Whether the inclusion range restricts the baseline distribution."""
        return self.inclusion_min is not None or self.inclusion_max is not None


@dataclass(**_FROZEN)
class AdverseEvent:
    """One adverse-event type.

    Attributes
    ----------
    name : str
        Its name (the key of its table in the scenario file).
    placebo_risk : float
        Probability that a placebo patient has the event during the trial.
    risk_ratio : float
        Risk on the active arm divided by ``placebo_risk``.
    risk_ratio_prior : {"fixed", "pooled"}
        ``pooled``: each simulated trial draws its risk ratio from the
        log-normal with log-scale SD ``log_rr_sd`` (the active risk is capped
        at 1).
    log_rr_sd : float or None
        Standard error of the log risk ratio; from the evidence entry when
        ``risk_ratio`` refers to one.
    risk_ratio_evidence : str or None
        The evidence key ``risk_ratio`` came from.
    arm_risk_ratios : tuple of float or None
        Multi-arm: the risk ratio of each active arm (the file gives a table
        by arm name); None = every active arm has ``risk_ratio``.
    """

    name: str
    placebo_risk: float
    risk_ratio: float = 1.0
    risk_ratio_prior: Literal["fixed", "pooled"] = "fixed"
    log_rr_sd: float | None = None
    risk_ratio_evidence: str | None = None
    arm_risk_ratios: tuple[float, ...] | None = None

    def risk_of(self, arm: int) -> float:
        """Risk in arm ``arm`` (0 = reference)."""
        if arm == 0:
            return self.placebo_risk
        rr = self.risk_ratio if self.arm_risk_ratios is None else self.arm_risk_ratios[arm - 1]
        return self.placebo_risk * rr

    @property
    def active_risk(self) -> float:
        """Probability that an active-arm patient has the event."""
        return self.placebo_risk * self.risk_ratio


@dataclass(**_FROZEN)
class Dropout:
    """Loss of the primary outcome.

    Attributes
    ----------
    rate : float
        Probability that a patient has no primary outcome; under ``mar`` and
        ``mnar`` the probability at the centre of the score it depends on
        (``baseline_mean``, or ``baseline_mean + placebo_change``), so the
        overall rate differs somewhat.
    after_ae : mapping of str to float
        For a named adverse event, the probability that a patient who has it
        withdraws (and so has no follow-up), on top of ``rate``.
    mechanism : {"mcar", "mar", "mnar", "ae"}
        How ``rate`` depends on the patient: completely at random; at random
        given the baseline (``logit p = logit(rate) + slope (X - baseline_mean)``);
        not at random, on the follow-up score itself (``slope (Y - mean Y)``);
        or ``ae``: withdrawal only after adverse events (``rate`` must be 0).
    slope : float
        Log odds of dropping out per NRS point (``mar`` and ``mnar``).
    """

    rate: float = 0.0
    after_ae: Mapping[str, float] = field(default_factory=dict)
    mechanism: Literal["mcar", "mar", "mnar", "ae"] = "mcar"
    slope: float = 0.0

    def __hash__(self) -> int:
        return hash((self.rate, tuple(sorted(self.after_ae.items())), self.mechanism,
                     self.slope))

    @property
    def any(self) -> bool:
        """Whether any patient can lose the primary outcome."""
        return self.rate > 0 or any(q > 0 for q in self.after_ae.values())


@dataclass(**_FROZEN)
class AnalysisSpec:
    """Test settings.

    Attributes
    ----------
    alpha : float
        Type I error rate.
    sided : {1, 2}
        2: two-sided test at ``alpha``; 1: one-sided test at ``alpha`` in the
        benefit direction.
    test : {"student", "welch"}
        Variance assumption of the t-test (followup and change analyses).
    estimand : {"hypothetical", "treatment-policy-bocf", "treatment-policy-j2r", "composite"}
        How withdrawal is handled (ICH E9(R1)): the effect had nobody
        withdrawn, estimated from complete cases; treatment policy with the
        baseline carried forward, or with jump-to-reference multiple
        imputation (withdrawn patients follow the placebo arm given their
        baseline; Rubin's rules); or composite, withdrawal counted as
        non-response (responder analyses).
    imputations : int
        Imputations per trial for jump-to-reference.
    multiplicity : {"dunnett", "holm", "bonferroni", "none"}
        Multi-arm: how the family-wise error of the comparisons with the
        reference is controlled.
    """

    alpha: float = 0.05
    sided: Literal[1, 2] = 2
    test: Literal["student", "welch"] = "student"
    estimand: Literal["hypothetical", "treatment-policy-bocf", "treatment-policy-j2r",
                      "composite"] = "hypothetical"
    imputations: int = 20
    multiplicity: Literal["dunnett", "holm", "bonferroni", "none"] = "dunnett"


@dataclass(**_FROZEN)
class SimulationSpec:
    """Monte Carlo settings.

    Attributes
    ----------
    n_sims : int
        Number of simulated trials.
    chunk_mb : float
        Memory budget of one chunk of simulated trials, in MB. It fixes the
        chunk layout (and so the random streams), never the worker count.
    """

    n_sims: int = 10_000
    chunk_mb: float = 64.0


RULES: tuple[str, ...] = ("ci-excludes-0", "mcid", "precision", "tsa")


@dataclass(**_FROZEN)
class MetaSpec:
    """The existing meta-analysis and what would make its update conclusive.

    Exactly one of ``studies``, ``pooled`` and ``evidence`` describes the
    existing evidence (0-10 NRS, negative = benefit).

    Attributes
    ----------
    studies : tuple of (estimate, se) or None
        Per-study estimates and standard errors; re-fitted with each update.
    pooled : tuple (estimate, se, k) or None
        A pooled summary (also filled from ``evidence``); updates hold tau^2
        at ``tau2``.
    evidence : str or None
        The evidence-table key the pooled summary came from.
    method : {"fixed", "dl", "reml", "pm"}
        Between-study variance estimator when re-fitting studies.
    hksj : bool
        Hartung-Knapp-Sidik-Jonkman intervals (studies only).
    tau2 : float or None
        Between-study variance (NRS points squared): held fixed in updates;
        required with a pooled summary.
    new_trials : int
        Number of new trials of the scenario's design added to the evidence.
    rules : tuple of str
        What makes the update conclusive: ``ci-excludes-0``, ``mcid`` (CI
        beyond -MCID, or inside (-MCID, MCID)), ``precision`` (CI half-width
        below ``precision``), ``tsa`` (cumulative Z beyond an O'Brien-Fleming
        boundary at the required information size).
    precision : float or None
        CI half-width target (NRS points) for the ``precision`` rule.
    power : float
        Power of the required information size (RIS) and of ``k_min``.
    delta : float or None
        Effect the required information size is for (default ``pain.mcid``).
    """

    studies: tuple[tuple[float, float], ...] | None = None
    pooled: tuple[float, float, int | None] | None = None
    evidence: str | None = None
    method: Literal["fixed", "dl", "reml", "pm"] = "reml"
    hksj: bool = False
    tau2: float | None = None
    new_trials: int = 1
    rules: tuple[str, ...] = ("ci-excludes-0",)
    precision: float | None = None
    power: float = 0.9
    delta: float | None = None


@dataclass(**_FROZEN)
class RecruitmentSpec:
    """Recruitment and infusion capacity over time (see :mod:`simulator.recruitment`).

    Time is in months for recruitment and deadlines, days and hours for
    infusion sessions (1 month = 30.4375 days).

    Attributes
    ----------
    sites : int
        Recruiting sites.
    rate_per_site_month : float
        Patients screened per open site per month (Poisson).
    site_open_months : tuple of float
        Opening time of each site (months from the start); the file may give
        a list (one per site) or a number, a ramp: sites open evenly spaced
        over [0, ramp].
    screen_failure : float
        Probability that a screened patient is not randomised (screen failure
        or refusal).
    chairs_per_site : int or None
        Infusion chairs per site; None = no capacity limit.
    sessions_per_patient : int
        Infusion sessions each randomised patient needs (on consecutive days).
    session_hours : float
        Hours a session occupies a chair.
    hours_per_day : float
        Opening hours of the infusion unit per day.
    max_wait_days : float or None
        A randomised patient still waiting for a first chair after this many
        days withdraws (None = waits indefinitely).
    followup_months : float
        From the last infusion to the primary outcome.
    deadline_months : float or None
        The date by which the trial must stop recruiting.
    cost_per_patient, cost_per_site_month, cost_per_infusion : float
        Optional costs (0 = not counted).
    """

    sites: int
    rate_per_site_month: float
    site_open_months: tuple[float, ...]
    screen_failure: float = 0.0
    chairs_per_site: int | None = None
    sessions_per_patient: int = 1
    session_hours: float = 4.0
    hours_per_day: float = 8.0
    max_wait_days: float | None = None
    followup_months: float = 1.0
    deadline_months: float | None = None
    cost_per_patient: float = 0.0
    cost_per_site_month: float = 0.0
    cost_per_infusion: float = 0.0


@dataclass(**_FROZEN)
class SweepSpec:
    """A grid of scenario overrides (see :mod:`simulator.sweep`).

    Attributes
    ----------
    grid : tuple of (dotted key, values)
        Crossed with each other (Cartesian product).
    zip : tuple of (dotted key, values)
        Vary together (equal lengths), crossed with ``grid``.
    """

    grid: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    zip: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.grid) + tuple(k for k, _ in self.zip)


@dataclass(**_FROZEN)
class Scenario:
    """A planning question: one trial design and the model of its data.

    Build one with :func:`load_scenario` (a TOML file) or
    :meth:`Scenario.from_dict`; derive variants with :meth:`with_overrides`.

    Examples
    --------
    >>> from simulator import Scenario
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 100}, "pain": {"effect": -1.0}})
    >>> s.design.group_sizes
    (100, 100)
    >>> s.with_overrides({"design.n_per_arm": 120}).design.n_total
    240
    """

    name: str = "unnamed"
    seed: int = 2025
    design: Design
    pain: Pain
    adverse_events: tuple[AdverseEvent, ...] = ()
    dropout: Dropout = field(default_factory=Dropout)
    analysis: AnalysisSpec = field(default_factory=AnalysisSpec)
    simulation: SimulationSpec = field(default_factory=SimulationSpec)
    meta_analysis: MetaSpec | None = None
    recruitment: RecruitmentSpec | None = None
    sweep: SweepSpec | None = None
    source: str = field(default="<dict>", compare=False)
    evidence: EvidenceTable | None = field(default=None, compare=False, repr=False)

    # -- constructors -------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>",
                  evidence: EvidenceTable | None = None) -> Scenario:
        """Validate a nested mapping (the shape of a scenario file).

        Parameters
        ----------
        data : mapping
            Top-level keys ``name``, ``seed`` and the tables ``design``,
            ``pain``, ``adverse_events``, ``dropout``, ``analysis``,
            ``simulation``.
        source : str
            Where the data came from; it starts every error message.
        evidence : EvidenceTable, optional
            The table that ``{ from = "evidence", key = ... }`` references
            resolve against; default the built-in one.

        Raises
        ------
        ScenarioError
            Naming the source, the field, the value and what is allowed.
        """
        return _Validator(source, evidence).scenario(data)

    @classmethod
    def from_toml(cls, path: str | Path, overrides: Mapping[str, Any] | None = None,
                  evidence: EvidenceTable | None = None) -> Scenario:
        """Load and validate a TOML scenario file, applying dotted overrides."""
        path = Path(path)
        data = read_toml(path, "scenario file")
        if overrides:
            data = _apply_overrides(data, overrides, source=f"{path}")
        return cls.from_dict(data, source=str(path), evidence=evidence)

    # -- derived variants ---------------------------------------------------
    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """Return a new, validated scenario with dotted keys replaced.

        Parameters
        ----------
        overrides : mapping
            ``{"pain.effect": -1.0, "design.n_per_arm": 120}``.
        """
        data = _apply_overrides(self.to_dict(), overrides, source=self.source)
        return Scenario.from_dict(data, source=self.source, evidence=self.evidence)

    def evidence_used(self) -> list[EvidenceEntry]:
        """The evidence entries this scenario's numbers come from."""
        keys = [self.pain.effect_evidence] + [ae.risk_ratio_evidence for ae in self.adverse_events]
        table = self.evidence or default_evidence()
        seen = dict.fromkeys(k for k in keys if k is not None)
        return [table[k] for k in seen]

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a nested dictionary (the shape of the TOML file)."""
        pain = {k: getattr(self.pain, k) for k in _PAIN_KEYS if k != "effect_evidence"}
        table = self.evidence or default_evidence()
        if self.pain.effect_evidence is not None:
            entry = table[self.pain.effect_evidence]
            pain["effect"] = {"from": "evidence", "key": entry.key}
            del pain["effect_sd"]
            if pain["tau2"] == entry.tau2:
                del pain["tau2"]
        pain = {k: v for k, v in pain.items() if v is not None}
        if self.pain.arm_effects is not None:
            pain["arm_effects"] = dict(zip(self.design.arms[1:], self.pain.arm_effects))
        if "unblinding_ae" not in pain:
            pain.pop("unblinding_shift", None)
        return {
            "name": self.name,
            "seed": self.seed,
            "design": {
                "kind": self.design.kind,
                "arms": list(self.design.arms),
                "allocation": list(self.design.allocation),
                "n_per_arm": self.design.n_per_arm,
                **({k: getattr(self.design, k) for k in _CROSSOVER_KEYS}
                   if self.design.kind == "crossover" else {}),
            },
            "pain": pain,
            "adverse_events": {ae.name: _ae_dict(ae, self.design.arms) for ae in self.adverse_events},
            "dropout": {"rate": self.dropout.rate, "after_ae": dict(self.dropout.after_ae),
                        "mechanism": self.dropout.mechanism,
                        **({"slope": self.dropout.slope}
                           if self.dropout.mechanism in ("mar", "mnar") else {})},
            "analysis": {
                "alpha": self.analysis.alpha,
                "sided": self.analysis.sided,
                "test": self.analysis.test,
                "estimand": self.analysis.estimand,
                "imputations": self.analysis.imputations,
                "multiplicity": self.analysis.multiplicity,
            },
            "simulation": {
                "n_sims": self.simulation.n_sims,
                "chunk_mb": self.simulation.chunk_mb,
            },
            **({} if self.meta_analysis is None else {"meta_analysis": _meta_dict(self.meta_analysis)}),
            **({} if self.recruitment is None else {"recruitment": _recruitment_dict(self.recruitment)}),
            **({} if self.sweep is None else {"sweep": {
                "grid": {k: list(v) for k, v in self.sweep.grid},
                "zip": {k: list(v) for k, v in self.sweep.zip}}}),
        }


def _recruitment_dict(r: RecruitmentSpec) -> dict[str, Any]:
    out = {k: getattr(r, k) for k in _RECRUITMENT_KEYS}
    ramp = r.site_open_months[-1]
    even = tuple(ramp * i / (r.sites - 1) if r.sites > 1 else 0.0 for i in range(r.sites))
    # an even ramp is written back as the ramp, so that sweeping `sites` keeps it
    out["site_open_months"] = ramp if even == r.site_open_months else list(r.site_open_months)
    return {k: v for k, v in out.items() if v is not None}


def _meta_dict(m: MetaSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"method": m.method, "hksj": m.hksj, "new_trials": m.new_trials,
                           "rules": list(m.rules), "power": m.power}
    if m.studies is not None:
        out["studies"] = [list(row) for row in m.studies]
    if m.pooled is not None and m.evidence is None:
        out["pooled"] = {"estimate": m.pooled[0], "se": m.pooled[1]}
        if m.pooled[2] is not None:
            out["pooled"]["k"] = m.pooled[2]
    if m.evidence is not None:
        out["evidence"] = m.evidence
    for key in ("tau2", "precision", "delta"):
        if getattr(m, key) is not None:
            out[key] = getattr(m, key)
    return out


def _ae_dict(ae: AdverseEvent, arms: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"placebo_risk": ae.placebo_risk, "risk_ratio": ae.risk_ratio,
                           "risk_ratio_prior": ae.risk_ratio_prior}
    if ae.arm_risk_ratios is not None:
        out["arm_risk_ratios"] = dict(zip(arms[1:], ae.arm_risk_ratios))
    if ae.risk_ratio_evidence is not None:
        out["risk_ratio"] = {"from": "evidence", "key": ae.risk_ratio_evidence}
    elif ae.log_rr_sd is not None:
        out["log_rr_sd"] = ae.log_rr_sd
    return out


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None,
                  evidence: EvidenceTable | None = None) -> Scenario:
    """Load a scenario file.

    Parameters
    ----------
    path : str or Path
        A TOML scenario file (see ``docs/scenarios.md``).
    overrides : mapping, optional
        Dotted keys to replace before validation, e.g.
        ``{"pain.effect": -1.0, "design.n_per_arm": 120}``.
    evidence : EvidenceTable, optional
        Resolves ``{ from = "evidence", key = ... }`` references; default the
        built-in table (:func:`simulator.load_evidence` adds user files).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        If the file cannot be read, is not TOML, or any field is invalid.
    """
    return Scenario.from_toml(path, overrides, evidence)


# ---------------------------------------------------------------------------
# overrides


def _apply_overrides(
    data: Mapping[str, Any], overrides: Mapping[str, Any], *, source: str
) -> dict[str, Any]:
    out = copy.deepcopy(dict(data))
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                raise ScenarioError(f"{source}: --set {dotted}: {where} is not a table")
            node = child
        node[parts[-1]] = value
    return out


# ---------------------------------------------------------------------------
# validation

_TOP_KEYS = ("name", "seed", "design", "pain", "adverse_events", "dropout", "analysis", "simulation",
             "meta_analysis", "recruitment", "sweep")
_RECRUITMENT_KEYS = (
    "sites", "rate_per_site_month", "site_open_months", "screen_failure", "chairs_per_site",
    "sessions_per_patient", "session_hours", "hours_per_day", "max_wait_days",
    "followup_months", "deadline_months", "cost_per_patient", "cost_per_site_month",
    "cost_per_infusion",
)
_META_KEYS = ("studies", "pooled", "evidence", "method", "hksj", "tau2", "new_trials", "rules",
              "precision", "power", "delta")
_CROSSOVER_KEYS = ("within_correlation", "period_effect", "carryover", "washout_dropout",
                   "crossover_analysis")
_DESIGN_KEYS = ("kind", "arms", "allocation", "n_per_arm") + _CROSSOVER_KEYS
_PAIN_KEYS = (
    "effect", "sd", "baseline_mean", "baseline_sd", "correlation", "placebo_change",
    "mcid", "bounded", "inclusion_min", "inclusion_max", "analysis", "effect_prior", "effect_sd",
    "tau2", "effect_evidence", "unblinding_ae", "unblinding_shift", "arm_effects",
)
_AE_KEYS = ("placebo_risk", "risk_ratio", "risk_ratio_prior", "log_rr_sd", "arm_risk_ratios")
_DROPOUT_KEYS = ("rate", "after_ae", "mechanism", "slope")
_ANALYSIS_KEYS = ("alpha", "sided", "test", "estimand", "imputations", "multiplicity")
ESTIMANDS = ("hypothetical", "treatment-policy-bocf", "treatment-policy-j2r", "composite")
_SIMULATION_KEYS = ("n_sims", "chunk_mb")
_MISSING = object()


class _Validator:
    """Turns a raw mapping into a Scenario, or raises naming the field."""

    def __init__(self, source: str, evidence: EvidenceTable | None) -> None:
        self.source = source
        self.evidence = evidence

    def reference(self, value: Mapping[str, Any], where: str, measure: str) -> EvidenceEntry:
        """Resolve ``{ from = "evidence", key = "..." }`` to an evidence entry."""
        if set(value) != {"from", "key"} or value.get("from") != "evidence" \
                or not isinstance(value.get("key"), str):
            raise self.fail(where, dict(value),
                            'must be a number or { from = "evidence", key = "..." }')
        table = self.evidence or default_evidence()
        entry = table.lookup(value["key"], where=f"{self.source}: {where}")
        if entry.measure != measure:
            raise self.fail(where, dict(value), f"entry {entry.key!r} is a {entry.measure}; "
                                                f"this field needs a {measure} entry")
        if entry.estimate is None:
            instead = (f"; it names {entry.stands_in!r} to stand in for it"
                       if entry.stands_in else "")
            raise self.fail(where, dict(value),
                            f"entry {entry.key!r} has no estimate (tagged missing){instead}")
        return entry

    # -- error helpers ------------------------------------------------------
    def fail(self, where: str, value: Any, allowed: str) -> ScenarioError:
        shown = "(missing)" if value is _MISSING else _show(value)
        return ScenarioError(f"{self.source}: {where} = {shown}: {allowed}")

    def table(self, data: Any, name: str, allowed_keys: tuple[str, ...]) -> dict[str, Any]:
        label = f"[{name}]" if name else "top level"
        if data is _MISSING:
            return {}
        if not isinstance(data, Mapping):
            raise ScenarioError(f"{self.source}: {label}: must be a table, got {_show(data)}")
        for key in data:
            if key not in allowed_keys:
                hint = difflib.get_close_matches(str(key), allowed_keys, n=1)
                also = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ScenarioError(
                    f"{self.source}: {label} {key}: unknown key{also}; "
                    f"allowed: {', '.join(allowed_keys)}"
                )
        return dict(data)

    def number(
        self,
        table: Mapping[str, Any],
        section: str,
        key: str,
        default: Any = _MISSING,
        *,
        check: Callable[[float], bool] = lambda v: True,
        allowed: str = "must be a finite number",
        integer: bool = False,
    ) -> Any:
        where = f"[{section}] {key}" if section else key
        value = table.get(key, default)
        if value is _MISSING:
            raise self.fail(where, value, f"required; {allowed}")
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise self.fail(where, value, f"{allowed} (got {type(value).__name__})")
        if not math.isfinite(value) or not check(value):
            raise self.fail(where, value, allowed)
        return int(value) if integer else float(value)

    def optional(self, table: Mapping[str, Any], section: str, key: str, **kwargs) -> Any:
        """A number that may be absent (None)."""
        return self.number(table, section, key, **kwargs) if key in table else None

    def choice(self, table: Mapping[str, Any], section: str, key: str, default: Any,
               options: tuple[Any, ...]) -> Any:
        value = table.get(key, default)
        if isinstance(value, bool) or not any(
                type(value) is type(o) and value == o for o in options):
            shown = ", ".join(repr(o) for o in options)
            raise self.fail(f"[{section}] {key}", value, f"must be one of {shown}")
        return value

    # -- sections -----------------------------------------------------------
    def scenario(self, data: Mapping[str, Any]) -> Scenario:
        top = self.table(data, "", _TOP_KEYS)
        name = top.get("name", "unnamed")
        if not isinstance(name, str) or not name.strip():
            raise self.fail("name", name, "must be a non-empty string")
        seed = self.number(top, "", "seed", 2025, integer=True, check=lambda v: v >= 0,
                           allowed="must be an integer >= 0")
        if "design" not in top:
            raise self.fail("[design] n_per_arm", _MISSING, "required; an integer >= 2")
        if "pain" not in top:
            raise self.fail("[pain] effect", _MISSING, "required; a finite number (NRS points)")
        design = self.design(top["design"])
        pain = self.pain(top["pain"])
        analysis_spec = self.analysis(top.get("analysis", _MISSING))
        pain = self.arm_effects(top["pain"], pain, design)
        if design.kind == "multiarm":
            if pain.effect_prior != "fixed":
                raise self.fail("[pain] effect_prior", pain.effect_prior,
                                "multi-arm designs take fixed effects (per arm: arm_effects)")
            if analysis_spec.test == "welch":
                raise self.fail("[analysis] test", "welch", "multi-arm comparisons use the "
                                "pooled variance of all arms: 'student'")
            if analysis_spec.estimand != "hypothetical" or pain.unblinding_ae is not None:
                raise self.fail("[analysis] estimand", analysis_spec.estimand,
                                "multi-arm designs use the hypothetical estimand, without "
                                "unblinding, for now")
        estimand = analysis_spec.estimand
        if estimand == "composite" and not pain.is_responder:
            raise self.fail("[analysis] estimand", estimand,
                            "composite (withdrawal = non-response) needs a responder analysis "
                            "(pain.analysis = 'responder30' or 'responder50')")
        if estimand.startswith("treatment-policy") and pain.is_responder:
            raise self.fail("[analysis] estimand", estimand,
                            "needs a continuous analysis (ancova, change or followup); for "
                            "responders use 'composite'")
        mechanism = (top.get("dropout") or {}).get("mechanism", "mcar") \
            if isinstance(top.get("dropout"), Mapping) else "mcar"
        if design.kind == "crossover" and mechanism in ("mar", "mnar"):
            raise self.fail("[dropout] mechanism", mechanism,
                            "crossover designs model dropout completely at random, washout "
                            "dropout and withdrawal after adverse events")
        if estimand != "hypothetical" and design.kind == "crossover":
            raise self.fail("[analysis] estimand", estimand,
                            "crossover designs use the hypothetical estimand (complete pairs)")
        if design.kind == "crossover" and design.crossover_analysis == "within":
            if pain.analysis != "followup":
                raise self.fail("[pain] analysis", pain.analysis,
                                "a crossover's within-patient analysis compares the period "
                                "scores: use 'followup' (or design.crossover_analysis = "
                                "'first-period')")
            r2 = pain.correlation ** 2
            if pain.truncated and design.within_correlation < r2:
                raise self.fail("[design] within_correlation", design.within_correlation,
                                f"must be >= pain.correlation^2 = {r2:.3g} with a truncated "
                                "baseline (both periods share the baseline's correlation)")
        events = self.adverse_events(top.get("adverse_events", _MISSING))
        events = tuple(self.arm_risks(top["adverse_events"][ae.name], ae, design)
                       for ae in events)
        if pain.unblinding_ae is not None and pain.unblinding_ae not in {e.name for e in events}:
            known = ", ".join(e.name for e in events) or "none are defined in [adverse_events]"
            raise self.fail("[pain] unblinding_ae", pain.unblinding_ae,
                            f"unknown adverse event; defined: {known}")
        if pain.unblinding_ae is not None and design.kind == "crossover":
            raise self.fail("[pain] unblinding_ae", pain.unblinding_ae,
                            "functional unblinding is modelled for parallel designs")
        dropout = self.dropout(top.get("dropout", _MISSING), events)
        analysis = analysis_spec
        simulation = self.simulation(top.get("simulation", _MISSING))
        meta = (None if "meta_analysis" not in top
                else self.meta_analysis(top["meta_analysis"], pain))
        recruitment = (None if "recruitment" not in top
                       else self.recruitment(top["recruitment"]))
        sweep = None if "sweep" not in top else self.sweep(top["sweep"])
        return Scenario(
            name=name, seed=seed, design=design, pain=pain, adverse_events=events,
            dropout=dropout, analysis=analysis, simulation=simulation, meta_analysis=meta,
            recruitment=recruitment, sweep=sweep, source=self.source, evidence=self.evidence,
        )

    def design(self, raw: Any) -> Design:
        t = self.table(raw, "design", _DESIGN_KEYS)
        kind = self.choice(t, "design", "kind", "parallel", ("parallel", "crossover", "multiarm"))
        extra = {}
        if kind in ("parallel", "multiarm"):
            for key in _CROSSOVER_KEYS:
                if key in t:
                    raise self.fail(f"[design] {key}", t[key], "only for kind = 'crossover'")
        else:
            extra = dict(
                within_correlation=self.number(t, "design", "within_correlation", 0.7,
                                               check=lambda v: -1 < v < 1,
                                               allowed="must be in (-1, 1)"),
                period_effect=self.number(t, "design", "period_effect", 0.0),
                carryover=self.number(t, "design", "carryover", 0.0),
                washout_dropout=self.number(t, "design", "washout_dropout", 0.0,
                                            check=lambda v: 0 <= v < 1,
                                            allowed="must be in [0, 1)"),
                crossover_analysis=self.choice(t, "design", "crossover_analysis", "within",
                                               ("within", "first-period")))
        arms = t.get("arms", ["placebo", "active"] if kind != "multiarm"
                     else ["placebo", "low", "high"])
        n_arms = "at least 3" if kind == "multiarm" else "2"
        if (
            not isinstance(arms, list) or (len(arms) < 3 if kind == "multiarm" else len(arms) != 2)
            or not all(isinstance(a, str) and a.strip() for a in arms)
            or len(set(arms)) != len(arms)
        ):
            raise self.fail("[design] arms", arms,
                            f"must be a list of {n_arms} distinct names, the reference arm first")
        allocation = t.get("allocation", [1] * len(arms))
        if (
            not isinstance(allocation, list) or len(allocation) != len(arms)
            or not all(isinstance(w, (int, float)) and not isinstance(w, bool)
                       and math.isfinite(w) and w > 0 for w in allocation)
        ):
            raise self.fail("[design] allocation", allocation,
                            f"must be a list of {len(arms)} positive numbers, one per arm")
        n = self.number(t, "design", "n_per_arm", integer=True, check=lambda v: v >= 2,
                        allowed="must be an integer >= 2")
        design = Design(kind=kind, arms=tuple(arms), allocation=tuple(float(w) for w in allocation),
                        n_per_arm=n, **extra)
        if min(design.group_sizes) < 2:
            raise self.fail("[design] allocation", allocation,
                            f"gives arm sizes {list(design.group_sizes)} at n_per_arm = {n}; "
                            "every arm needs at least 2 patients")
        return design

    def pain(self, raw: Any) -> Pain:
        t = self.table(raw, "pain", _PAIN_KEYS)
        positive = dict(check=lambda v: v > 0, allowed="must be a number > 0")
        raw_effect = t.get("effect", _MISSING)
        entry = None
        if isinstance(raw_effect, Mapping):
            entry = self.reference(raw_effect, "[pain] effect", "MD")
            effect = entry.estimate
            for key in ("effect_sd", "effect_evidence"):
                if key in t:
                    raise self.fail(f"[pain] {key}", t[key],
                                    "comes from the evidence entry; give effect as a number "
                                    "to set your own")
        else:
            effect = self.number(t, "pain", "effect",
                                 allowed='must be a finite number (NRS points) or '
                                         '{ from = "evidence", key = "..." }')
            if "effect_evidence" in t:
                raise self.fail("[pain] effect_evidence", t["effect_evidence"],
                                'set by effect = { from = "evidence", key = "..." }')
        if entry is not None:
            effect_sd = entry.se
        else:
            effect_sd = self.optional(t, "pain", "effect_sd", check=lambda v: v > 0,
                                      allowed="must be a number > 0 (NRS points)")
        tau2 = self.optional(t, "pain", "tau2", check=lambda v: v >= 0,
                             allowed="must be a number >= 0 (NRS points squared)")
        if tau2 is None and entry is not None:
            tau2 = entry.tau2
        effect_prior = self.choice(t, "pain", "effect_prior", "fixed",
                                   ("fixed", "pooled", "predictive"))
        if effect_prior != "fixed" and effect_sd is None:
            where = (f"evidence entry {entry.key!r} has no CI" if entry
                     else "set pain.effect_sd (the SE of the pooled effect)")
            raise self.fail("[pain] effect_prior", effect_prior,
                            f"needs the prior's spread: {where}")
        if effect_prior == "predictive" and tau2 is None:
            why = ("the evidence entry has no tau^2" if entry is not None
                   else "the predictive distribution adds tau^2 to effect_sd^2")
            raise self.fail("[pain] tau2", _MISSING,
                            f"required with effect_prior = 'predictive': {why}; give one, "
                            "or sweep 0, 0.25, 0.5, 1.0 (NRS points squared)")
        sd = self.number(t, "pain", "sd", 2.5, **positive)
        baseline_mean = self.number(t, "pain", "baseline_mean", 6.5)
        baseline_sd = self.number(t, "pain", "baseline_sd", 1.3, **positive)
        correlation = self.number(t, "pain", "correlation", 0.3, check=lambda v: -1 < v < 1,
                                  allowed="must be in (-1, 1)")
        placebo_change = self.number(t, "pain", "placebo_change", -1.0)
        mcid = self.number(t, "pain", "mcid", 1.0, check=lambda v: v >= 0,
                           allowed="must be a number >= 0")
        bounded = t.get("bounded", False)
        if not isinstance(bounded, bool):
            raise self.fail("[pain] bounded", bounded, "must be true or false")
        lo, hi = (self.optional(t, "pain", key,
                                check=(lambda v: 0 <= v <= 10) if bounded else (lambda v: True),
                                allowed="must be in [0, 10] with bounded scores" if bounded
                                else "must be a finite number")
                  for key in ("inclusion_min", "inclusion_max"))
        if lo is not None and hi is not None and not lo < hi:
            raise self.fail("[pain] inclusion_max", hi, f"must be > inclusion_min = {lo}")
        analysis = self.choice(t, "pain", "analysis", "ancova", ANALYSES)
        pain = Pain(effect=effect, sd=sd, baseline_mean=baseline_mean, baseline_sd=baseline_sd,
                    correlation=correlation, placebo_change=placebo_change, mcid=mcid,
                    bounded=bounded, inclusion_min=lo, inclusion_max=hi, analysis=analysis,
                    effect_prior=effect_prior, effect_sd=effect_sd, tau2=tau2,
                    effect_evidence=entry.key if entry else None,
                    unblinding_ae=self.unblinding_ae(t),
                    unblinding_shift=self.number(t, "pain", "unblinding_shift", 0.0,
                                                 allowed="must be a finite number (NRS points)"))
        from ..models.outcomes import (
            inclusion_probability,  # local: outcomes imports this module
        )

        p_in = inclusion_probability(pain)
        if p_in < 1e-6:
            key, value = ("inclusion_min", lo) if lo is not None else ("inclusion_max", hi)
            raise self.fail(f"[pain] {key}", value,
                            f"the inclusion range [{lo}, {hi}] admits a fraction {p_in:.2g} "
                            f"of the baseline distribution N({baseline_mean}, "
                            f"{baseline_sd}^2); widen the range")
        return pain

    def by_arm(self, raw: Any, section: str, key: str, design: Design, check, allowed: str):
        """A table {active arm name: number} as a tuple in arm order."""
        active = list(design.arms[1:])
        where = f"[{section}] {key}"
        if design.kind != "multiarm":
            raise self.fail(where, raw, "only for design.kind = 'multiarm'")
        if not isinstance(raw, Mapping) or set(raw) != set(active):
            raise self.fail(where, raw, f"must be a table with one value per active arm: "
                                        f"{', '.join(active)}")
        return tuple(self.number(raw, f"{section}.{key}", name, check=check, allowed=allowed)
                     for name in active)

    def arm_risks(self, raw: Any, ae: AdverseEvent, design: Design) -> AdverseEvent:
        if "arm_risk_ratios" not in raw:
            return ae
        where = f"[adverse_events.{ae.name}] arm_risk_ratios"
        values = self.by_arm(raw["arm_risk_ratios"], f"adverse_events.{ae.name}",
                             "arm_risk_ratios", design, check=lambda v: v > 0,
                             allowed="must be a number > 0")
        for name, rr in zip(design.arms[1:], values):
            if ae.placebo_risk * rr > 1:
                raise self.fail(where, dict(raw["arm_risk_ratios"]),
                                f"gives arm {name!r} a risk {ae.placebo_risk * rr:.3g} > 1")
        return dataclasses.replace(ae, arm_risk_ratios=values)

    def arm_effects(self, raw: Any, pain: Pain, design: Design) -> Pain:
        if "arm_effects" not in raw:
            return pain
        values = self.by_arm(raw["arm_effects"], "pain", "arm_effects", design,
                             check=lambda v: True, allowed="must be a finite number (NRS points)")
        return dataclasses.replace(pain, arm_effects=values)

    def unblinding_ae(self, t: Mapping[str, Any]) -> str | None:
        name = t.get("unblinding_ae")
        if name is None:
            if "unblinding_shift" in t:
                raise self.fail("[pain] unblinding_shift", t["unblinding_shift"],
                                "needs pain.unblinding_ae (the adverse event that unblinds)")
            return None
        if not isinstance(name, str):
            raise self.fail("[pain] unblinding_ae", name, "must be an adverse event's name")
        return name

    def adverse_events(self, raw: Any) -> tuple[AdverseEvent, ...]:
        if raw is _MISSING:
            return ()
        if not isinstance(raw, Mapping):
            raise ScenarioError(f"{self.source}: [adverse_events]: must be a table of named "
                                f"tables, got {_show(raw)}")
        events = []
        for name, spec in raw.items():
            section = f"adverse_events.{name}"
            if not str(name).replace("_", "").replace("-", "").isalnum():
                raise ScenarioError(f"{self.source}: [{section}]: the name must use letters, "
                                    "digits, '_' or '-'")
            t = self.table(spec, section, _AE_KEYS)
            p0 = self.number(t, section, "placebo_risk", check=lambda v: 0 <= v <= 1,
                             allowed="must be a probability in [0, 1]")
            entry = None
            if isinstance(t.get("risk_ratio"), Mapping):
                entry = self.reference(t["risk_ratio"], f"[{section}] risk_ratio", "RR")
                rr = entry.estimate
                if "log_rr_sd" in t:
                    raise self.fail(f"[{section}] log_rr_sd", t["log_rr_sd"],
                                    "comes from the evidence entry; give risk_ratio as a number "
                                    "to set your own")
                log_sd = entry.se
            else:
                rr = self.number(t, section, "risk_ratio", 1.0, check=lambda v: v > 0,
                                 allowed='must be a number > 0 or { from = "evidence", key = "..." }')
                log_sd = self.optional(t, section, "log_rr_sd", check=lambda v: v > 0,
                                       allowed="must be a number > 0")
            rr_prior = self.choice(t, section, "risk_ratio_prior", "fixed", ("fixed", "pooled"))
            if rr_prior == "pooled" and log_sd is None:
                raise self.fail(f"[{section}] risk_ratio_prior", rr_prior,
                                "needs log_rr_sd (the SE of the log risk ratio) or an evidence "
                                "reference with a CI")
            if p0 * rr > 1:
                raise self.fail(f"[{section}] risk_ratio", rr,
                                f"gives an active-arm risk {p0} x {rr} = {p0 * rr:.3g}; "
                                "it must be <= 1")
            events.append(AdverseEvent(
                name=str(name), placebo_risk=p0, risk_ratio=rr, risk_ratio_prior=rr_prior,
                log_rr_sd=log_sd, risk_ratio_evidence=entry.key if entry else None))
        return tuple(events)

    def dropout(self, raw: Any, events: tuple[AdverseEvent, ...]) -> Dropout:
        t = self.table(raw, "dropout", _DROPOUT_KEYS)
        rate = self.number(t, "dropout", "rate", 0.0, check=lambda v: 0 <= v < 1,
                           allowed="must be in [0, 1)")
        after_raw = t.get("after_ae", {})
        if not isinstance(after_raw, Mapping):
            raise self.fail("[dropout] after_ae", after_raw,
                            "must be a table {adverse-event name = probability}")
        names = [ae.name for ae in events]
        after = {}
        for name, prob in after_raw.items():
            if name not in names:
                allowed = ", ".join(names) if names else "none are defined in [adverse_events]"
                raise self.fail(f"[dropout.after_ae] {name}", prob,
                                f"unknown adverse event; defined: {allowed}")
            after[name] = self.number(after_raw, "dropout.after_ae", name,
                                      check=lambda v: 0 <= v <= 1,
                                      allowed="must be a probability in [0, 1]")
        mechanism = self.choice(t, "dropout", "mechanism", "mcar", ("mcar", "mar", "mnar", "ae"))
        slope = self.number(t, "dropout", "slope", 0.0, allowed="must be a finite number "
                            "(log odds per NRS point)")
        if mechanism == "ae" and rate > 0:
            raise self.fail("[dropout] rate", rate, "must be 0 with mechanism = 'ae' (withdrawal "
                            "only after adverse events, set in after_ae)")
        if "slope" in t and mechanism not in ("mar", "mnar"):
            raise self.fail("[dropout] slope", t["slope"], "only with mechanism 'mar' or 'mnar'")
        return Dropout(rate=rate, after_ae=after, mechanism=mechanism, slope=slope)

    def meta_analysis(self, raw: Any, pain: Pain) -> MetaSpec:
        section = "meta_analysis"
        t = self.table(raw, section, _META_KEYS)
        given = [k for k in ("studies", "pooled", "evidence") if k in t]
        if len(given) != 1:
            raise self.fail(f"[{section}] {' / '.join(given) or 'studies'}", _MISSING if not given
                            else "both", "give exactly one of studies = [[estimate, se], ...], "
                            "pooled = { estimate, se, k } or evidence = \"key\"")
        if pain.is_responder:
            raise self.fail("[pain] analysis", pain.analysis,
                            "updating a meta-analysis of mean differences needs a continuous "
                            "analysis (ancova, change or followup)")
        studies = pooled = evidence = None
        if "studies" in t:
            rows = t["studies"]
            ok = isinstance(rows, list) and len(rows) >= 1 and all(
                isinstance(r, list) and len(r) == 2
                and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                        and math.isfinite(x) for x in r) and r[1] > 0 for r in rows)
            if not ok:
                raise self.fail(f"[{section}] studies", rows,
                                "must be a list of [estimate, se] pairs (0-10 NRS), se > 0")
            studies = tuple((float(a), float(b)) for a, b in rows)
        elif "pooled" in t:
            p = self.table(t["pooled"], f"{section}.pooled", ("estimate", "se", "k"))
            est = self.number(p, f"{section}.pooled", "estimate")
            se = self.number(p, f"{section}.pooled", "se", check=lambda v: v > 0,
                             allowed="must be a number > 0")
            k = self.optional(p, f"{section}.pooled", "k", integer=True, check=lambda v: v >= 1,
                              allowed="must be an integer >= 1")
            pooled = (est, se, k)
        else:
            entry = self.reference({"from": "evidence", "key": t["evidence"]} if
                                   isinstance(t["evidence"], str) else t["evidence"],
                                   f"[{section}] evidence", "MD")
            if entry.se is None:
                raise self.fail(f"[{section}] evidence", entry.key, "the entry has no CI, so no SE")
            evidence = entry.key
            pooled = (entry.estimate, entry.se, entry.studies)
        method = self.choice(t, section, "method", "reml", ("fixed", "dl", "reml", "pm"))
        hksj = t.get("hksj", False)
        if not isinstance(hksj, bool):
            raise self.fail(f"[{section}] hksj", hksj, "must be true or false")
        if hksj and (studies is None or len(studies) < 2):
            raise self.fail(f"[{section}] hksj", hksj,
                            "needs per-study estimates of at least 2 studies (studies)")
        tau2 = self.optional(t, section, "tau2", check=lambda v: v >= 0,
                             allowed="must be a number >= 0 (NRS points squared)")
        if tau2 is None and studies is None:
            tau2 = pain.tau2
            if tau2 is None and evidence is not None:
                tau2 = (self.evidence or default_evidence())[evidence].tau2
            if tau2 is None:
                raise self.fail(f"[{section}] tau2", _MISSING,
                                "required with a pooled summary (held fixed in updates); the "
                                "review does not report it: sweep 0, 0.25, 0.5, 1.0")
        new_trials = self.number(t, section, "new_trials", 1, integer=True,
                                 check=lambda v: 1 <= v <= 100,
                                 allowed="must be an integer in [1, 100]")
        rules = t.get("rules", ["ci-excludes-0"])
        if isinstance(rules, str):
            rules = [rules]
        if not isinstance(rules, list) or not rules or any(r not in RULES for r in rules):
            raise self.fail(f"[{section}] rules", rules,
                            f"must be a list of rules from {', '.join(map(repr, RULES))}")
        precision = self.optional(t, section, "precision", check=lambda v: v > 0,
                                  allowed="must be a number > 0 (NRS points)")
        if "precision" in rules and precision is None:
            raise self.fail(f"[{section}] precision", _MISSING,
                            "required by the 'precision' rule: the CI half-width to reach")
        power = self.number(t, section, "power", 0.9, check=lambda v: 0.5 <= v < 1,
                            allowed="must be in [0.5, 1)")
        delta = self.optional(t, section, "delta", check=lambda v: v > 0,
                              allowed="must be a number > 0 (NRS points)")
        if delta is None and pain.mcid <= 0:
            raise self.fail(f"[{section}] delta", _MISSING,
                            "required when pain.mcid is 0 (the effect the information size "
                            "is for)")
        return MetaSpec(studies=studies, pooled=pooled,
                        evidence=evidence, method=method, hksj=hksj, tau2=tau2,
                        new_trials=new_trials, rules=tuple(dict.fromkeys(rules)),
                        precision=precision, power=power, delta=delta)

    def sweep(self, raw: Any) -> SweepSpec:
        t = self.table(raw, "sweep", ("grid", "zip"))
        parts = {}
        for name in ("grid", "zip"):
            table = t.get(name, {})
            if not isinstance(table, Mapping):
                raise self.fail(f"[sweep] {name}", table,
                                'must be a table { "dotted.key" = [values] or "START:STOP:STEP" }')
            parts[name] = tuple((str(k), parse_sweep_values(str(k), v, f"{self.source}: [sweep.{name}]"))
                                for k, v in table.items())
        lengths = {len(v) for _, v in parts["zip"]}
        if len(lengths) > 1:
            raise self.fail("[sweep] zip", {k: list(v) for k, v in parts["zip"]},
                            "zipped keys vary together: give them equal numbers of values")
        dup = set(k for k, _ in parts["grid"]) & set(k for k, _ in parts["zip"])
        if dup:
            raise self.fail("[sweep] zip", sorted(dup)[0], "a key is either in grid or in zip")
        return SweepSpec(grid=parts["grid"], zip=parts["zip"])

    def recruitment(self, raw: Any) -> RecruitmentSpec:
        sec = "recruitment"
        t = self.table(raw, sec, _RECRUITMENT_KEYS)
        positive = dict(check=lambda v: v > 0, allowed="must be a number > 0")
        nonneg = dict(check=lambda v: v >= 0, allowed="must be a number >= 0")
        sites = self.number(t, sec, "sites", integer=True, check=lambda v: 1 <= v <= 10_000,
                            allowed="must be an integer in [1, 10000]")
        rate = self.number(t, sec, "rate_per_site_month",
                           allowed="must be a number > 0 (patients screened per site per month)",
                           check=lambda v: v > 0)
        opening = t.get("site_open_months", 0.0)
        if isinstance(opening, list):
            if len(opening) != sites or not all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                    and x >= 0 for x in opening):
                raise self.fail(f"[{sec}] site_open_months", opening,
                                f"must be {sites} opening times >= 0 (one per site), "
                                "or one number: a ramp over which sites open evenly")
            opens = tuple(float(x) for x in opening)
        else:
            ramp = self.number(t, sec, "site_open_months", 0.0,
                               allowed="must be a list of opening times or a ramp >= 0 (months)",
                               check=lambda v: v >= 0)
            opens = tuple(ramp * i / (sites - 1) if sites > 1 else 0.0 for i in range(sites))
        screen_failure = self.number(t, sec, "screen_failure", 0.0, check=lambda v: 0 <= v < 1,
                                     allowed="must be in [0, 1)")
        chairs = self.optional(t, sec, "chairs_per_site", integer=True, check=lambda v: v >= 1,
                               allowed="must be an integer >= 1 (absent = no capacity limit)")
        sessions = self.number(t, sec, "sessions_per_patient", 1, integer=True,
                               check=lambda v: 1 <= v <= 100, allowed="must be an integer in [1, 100]")
        session_hours = self.number(t, sec, "session_hours", 4.0, **positive)
        if "max_wait_days" in t and chairs is None:
            raise self.fail(f"[{sec}] max_wait_days", t["max_wait_days"],
                            "only applies with chairs_per_site (without a capacity limit "
                            "nobody waits)")
        hours_per_day = self.number(t, sec, "hours_per_day", 8.0, check=lambda v: 0 < v <= 24,
                                    allowed="must be in (0, 24]")
        if session_hours > hours_per_day:
            raise self.fail(f"[{sec}] session_hours", session_hours,
                            f"must fit in a day of hours_per_day = {hours_per_day}")
        return RecruitmentSpec(
            sites=sites, rate_per_site_month=rate, site_open_months=opens,
            screen_failure=screen_failure, chairs_per_site=chairs,
            sessions_per_patient=sessions, session_hours=session_hours,
            hours_per_day=hours_per_day,
            max_wait_days=self.optional(t, sec, "max_wait_days", **positive),
            followup_months=self.number(t, sec, "followup_months", 1.0, **nonneg),
            deadline_months=self.optional(t, sec, "deadline_months", **positive),
            cost_per_patient=self.number(t, sec, "cost_per_patient", 0.0, **nonneg),
            cost_per_site_month=self.number(t, sec, "cost_per_site_month", 0.0, **nonneg),
            cost_per_infusion=self.number(t, sec, "cost_per_infusion", 0.0, **nonneg),
        )

    def analysis(self, raw: Any) -> AnalysisSpec:
        t = self.table(raw, "analysis", _ANALYSIS_KEYS)
        alpha = self.number(t, "analysis", "alpha", 0.05, check=lambda v: 0 < v < 0.5,
                            allowed="must be in (0, 0.5)")
        sided = self.choice(t, "analysis", "sided", 2, (1, 2))
        test = self.choice(t, "analysis", "test", "student", ("student", "welch"))
        estimand = self.choice(t, "analysis", "estimand", "hypothetical", ESTIMANDS)
        imputations = self.number(t, "analysis", "imputations", 20, integer=True,
                                  check=lambda v: 2 <= v <= 1000,
                                  allowed="must be an integer in [2, 1000]")
        multiplicity = self.choice(t, "analysis", "multiplicity", "dunnett",
                                   ("dunnett", "holm", "bonferroni", "none"))
        return AnalysisSpec(alpha=alpha, sided=sided, test=test, estimand=estimand,
                            imputations=imputations, multiplicity=multiplicity)

    def simulation(self, raw: Any) -> SimulationSpec:
        t = self.table(raw, "simulation", _SIMULATION_KEYS)
        n_sims = self.number(t, "simulation", "n_sims", 10_000, integer=True,
                             check=lambda v: 1 <= v <= 10**9,
                             allowed="must be an integer in [1, 1e9]")
        chunk_mb = self.number(t, "simulation", "chunk_mb", 64.0, check=lambda v: 1 <= v <= 65536,
                               allowed="must be a number of MB in [1, 65536]")
        return SimulationSpec(n_sims=n_sims, chunk_mb=chunk_mb)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)
