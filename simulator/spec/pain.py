"""The pain outcome on the 0-10 NRS: its model, the analysis, and the effect's prior."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from .bounds import (DIFFERENCE, MAX_MONTHS, MIN_SD, NRS_MAX, SCORE, is_difference, is_score,
                     is_sd)
from .schema import MISSING, check_fields, choice, fail, flag, number, numbers, text

__all__ = ["Pain", "ANALYSES", "RESPONDER_CUTOFFS", "NRS_MAX", "latent_bounds",
           "inclusion_probability"]

AnalysisName = Literal["ancova", "change", "followup", "responder30", "responder50"]
ANALYSES: tuple[str, ...] = ("ancova", "change", "followup", "responder30", "responder50")
RESPONDER_CUTOFFS: dict[str, float] = {"responder30": 0.30, "responder50": 0.50}
#: The longest follow-up, in weeks (the calendar bound of 1200 months).
MAX_WEEKS = MAX_MONTHS * 52 / 12
#: The smallest share of the screened population an inclusion range may admit.
MIN_INCLUSION = 1e-6

_EFFECT = 'must be a number in [-10, 10] (NRS points) or { from = "evidence", key = "..." }'
_SD = f"must be a number in [{MIN_SD:g}, 10] (NRS points)"


@dataclass(frozen=True, slots=True, kw_only=True)
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
        The evidence key ``effect`` came from (set by the file's
        ``effect = { from = "evidence", key = "..." }``).
    effect_smd_sd : float or None
        For an SMD entry: the SD (NRS points) the file's ``effect = { from =
        "evidence", key = "...", sd = ... }`` states, which converts the SMD
        and its SE to NRS points (both multiplied by it).
    followup_weeks : float or None
        When the trial measures its primary outcome, weeks from the start of
        treatment; checked against the time window of the evidence the effect
        comes from (a warning when it falls outside).
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

    Examples
    --------
    >>> Pain(effect=-1.0, sd=-2)
    Traceback (most recent call last):
    ...
    simulator.errors.ScenarioError: [pain] sd = -2: must be a number in [0.01, 10] (NRS points)
    """

    effect: float = number(check=is_difference, allowed=_EFFECT)
    sd: float = number(2.5, check=is_sd, allowed=_SD)
    baseline_mean: float = number(6.5, check=is_score, allowed=SCORE)
    baseline_sd: float = number(1.3, check=is_sd, allowed=_SD)
    correlation: float = number(0.3, check=lambda v: -1 < v < 1, allowed="must be in (-1, 1)")
    placebo_change: float = number(-1.0, check=is_difference, allowed=DIFFERENCE)
    mcid: float = number(1.0, check=is_score, allowed="must be a number in [0, 10] (NRS points)")
    bounded: bool = flag(False)
    inclusion_min: float | None = number(None, optional=True, check=is_score, allowed=SCORE)
    inclusion_max: float | None = number(None, optional=True, check=is_score, allowed=SCORE)
    analysis: AnalysisName = choice(ANALYSES, "ancova")
    effect_prior: Literal["fixed", "pooled", "predictive"] = choice(
        ("fixed", "pooled", "predictive"), "fixed")
    effect_sd: float | None = number(None, optional=True, check=lambda v: 0 < v <= NRS_MAX,
                                     allowed="must be a number in (0, 10] (NRS points)")
    tau2: float | None = number(None, optional=True, check=lambda v: 0 <= v <= NRS_MAX**2,
                                allowed="must be a number in [0, 100] (NRS points squared)")
    effect_evidence: str | None = text(None, optional=True, in_file=False)
    effect_smd_sd: float | None = number(
        None, optional=True, in_file=False, check=is_sd,
        allowed="must be a number in [0.01, 10] (the SD that converts an SMD, NRS points)")
    followup_weeks: float | None = number(
        None, optional=True, check=lambda v: 0 < v <= MAX_WEEKS,
        allowed=f"must be a number in (0, {MAX_WEEKS:g}] (weeks from the start of treatment to "
                "the primary outcome)")
    unblinding_ae: str | None = text(None, optional=True,
                                     allowed="must be an adverse event's name")
    unblinding_shift: float = number(0.0, check=is_difference, allowed=DIFFERENCE)
    arm_effects: tuple[float, ...] | None = numbers(
        None, optional=True, check=lambda v: all(map(is_difference, v)),
        allowed="must be a number in [-10, 10] (NRS points) for every active arm")

    def __post_init__(self) -> None:
        check_fields(self, "pain")
        self._check_inclusion()
        self._check_prior()
        if self.unblinding_ae is None and self.unblinding_shift != 0:
            raise fail("[pain] unblinding_shift", self.unblinding_shift,
                       "needs pain.unblinding_ae (the adverse event that unblinds)")

    def _check_inclusion(self) -> None:
        lo, hi = self.inclusion_min, self.inclusion_max
        if lo is not None and hi is not None and not lo < hi:
            raise fail("[pain] inclusion_max", hi, f"must be > inclusion_min = {lo}")
        p_in = inclusion_probability(self)
        if p_in < MIN_INCLUSION:
            key, value = ("inclusion_min", lo) if lo is not None else ("inclusion_max", hi)
            raise fail(f"[pain] {key}", value,
                       f"the inclusion range [{lo}, {hi}] admits a fraction {p_in:.2g} of the "
                       f"baseline distribution N({self.baseline_mean}, {self.baseline_sd}^2); "
                       "widen the range")

    def _check_prior(self) -> None:
        if self.effect_prior != "fixed" and self.effect_sd is None:
            where = (f"evidence entry {self.effect_evidence!r} has no CI" if self.effect_evidence
                     else "set pain.effect_sd (the SE of the pooled effect)")
            raise fail("[pain] effect_prior", self.effect_prior,
                       f"needs the prior's spread: {where}")
        if self.effect_prior == "predictive" and self.tau2 is None:
            why = ("the evidence entry has no tau^2" if self.effect_evidence is not None
                   else "the predictive distribution adds tau^2 to effect_sd^2")
            raise fail("[pain] tau2", MISSING,
                       f"required with effect_prior = 'predictive': {why}; give one, or sweep "
                       "0, 0.25, 0.5, 1.0 (NRS points squared)")

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


