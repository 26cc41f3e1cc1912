"""The sites (or the months) that full enrolment needs, with a given probability.

Given the sites' rates ``r_s``, randomisations are a Poisson process with
cumulative rate ``Lambda(D) = (1 - screen_failure) sum_s r_s (D - o_s)+`` by
month ``D`` (site ``s`` opens at ``o_s``), so the ``N``-th randomisation
comes by ``D`` with probability ``P(Gamma(N, 1) <= Lambda(D))``, the
regularised incomplete gamma function. With ``rate_cv = 0`` this is the
answer, exactly. With site heterogeneity the rates are drawn ``n_reps``
times (the Poisson-gamma model, as in :mod:`.draws`) and the conditional
probabilities averaged: an exact conditional expectation for the arrivals,
Monte Carlo only over the rates, with its standard error.

*Sites*: the smallest number of sites, opening evenly over the scenario's
ramp, whose ``P(full enrolment by the deadline)`` is at least
``probability``. Site ``s`` has the same rate draws at every number of sites
(common random numbers), and with more sites every site opens earlier, so
the estimate grows with the number of sites and a bisection finds the
smallest one. *Months*: the ``probability`` quantile of the time to full
enrolment, where the averaged probability reaches ``probability``, with its
delta-method standard error.

Chairs and follow-up do not enter: full enrolment depends only on the
randomisations (:mod:`simulator.ops.recruitment`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..._lazy import optimize, stats
from ...errors import ConvergenceError, ScenarioError
from ...mc import Z95, MonteCarloMean
from ...spec.bounds import MAX_SOLVE_REPS
from ...spec.recruitment import MAX_SITES, even_ramp
from ...spec.scenario import Scenario
from .checks import check_count, check_deadline, check_recruitment_scenario

__all__ = ["solve_recruitment", "RecruitmentSolution", "RecruitmentSolve", "DEFAULT_SOLVE_REPS"]

RecruitmentSolve = Literal["sites", "months"]
_SOLVES = ("sites", "months")
DEFAULT_SOLVE_REPS = 2000
_BLOCK_VALUES = 1 << 20  # rate draws per block (8 MB)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecruitmentSolution:
    """The sites or months full enrolment needs, with a given probability.

    Attributes
    ----------
    scenario_name : str
    solve : {"sites", "months"}
        What was solved for.
    probability : float
        The wanted P(full enrolment by the deadline).
    n_target : int
        Target enrolment, ``design.n_total``.
    sites : int
        The answer (``solve="sites"``), or the scenario's sites.
    sites_range : tuple of int or None
        ``solve="sites"``: the 95 % Monte Carlo range of the answer, from the
        fewest sites whose 95 % interval of P reaches ``probability`` to the
        fewest whose interval lies above it (one number when exact).
    opening_ramp_months : float or None
        The ramp the sites open evenly over (``solve="sites"``).
    deadline_months : float
        The answer (``solve="months"``), or the deadline given.
    deadline_months_se : float or None
        Its Monte Carlo standard error (``solve="months"``; 0 when exact).
    p_complete : MonteCarloMean
        P(full enrolment by ``deadline_months``) with ``sites`` sites.
    p_complete_one_site_fewer : MonteCarloMean or None
        The same with one site fewer (``solve="sites"``, more than one site):
        below ``probability``.
    rate_cv : float
        Coefficient of variation of the sites' rates.
    exact : bool
        ``rate_cv = 0``: the probabilities are exact (no Monte Carlo error).
    n_reps : int
        Draws of the sites' rates (1 when exact).
    seed_entropy : int
        Replays the draws.
    """

    scenario_name: str
    solve: str
    probability: float
    n_target: int
    sites: int
    sites_range: tuple[int, int] | None
    opening_ramp_months: float | None
    deadline_months: float
    deadline_months_se: float | None
    p_complete: MonteCarloMean
    p_complete_one_site_fewer: MonteCarloMean | None
    rate_cv: float
    exact: bool
    n_reps: int
    seed_entropy: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the ``trialsim recruit --solve ... --json`` output)."""
        fewer = (self.p_complete_one_site_fewer.to_dict("p_complete_one_site_fewer")
                 if self.p_complete_one_site_fewer is not None else
                 {"p_complete_one_site_fewer": None, "p_complete_one_site_fewer_se": None})
        return {"scenario": self.scenario_name, "solve": self.solve,
                "probability": self.probability, "n_target": self.n_target,
                "sites": self.sites,
                "sites_range": None if self.sites_range is None else list(self.sites_range),
                "opening_ramp_months": self.opening_ramp_months,
                "deadline_months": self.deadline_months,
                "deadline_months_se": self.deadline_months_se,
                **self.p_complete.to_dict("p_complete"), **fewer, "rate_cv": self.rate_cv,
                "exact": self.exact, "n_reps": self.n_reps, "seed_entropy": self.seed_entropy}


