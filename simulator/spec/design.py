"""The trial design: arms, allocation, size, and the crossover's settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .bounds import DIFFERENCE, MAX_ARM_SIZE, MAX_ARMS, MAX_RATIO, is_difference, is_ratio
from .schema import check_fields, choice, fail, integer, names, number, numbers

__all__ = ["Design", "DESIGN_KINDS", "CROSSOVER_FIELDS"]

DESIGN_KINDS = ("parallel", "crossover", "multiarm")
#: The arms of a two-arm design, and of a multi-arm one, when none are given.
DEFAULT_ARMS = (("placebo", "active"), ("placebo", "low", "high"))
#: Fields only a crossover sets (they keep their defaults otherwise).
CROSSOVER_FIELDS = ("within_correlation", "period_effect", "carryover", "washout_dropout",
                    "crossover_analysis")


@dataclass(frozen=True, slots=True, kw_only=True)
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
        Arm names; the first is the reference (placebo) arm. Default
        ``("placebo", "active")``, or ``("placebo", "low", "high")`` for a
        multi-arm design.
    allocation : tuple of float
        Allocation weights, one per arm (``(1, 2)`` puts twice as many
        patients on the second arm); default equal.
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

    Examples
    --------
    >>> Design(n_per_arm=40, allocation=(1, 2)).group_sizes
    (40, 80)
    >>> Design(n_per_arm=1)
    Traceback (most recent call last):
    ...
    simulator.errors.ScenarioError: [design] n_per_arm = 1: must be an integer in [2, 100000]
    """

    kind: Literal["parallel", "crossover", "multiarm"] = choice(DESIGN_KINDS, "parallel")
    arms: tuple[str, ...] = names(None, optional=True)
    allocation: tuple[float, ...] = numbers(None, optional=True)
    n_per_arm: int = integer(check=lambda v: 2 <= v <= MAX_ARM_SIZE,
                             allowed=f"must be an integer in [2, {MAX_ARM_SIZE}]")
    within_correlation: float = number(0.7, check=lambda v: -1 < v < 1,
                                       allowed="must be in (-1, 1)")
    period_effect: float = number(0.0, check=is_difference, allowed=DIFFERENCE)
    carryover: float = number(0.0, check=is_difference, allowed=DIFFERENCE)
    washout_dropout: float = number(0.0, check=lambda v: 0 <= v < 1, allowed="must be in [0, 1)")
    crossover_analysis: Literal["within", "first-period"] = choice(("within", "first-period"),
                                                                   "within")

    def __post_init__(self) -> None:
        if self.arms is None:  # the default arms and allocation depend on the kind
            object.__setattr__(self, "arms", DEFAULT_ARMS[self.kind in ("multiarm",)])
        if self.allocation is None and isinstance(self.arms, (list, tuple)):
            object.__setattr__(self, "allocation", (1.0,) * len(self.arms))
        check_fields(self, "design")
        if self.kind != "crossover":
            for name in CROSSOVER_FIELDS:
                value = getattr(self, name)
                if value != type(self).__dataclass_fields__[name].default:
                    raise fail(f"[design] {name}", value, "only for kind = 'crossover'")
        arms = self.arms
        n_arms = f"3 to {MAX_ARMS}" if self.kind == "multiarm" else "2"
        if (not 3 <= len(arms) <= MAX_ARMS if self.kind == "multiarm" else len(arms) != 2) \
                or len(set(arms)) != len(arms):
            raise fail("[design] arms", arms,
                       f"must be a list of {n_arms} distinct names, the reference arm first")
        if len(self.allocation) != len(arms) or not all(
                1e-6 <= w <= 1e6 for w in self.allocation):
            raise fail("[design] allocation", self.allocation,
                       f"must be a list of {len(arms)} numbers in [1e-06, 1e+06], one per arm "
                       "(only their ratios matter)")
        if not all(is_ratio(w / self.allocation[0]) for w in self.allocation):
            raise fail("[design] allocation", self.allocation,
                       f"each weight must be within a factor {MAX_RATIO:g} of the reference "
                       "arm's (the first)")
        self._check_sizes()

    def _check_sizes(self) -> None:
        if max(self.group_sizes) > MAX_ARM_SIZE:
            raise fail("[design] allocation", self.allocation,
                       f"gives arm sizes {list(self.group_sizes)} at n_per_arm = "
                       f"{self.n_per_arm}; no arm may have more than {MAX_ARM_SIZE} patients")
        if min(self.group_sizes) < 2:
            raise fail("[design] allocation", self.allocation,
                       f"gives arm sizes {list(self.group_sizes)} at n_per_arm = "
                       f"{self.n_per_arm}; every arm needs at least 2 patients")

    @property
    def group_sizes(self) -> tuple[int, ...]:
        """Patients randomised to each arm, in the order of ``arms``."""
        return self.group_sizes_at(self.n_per_arm)

    def group_sizes_at(self, n_per_arm: int) -> tuple[int, ...]:
        """Patients per arm with ``n_per_arm`` in the reference arm (any n >= 0)."""
        return _group_sizes(self.allocation, n_per_arm)

    def largest_n_per_arm(self) -> int:
        """The largest n per arm at which no arm holds more than MAX_ARM_SIZE patients."""
        n = int(MAX_ARM_SIZE * self.allocation[0] / max(self.allocation)) + 1
        while n > 2 and max(self.group_sizes_at(n)) > MAX_ARM_SIZE:
            n -= 1
        return n

    @property
    def n_total(self) -> int:
        """Patients randomised in all arms."""
        return sum(self.group_sizes)


@lru_cache(maxsize=4096)
def _group_sizes(allocation: tuple[float, ...], n_per_arm: int) -> tuple[int, ...]:
    # cached: a run asks for the sizes of the same few designs thousands of times
    base = allocation[0]
    return tuple(int(round(n_per_arm * w / base)) for w in allocation)