def latent_bounds(pain: Pain) -> tuple[float, float]:
    """Inclusion range in standard units of the latent baseline.

    With bounded scores the observed baseline ``k`` collects the latent
    interval ``[k - 0.5, k + 0.5)``, so an inclusion limit on the observed
    score is rounded inwards to an integer and widened by half a point on the
    latent scale.
    """
    lo = -math.inf if pain.inclusion_min is None else pain.inclusion_min
    hi = math.inf if pain.inclusion_max is None else pain.inclusion_max
    if pain.bounded:
        # Observed scores are integers: NRS >= 4.3 means NRS >= 5, i.e. a
        # latent score >= 4.5; the clip puts every latent score below 0 at 0
        # and above 10 at 10.
        lo = math.ceil(lo) - 0.5 if math.isfinite(lo) else lo
        hi = math.floor(hi) + 0.5 if math.isfinite(hi) else hi
        lo = -math.inf if lo <= 0 else lo
        hi = math.inf if hi >= NRS_MAX else hi
    m, s = pain.baseline_mean, pain.baseline_sd
    return (lo - m) / s, (hi - m) / s


def inclusion_probability(pain: Pain) -> float:
    """Fraction of the screened population whose baseline is in range.

    With ``math.erfc``, so that validating a scenario does not import scipy;
    the difference is taken between the tails on the side where both are
    small (``ndtr(hi) - ndtr(lo)`` loses digits when both are near 1).
    """
    lo, hi = latent_bounds(pain)
    root2 = math.sqrt(2.0)
    if lo > 0:  # both in the upper tail: Q(lo) - Q(hi)
        return 0.5 * (math.erfc(lo / root2) - math.erfc(hi / root2))
    return 0.5 * (math.erfc(-hi / root2) - math.erfc(-lo / root2))
