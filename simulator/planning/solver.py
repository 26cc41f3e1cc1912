"""The sample size a target needs.

The solver first evaluates one curve on every integer n from 0.85 to 1.2
times the closed-form guess; if the answer and its Monte Carlo range fall
inside it, that is the answer. Otherwise it brackets the target on a coarse
geometric curve, then evaluates every integer n in the bracket on a second
curve, and returns the smallest n from which the metric stays at or above
the target, with the range of n that the Monte Carlo error cannot tell apart
from it, and the closed-form answer beside it where one exists. Every curve
uses the same seed (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine.dispatch import PathName
from ..errors import ConvergenceError, ScenarioError
from ..spec.bounds import MAX_ARM_SIZE
from ..spec.scenario import Scenario
from ..spec.variants import at_n
from .closed import completion_probabilities
from .closed_n import closed_form, exact_near, fast_closed_form, inflation, smallest_n
from .curves import PowerCurve, power_curve
from .metric import Metric
from .reachable import check_reachable
from .simulate import ProgressCallback

__all__ = ["SampleSize", "solve_sample_size"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleSize:
    """The smallest n per arm that reaches a target, with its Monte Carlo range.

    Attributes
    ----------
    metric : str
    target : float
    n_per_arm : int
        Patients randomised to the reference arm.
    group_sizes : tuple of int
        Patients randomised per arm at that n.
    n_total : int
        Patients randomised in all arms.
    expected_completers : float
        Expected patients with a primary outcome, all arms.
    n_range : tuple of int
        Sizes the Monte Carlo error cannot tell apart from the answer: from
        the first n whose 95 % (Wilson) interval reaches the target to the
        first n whose interval lies above it (``n_max`` when no n on the curve is
        clearly above it, as on a flat curve). Pointwise intervals: errors
        along a common-random-numbers curve move together, so read it as a
        guide, not a joint confidence set.
    achieved, achieved_se : float
        The simulated metric at ``n_per_arm`` and its standard error.
    analytic_n_per_arm : int or None
        The closed-form answer, where a closed form exists.
    analytic_method : str or None
    inflation_n_per_arm : float or None
        The textbook rule: the closed-form n without dropout divided by the
        probability of completing, ``n / (1 - d)``.
    curve : PowerCurve
        The refining curve the answer was read from.
    """

    metric: str
    target: float
    n_per_arm: int
    group_sizes: tuple[int, ...]
    n_total: int
    expected_completers: float
    n_range: tuple[int, int]
    achieved: float
    achieved_se: float
    analytic_n_per_arm: int | None
    analytic_method: str | None
    inflation_n_per_arm: float | None
    n_sims: int
    seed_entropy: int
    path: str
    curve: PowerCurve = field(compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The ``trialsim size --json`` output."""
        return {
            "metric": self.metric, "target": self.target, "n_per_arm": self.n_per_arm,
            "group_sizes": list(self.group_sizes), "n_total": self.n_total,
            "expected_completers": self.expected_completers, "n_range": list(self.n_range),
            "achieved": self.achieved, "achieved_se": self.achieved_se,
            "analytic_n_per_arm": self.analytic_n_per_arm,
            "analytic_method": self.analytic_method,
            "inflation_n_per_arm": self.inflation_n_per_arm,
            "n_sims": self.n_sims, "seed_entropy": self.seed_entropy, "path": self.path,
        }


