"""Adverse events and the loss of the primary outcome (dropout and withdrawal)."""

from __future__ import annotations

import dataclasses
import math
import numbers as _numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import ScenarioError
from .bounds import MAX_RATIO, is_ratio
from .schema import check_fields, choice, fail, number, numbers, text

__all__ = ["AdverseEvent", "Dropout", "MECHANISMS"]

MECHANISMS = ("mcar", "mar", "mnar", "ae")


@dataclass(frozen=True, slots=True, kw_only=True)
class AdverseEvent:
    """One adverse-event type.

    Attributes
    ----------
    name : str
        Its name (the key of its table in the scenario file): letters,
        digits, ``_`` or ``-``.
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

    Examples
    --------
    >>> AdverseEvent(name="nausea", placebo_risk=0.5, risk_ratio=3)
    Traceback (most recent call last):
    ...
    simulator.errors.ScenarioError: [adverse_events.nausea] risk_ratio = 3.0: gives an active-arm risk 0.5 x 3 = 1.5; it must be <= 1
    """

    name: str = text(in_file=False)
    placebo_risk: float = number(check=lambda v: 0 <= v <= 1,
                                 allowed="must be a probability in [0, 1]")
    risk_ratio: float = number(1.0, check=is_ratio,
                               allowed=f"must be a number in [{1 / MAX_RATIO:g}, {MAX_RATIO:g}] "
                                       'or { from = "evidence", key = "..." }')
    risk_ratio_prior: Literal["fixed", "pooled"] = choice(("fixed", "pooled"), "fixed")
    log_rr_sd: float | None = number(None, optional=True, check=lambda v: 0 < v <= 5,
                                     allowed="must be a number in (0, 5] (log scale)")
    risk_ratio_evidence: str | None = text(None, optional=True, in_file=False)
    arm_risk_ratios: tuple[float, ...] | None = numbers(
        None, optional=True, check=lambda v: all(map(is_ratio, v)),
        allowed=f"must be a number in [{1 / MAX_RATIO:g}, {MAX_RATIO:g}] for every active arm")

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.replace("_", "").replace(
                "-", "").isalnum():
            raise ScenarioError(f"[adverse_events.{self.name}]: the name must use letters, "
                                "digits, '_' or '-'")
        section = f"adverse_events.{self.name}"
        check_fields(self, section)
        p0, rr = self.placebo_risk, self.risk_ratio
        if self.risk_ratio_prior == "pooled" and self.log_rr_sd is None:
            raise fail(f"[{section}] risk_ratio_prior", self.risk_ratio_prior,
                       "needs log_rr_sd (the SE of the log risk ratio) or an evidence "
                       "reference with a CI")
        if p0 * rr > 1:
            raise fail(f"[{section}] risk_ratio", rr,
                       f"gives an active-arm risk {p0:g} x {rr:g} = {p0 * rr:.3g}; "
                       "it must be <= 1")

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


@dataclass(frozen=True, slots=True, kw_only=True)
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

    Examples
    --------
    >>> Dropout(rate=1.2)
    Traceback (most recent call last):
    ...
    simulator.errors.ScenarioError: [dropout] rate = 1.2: must be in [0, 1)
    """

    rate: float = number(0.0, check=lambda v: 0 <= v < 1, allowed="must be in [0, 1)")
    after_ae: Mapping[str, float] = dataclasses.field(default_factory=dict)
    mechanism: Literal["mcar", "mar", "mnar", "ae"] = choice(MECHANISMS, "mcar")
    slope: float = number(0.0, check=lambda v: -10 <= v <= 10,
                          allowed="must be a number in [-10, 10] (log odds per NRS point)")

    def __post_init__(self) -> None:
        check_fields(self, "dropout")
        after = self.after_ae
        if not isinstance(after, Mapping):
            raise fail("[dropout] after_ae", after,
                       "must be a table {adverse-event name = probability}")
        checked = {}
        for name, prob in after.items():
            if isinstance(prob, bool) or not isinstance(prob, _numbers.Real) \
                    or not math.isfinite(prob) or not 0 <= prob <= 1:
                raise fail(f"[dropout.after_ae] {name}", prob,
                           "must be a probability in [0, 1]")
            checked[str(name)] = float(prob)
        object.__setattr__(self, "after_ae", checked)
        if self.mechanism == "ae" and self.rate > 0:
            raise fail("[dropout] rate", self.rate, "must be 0 with mechanism = 'ae' "
                       "(withdrawal only after adverse events, set in after_ae)")
        if self.slope != 0 and self.mechanism not in ("mar", "mnar"):
            raise fail("[dropout] slope", self.slope, "only with mechanism 'mar' or 'mnar'")

    def __hash__(self) -> int:
        return hash((self.rate, tuple(sorted(self.after_ae.items())), self.mechanism,
                     self.slope))

    @property
    def any(self) -> bool:
        """Whether any patient can lose the primary outcome."""
        return self.rate > 0 or any(q > 0 for q in self.after_ae.values())