@dataclass(frozen=True, slots=True)
class _Problem:
    """The checked arguments: what the probabilities need."""

    scenario: Scenario
    solve: str
    probability: float
    deadline: float | None
    n_reps: int  # 1 when the rates are fixed
    root: np.random.SeedSequence

    @property
    def n(self) -> int:
        """The target enrolment, ``design.n_total``."""
        return self.scenario.design.n_total

    def rate_blocks(self, sites: int) -> Iterator[np.ndarray]:
        """Each site's randomisation rate per month, ``(rows, n_reps)`` blocks in site order.

        The same seed gives site ``s`` the same draws at any number of sites.
        """
        r = self.scenario.recruitment
        mean = r.rate_per_site_month * (1.0 - r.screen_failure)
        if r.rate_cv == 0:
            yield np.full((sites, 1), mean)
            return
        k = 1.0 / r.rate_cv ** 2
        rng = np.random.default_rng(self.root)
        rows = max(1, _BLOCK_VALUES // self.n_reps)
        for first in range(0, sites, rows):
            yield rng.gamma(k, mean / k, size=(min(rows, sites - first), self.n_reps))


def _rates_by(problem: _Problem, opens: np.ndarray,
              months: float) -> tuple[np.ndarray, np.ndarray]:
    """Per draw: ``Lambda(months)``, and the randomisation rate then (sites open by then)."""
    lam = rate = 0.0
    first = 0
    for block in problem.rate_blocks(opens.size):
        o = opens[first:first + block.shape[0]]
        lam = lam + np.maximum(months - o, 0.0) @ block
        rate = rate + (o <= months).astype(float) @ block
        first += block.shape[0]
    return lam, rate


def _cumulative_rates(problem: _Problem, opens: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breakpoints ``b`` and, per draw, ``A`` and ``C`` with ``Lambda(D) = A D - C`` after each.

    ``A[:, j]`` sums the rates of the sites open from ``b[j]``, ``C[:, j]``
    their rates times opening times.
    """
    bp, where = np.unique(opens, return_inverse=True)
    a = c = None
    first = 0
    for block in problem.rate_blocks(opens.size):
        if a is None:
            a, c = np.zeros((bp.size, block.shape[1])), np.zeros((bp.size, block.shape[1]))
        rows = slice(first, first + block.shape[0])
        np.add.at(a, where[rows], block)
        np.add.at(c, where[rows], block * opens[rows, None])
        first += block.shape[0]
    return bp, np.cumsum(a, axis=0).T, np.cumsum(c, axis=0).T


def _probability(problem: _Problem, lam: np.ndarray) -> tuple[MonteCarloMean, np.ndarray]:
    """P(Gamma(N, 1) <= Lambda) averaged over the draws, and per draw."""
    p = stats.gamma.cdf(lam, problem.n)
    if p.size == 1:
        return MonteCarloMean(value=float(p[0]), se=0.0, n=1), p
    return MonteCarloMean.from_samples(p), p


def _fewest(ok: Callable[[int], bool]) -> int | None:
    """The fewest sites (1 to ``MAX_SITES``) where ``ok`` holds, by doubling and bisection."""
    lo, hi = 0, 1  # not ok at lo (no sites)
    while not ok(hi):
        if hi == MAX_SITES:
            return None
        lo, hi = hi, min(2 * hi, MAX_SITES)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def _solve_sites(problem: _Problem
                 ) -> tuple[int, tuple[int, int], MonteCarloMean, MonteCarloMean | None]:
    """The fewest sites, opening over the ramp, that reach the probability by the deadline.

    Also the range: the fewest sites whose 95 % interval of P reaches the
    target, and the fewest whose interval lies above it.
    """
    ramp = problem.scenario.recruitment.opening_ramp
    seen: dict[int, MonteCarloMean] = {}

    def p_at(sites: int) -> MonteCarloMean:
        if sites not in seen:
            lam, _ = _rates_by(problem, np.asarray(even_ramp(ramp, sites)), problem.deadline)
            seen[sites] = _probability(problem, lam)[0]
        return seen[sites]

    target = problem.probability
    sites = _fewest(lambda n: p_at(n).value >= target)
    if sites is None:
        raise ConvergenceError(
            f"no number of sites up to {MAX_SITES} completes enrolment of {problem.n} by "
            f"{problem.deadline:g} months with probability {target:g} "
            f"(P = {p_at(MAX_SITES).value:.3g} at {MAX_SITES} sites)")
    low = _fewest(lambda n: p_at(n).value + Z95 * p_at(n).se >= target)
    high = _fewest(lambda n: p_at(n).value - Z95 * p_at(n).se >= target) or MAX_SITES
    span = (min(low or sites, sites), max(high, sites))
    return sites, span, p_at(sites), p_at(sites - 1) if sites > 1 else None


def _solve_months(problem: _Problem) -> tuple[float, float, MonteCarloMean]:
    """The months by which enrolment is full with the probability, its SE and P there."""
    bp, a, c = _cumulative_rates(problem, np.asarray(problem.scenario.recruitment.site_open_months))

    def at(months: float) -> tuple[MonteCarloMean, np.ndarray, np.ndarray]:
        """P by ``months``; per draw ``Lambda(months)`` and the rate then."""
        j = np.searchsorted(bp, months, side="right") - 1
        lam = np.maximum(a[:, j] * months - c[:, j], 0.0)
        return _probability(problem, lam)[0], lam, a[:, j]

    hi = bp[-1] + problem.n / float(a[:, -1].mean())
    for _ in range(64):
        if at(hi)[0].value >= problem.probability:
            break
        hi *= 2.0
    else:  # pragma: no cover - the probability tends to 1
        raise ConvergenceError(f"P(full enrolment) stays below {problem.probability:g}")
    months = optimize.brentq(lambda d: at(d)[0].value - problem.probability, bp[0], hi,
                             xtol=1e-10, rtol=1e-13)
    est, lam, rate = at(months)
    # delta method: SE of P at the answer over the density of the time to full enrolment
    density = float(np.mean(stats.gamma.pdf(lam, problem.n) * rate))
    return float(months), est.se / density, est


def _problem(scenario: Any, solve: Any, probability: Any, deadline_months: Any, n_reps: Any,
             seed: Any) -> _Problem:
    """Check every argument once, naming it (before any work)."""
    scenario = check_recruitment_scenario(scenario)
    if solve not in _SOLVES:
        raise ScenarioError(f"solve = {solve!r}: must be one of 'sites', 'months'")
    if isinstance(probability, bool) or not isinstance(probability, numbers.Real) \
            or not 0 < probability < 1:
        raise ScenarioError(f"probability = {probability!r}: must be a number in (0, 1)")
    r = scenario.recruitment
    deadline = None
    if solve == "months" and deadline_months is not None:
        raise ScenarioError(f"deadline_months = {deadline_months!r}: not used when solving for "
                            "months (the answer is the deadline)")
    if solve == "sites":
        deadline = check_deadline(r.deadline_months if deadline_months is None
                                  else deadline_months)
        if deadline is None:
            raise ScenarioError(f"{scenario.source}: [recruitment] deadline_months: required "
                                "to solve for sites (or pass deadline_months)")
        if r.opening_ramp is None:
            raise ScenarioError(
                f"{scenario.source}: [recruitment] site_open_months = "
                f"{list(r.site_open_months)}: solving for sites needs the sites to open evenly "
                "over a ramp (one number), so that any number of sites has opening times")
    n_reps = check_count("n_reps", DEFAULT_SOLVE_REPS if n_reps is None else n_reps, 2)
    if n_reps > MAX_SOLVE_REPS:
        raise ScenarioError(f"n_reps = {n_reps}: must be an integer in [2, {MAX_SOLVE_REPS}] "
                            "(draws of the site rates; each number of sites tried draws that "
                            "many rates per site)")
    seed = check_count("seed", scenario.seed if seed is None else seed, 0)
    return _Problem(scenario=scenario, solve=solve, probability=float(probability),
                    deadline=deadline, n_reps=n_reps if r.rate_cv > 0 else 1,
                    root=np.random.SeedSequence(seed))


def solve_recruitment(scenario: Scenario, *, solve: RecruitmentSolve = "sites",
                      probability: float = 0.9, deadline_months: float | None = None,
                      n_reps: int | None = None, seed: int | None = None
                      ) -> RecruitmentSolution:
    """The sites (or months) that full enrolment needs with a given probability.

    Parameters
    ----------
    scenario : Scenario
        Needs a ``[recruitment]`` table; the target is ``design.n_total``.
    solve : {"sites", "months"}
        ``sites``: the fewest sites (opening evenly over the scenario's ramp,
        ``site_open_months`` given as one number) that complete enrolment by
        the deadline with at least ``probability``. ``months``: the months
        by which the scenario's sites complete it with ``probability``.
    probability : float
        In (0, 1).
    deadline_months : float, optional
        ``solve="sites"``: the deadline (default ``recruitment.deadline_months``,
        one of them required). Not allowed with ``solve="months"``.
    n_reps : int, optional
        Draws of the sites' rates (default 2000, at most 100,000; ``rate_cv =
        0`` needs none: the answer is exact).
    seed : int, optional
        Of the rate draws; default ``scenario.seed``.

    Returns
    -------
    RecruitmentSolution

    Raises
    ------
    ScenarioError
        A bad argument (named), before any work.
    ConvergenceError
        No number of sites up to 10000 is enough.

    Examples
    --------
    Poisson recruitment (``rate_cv = 0``) at 1 randomisation per site per
    month, every site open from the start, 40 patients within 12 months with
    probability 0.9: the time to the 40th is Gamma(40, rate S), so 5 sites
    give P = 0.997 and 4 give 0.893.

    >>> from simulator import Scenario, solve_recruitment
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 20}, "pain": {"effect": -1.0},
    ...     "recruitment": {"sites": 3, "rate_per_site_month": 1.0, "rate_cv": 0.0,
    ...                     "deadline_months": 12.0}})
    >>> r = solve_recruitment(s, solve="sites", probability=0.9)
    >>> r.sites, round(r.p_complete.value, 3), round(r.p_complete_one_site_fewer.value, 3)
    (5, 0.997, 0.893)
    """
    problem = _problem(scenario, solve, probability, deadline_months, n_reps, seed)
    spec = problem.scenario.recruitment
    common = dict(scenario_name=problem.scenario.name, solve=problem.solve,
                  probability=problem.probability, n_target=problem.n, rate_cv=spec.rate_cv,
                  exact=spec.rate_cv == 0, n_reps=problem.n_reps,
                  seed_entropy=int(problem.root.entropy))
    if problem.solve == "sites":
        sites, span, p, fewer = _solve_sites(problem)
        return RecruitmentSolution(**common, sites=sites, sites_range=span,
                                   opening_ramp_months=spec.opening_ramp,
                                   deadline_months=problem.deadline, deadline_months_se=None,
                                   p_complete=p, p_complete_one_site_fewer=fewer)
    months, se, p = _solve_months(problem)
    return RecruitmentSolution(**common, sites=spec.sites, sites_range=None,
                               opening_ramp_months=None,
                               deadline_months=months, deadline_months_se=se, p_complete=p,
                               p_complete_one_site_fewer=None)
