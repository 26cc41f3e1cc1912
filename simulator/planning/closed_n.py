"""Closed forms of a metric as a function of n, for the solver's guess and its check.

* :func:`closed_form`: the exact closed form of a metric at n per arm (power
  averaged over binomial completers, assurance, the Roloff conditional power
  of a review update, exact harm detection), with its method in words;
* :func:`fast_closed_form`: a cheap one for bracketing (power at the
  expected completers);
* :func:`smallest_n` and :func:`exact_near`: the smallest n reaching a
  target on a non-decreasing closed form;
* :func:`inflation`: the textbook ``n / (1 - d)`` rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from .._lazy import optimize, special
from ..analysis.power import ancova_power, harm_detection_probability, t_test_power
from ..models.outcomes import analysis_sd
from ..spec.scenario import Scenario
from ..spec.schema import evolve
from ..spec.variants import at_n
from .closed import (
    analytic_assurance,
    analytic_power,
    any_comparison_power,
    completion_probabilities,
)
from .closed_sequential import METHOD, closed_form_undefined, sequential_closed_form
from .metric import Metric
from .resolve_closed import closed_forms

__all__ = ["closed_form", "fast_closed_form", "smallest_n", "exact_near", "inflation"]


def fast_closed_form(scenario: Scenario, metric: Metric) -> Callable[[int], float] | None:
    """A cheap closed form for bracketing (power at the expected completers)."""
    if scenario.interim is not None:
        return closed_form(scenario, metric)[0]
    if metric.kind == "power" and scenario.design.kind == "multiarm":  # P(any comparison)
        if any_comparison_power(scenario) is None:
            return None
        return lambda n: any_comparison_power(at_n(scenario, n))
    if metric.kind == "power" and analytic_power(scenario, average_completers=False).value is None:
        return None
    if metric.kind == "power":
        return lambda n: analytic_power(scenario, average_completers=False,
                                        n_per_arm=n).value
    return closed_form(scenario, metric)[0]


def closed_form(scenario: Scenario, metric: Metric) -> tuple[Callable[[int], float] | None, str]:
    """The closed-form metric as a function of n per arm, and its method."""
    if scenario.interim is not None:
        return _sequential(scenario, metric)
    if metric.kind == "power" and analytic_power(scenario, average_completers=False).value is None:
        return None, ""
    if metric.kind == "power":
        method = analytic_power(scenario, average_completers=False).method.replace(
            ", at the expected completers", ", averaged over binomial completers")
        return (lambda n: analytic_power(scenario, n_per_arm=n).value), method
    if metric.kind == "assurance":
        return (lambda n: analytic_assurance(at_n(scenario, n))), \
            "closed-form power integrated over the prior"
    if metric.kind == "conclusive":
        rule = metric.name or scenario.meta_analysis.rules[0]
        if rule not in closed_forms(scenario).by_rule:
            return None, ""
        if rule == "ci-excludes-0":
            return (lambda n: closed_forms(at_n(scenario, n)).conditional_power), \
                "conditional power of the updated meta-analysis, tau^2 fixed (Roloff 2013)"
        return (lambda n: closed_forms(at_n(scenario, n)).by_rule[rule]["p_conclusive"]), \
            f"P({rule}) of the normal update, tau^2 fixed (Roloff 2013's model)"
    if metric.kind == "harm":
        ae = next(a for a in scenario.adverse_events if a.name == metric.name)
        if ae.risk_ratio_prior != "fixed":
            return None, ""
        spec = scenario.analysis

        def harm(n: int) -> float:
            sizes = at_n(scenario, n).design.group_sizes
            return harm_detection_probability(ae.placebo_risk, ae.active_risk, sizes[0],
                                              sizes[1], alpha=spec.alpha, sided=spec.sided)
        return harm, "exact binomial enumeration of the log-risk-ratio test"
    return None, ""


def _sequential(scenario: Scenario, metric: Metric
                ) -> tuple[Callable[[int], float] | None, str]:
    """The group-sequential closed form of power (none for the other metrics)."""
    if closed_form_undefined(scenario) is not None:
        return None, ""
    if metric.kind in ("power", "power_benefit"):
        def power(n: int) -> float | None:  # None where too few complete at the first look
            closed = sequential_closed_form(scenario, n)
            return None if closed is None else getattr(closed, metric.kind)
        return power, METHOD
    if metric.kind == "harm":  # harm detection at the maximum n has its own closed form
        return closed_form(replace(scenario, interim=None), metric)
    return None, ""


def smallest_n(f: Callable[[int], float], target: float, n_max: int) -> int | None:
    """Smallest integer n in [2, n_max] with f(n) >= target, f non-decreasing.

    A bracket ``f(lo) < target <= f(hi)`` is found from the probit line through
