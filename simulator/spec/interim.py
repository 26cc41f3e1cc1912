"""Interim analyses: the looks of a group-sequential design and its boundaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._lazy import optimize
from ..analysis.sequential import SequentialDesign, conditional_power, group_sequential_design
from ..analysis.sequential_inputs import MAX_LOOKS
from ..analysis.spending import ALPHA_SPENDING, BETA_SPENDING
from ..errors import ScenarioError
from .bounds import MIN_ALPHA, SPENDING_PARAMETER, is_spending_parameter
from .schema import check_fields, choice, fail, flag, number, numbers

__all__ = ["InterimSpec", "sequential_design"]

_WANG_TSIATIS = ("OF", "P", "WT")


#: The smallest information fraction of a look, and between two looks (a look at a
#: millionth of the information spends nothing and makes the look tables enormous).
MIN_LOOK_STEP = 0.01


def _increasing_to_one(t: tuple[float, ...]) -> bool:
    return (2 <= len(t) <= MAX_LOOKS and t[0] >= MIN_LOOK_STEP and abs(t[-1] - 1.0) < 1e-12
            and all(b - a >= MIN_LOOK_STEP - 1e-12 for a, b in zip(t, t[1:])))


@dataclass(frozen=True, slots=True, kw_only=True)
class InterimSpec:
    """A group-sequential design: interim looks and their boundaries (``[interim]``).

    The alpha and sidedness are the primary analysis' (``[analysis]``). Every
    trial is analysed at each look as a prefix of its own patients; it stops
    for efficacy when its z statistic (the look's t statistic at the same
    p-value) crosses the efficacy bound, for futility when it falls below
    the futility bound (one-sided designs), and is otherwise analysed at the
    last look.

    Attributes
    ----------
    looks : tuple of float
        Information fractions of the looks (the share of the reference arm's
        patients with a primary outcome), increasing, the last 1; 2 to 20.
    alpha_spending : str
        rpact's names: ``asOF`` (Lan-DeMets O'Brien-Fleming, default),
        ``asP`` (Pocock type), ``asKD`` (Kim-DeMets, ``gamma_a`` = rho),
        ``asHSD`` (Hwang-Shih-DeCani, ``gamma_a`` = gamma), ``asUser``
        (``user_alpha_spending``), or the Wang-Tsiatis bounds ``OF``, ``P``,
        ``WT`` (``delta_wt``).
    beta_spending : str
        ``none`` (default), ``bsOF``, ``bsP``, ``bsKD``, ``bsHSD`` or
        ``bsUser``: futility bounds spending beta under the design's
        alternative (one-sided analyses).
    binding : bool
        Binding futility bounds (the efficacy bounds take them into account);
        default non-binding.
    beta : float
        Type II error the beta spending (and the design's own drift, for
        conditional power) is set for; default 0.2.
    gamma_a, gamma_b : float or None
        Parameter of the ``asKD``/``asHSD`` and ``bsKD``/``bsHSD`` families.
    delta_wt : float or None
        Delta of ``WT`` (0: O'Brien-Fleming, 0.5: Pocock).
    user_alpha_spending, user_beta_spending : tuple of float or None
        Cumulative alpha (beta) spent by each look, ending at the analysis'
        alpha (at ``beta``).
    futility_bounds : tuple of float or None
        Fixed futility bounds on the z scale, one a look before the last
        (one-sided, non-binding unless ``binding``; a low value such as -6
        for none at a look).
    futility_conditional_power : float or None
        Stop for futility when the conditional power under the design's
        effect falls below this value (converted to z bounds per look).
    """

    looks: tuple[float, ...] = numbers(
        check=_increasing_to_one,
        allowed=f"must be 2 to {MAX_LOOKS} information fractions, increasing by at least "
                f"{MIN_LOOK_STEP:g} from {MIN_LOOK_STEP:g}, the last 1")
    alpha_spending: str = choice(ALPHA_SPENDING + _WANG_TSIATIS, "asOF")
    beta_spending: str = choice(("none",) + BETA_SPENDING, "none")
    binding: bool = flag(False)
    beta: float = number(0.2, check=lambda v: MIN_ALPHA <= v < 0.5,
                         allowed=f"must be in [{MIN_ALPHA:g}, 0.5)")
    gamma_a: float | None = number(None, optional=True, check=is_spending_parameter,
                                   allowed=SPENDING_PARAMETER)
    gamma_b: float | None = number(None, optional=True, check=is_spending_parameter,
                                   allowed=SPENDING_PARAMETER)
    delta_wt: float | None = number(None, optional=True, check=lambda v: -0.5 <= v <= 1,
                                    allowed="must be in [-0.5, 1]")
    user_alpha_spending: tuple[float, ...] | None = numbers(None, optional=True)
    user_beta_spending: tuple[float, ...] | None = numbers(None, optional=True)
    futility_bounds: tuple[float, ...] | None = numbers(
        None, optional=True, check=lambda v: all(-10 <= x <= 10 for x in v),
        allowed="must be z values in [-10, 10], one a look before the last")
    futility_conditional_power: float | None = number(
        None, optional=True, check=lambda v: 0 < v < 1, allowed="must be in (0, 1)")

    def __post_init__(self) -> None:
        check_fields(self, "interim")
        if self.futility_bounds is not None and self.futility_conditional_power is not None:
            raise fail("[interim] futility_conditional_power", self.futility_conditional_power,
                       "give futility_bounds or futility_conditional_power, not both")
        if self.futility_conditional_power is not None and self.beta_spending != "none":
            raise fail("[interim] futility_conditional_power", self.futility_conditional_power,
                       "cannot be combined with beta_spending")

    @property
    def k(self) -> int:
        """Number of looks."""
        return len(self.looks)


def sequential_design(interim: InterimSpec, alpha: float, sided: int) -> SequentialDesign:
    """The boundaries of ``interim`` at the analysis' alpha and sidedness.

    Raises
    ------
    ScenarioError
        An inconsistent design, naming the ``[interim]`` field.
    """
    try:
        design = _design(interim, alpha, sided, interim.futility_bounds)
        if interim.futility_conditional_power is not None:
            bounds = _futility_from_conditional_power(design, interim.futility_conditional_power)
            design = _design(interim, alpha, sided, bounds)
    except ScenarioError as exc:
        text = str(exc).replace("information_rates", "looks")
        if text.startswith("sided") or text.startswith("alpha "):
            text = "[analysis] " + text
        elif not text.startswith("["):
            text = "[interim] " + text
        raise ScenarioError(text) from None
    return design


def _design(interim: InterimSpec, alpha: float, sided: int, futility: Any) -> SequentialDesign:
    return group_sequential_design(
        interim.looks, alpha=alpha, beta=interim.beta, sided=sided,
        alpha_spending=interim.alpha_spending,
        beta_spending=None if interim.beta_spending == "none" else interim.beta_spending,
        binding=interim.binding, gamma_a=interim.gamma_a, gamma_b=interim.gamma_b,
        delta_wt=interim.delta_wt, user_alpha_spending=interim.user_alpha_spending,
        user_beta_spending=interim.user_beta_spending, futility_bounds=futility)


def _futility_from_conditional_power(design: SequentialDesign, threshold: float
                                     ) -> tuple[float, ...]:
    """The z at each interim look where the conditional power equals ``threshold``."""
    if design.sided != 1:
        raise ScenarioError(f"futility_conditional_power = {threshold:g}: futility needs a "
                            "one-sided analysis ([analysis] sided = 1)")
    out = []
    for j, (t, c) in enumerate(zip(design.information_rates[:-1],
                                   design.critical_values[:-1]), start=1):
        def gap(z: float, t: float = float(t)) -> float:
            return conditional_power(z, t, design) - threshold
        top = min(float(c), 8.0) if c < float("inf") else 8.0
        if gap(top) <= 0 and top == c:
            raise ScenarioError(
                f"futility_conditional_power = {threshold:g}: at look {j} the conditional "
                f"power stays below it up to the efficacy bound (z = {c:.3f}), so every trial "
                "that does not stop for efficacy would stop for futility: give a lower "
                "threshold")
        out.append(-10.0 if gap(-10.0) >= 0 else
                   top if gap(top) <= 0 else float(optimize.brentq(gap, -10.0, top, xtol=1e-10)))
    return tuple(out)