def solve_sample_size(
    scenario: Scenario,
    target: float = 0.9,
    metric: str | Metric = "power",
    *,
    n_max: int = 20_000,
    n_sims: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    path: PathName = "auto",
    progress: ProgressCallback | None = None,
) -> SampleSize:
    """The smallest n per arm at which ``metric`` reaches ``target``.

    Parameters
    ----------
    scenario : Scenario
    target : float
        E.g. 0.9 for 90 % power.
    metric : str or Metric
        ``"power"``, ``"power_benefit"``, ``"assurance"``, ``"harm:<AE name>"``,
        or ``"conclusive"`` / ``"conclusive:<rule>"`` (needs ``[meta_analysis]``:
        P(the updated meta-analysis is conclusive)).
    n_max : int
        Largest n per arm to consider (at most the n that puts
        :data:`~simulator.spec.bounds.MAX_ARM_SIZE` patients in the largest
        arm).
    n_sims, seed, n_jobs, path, progress
        As in :func:`simulator.simulate`; every curve uses the same seed.

    Returns
    -------
    SampleSize

    Raises
    ------
    ConvergenceError
        When the target is unreachable (an effect that is not a benefit,
        assurance above its ceiling, no harm) or not reached by ``n_max``;
        the message gives the highest value reachable.

    Examples
    --------
    >>> from simulator import Scenario, solve_sample_size
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 10},
    ...                         "pain": {"effect": -1.0, "analysis": "followup"}})
    >>> r = solve_sample_size(s, target=0.8, n_sims=50_000, seed=1)
    >>> r.analytic_n_per_arm, abs(r.n_per_arm - 100) <= 2
    (100, True)
    """
    metric = Metric.parse(metric)
    check_reachable(scenario, metric, target)
    n_max = largest_n(scenario, n_max)
    search = _Search(scenario, metric, target, n_max, dict(
        n_sims=n_sims, seed=seed, n_jobs=n_jobs, path=path, progress=progress))
    closed, method = closed_form(scenario, metric)
    fast = fast_closed_form(scenario, metric)
    guess = smallest_n(fast, target, n_max) if fast else None
    analytic_n = exact_near(closed, guess, target, n_max) if closed and guess else None
    found = search.around(guess) if guess is not None else None
    if found is None:
        found = search.refine(*search.bracket(guess))
    fine, grid, k = found
    return _answer(scenario, metric, target, fine, grid, k, analytic_n, method, n_max)


def largest_n(scenario: Scenario, n_max: int) -> int:
    """``n_max``, or less where the allocation would put more than
    :data:`~simulator.spec.bounds.MAX_ARM_SIZE` patients in an arm."""
    if isinstance(n_max, bool) or not isinstance(n_max, int) or n_max < 2:
        raise ScenarioError(f"n_max = {n_max!r}: must be an integer >= 2")
    design = scenario.design
    n = min(n_max, int(MAX_ARM_SIZE * design.allocation[0] / max(design.allocation)) + 1)
    while n > 2 and max(design.group_sizes_at(n)) > MAX_ARM_SIZE:
        n -= 1
    return n


def _stays_above(values: np.ndarray, target: float) -> np.ndarray:
    """Where the curve is at or above the target from that n on."""
    return np.flip(np.logical_and.accumulate(np.flip(values >= target)))


