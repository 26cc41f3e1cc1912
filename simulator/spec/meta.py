"""The existing meta-analysis, and what would make its update conclusive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .._lazy import special
from .bounds import (HORIZON, MAX_MONTHS, MAX_RATIO, MIN_ALPHA, NRS_MAX, SPENDING_PARAMETER,
                     is_difference, is_horizon, is_real, is_spending_parameter)
from .evidence import CI_METHODS, TAU2_METHODS
from .schema import MISSING, check_fields, choice, fail, flag, integer, number, text

__all__ = ["MetaSpec", "RULES", "META_METHODS", "TSA_ALPHA", "TSA_BETA", "TSA_RIS",
           "TAU2_PRIORS"]

#: Rules that make an updated meta-analysis conclusive.
RULES: tuple[str, ...] = ("settled", "ci-excludes-0", "mcid", "precision", "tsa")
META_METHODS = ("fixed", "dl", "reml", "pm")
TSA_ALPHA = ("asOF", "asP", "asKD", "asHSD")
TSA_BETA = ("none", "bsOF", "bsP", "bsKD", "bsHSD")
TSA_RIS = ("daris", "i2", "ris")
TAU2_PRIORS = ("fixed", "qprofile", "rhodes", "turner", "lognormal")


#: The smallest standard error of an existing estimate (NRS points).
MIN_SE = 1e-3
#: The smallest effect an information size may be for (NRS points).
MIN_DELTA = 0.01
#: Most existing studies (each simulated update re-fits them all).
MAX_STUDIES = 100


def _pair(estimate, se) -> bool:
    """An estimate in [-10, 10] and its SE in [0.001, 10] (NRS points)."""
    return is_real(estimate) and is_real(se) and is_difference(estimate) and MIN_SE <= se <= NRS_MAX


#: The range of ``start_date``: dates up to MAX_MONTHS (100 years) after it stay well
#: inside the calendar Python's dates can write (to 9999-12-31).
FIRST_START, LAST_START = date(1900, 1, 1), date(2999, 12, 31)
START_DATE = f"must be a date 'YYYY-MM-DD' from {FIRST_START} to {LAST_START} (month 0)"


@dataclass(frozen=True, slots=True, kw_only=True)
class MetaSpec:
    """The existing meta-analysis and what would make its update conclusive.

    Exactly one of ``studies`` and ``pooled`` describes the existing evidence
    (0-10 NRS, negative = benefit); a file may give ``evidence`` instead,
    which fills ``pooled`` from the evidence table.

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
        What makes the update conclusive, the first being the headline:
        ``settled`` (the default headline: CI beyond -MCID, or inside (-MCID,
        MCID), or beyond 0 on the harm side), ``ci-excludes-0``, ``mcid`` (CI
        beyond -MCID, or inside (-MCID, MCID)), ``precision`` (CI half-width
        below ``precision``), ``tsa`` (a full trial sequential analysis: the
        existing studies, then each new trial, against Lan-DeMets boundaries).
    precision : float or None
        CI half-width target (NRS points) for the ``precision`` rule.
    power : float
        Power of the required information size (RIS) and of ``k_min``.
    delta : float or None
        Effect the required information size is for (default ``pain.mcid``).
    tsa_alpha_spending : {"asOF", "asP", "asKD", "asHSD"}
        The ``tsa`` rule's alpha-spending family (O'Brien-Fleming type, the
        TSA default; Pocock; Kim-DeMets and Hwang-Shih-DeCani with ``tsa_gamma_a``).
    tsa_beta_spending : {"none", "bsOF", "bsP", "bsKD", "bsHSD"}
        Futility boundaries by beta spending (``beta = 1 - power``), or none.
    tsa_binding : bool
        Binding futility boundaries (the efficacy boundaries account for them).
    tsa_gamma_a, tsa_gamma_b : float or None
        Parameter of a KD (rho > 0) or HSD (gamma) family.
    tsa_ris : {"daris", "i2", "ris"}
        The RIS the ``tsa`` rule monitors: diversity-adjusted (D^2), adjusted
        by I^2, or unadjusted with random-effects information.
    hksj_truncate : bool
        The modified HKSJ (variance factor at least 1; Röver et al. 2015);
        needs ``hksj``.
    tau2_prior : {"fixed", "qprofile", "rhodes", "turner", "lognormal"}
        tau^2 in the futures: held at its value, or drawn per future from the
        Q-profile distribution of ``studies``, Rhodes et al.'s (2015)
        empirical prior for SMDs rescaled by ``pain.sd^2``, Turner et al.'s
        (2015) prior for log odds ratios (binary outcomes only), or
        ``ln tau2 ~ N(tau2_prior_mu, tau2_prior_sigma^2)``.
    tau2_prior_mu, tau2_prior_sigma : float or None
        The log-normal prior's parameters (``lognormal`` only).
    ci_method : {"z", "hksj", "t"}
        How the review computed the CI of a pooled summary (from an evidence
        entry: the entry's, where it records one). Its SE, derived from the CI
        as a z interval, is corrected by ``z_0.975 / t_{k-1, 0.975}`` for a
        t-based (HKSJ) interval on ``k`` studies, so the existing information
        is ``(t / z)^2`` times what a z interval suggests.
    ci_studies : int or None
        ``k`` of that t quantile (default: the summary's number of studies).
    tau2_method : str
        The review's tau^2 estimator, as recorded (reported; ``"unknown"``).
    outcome : str
        ``"pain"`` (mean differences in NRS points), or the name of an adverse
        event of the scenario: a meta-analysis of its log risk ratios, each
        new trial adding its own log RR and SE.
    harm_margin : float or None
        A binary outcome's important harm, a risk ratio > 1: the update rules
        out important harm when its CI lies below it (required with one).
    analysis_lag_months : float
        With ``[recruitment]``: months from the new trials' last primary
        outcome to the updated review (the trials' analysis and publication,
        the review's update), for the date the review is settled.
    start_date : str or None
        The calendar date of month 0 (``"YYYY-MM-DD"``), the day recruitment
        starts; dates are reported as months from the start without it.
    settled_by_months : float or None
        The date asked about: P(settled by then), months from the start.

    Examples
    --------
    >>> MetaSpec(studies=((-1.0, 0.5),), new_trials=0)
    Traceback (most recent call last):
    ...
    simulator.errors.ScenarioError: [meta_analysis] new_trials = 0: must be an integer in [1, 100]
    """

    studies: tuple[tuple[float, float], ...] | None = None
    pooled: tuple[float, float, int | None] | None = None
    evidence: str | None = text(None, optional=True)
    method: Literal["fixed", "dl", "reml", "pm"] = choice(META_METHODS, "reml")
    hksj: bool = flag(False)
    tau2: float | None = number(None, optional=True, check=lambda v: 0 <= v <= NRS_MAX**2,
                                allowed="must be a number in [0, 100] (NRS points squared)")
    new_trials: int = integer(1, check=lambda v: 1 <= v <= 100,
                              allowed="must be an integer in [1, 100]")
    rules: tuple[str, ...] = ("settled", "ci-excludes-0")
    precision: float | None = number(None, optional=True, check=lambda v: 0 < v <= NRS_MAX,
                                     allowed="must be a number in (0, 10] (NRS points)")
    power: float = number(0.9, check=lambda v: 0.5 <= v <= 1 - MIN_ALPHA,
                          allowed=f"must be in [0.5, 1 - {MIN_ALPHA:g}]")
    delta: float | None = number(None, optional=True, check=lambda v: MIN_DELTA <= v <= NRS_MAX,
                                 allowed=f"must be a number in [{MIN_DELTA:g}, 10] (NRS points)")
    tsa_alpha_spending: str = choice(TSA_ALPHA, "asOF")
    tsa_beta_spending: str = choice(TSA_BETA, "none")
    tsa_binding: bool = flag(False)
    tsa_gamma_a: float | None = number(None, optional=True, check=is_spending_parameter,
                                       allowed=SPENDING_PARAMETER)
    tsa_gamma_b: float | None = number(None, optional=True, check=is_spending_parameter,
                                       allowed=SPENDING_PARAMETER)
    tsa_ris: str = choice(TSA_RIS, "daris")
    hksj_truncate: bool = flag(False)
    tau2_prior: str = choice(TAU2_PRIORS, "fixed")
    tau2_prior_mu: float | None = number(
        None, optional=True, check=lambda v: -30 <= v <= 5,
        allowed="must be a number in [-30, 5] (mean of ln tau^2: tau^2 from 1e-13 to 148)")
    tau2_prior_sigma: float | None = number(
        None, optional=True, check=lambda v: 0 < v <= 5,
        allowed="must be a number in (0, 5] (SD of ln tau^2)")
    ci_method: str = choice(CI_METHODS, "z")
    ci_studies: int | None = integer(
        None, optional=True, check=lambda v: 2 <= v <= MAX_STUDIES,
        allowed=f"must be an integer in [2, {MAX_STUDIES}] (studies in the review's CI)")
    tau2_method: str = choice(("unknown",) + TAU2_METHODS, "unknown")
    outcome: str = text("pain")
    harm_margin: float | None = number(None, optional=True, check=lambda v: 1 < v <= MAX_RATIO,
                                       allowed=f"must be a risk ratio in (1, {MAX_RATIO:g}]")
    analysis_lag_months: float = number(
        0.0, check=lambda v: 0 <= v <= MAX_MONTHS,
        allowed=f"must be a number in [0, {MAX_MONTHS:g}] (months from the last outcome to the "
                "updated review)")
    start_date: str | None = text(None, optional=True, allowed=START_DATE)
    settled_by_months: float | None = number(
        None, optional=True, check=is_horizon, allowed=f"{HORIZON} (from the start)")

    def __post_init__(self) -> None:
        if type(self.start_date) is date:  # a TOML date (unquoted): the same day as text
            object.__setattr__(self, "start_date", self.start_date.isoformat())
        check_fields(self, "meta_analysis")
        if self.start_date is not None:
            try:  # fromisoformat alone takes 20270101 and 2027-W01-1 too (Python 3.11)
                day = (date.fromisoformat(self.start_date)
                       if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(self.start_date)) else None)
            except ValueError:
                day = None
            if day is None or not FIRST_START <= day <= LAST_START:
                raise fail("[meta_analysis] start_date", self.start_date, START_DATE)
        self._check_evidence()
        rules = self.rules
        if isinstance(rules, str):
            rules = (rules,)
        if not isinstance(rules, (list, tuple)) or not rules or any(r not in RULES
                                                                    for r in rules):
            raise fail("[meta_analysis] rules", self.rules,
                       f"must be a list of rules from {', '.join(map(repr, RULES))}")
        object.__setattr__(self, "rules", tuple(dict.fromkeys(rules)))
        if self.hksj and (self.studies is None or len(self.studies) < 2):
            raise fail("[meta_analysis] hksj", self.hksj,
                       "needs per-study estimates of at least 2 studies (studies)")
        if self.tau2 is None and self.studies is None:
            raise fail("[meta_analysis] tau2", MISSING,
                       "required with a pooled summary (held fixed in updates); the review "
                       "does not report it: sweep 0, 0.25, 0.5, 1.0")
        if "precision" in self.rules and self.precision is None:
            raise fail("[meta_analysis] precision", MISSING,
                       "required by the 'precision' rule: the CI half-width to reach")
        self._check_tsa()
        self._check_tau2()
        self._check_ci_method()
        self._check_outcome()

    @property
    def binary(self) -> bool:
        """Whether the outcome is an adverse event (log risk ratios)."""
        return self.outcome != "pain"

    def _check_outcome(self) -> None:
        if not self.binary:
            if self.harm_margin is not None:
                raise fail("[meta_analysis] harm_margin", self.harm_margin,
                           "only with a binary outcome (outcome = an adverse event's name)")
            return
        if self.harm_margin is None:
            raise fail("[meta_analysis] harm_margin", MISSING,
                       f"required with outcome = {self.outcome!r}: the risk ratio of an "
                       "important harm (> 1)")
        unsupported = [r for r in self.rules if r == "mcid"]
        if unsupported:
            raise fail("[meta_analysis] rules", self.rules,
                       "a binary outcome takes 'settled' (harm shown, or important harm ruled "
                       "out), 'ci-excludes-0', 'precision' and 'tsa'")

    def _check_tsa(self) -> None:
        for name, family in (("tsa_gamma_a", self.tsa_alpha_spending),
                             ("tsa_gamma_b", self.tsa_beta_spending)):
            value, kind = getattr(self, name), family[2:]
            if kind in ("KD", "HSD") and (value is None or (kind == "KD" and value <= 0)):
                raise fail(f"[meta_analysis] {name}", MISSING if value is None else value,
                           f"required by {family!r}: " + ("rho > 0" if kind == "KD" else "gamma"))
        if self.tsa_binding and self.tsa_beta_spending == "none":
            raise fail("[meta_analysis] tsa_binding", True,
                       "binds futility boundaries: give tsa_beta_spending")

    def ci_quantile_ratio(self) -> float:
        """``t_{k-1, 0.975} / z_0.975`` for a t-based review CI on k studies (1 for z)."""
        if self.ci_method == "z":
            return 1.0
        k = self.ci_studies if self.ci_studies is not None else self.pooled[2]
        return float(special.stdtrit(k - 1, 0.975) / special.ndtri(0.975))

    def _check_ci_method(self) -> None:
        if self.ci_method == "z":
            return
        if self.studies is not None:
            raise fail("[meta_analysis] ci_method", self.ci_method,
                       "describes a pooled summary's CI; studies are re-fitted (hksj = true)")
        k = self.ci_studies if self.ci_studies is not None else self.pooled[2]
        if k is None or k < 2:
            raise fail("[meta_analysis] ci_studies", MISSING if k is None else k,
                       f"required by ci_method = {self.ci_method!r}: the t quantile has k - 1 "
                       "degrees of freedom, and the review's study count is not known")

    def _check_tau2(self) -> None:
        if self.hksj_truncate and not self.hksj:
            raise fail("[meta_analysis] hksj_truncate", True,
                       "truncates the HKSJ variance factor at 1: needs hksj = true")
        prior = self.tau2_prior
        if prior == "qprofile" and (self.studies is None or len(self.studies) < 2):
            raise fail("[meta_analysis] tau2_prior", prior,
                       "the Q-profile distribution needs per-study estimates of at least 2 "
                       "studies (studies)")
        if prior == "turner" and self.outcome == "pain":
            raise fail("[meta_analysis] tau2_prior", prior,
                       "Turner et al.'s priors are for log odds ratios; a mean difference takes "
                       "'rhodes' (SMD, rescaled by pain.sd^2), 'qprofile' or 'lognormal'")
        if prior == "rhodes" and self.outcome != "pain":
            raise fail("[meta_analysis] tau2_prior", prior,
                       "Rhodes et al.'s priors are for standardized mean differences; a log "
                       "risk ratio takes 'turner' (log odds ratios, approximately), 'qprofile' "
                       "or 'lognormal'")
        given = [k for k in ("tau2_prior_mu", "tau2_prior_sigma") if getattr(self, k) is not None]
        if prior == "lognormal" and len(given) < 2:
            missing = "tau2_prior_sigma" if given == ["tau2_prior_mu"] else "tau2_prior_mu"
            raise fail(f"[meta_analysis] {missing}", MISSING,
                       "required by tau2_prior = 'lognormal' (ln tau^2 ~ N(mu, sigma^2))")
        if prior != "lognormal" and given:
            raise fail(f"[meta_analysis] {given[0]}", getattr(self, given[0]),
                       "only with tau2_prior = 'lognormal'")

    def _check_evidence(self) -> None:
        if (self.studies is None) == (self.pooled is None):
            given = " / ".join(k for k in ("studies", "pooled") if getattr(self, k) is not None)
            raise fail(f"[meta_analysis] {given or 'studies'}",
                       "both" if given else MISSING,
                       "give exactly one of studies = [[estimate, se], ...], "
                       "pooled = { estimate, se, k } or evidence = \"key\"")
        if self.studies is not None:
            rows = self.studies
            if not isinstance(rows, (list, tuple)) or not 1 <= len(rows) <= MAX_STUDIES \
                    or not all(isinstance(r, (list, tuple)) and len(r) == 2 and _pair(*r)
                               for r in rows):
                raise fail("[meta_analysis] studies", rows,
                           f"must be a list of 1 to {MAX_STUDIES} [estimate, se] pairs (0-10 "
                           f"NRS): estimate in [-10, 10], se in [{MIN_SE:g}, 10]")
            object.__setattr__(self, "studies", tuple((float(a), float(b)) for a, b in rows))
        else:
            pooled = self.pooled
            if not isinstance(pooled, (list, tuple)) or len(pooled) != 3:
                pooled = (None, None, None)
            est, se, k = pooled
            if not (_pair(est, se) and (k is None or (isinstance(k, int) and not isinstance(
                    k, bool) and 1 <= k <= 10_000))):
                raise fail("[meta_analysis] pooled", self.pooled,
                           f"must be (estimate in [-10, 10], se in [{MIN_SE:g}, 10], k in "
                           "[1, 10000] or None) (0-10 NRS)")
            object.__setattr__(self, "pooled", (float(est), float(se), k))
