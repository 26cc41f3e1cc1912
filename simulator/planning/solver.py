"""The sample size a target needs, with a range that covers it.

The solver starts from the closed-form answer where one exists (else from a
coarse common-random-numbers curve that brackets the target). It then runs
**independent** simulations at a few sizes around that guess and fits
``P(metric | n) = Phi(a + b sqrt(n))`` to them by maximum likelihood (a z
test's power is exactly of this form, a t test's nearly so, and any smooth
metric locally). The answer is where the fitted curve crosses the target;
its range is the 95 % confidence interval of that crossing (delta method),
so it covers the true n at its stated level and is not cut at the sizes that
were run. While the range is wider than ``n_tolerance`` (a share of n), the
solver narrows the sizes around the answer and adds the trials the wanted
width needs. A run at one size costs the same at any n on the aggregate
path, and grows like one run at the answer on the per-patient path, so a
solve costs a few runs at its answer, whatever the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..analysis.probit import ProbitFit, fit_probit
from ..engine.dispatch import PathName
from ..errors import ConvergenceError, ScenarioError
from ..mc import MonteCarloProbability
from ..spec.scenario import Scenario
from ..spec.variants import at_n
from .closed import completion_probabilities
from .closed_n import closed_form, exact_near, fast_closed_form, inflation, smallest_n
from .curves import power_curve
from .metric import Metric
from .reachable import check_reachable
from .simulate import ProgressCallback, simulate_grid

__all__ = ["SampleSize", "solve_sample_size", "N_TOLERANCE"]

#: Default widest range of n (as a share of n) the solver accepts.
N_TOLERANCE = 0.02
_POINTS = 5  # sizes run per round
_ROUNDS = 8
_MAX_RUNS = 400  # most trials a solve may use, in multiples of n_sims


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleSize:
    """The smallest n per arm that reaches a target, with its Monte Carlo range.

    Attributes
    ----------
    metric : str
    target : float
    n_per_arm : int
        Patients randomised to the reference arm: the smallest n at which the
        fitted metric reaches the target.
    group_sizes : tuple of int
        Patients randomised per arm at that n.
    n_total : int
        Patients randomised in all arms.
    expected_completers : float
        Expected patients with a primary outcome, all arms.
    n_range : tuple of int
        The 95 % confidence interval of the n at which the metric reaches the
        target, from the Monte Carlo error of the fit (integers around it).
    achieved, achieved_se : float
        The fitted metric at ``n_per_arm`` and its standard error.
    analytic_n_per_arm : int or None
        The closed-form answer, where a closed form exists.
    analytic_method : str or None
    inflation_n_per_arm : float or None
        The textbook rule: the closed-form n without dropout divided by the
        probability of completing, ``n / (1 - d)``.
    n_sims : int
        Trials simulated in all (every run of the solve).
    n_tolerance : float
        The widest range accepted, as a share of n.
    converged : bool
        Whether the range came within ``n_tolerance`` of n, or 2 patients
        where that is more (else the solve stopped at its budget of trials;
        see ``notes``).
    evaluations : tuple of (int, int, int)
        Every run: (n per arm, successes, trials).
    notes : tuple of str
    seed_entropy : int
    path : str
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
    n_tolerance: float
    converged: bool
    seed_entropy: int
    path: str
    evaluations: tuple[tuple[int, int, int], ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()

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
            "n_sims": self.n_sims, "n_tolerance": self.n_tolerance,
            "converged": self.converged, "seed_entropy": self.seed_entropy, "path": self.path,
            "evaluations": [list(e) for e in self.evaluations], "notes": list(self.notes),
        }

    def plot_sizes(self, points: int = 25) -> list[int]:
        """Sizes for a curve around the answer (its range, and as much again each side)."""
        lo, hi = self.n_range
        span = max(hi - lo, 2)
        grid = np.linspace(max(2, lo - span), hi + span, points).round().astype(int)
        return sorted(set(int(n) for n in grid) | {self.n_per_arm})


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
    n_tolerance: float = N_TOLERANCE,
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
        Largest n per arm to consider.
    n_sims : int, optional
        Trials of one run (default the scenario's ``simulation.n_sims``): the
        first round runs ``n_sims`` trials in all, later rounds as many as the
        wanted precision needs (at most 400 runs' worth).
    seed, n_jobs, path, progress
        As in :func:`simulator.simulate`.
    n_tolerance : float
        The widest range of n accepted, as a share of n (default 0.02).

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
    >>> r = solve_sample_size(s, target=0.8, n_sims=20_000, seed=1)
    >>> r.analytic_n_per_arm, r.n_range[0] <= 100 <= r.n_range[1]
    (100, True)
    """
    metric = Metric.parse(metric)
    check_reachable(scenario, metric, target)
    if not 0 < n_tolerance < 1:
        raise ScenarioError(f"n_tolerance = {n_tolerance!r}: must be in (0, 1), a share of n")
    n_sims = scenario.simulation.n_sims if n_sims is None else int(n_sims)
    seed = scenario.seed if seed is None else int(seed)
    search = _Search(scenario, metric, target, n_max, n_sims, seed, n_tolerance,
                     dict(n_jobs=n_jobs, path=path), progress)
    closed, method = closed_form(scenario, metric)
    fast = fast_closed_form(scenario, metric)
    guess = smallest_n(fast, target, n_max) if fast else None
    analytic_n = exact_near(closed, guess, target, n_max) if closed and guess else None
    fit, n_hat, lo, hi = search.refine(guess if guess is not None else search.bracket())
    n_star = min(max(2, math.ceil(n_hat - 1e-9)), n_max)
    if _counts_events(scenario, metric):
        n_star = search.verify(n_star)
    return _answer(search, fit, n_star, n_hat, lo, hi, analytic_n, method)


def _counts_events(scenario: Scenario, metric: Metric) -> bool:
    """Whether the metric is a test on counts, whose value jumps up and down with n.

    The log-risk-ratio test of an adverse event and a responder analysis are
    tests on binomial counts: their power is a saw-tooth in n (it can drop
    by a few points from one n to the next), which a smooth fit averages out.
    """
    return metric.kind == "harm" or (metric.kind in ("power", "power_benefit", "assurance")
                                     and scenario.pain.is_responder)


def _child_seed(seed: int, *key: int) -> int:
    """An independent root seed for one run of the solve."""
    return int(np.random.SeedSequence([seed, *key]).generate_state(1, np.uint64)[0] >> 1)


@dataclass
class _Search:
    """The runs of one solve: independent simulations, fitted together."""

    scenario: Scenario
    metric: Metric
    target: float
    n_max: int
    n_sims: int
    seed: int
    n_tolerance: float
    options: dict[str, Any]
    progress: ProgressCallback | None
    runs: list[tuple[int, int, int]] = field(default_factory=list)
    path: str = "auto"

    @property
    def trials(self) -> int:
        return sum(t for _, _, t in self.runs)

    def run(self, n: int, trials: int) -> None:
        """One independent run at ``n`` per arm, added to the evidence."""
        result = simulate_grid(self.scenario, [n], n_sims=trials,
                               seed=_child_seed(self.seed, len(self.runs)), closed_forms=False,
                               comparisons=False, **self.options)[0]
        self.path = result.path
        successes = round(self.metric.of(result).value * trials)
        self.runs.append((int(n), int(successes), int(trials)))
        if self.progress is not None:
            self.progress(self.trials, max(self.trials, self.n_sims * _ROUNDS))

    def verify(self, n_star: int) -> int:
        """The smallest n from which direct runs do not fall clearly below the target.

        Runs every n from ``n_star`` over the tolerance (at least 2 more),
        each with four times ``n_sims`` trials, and moves past any n whose
        95 % (Wilson) interval lies below the target.
        """
        last_below = None
        for n in range(n_star, min(self.n_max, n_star + max(2, math.ceil(
                self.n_tolerance * n_star))) + 1):
            self.run(n, 4 * self.n_sims)
            _, successes, trials = self.runs[-1]
            if MonteCarloProbability.from_counts(successes, trials).ci[1] < self.target:
                last_below = n
        return n_star if last_below is None else min(self.n_max, last_below + 1)

    def bracket(self) -> int:
        """A first guess from a coarse common-random-numbers curve that passes the target."""
        hi = min(self.n_max, 50)
        while True:
            grid = sorted(set(np.geomspace(2, hi, 14).round().astype(int)))
            coarse = power_curve(self.scenario, grid, n_sims=self.n_sims, seed=self.seed,
                                 **self.options)
            v = np.array([m.value for m in coarse.metric(self.metric)])
            if v[-1] >= self.target or hi >= self.n_max:
                break
            hi = min(self.n_max, hi * 4)
        if v[-1] < self.target:
            se = coarse.metric(self.metric)[-1].se
            raise ConvergenceError(
                f"{self.metric} does not reach {self.target:g} by n_max = {self.n_max} per "
                f"arm: the highest value reached is {v[-1]:.4f} (SE {se:.4f}) at n = {grid[-1]}")
        return int(grid[int(np.argmax(v >= self.target))])

    def refine(self, guess: int) -> tuple[ProbitFit, float, float, float]:
        """Rounds of runs around the answer until its range is within the tolerance.

        Every fit uses all runs within a factor of two of the answer (the
        slope is determined by their spread); each new round runs sizes
        across the current range, as many trials as the wanted width needs.
        """
        lo_n, hi_n = max(2.0, 0.85 * guess), min(float(self.n_max), 1.2 * guess + 2)
        per_point = max(100, self.n_sims // _POINTS)
        fit = None
        for _ in range(_ROUNDS):
            for n in _sizes(lo_n, hi_n):
                self.run(n, per_point)
            fit, n_hat, lo, hi = self.fit()
            if fit is None:
                lo_n, hi_n = self.shift(lo_n, hi_n)
                continue
            width, wanted_width = hi - lo, self.wanted_width(n_hat)
            if width <= wanted_width or self.trials >= _MAX_RUNS * self.n_sims:
                return fit, n_hat, lo, hi
            lo_n, hi_n = max(2.0, lo - 0.25 * width), min(float(self.n_max), hi + 0.25 * width)
            used = sum(t for n, _, t in self.runs if 0.5 * n_hat <= n <= 2 * n_hat)
            wanted = used * ((width / (0.9 * wanted_width)) ** 2 - 1)
            budget = _MAX_RUNS * self.n_sims - self.trials
            per_point = int(min(max(wanted, _POINTS * 100), budget) // _POINTS) + 1
        if fit is None:
            raise ConvergenceError(f"could not pin the sample size for {self.metric} = "
                                   f"{self.target:g}: the runs do not show it growing with n")
        return fit, n_hat, lo, hi

    def wanted_width(self, n_hat: float) -> float:
        """The widest range accepted: the tolerance's share of n, and at least 2 patients."""
        return max(self.n_tolerance * n_hat, 2.0)

    def fit(self):
        """The probit fit of the runs near the answer, its root and range (on n)."""
        fit = fit_probit(*self.arrays(self.runs))
        if fit is None:
            return None, 0.0, 0.0, 0.0
        root = fit.root(self.target)[0]
        if math.isfinite(root) and root > 0:  # refit on the runs near this answer
            near = [r for r in self.runs if 0.25 * root**2 <= r[0] <= 4 * root**2]
            fit = fit_probit(*self.arrays(near))
        if fit is None:
            return None, 0.0, 0.0, 0.0
        root, low, high = fit.root(self.target)
        n_hat = root * root
        if not (math.isfinite(root) and root > 0) or not self.spans(n_hat):
            return None, 0.0, 0.0, 0.0
        return fit, n_hat, max(low, 0.0) ** 2, high * high

    @staticmethod
    def arrays(runs):
        n, s, t = (np.array(c, float) for c in zip(*runs))
        return np.sqrt(n), s, t

    def spans(self, n_hat: float) -> bool:
        """Whether runs lie on both sides of ``n_hat`` (the fit interpolates)."""
        sizes = [n for n, _, _ in self.runs]
        return min(sizes) <= n_hat <= max(sizes)

    def shift(self, lo_n: float, hi_n: float) -> tuple[float, float]:
        """A window further towards the target when the runs do not straddle it."""
        runs = [r for r in self.runs if lo_n <= r[0] <= hi_n] or self.runs
        below = sum(s for _, s, _ in runs) < self.target * sum(t for _, _, t in runs)
        span = hi_n - lo_n
        if below:
            if hi_n >= self.n_max:
                raise ConvergenceError(f"{self.metric} does not reach {self.target:g} by "
                                       f"n_max = {self.n_max} per arm")
            return hi_n - 0.25 * span, min(float(self.n_max), hi_n + span)
        return max(2.0, lo_n - span), lo_n + 0.25 * span


def _sizes(lo_n: float, hi_n: float) -> list[int]:
    """``_POINTS`` sizes spread evenly in sqrt(n) over the window."""
    grid = np.linspace(math.sqrt(lo_n), math.sqrt(hi_n), _POINTS) ** 2
    return sorted(set(int(round(n)) for n in grid))


def _answer(search: _Search, fit: ProbitFit, n_star: int, n_hat: float, lo: float,
            hi: float, analytic_n: int | None, method: str) -> SampleSize:
    """Assemble the result from the fit (and the direct runs at the answer, if any)."""
    scenario, n_max = search.scenario, search.n_max
    direct = [(s, t) for n, s, t in search.runs if n == n_star]
    if direct and _counts_events(scenario, search.metric):
        est = MonteCarloProbability.from_counts(sum(s for s, _ in direct),
                                                sum(t for _, t in direct))
        achieved, achieved_se = est.value, est.se
    else:
        achieved, achieved_se = fit.probability(math.sqrt(n_star))
    converged = hi - lo <= search.wanted_width(n_hat)
    notes = () if converged else (
        f"the range is {100 * (hi - lo) / n_hat:.1f} % of n, wider than the tolerance "
        f"{100 * search.n_tolerance:g} %, after {search.trials:,} trials (the budget)",)
    at = at_n(scenario, n_star)
    keep = completion_probabilities(at)
    sizes = at.design.group_sizes
    return SampleSize(
        metric=str(search.metric), target=search.target, n_per_arm=n_star, group_sizes=sizes,
        n_total=sum(sizes), expected_completers=float(sum(n * c for n, c in zip(sizes, keep))),
        n_range=(max(2, math.floor(lo)), min(n_max, max(n_star, math.ceil(hi)))),
        achieved=achieved,
        achieved_se=achieved_se, analytic_n_per_arm=analytic_n,
        analytic_method=method if analytic_n is not None else None,
        inflation_n_per_arm=inflation(scenario, search.metric, search.target),
        n_sims=search.trials, n_tolerance=search.n_tolerance, converged=converged,
        seed_entropy=search.seed, path=search.path, evaluations=tuple(search.runs),
        notes=notes)
