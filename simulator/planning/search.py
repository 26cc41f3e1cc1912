"""The runs of one sample-size solve: independent simulations, fitted together.

See :mod:`simulator.planning.solver` for the method. :class:`Search` holds
the runs (n per arm, successes, trials), fits ``Phi(a + b sqrt(n))`` to the
runs near the answer, and adds rounds of runs until the answer's range is as
narrow as asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._lazy import special
from ..analysis.probit import ProbitFit, fit_probit, pearson_chi2
from ..errors import ConvergenceError
from ..mc import MonteCarloProbability
from ..spec.scenario import Scenario
from .curves import power_curve
from .metric import Metric
from .simulate import ProgressCallback, simulate_grid

__all__ = ["Search", "counts_events", "child_seed", "whole_range", "POINTS", "ROUNDS",
           "MAX_RUNS"]

POINTS = 5  # sizes run per round
ROUNDS = 8
MAX_RUNS = 400  # most trials a solve may use, in multiples of n_sims


def counts_events(scenario: Scenario, metric: Metric) -> bool:
    """Whether the metric is a test on counts, whose value jumps up and down with n.

    The log-risk-ratio test of an adverse event and a responder analysis are
    tests on binomial counts: their power is a saw-tooth in n (it can drop
    by a few points from one n to the next), which a smooth fit averages out.
    """
    return metric.kind == "harm" or (metric.kind in ("power", "power_benefit", "assurance")
                                     and scenario.pain.is_responder)


def whole_range(lo: float, hi: float) -> tuple[int, int]:
    """The whole sizes ``n*`` can be when the crossing point lies in ``[lo, hi]``.

    ``n*`` is the smallest whole n at which the metric reaches the target:
    the crossing point rounded up. So the range is ``lo`` and ``hi`` rounded
    up (not ``lo`` rounded down, a size that cannot be the answer), and it
    covers ``n*`` whenever ``[lo, hi]`` covers the crossing point.

    Examples
    --------
    >>> whole_range(120.3, 122.6)
    (121, 123)
    >>> whole_range(121.0, 122.0)
    (121, 122)
    """
    return math.ceil(lo - 1e-9), math.ceil(hi - 1e-9)


def child_seed(seed: int, *key: int) -> int:
    """An independent root seed for one run of the solve."""
    return int(np.random.SeedSequence([seed, *key]).generate_state(1, np.uint64)[0] >> 1)


@dataclass
class Search:
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
    bracketed: int = 0
    #: Pearson's X^2 of the last fit on the runs it used, and its df.
    lack_of_fit: tuple[float, int] = (0.0, 0)

    @property
    def trials(self) -> int:
        return sum(t for _, _, t in self.runs)

    def reporter(self, more: int) -> ProgressCallback | None:
        """The progress callback of the next simulation of ``more`` trials: the solve's
        trials so far plus that simulation's, against the solve's expected trials."""
        if self.progress is None:
            return None
        before = self.bracketed + self.trials

        def report(done: int, total: int) -> None:
            share = done / total if total else 1.0
            now = before + round(share * more)
            self.progress(now, max(now, self.n_sims * (ROUNDS + 1), before + more))
        return report

    def run(self, n: int, trials: int) -> None:
        """One independent run at ``n`` per arm, added to the evidence."""
        result = simulate_grid(self.scenario, [n], n_sims=trials,
                               seed=child_seed(self.seed, len(self.runs)), closed_forms=False,
                               comparisons=False, progress=self.reporter(trials),
                               **self.options)[0]
        self.path = result.path
        successes = round(self.metric.of(result).value * trials)
        self.runs.append((int(n), int(successes), int(trials)))

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
                                 progress=self.reporter(self.n_sims), **self.options)
            self.bracketed += self.n_sims
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
        per_point = max(100, self.n_sims // POINTS)
        fit = None
        for _ in range(ROUNDS):
            for n in _sizes(lo_n, hi_n):
                self.run(n, per_point)
            fit, n_hat, lo, hi = self.fit()
            if fit is None:
                lo_n, hi_n = self.shift(lo_n, hi_n)
                continue
            width, wanted_width = hi - lo, self.wanted_width(n_hat)
            first, last = whole_range(lo, hi)
            if last - first <= wanted_width or self.trials >= MAX_RUNS * self.n_sims:
                return fit, n_hat, lo, hi
            lo_n, hi_n = max(2.0, lo - 0.25 * width), min(float(self.n_max), hi + 0.25 * width)
            used = sum(t for n, _, t in self.runs if 0.5 * n_hat <= n <= 2 * n_hat)
            # Narrow enough but for the rounding to whole patients: a width of
            # floor(wanted) rounds within it wherever the range falls.
            goal = wanted_width if width > wanted_width else math.floor(wanted_width)
            wanted = used * ((width / (0.9 * goal)) ** 2 - 1)
            budget = MAX_RUNS * self.n_sims - self.trials
            per_point = int(min(max(wanted, POINTS * 100), budget) // POINTS) + 1
        if fit is None:
            raise ConvergenceError(f"could not pin the sample size for {self.metric} = "
                                   f"{self.target:g}: the runs do not show it growing with n")
        return fit, n_hat, lo, hi

    def departs(self) -> bool:
        """Whether the last fit's runs depart from the probit curve: Pearson's X^2
        significant at 1 %. Never for a metric on counts: its saw-tooth departs from any
        smooth curve, and direct runs set its answer (:meth:`verify`)."""
        x2, df = self.lack_of_fit
        return (df >= 1 and float(special.chdtrc(df, x2)) < 0.01
                and not counts_events(self.scenario, self.metric))

    def misfit(self) -> str | None:
        """A note when the runs depart from the probit curve (:meth:`departs`): the range
        then counts only the Monte Carlo error of a curve that does not hold, as near a
        plateau."""
        if not self.departs():
            return None
        x2, df = self.lack_of_fit
        return (f"the runs depart from the fitted probit curve (Pearson X^2 {x2:.1f} on {df} "
                "df, p < 0.01): the range counts only the Monte Carlo error of that curve and "
                "understates the uncertainty; check the answer with a curve around it "
                "(trialsim size --plot, or trialsim curve)")

    def wanted_width(self, n_hat: float) -> float:
        """The widest range accepted: the tolerance's share of n, and at least 2 patients."""
        return max(self.n_tolerance * n_hat, 2.0)

    def fit(self):
        """The probit fit of the runs near the answer, its root and range (on n)."""
        fit = fit_probit(*self.arrays(self.runs))
        if fit is None:
            return None, 0.0, 0.0, 0.0
        used = self.runs
        root = fit.root(self.target)[0]
        if math.isfinite(root) and root > 0:  # refit on the runs near this answer
            near = [r for r in self.runs if 0.25 * root**2 <= r[0] <= 4 * root**2]
            if len(near) < len(self.runs) and len({r[0] for r in near}) >= 2:
                fit, used = fit_probit(*self.arrays(near)), near
        if fit is None:
            return None, 0.0, 0.0, 0.0
        self.lack_of_fit = pearson_chi2(fit, *self.arrays(used))
        if self.departs():  # the curve bends: fit the runs close to the answer
            x = fit.root(self.target)[0]
            local = [r for r in used if 0.8 * x**2 <= r[0] <= 1.25 * x**2]
            if len(local) < len(used) and len({r[0] for r in local}) >= 2:
                refit = fit_probit(*self.arrays(local))
                if refit is not None:
                    fit, used = refit, local
                    self.lack_of_fit = pearson_chi2(fit, *self.arrays(used))
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
    """``POINTS`` sizes spread evenly in sqrt(n) over the window."""
    grid = np.linspace(math.sqrt(lo_n), math.sqrt(hi_n), POINTS) ** 2
    return sorted(set(int(round(n)) for n in grid))