@dataclass
class _Search:
    """The curves of one solve, all on the same seed."""

    scenario: Scenario
    metric: Metric
    target: float
    n_max: int
    run: dict[str, Any]

    def curve(self, grid: list[int]) -> tuple[PowerCurve, np.ndarray]:
        fine = power_curve(self.scenario, grid, **self.run)
        return fine, np.array([m.value for m in fine.metric(self.metric)])

    def around(self, guess: int) -> tuple[PowerCurve, list[int], int] | None:
        """One curve, dense around the closed-form guess; the answer only inside it."""
        lo = max(2, int(0.85 * guess))
        top = min(self.n_max, int(np.ceil(1.2 * guess)) + 2)
        grid = sorted(set(np.geomspace(2, lo, 5).round().astype(int)) | set(range(lo, top + 1)))
        fine, v = self.curve(grid)
        stays = _stays_above(v, self.target)
        k = int(np.argmax(stays)) if stays.any() else -1
        low = np.array([m.ci[0] for m in fine.metric(self.metric)])
        if stays.any() and grid[k] > lo and _stays_above(low, self.target).any():
            return fine, grid, k
        return None

    def bracket(self, guess: int | None) -> tuple[int, int]:
        """A coarse geometric curve, grown until it passes the target."""
        hi = min(self.n_max, max(20, 2 * (guess or 50)))
        while True:
            grid = sorted(set(np.geomspace(2, hi, 14).round().astype(int)))
            coarse, v = self.curve(grid)
            if v[-1] >= self.target or hi >= self.n_max:
                break
            hi = min(self.n_max, hi * 4)
        if v[-1] < self.target:
            se = coarse.metric(self.metric)[-1].se
            raise ConvergenceError(
                f"{self.metric} does not reach {self.target:g} by n_max = {self.n_max} per "
                f"arm: the highest value reached is {v[-1]:.4f} (SE {se:.4f}) at n = {grid[-1]}")
        first = int(np.argmax(v >= self.target))
        return (grid[first - 1] if first > 0 else 2), grid[first]

    def refine(self, lo_n: int, hi_n: int) -> tuple[PowerCurve, list[int], int]:
        """Every integer in the bracket (widened for the Monte Carlo range)."""
        for _ in range(6):
            span = hi_n - lo_n
            top = min(self.n_max, hi_n + span // 2 + 2)
            step = max(1, (top - lo_n) // 300)
            grid = list(range(lo_n, top + 1, step))
            if grid[-1] != top:
                grid.append(top)
            fine, v = self.curve(grid)
            stays = _stays_above(v, self.target)
            if not stays.any():
                lo_n, hi_n = top, min(self.n_max, top + max(span, 4))
                if lo_n >= self.n_max:
                    raise ConvergenceError(f"{self.metric} does not settle above "
                                           f"{self.target:g} by n_max = {self.n_max} per arm")
                continue
            k = int(np.argmax(stays))
            if k == 0 and grid[0] > 2:  # the answer may lie below the bracket: widen down
                hi_n, lo_n = grid[0], max(2, grid[0] - max(span, 4))
                continue
            if step > 1:  # narrow to the step around the answer and refine at step 1
                lo_n, hi_n = grid[max(k - 1, 0)], grid[k]
                continue
            return fine, grid, k
        raise ConvergenceError(f"could not pin the sample size for {self.metric} = "
                               f"{self.target:g}")


def _answer(scenario: Scenario, metric: Metric, target: float, fine: PowerCurve,
            grid: list[int], k: int, analytic_n: int | None, method: str, n_max: int
            ) -> SampleSize:
    """Assemble the result from the refining curve (answer at index k)."""
    n_star = grid[k]
    est = fine.metric(metric)[k]
    # 95 % Wilson intervals: honest near 0 and 1, where v +- z SE collapses
    low = np.array([m.ci[0] for m in fine.metric(metric)])
    high = np.array([m.ci[1] for m in fine.metric(metric)])
    reach = np.flip(np.logical_and.accumulate(np.flip(high >= target)))
    clear = np.flip(np.logical_and.accumulate(np.flip(low >= target)))
    n_lo = int(grid[int(np.argmax(reach))])
    # Not clearly above the target anywhere on the curve (a flat curve): the
    # Monte Carlo error cannot rule out any larger n.
    n_hi = int(grid[int(np.argmax(clear))]) if clear.any() else n_max
    at = fine.points[k]
    keep = completion_probabilities(at_n(scenario, n_star))
    return SampleSize(
        metric=str(metric), target=target, n_per_arm=int(n_star), group_sizes=at.group_sizes,
        n_total=sum(at.group_sizes),
        expected_completers=float(sum(n * c for n, c in zip(at.group_sizes, keep))),
        n_range=(n_lo, n_hi), achieved=float(est.value), achieved_se=float(est.se),
        analytic_n_per_arm=analytic_n,
        analytic_method=method if analytic_n is not None else None,
        inflation_n_per_arm=inflation(scenario, metric, target),
        n_sims=at.n_sims, seed_entropy=at.seed_entropy, path=at.path, curve=fine,
    )