n = 2 and 16 (then steps of a factor 4),
    then narrowed to neighbouring integers: each step tries the n where the
    line through the bracket's ends crosses the target on the probit scale
    against sqrt(n) (power curves are nearly straight there) and its
    neighbour, then bisects if the bracket is still open. The answer is that
    of a plain bisection; it takes a handful of evaluations instead of twenty.
    A closed form that cannot be evaluated at n (None or NaN: too few
    patients expected to complete) counts as not reaching the target there.
    """
    n_max = max(n_max, 2)
    values: dict[int, float] = {}

    def at(n: int) -> float:
        if n not in values:
            values[n] = _value(f(n))
        return values[n]

    if at(2) >= target:
        return 2
    lo, hi = 2, min(16, n_max)
    if at(hi) < target and hi < n_max:  # jump near the answer along the probit line
        lo, hi = _near_bracket(at, hi, _probit_guess(2, hi, at(2), at(hi), target), target,
                               n_max)
    while at(hi) < target:
        if hi >= n_max:
            return None
        lo, hi = hi, min(4 * hi, n_max)
    while hi - lo > 1:
        mid = _probit_guess(lo, hi, at(lo), at(hi), target)
        if lo < mid < hi:  # the line's guess, then its neighbour: usually the answer
            reached = at(mid) >= target
            lo, hi = (lo, mid) if reached else (mid, hi)
            beside = mid - 1 if reached else mid + 1
            if lo < beside < hi:
                lo, hi = (lo, beside) if at(beside) >= target else (beside, hi)
        if hi - lo > 1:  # a bisection step bounds the evaluations when the line misleads
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if at(mid) >= target else (mid, hi)
    return hi


def _near_bracket(at: Callable[[int], float], lo: int, guess: int, target: float,
                  n_max: int) -> tuple[int, int]:
    """A bracket ``(lo, hi)`` with ``at(lo) < target``, narrowed around ``guess``.

    ``hi`` is 5 % above the guess (or ``n_max``) whether or not it reaches
    the target (the caller steps on from it); ``lo`` moves up to 5 % below
    the guess when that is still short of the target. Power curves are
    nearly straight on the probit scale against sqrt(n), so the guess from
    n = 2 and 16 is usually within a few per cent of the answer, and the
    bracket holds it after two evaluations instead of a run of factor-4 steps.
    """
    if guess <= lo:
        return lo, min(4 * lo, n_max)
    below, above = max(lo, int(0.95 * guess)), min(n_max, max(lo + 1, math.ceil(1.05 * guess)))
    if below > lo and below < above and at(below) < target:
        lo = below
    return lo, above


def _value(v: float | None) -> float:
    """A closed form's value, with what could not be computed (None, NaN) as -inf."""
    return -math.inf if v is None or not math.isfinite(v) else float(v)


def _probit_guess(lo: int, hi: int, f_lo: float, f_hi: float, target: float) -> int:
    """Where the probit-sqrt(n) line through two points crosses the target."""
    q = [float(special.ndtri(min(max(v, 1e-12), 1 - 1e-12))) for v in (f_lo, f_hi, target)]
    if q[1] <= q[0]:
        return (lo + hi) // 2
    x = math.sqrt(lo) + (q[2] - q[0]) / (q[1] - q[0]) * (math.sqrt(hi) - math.sqrt(lo))
    return int(round(x * x))


def inflation(scenario: Scenario, metric: Metric, target: float) -> float | None:
    """Closed-form n without dropout (continuous n) divided by the completion probability."""
    if metric.kind != "power" or (scenario.dropout.rate == 0 and not scenario.dropout.after_ae):
        return None
    if scenario.design.kind != "parallel" or scenario.interim is not None:
        return None  # the textbook rule is for fixed parallel-group designs
    base = evolve(scenario, {"dropout.rate": 0.0, "dropout.after_ae": {}})
    closed = analytic_power(base)
    if closed.value is None:
        return None
    n_int = smallest_n(lambda n: analytic_power(at_n(base, n)).value, target, 100_000)
    if n_int is None:
        return None
    # Continuous n: the t-test and ANCOVA powers are smooth in n, so solve on reals.
    pain, spec = base.pain, base.analysis
    w = base.design.allocation[1] / base.design.allocation[0]
    common = dict(alpha=spec.alpha, sided=spec.sided)
    sd, r = pain.sd, pain.correlation
    if pain.is_responder:
        return float(n_int) / min(completion_probabilities(scenario))
    if pain.analysis == "ancova":
        def gap(n):
            return float(ancova_power(pain.effect, sd, r, n, w * n, **common)) - target
    else:
        def gap(n):
            return float(t_test_power(pain.effect, analysis_sd(pain), n, w * n,
                                      **common)) - target
    lo = max(n_int - 1.0, 2.5)
    if gap(lo) >= 0:  # reached below the bracket (a target near alpha): solve from n = 2
        lo, hi = 2.0, lo
        n_cont = lo if gap(lo) >= 0 else optimize.brentq(gap, lo, hi)
    else:
        n_cont = optimize.brentq(gap, lo, n_int + 1.0)
    return n_cont / min(completion_probabilities(scenario))


def exact_near(closed: Callable[[int], float], guess: int, target: float,
                n_max: int) -> int | None:
    """Smallest n with the exact closed form >= target, searched from a guess."""
    n = guess
    if _value(closed(n)) >= target:
        while n > 2 and _value(closed(n - 1)) >= target:
            n -= 1
        return n
    while n < n_max:
        n += 1
        if _value(closed(n)) >= target:
            return n
    return None
