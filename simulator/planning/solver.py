"""The sample size a target needs.

The solver brackets the answer on a coarse geometric curve, then evaluates
every integer n in the bracket on a second curve and returns the smallest n
from which the metric stays at or above the target, with the range of n that
the Monte Carlo error cannot tell apart from it, and the closed-form answer
beside it where one exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize

from ..analysis.power import ancova_power, harm_detection_probability, t_test_power
from ..engine.dispatch import PathName
from ..errors import ConvergenceError, ScenarioError
from ..models.outcomes import analysis_sd
from ..models.parameters import assurance_ceiling
from ..spec.scenario import Scenario
from ..spec.schema import evolve
from ..spec.variants import at_n
from .closed import analytic_assurance, analytic_power, completion_probabilities
from .curves import PowerCurve, power_curve
from .resolve_closed import closed_forms
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


def _check_reachable(scenario: Scenario, metric: str, target: float) -> None:
    """Raise ConvergenceError when no n can reach the target, saying the ceiling."""
    pain, spec = scenario.pain, scenario.analysis
    if metric not in ("power", "power_benefit", "assurance", "conclusive") and not (
            metric.startswith("harm:") or metric.startswith("conclusive:")):
        raise ScenarioError(f"metric = {metric!r}: must be 'power', 'power_benefit', "
                            "'assurance', 'harm:<adverse event>' or 'conclusive[:<rule>]'")
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target < 1:
        raise ScenarioError(f"target = {target!r}: must be a probability in (0, 1)")
    if metric in ("power", "power_benefit") and pain.effect >= 0:
        ceiling = spec.alpha / spec.sided if pain.effect > 0 or metric == "power_benefit" \
            else spec.alpha
        why = ("is zero: the rejection rate stays at alpha" if pain.effect == 0 else
               "is harm, not benefit (negative = benefit): a trial sized on it would be sized "
               "to show harm, and its power to show benefit stays below alpha / sided")
        raise ConvergenceError(
            f"{metric} cannot reach {target:g}: pain.effect = {pain.effect:g} {why}; "
            f"the highest value reachable is about {ceiling:g} at any n")
    if metric == "assurance":
        ceiling = assurance_ceiling(pain)
        if ceiling is None:
            raise ScenarioError("metric 'assurance' needs a prior: set pain.effect_prior to "
                                "'pooled' or 'predictive'")
        if target >= ceiling:
            raise ConvergenceError(
                f"assurance cannot reach {target:g}: it is bounded by its ceiling "
                f"{ceiling:.4f}, the prior probability that the effect is a benefit; the "
                f"highest value reachable approaches {ceiling:.4f} as n grows")
    if metric.startswith("conclusive"):
        _check_resolvable(scenario, metric, target)
    if metric.startswith("harm:"):
        name = metric[5:]
        events = {ae.name: ae for ae in scenario.adverse_events}
        if name not in events:
            known = ", ".join(events) or "none are defined"
            raise ScenarioError(f"metric {metric!r}: unknown adverse event {name!r}; "
                                f"defined: {known}")
        ae = events[name]
        if ae.risk_ratio <= 1 and ae.risk_ratio_prior == "fixed":
            raise ConvergenceError(
                f"P(harm detected) for {name} cannot reach {target:g}: risk_ratio = "
                f"{ae.risk_ratio:g} is no harm; the highest value reachable is about "
                f"{spec.alpha / spec.sided:g} at any n")


def _check_resolvable(scenario: Scenario, metric: str, target: float) -> None:
    """A target above the plateau that tau^2 sets cannot be reached by any n."""
    spec = scenario.meta_analysis
    if spec is None:
        raise ScenarioError(f"metric {metric!r} needs a [meta_analysis] table")
    rule = metric[11:] or spec.rules[0]
    if rule not in spec.rules:
        raise ScenarioError(f"metric {metric!r}: rule {rule!r} is not among the scenario's "
                            f"rules {list(spec.rules)}")
    closed = closed_forms(scenario)
    if rule == "ci-excludes-0" and closed.plateau is not None and closed.plateau < target:
        k = spec.new_trials
        advice = (f"at least k_min = {closed.k_min} new trials are needed to supply the "
                  f"required information" + (
                      f" ({closed.n_per_arm_for_k[closed.k_min]} per arm each)"
                      if closed.k_min in closed.n_per_arm_for_k else ""))
        raise ConvergenceError(
            f"P(conclusive) with {k} new trial{'s' if k > 1 else ''} cannot reach {target:g}: "
            f"with tau^2 = {scenario.meta_analysis.tau2 if scenario.meta_analysis.tau2 is not None else 'fitted'} "
            f"it plateaus at {closed.plateau:.4f} however large the trial{'s' if k > 1 else ''}; "
            f"{advice}")


def _fast_closed_form(scenario: Scenario, metric: str) -> Callable[[int], float] | None:
    """A cheap closed form for bracketing (power at the expected completers)."""
    if metric == "power" and analytic_power(scenario, average_completers=False).value is None:
        return None
    if metric == "power":
        return lambda n: analytic_power(_at(scenario, n), average_completers=False).value
    return _closed_form(scenario, metric)[0]


def _closed_form(scenario: Scenario, metric: str) -> tuple[Callable[[int], float] | None, str]:
    """The closed-form metric as a function of n per arm, and its method."""
    if metric == "power" and analytic_power(scenario, average_completers=False).value is None:
        return None, ""
    if metric == "power":
        method = analytic_power(scenario, average_completers=False).method.replace(
            ", at the expected completers", ", averaged over binomial completers")
        return (lambda n: analytic_power(_at(scenario, n)).value), method
    if metric == "assurance":
        return (lambda n: analytic_assurance(_at(scenario, n))), \
            "closed-form power integrated over the prior"
    if metric.startswith("conclusive"):
        rule = metric[11:] or scenario.meta_analysis.rules[0]
        if rule != "ci-excludes-0" or closed_forms(scenario).conditional_power is None:
            return None, ""
        return (lambda n: closed_forms(_at(scenario, n)).conditional_power), \
            "conditional power of the updated meta-analysis, tau^2 fixed (Roloff 2013)"
    if metric.startswith("harm:"):
        ae = next(a for a in scenario.adverse_events if a.name == metric[5:])
        if ae.risk_ratio_prior != "fixed":
            return None, ""
        spec = scenario.analysis

        def harm(n: int) -> float:
            sizes = _at(scenario, n).design.group_sizes
            return harm_detection_probability(ae.placebo_risk, ae.active_risk, sizes[0],
                                              sizes[1], alpha=spec.alpha, sided=spec.sided)
        return harm, "exact binomial enumeration of the log-risk-ratio test"
    return None, ""


def _at(scenario: Scenario, n: int) -> Scenario:
    return at_n(scenario, n)


def _smallest_n(f: Callable[[int], float], target: float, n_max: int) -> int | None:
    """Smallest integer n in [2, n_max] with f(n) >= target, f non-decreasing."""
    lo, hi = 2, 4
    while f(hi) < target:
        lo, hi = hi, hi * 2
        if lo >= n_max:
            return None
    hi = min(hi, max(n_max, 2))
    if f(lo) >= target:
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if f(mid) >= target else (mid, hi)
    return hi


def _inflation(scenario: Scenario, metric: str, target: float) -> float | None:
    """Closed-form n without dropout (continuous n) divided by the completion probability."""
    if metric != "power" or (scenario.dropout.rate == 0 and not scenario.dropout.after_ae):
        return None
    if scenario.design.kind != "parallel":  # the textbook rule is for parallel groups
        return None
    base = evolve(scenario, {"dropout.rate": 0.0, "dropout.after_ae": {}})
    closed = analytic_power(base)
    if closed.value is None:
        return None
    n_int = _smallest_n(lambda n: analytic_power(_at(base, n)).value, target, 100_000)
    if n_int is None:
        return None
    # Continuous n: the t-test and ANCOVA powers are smooth in n, so solve on reals.
    pain, spec = base.pain, base.analysis
    w = base.design.allocation[1] / base.design.allocation[0]
    common = dict(alpha=spec.alpha, sided=spec.sided)
    sd, r = pain.sd, pain.correlation
    if pain.is_responder:
        n_cont = float(n_int)
    elif pain.analysis == "ancova":
        n_cont = optimize.brentq(lambda n: float(ancova_power(pain.effect, sd, r, n, w * n,
                                                              **common)) - target,
                                 max(n_int - 1.0, 2.5), n_int + 1.0)
    else:
        n_cont = optimize.brentq(lambda n: float(t_test_power(pain.effect, analysis_sd(pain), n,
                                                              w * n, **common)) - target,
                                 max(n_int - 1.0, 2.5), n_int + 1.0)
    keep = min(completion_probabilities(scenario))
    return n_cont / keep


def solve_sample_size(
    scenario: Scenario,
    target: float = 0.9,
    metric: str = "power",
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
    metric : str
        ``"power"``, ``"power_benefit"``, ``"assurance"``, ``"harm:<AE name>"``,
        or ``"conclusive"`` / ``"conclusive:<rule>"`` (needs ``[meta_analysis]``:
        P(the updated meta-analysis is conclusive)).
    n_max : int
        Largest n per arm to consider.
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
    _check_reachable(scenario, metric, target)
    run = dict(n_sims=n_sims, seed=seed, n_jobs=n_jobs, path=path, progress=progress,
               closed_forms=False)

    def values(curve: PowerCurve) -> np.ndarray:
        return np.array([m.value for m in curve.metric(metric)])

    closed, method = _closed_form(scenario, metric)
    fast = _fast_closed_form(scenario, metric)
    guess = _smallest_n(fast, target, n_max) if fast else None
    analytic_n = _exact_near(closed, guess, target, n_max) if closed and guess else None

    # 1. With a closed-form guess: one curve, dense around the guess. The
    #    answer is accepted only inside the dense part, away from its ends.
    if guess is not None:
        lo = max(2, int(0.85 * guess))
        top = min(n_max, int(np.ceil(1.2 * guess)) + 2)
        grid = sorted(set(np.geomspace(2, lo, 5).round().astype(int)) | set(range(lo, top + 1)))
        fine = power_curve(scenario, grid, **run)
        est = fine.metric(metric)
        v = np.array([m.value for m in est])
        se = np.array([m.se for m in est])
        stays = np.flip(np.logical_and.accumulate(np.flip(v >= target)))
        k = int(np.argmax(stays)) if stays.any() else -1
        low = np.array([m.ci[0] for m in est])
        clear = np.flip(np.logical_and.accumulate(np.flip(low >= target)))
        if stays.any() and grid[k] > lo and clear.any():
            return _answer(scenario, metric, target, fine, grid, v, se, k, analytic_n, method,
                           n_max)

    # 2. Otherwise bracket on a coarse geometric curve, growing it until the
    #    target is passed, then refine on every integer n in the bracket.
    hi = min(n_max, max(20, 2 * (guess or 50)))
    while True:
        grid = sorted(set(np.geomspace(2, hi, 14).round().astype(int)))
        coarse = power_curve(scenario, grid, **run)
        v = values(coarse)
        if v[-1] >= target or hi >= n_max:
            break
        hi = min(n_max, hi * 4)
    if v[-1] < target:
        se = coarse.metric(metric)[-1].se
        raise ConvergenceError(
            f"{metric} does not reach {target:g} by n_max = {n_max} per arm: the highest "
            f"value reached is {v[-1]:.4f} (SE {se:.4f}) at n = {grid[-1]}")
    first = int(np.argmax(v >= target))
    lo_n = grid[first - 1] if first > 0 else 2
    hi_n = grid[first]

    # 2. Refine: every integer in the bracket (widened for the Monte Carlo range).
    for _ in range(6):
        span = hi_n - lo_n
        top = min(n_max, hi_n + span // 2 + 2)
        step = max(1, (top - lo_n) // 300)
        grid = list(range(lo_n, top + 1, step))
        if grid[-1] != top:
            grid.append(top)
        fine = power_curve(scenario, grid, **run)
        est = fine.metric(metric)
        v = np.array([m.value for m in est])
        se = np.array([m.se for m in est])
        above = v >= target
        # smallest n from which the curve stays at or above the target
        stays = np.flip(np.logical_and.accumulate(np.flip(above)))
        if not stays.any():
            lo_n, hi_n = top, min(n_max, top + max(span, 4))
            if lo_n >= n_max:
                raise ConvergenceError(f"{metric} does not settle above {target:g} by "
                                       f"n_max = {n_max} per arm")
            continue
        k = int(np.argmax(stays))
        if k == 0 and grid[0] > 2:  # the answer may lie below the bracket: widen down
            hi_n, lo_n = grid[0], max(2, grid[0] - max(span, 4))
            continue
        if step > 1:  # narrow to the step around the answer and refine at step 1
            lo_n, hi_n = grid[max(k - 1, 0)], grid[k]
            continue
        break
    else:
        raise ConvergenceError(f"could not pin the sample size for {metric} = {target:g}")

    return _answer(scenario, metric, target, fine, grid, v, se, k, analytic_n, method, n_max)


def _exact_near(closed: Callable[[int], float], guess: int, target: float,
                n_max: int) -> int | None:
    """Smallest n with the exact closed form >= target, searched from a guess."""
    n = guess
    if closed(n) >= target:
        while n > 2 and closed(n - 1) >= target:
            n -= 1
        return n
    while n < n_max:
        n += 1
        if closed(n) >= target:
            return n
    return None


def _answer(scenario, metric, target, fine, grid, v, se, k, analytic_n, method,
            n_max) -> SampleSize:
    """Assemble the result from the refining curve (answer at index k)."""
    n_star = grid[k]
    # 95 % Wilson intervals: honest near 0 and 1, where v +- z SE collapses
    low = np.array([m.ci[0] for m in fine.metric(metric)])
    high = np.array([m.ci[1] for m in fine.metric(metric)])
    reach = np.flip(np.logical_and.accumulate(np.flip(high >= target)))
    clear = np.flip(np.logical_and.accumulate(np.flip(low >= target)))
    n_lo = grid[int(np.argmax(reach))]
    # Not clearly above the target anywhere on the curve (a flat curve): the
    # Monte Carlo error cannot rule out any larger n.
    n_hi = grid[int(np.argmax(clear))] if clear.any() else n_max
    at = fine.points[k]
    keep = completion_probabilities(_at(scenario, n_star))
    return SampleSize(
        metric=metric, target=target, n_per_arm=n_star, group_sizes=at.group_sizes,
        n_total=sum(at.group_sizes),
        expected_completers=float(sum(n * c for n, c in zip(at.group_sizes, keep))),
        n_range=(n_lo, n_hi), achieved=float(v[k]), achieved_se=float(se[k]),
        analytic_n_per_arm=analytic_n,
        analytic_method=method if analytic_n is not None else None,
        inflation_n_per_arm=_inflation(scenario, metric, target),
        n_sims=at.n_sims, seed_entropy=at.seed_entropy, path=at.path, curve=fine,
    )
