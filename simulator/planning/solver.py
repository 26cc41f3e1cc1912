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

With functional unblinding (``pain.unblinding_ae``) the observed effect is the
drug's plus an expectancy bias. A metric that tests the pain effect is then
solved twice: on the drug effect alone (the default answer, ``size_on``) and
as observed, and the rate at which the bias alone makes a trial significant
(no drug effect) is run at the answer; all three are reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .._frames import data_frame, flat_row
from ..analysis.probit import ProbitFit
from ..engine.dispatch import PathName
from ..errors import ConvergenceError, ScenarioError
from ..mc import MonteCarloProbability
from ..spec.bounds import N_SIMS, is_n_sims
from ..spec.scenario import Scenario
from ..spec.settings import N_TOLERANCE
from ..spec.variants import at_n, without_unblinding
from .closed import completion_probabilities
from .closed_n import closed_form, exact_near, fast_closed_form, inflation, smallest_n
from .metric import Metric
from .reachable import check_reachable
from .search import Search, child_seed, counts_events, whole_range
from .simulate import ProgressCallback, checked_seed, simulate
from .unblinding import has_unblinding, null_effect

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["SampleSize", "UnblindingSize", "solve_sample_size", "N_TOLERANCE", "SizeOn"]

#: What a trial with functional unblinding is sized on.
SizeOn = Literal["drug", "observed"]
_SIZE_ON = ("drug", "observed")


@dataclass(frozen=True, slots=True, kw_only=True)
class UnblindingSize:
    """Both answers of a solve with functional unblinding.

    Attributes
    ----------
    sized_on : {"drug", "observed"}
        Which answer is the solve's ``n_per_arm``: the drug effect alone (the
        default), or the effect as observed, the expectancy bias included.
    drug_alone_n_per_arm, observed_n_per_arm : int or None
        The n per arm each reaches the target at (None where the target is
        out of reach, e.g. a null drug effect).
    drug_alone_n_range, observed_n_range : tuple of int or None
        Their 95 % Monte Carlo ranges.
    false_positive_rate : MonteCarloProbability
        At the solve's ``n_per_arm``, how often a trial is significant with no
        drug effect, from the expectancy bias alone (alpha without it).
    notes : tuple of str
    """

    sized_on: SizeOn
    drug_alone_n_per_arm: int | None
    drug_alone_n_range: tuple[int, int] | None
    observed_n_per_arm: int | None
    observed_n_range: tuple[int, int] | None
    false_positive_rate: MonteCarloProbability
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        def span(r: tuple[int, int] | None) -> list[int] | None:
            return None if r is None else list(r)
        return {"sized_on": self.sized_on, "drug_alone_n_per_arm": self.drug_alone_n_per_arm,
                "drug_alone_n_range": span(self.drug_alone_n_range),
                "observed_n_per_arm": self.observed_n_per_arm,
                "observed_n_range": span(self.observed_n_range),
                **self.false_positive_rate.to_dict("false_positive_rate"),
                "notes": list(self.notes)}


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
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
        The 95 % confidence interval of ``n_per_arm``, from the Monte Carlo
        error of the fit: the interval of the crossing point with both ends
        rounded up, as ``n_per_arm`` is (:func:`~.search.whole_range`).
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
        Whether ``n_range`` came within ``n_tolerance`` of n, or 2 patients
        where that is more (else the solve stopped at its budget of trials;
        see ``notes``).
    evaluations : tuple of (int, int, int)
        Every run: (n per arm, successes, trials).
    notes : tuple of str
    seed_entropy : int
    path : str
    unblinding : UnblindingSize or None
        With functional unblinding and a metric of the pain effect: the
        answers on the drug effect alone and as observed, and the
        false-positive rate at ``n_per_arm``.
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
    unblinding: UnblindingSize | None = None

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
            "unblinding": None if self.unblinding is None else self.unblinding.to_dict(),
        }

    def __repr__(self) -> str:
        return (f"SampleSize(metric={self.metric!r}, target={self.target:g}, "
                f"n_per_arm={self.n_per_arm}, n_range={self.n_range}, "
                f"achieved={self.achieved:.4f}, n_sims={self.n_sims})")

    def summary(self) -> str:
        """The answer, its range, the closed form and the dropout inflation, in words."""
        lines = [f"{self.metric} >= {self.target:g}: {self.n_per_arm} per arm "
                 f"({self.n_total} randomised), 95 % Monte Carlo range {self.n_range[0]} to "
                 f"{self.n_range[1]}; {self.metric} there {self.achieved:.4f} "
                 f"(SE {self.achieved_se:.4f})"]
        if self.analytic_n_per_arm is not None:
            lines.append(f"closed form {self.analytic_n_per_arm} per arm "
                         f"({self.analytic_method})")
        if self.inflation_n_per_arm is not None:
            lines.append(f"textbook n / (1 - dropout): {self.inflation_n_per_arm:.1f} per arm")
        lines.append(f"{self.n_sims:,} simulated trials in {len(self.evaluations)} runs on "
                     f"the {self.path} path, seed {self.seed_entropy}")
        return "\n".join(lines + list(self.notes))

    def to_frame(self) -> pd.DataFrame:
        """The answer as a one-row pandas DataFrame (needs pandas); runs left out."""
        return data_frame([flat_row({k: v for k, v in self.to_dict().items()
                                     if k != "evaluations"})])

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
    size_on: SizeOn = "drug",
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
    n_sims : int, optional
        Trials of one run (default the scenario's ``simulation.n_sims``): the
        first round runs ``n_sims`` trials in all, later rounds as many as the
        wanted precision needs (at most 400 runs' worth).
    seed, n_jobs, path, progress
        As in :func:`simulator.simulate`.
    n_tolerance : float
        The widest range of n accepted, as a share of n (default 0.02).
    size_on : {"drug", "observed"}
        With functional unblinding and a metric of the pain effect: size on
        the drug effect alone (default) or on the effect as observed, the
        expectancy bias included. Both answers are in ``unblinding``.

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
    seed = checked_seed(scenario, seed)  # (and that the scenario is one)
    metric = Metric.parse(metric)
    if (isinstance(n_tolerance, bool) or not isinstance(n_tolerance, (int, float))
            or not 0 < n_tolerance < 1):
        raise ScenarioError(f"n_tolerance = {n_tolerance!r}: must be in (0, 1), a share of n")
    if size_on not in _SIZE_ON:
        raise ScenarioError(f"size_on = {size_on!r}: must be one of {', '.join(_SIZE_ON)}")
    n_sims = scenario.simulation.n_sims if n_sims is None else n_sims
    if not is_n_sims(n_sims):
        raise ScenarioError(f"n_sims = {n_sims!r}: {N_SIMS}")
    n_sims = int(n_sims)
    options = dict(n_max=n_max, n_sims=n_sims, n_jobs=n_jobs, path=path, progress=progress,
                   n_tolerance=n_tolerance)
    if not has_unblinding(scenario) or metric.kind == "harm":
        return _solve(scenario, metric, target, seed=seed, **options)
    drug = without_unblinding(scenario)
    first, second = (drug, scenario) if size_on == "drug" else (scenario, drug)
    answer = _solve(first, metric, target, seed=seed, **options)
    try:
        other: SampleSize | None = _solve(second, metric, target, seed=child_seed(seed, 1, 0),
                                          **options)
        notes: tuple[str, ...] = ()
    except ConvergenceError as exc:
        other, notes = None, (f"{'as observed' if size_on == 'drug' else 'drug effect alone'}: "
                              f"{exc}",)
    null = simulate(at_n(null_effect(scenario), answer.n_per_arm), n_sims=n_sims,
                    seed=child_seed(seed, 2, 0), n_jobs=n_jobs, closed_forms=False)
    drug_size, observed_size = (answer, other) if size_on == "drug" else (other, answer)
    return replace(answer, unblinding=UnblindingSize(
        sized_on=size_on,
        drug_alone_n_per_arm=None if drug_size is None else drug_size.n_per_arm,
        drug_alone_n_range=None if drug_size is None else drug_size.n_range,
        observed_n_per_arm=None if observed_size is None else observed_size.n_per_arm,
        observed_n_range=None if observed_size is None else observed_size.n_range,
        false_positive_rate=null.power, notes=notes))


def _solve(scenario: Scenario, metric: Metric, target: float, *, n_max: int, n_sims: int,
           seed: int, n_jobs: int, path: PathName, progress: ProgressCallback | None,
           n_tolerance: float) -> SampleSize:
    """One solve on one scenario (see :func:`solve_sample_size`)."""
    check_reachable(scenario, metric, target)
    n_max = largest_n(scenario, n_max)
    search = Search(scenario, metric, target, n_max, n_sims, seed, n_tolerance,
                    dict(n_jobs=n_jobs, path=path), progress)
    if has_unblinding(scenario) and metric.kind != "harm":  # closed forms are the drug's alone
        closed, method, fast = None, "", None
    else:
        closed, method = closed_form(scenario, metric)
        fast = fast_closed_form(scenario, metric)
    guess = smallest_n(fast, target, n_max) if fast else None
    analytic_n = exact_near(closed, guess, target, n_max) if closed and guess else None
    fit, n_hat, lo, hi = search.refine(guess if guess is not None else search.bracket())
    n_star = min(max(2, math.ceil(n_hat - 1e-9)), n_max)
    if counts_events(scenario, metric):
        n_star = search.verify(n_star)
    return _answer(search, fit, n_star, n_hat, lo, hi, analytic_n, method)


def largest_n(scenario: Scenario, n_max: int) -> int:
    """``n_max``, or less where the allocation would put more than
    :data:`~simulator.spec.bounds.MAX_ARM_SIZE` patients in an arm."""
    if isinstance(n_max, bool) or not isinstance(n_max, int) or n_max < 2:
        raise ScenarioError(f"n_max = {n_max!r}: must be an integer >= 2")
    return min(n_max, scenario.design.largest_n_per_arm())


def _answer(search: Search, fit: ProbitFit, n_star: int, n_hat: float, lo: float,
            hi: float, analytic_n: int | None, method: str) -> SampleSize:
    """Assemble the result from the fit (and the direct runs at the answer, if any)."""
    scenario, n_max = search.scenario, search.n_max
    direct = [(s, t) for n, s, t in search.runs if n == n_star]
    if direct and counts_events(scenario, search.metric):
        est = MonteCarloProbability.from_counts(sum(s for s, _ in direct),
                                                sum(t for _, t in direct))
        achieved, achieved_se = est.value, est.se
    else:
        achieved, achieved_se = fit.probability(math.sqrt(n_star))
    first, last = whole_range(lo, hi)
    n_range = (max(2, min(n_star, first)), min(n_max, max(n_star, last)))
    wanted = search.wanted_width(n_hat)
    converged = n_range[1] - n_range[0] <= wanted
    why = ("the direct runs moved the answer above the fitted range (the metric is a "
           "saw-tooth in n)" if last - first <= wanted else
           f"after {search.trials:,} trials (the budget)")
    notes = () if converged else (
        f"the range is {100 * (n_range[1] - n_range[0]) / n_hat:.1f} % of n, wider than the "
        f"tolerance {100 * search.n_tolerance:g} %: {why}",)
    misfit = search.misfit()
    if misfit is not None:
        notes += (misfit,)
    at = at_n(scenario, n_star)
    keep = completion_probabilities(at)
    sizes = at.design.group_sizes
    return SampleSize(
        metric=str(search.metric), target=search.target, n_per_arm=n_star, group_sizes=sizes,
        n_total=sum(sizes), expected_completers=float(sum(n * c for n, c in zip(sizes, keep))),
        n_range=n_range,
        achieved=achieved,
        achieved_se=achieved_se, analytic_n_per_arm=analytic_n,
        analytic_method=method if analytic_n is not None else None,
        inflation_n_per_arm=inflation(scenario, search.metric, search.target),
        n_sims=search.trials, n_tolerance=search.n_tolerance, converged=converged,
        seed_entropy=search.seed, path=search.path, evaluations=tuple(search.runs),
        notes=notes)
