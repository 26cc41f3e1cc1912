"""Sample-size re-estimation at an interim look: the promising zone, tested by inverse normal.

A two-look design may raise its second-stage size at the interim when the
result is *promising* (Mehta & Pocock 2011): if the conditional power under
the current trend at the planned size lies in ``[cp_min, cp_target)``, the
second stage gets the size that brings it to ``cp_target`` (at most
``max_factor`` times the planned one). Choosing the size from the data
breaks the pooled test's type I error in general; the weighted inverse
normal test of Cui, Hung & Wang (1999) keeps it exactly: with weights fixed
at the planned sizes, ``w1 = sqrt(t1)``, ``w2 = sqrt(1 - t1)``,

``Z = w1 Phi^-1(1 - p1) + w2 Phi^-1(1 - p2)``

is standard normal under H0 whatever the second stage's size, because the
second stage's own p-value ``p2`` (its patients only) is uniform given the
first stage. The trial rejects at the interim when ``z1 >= c1`` and at the
end when ``Z >= c2``, the design's bounds.

:func:`simulate_promising_zone` simulates this on the normal model (exact
sufficient statistics per stage and arm, Student's t per stage, each
stage's p-value as a normal quantile) and reports, on the same trials, the
weighted test, the pooled t test of all patients at ``c2`` (which ignores
the adaptation), and the design without re-estimation;
:func:`promising_zone_power` integrates the weighted test's rejection
probability over ``z1`` (z tests, or the t tests simulated) as a closed form
beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._lazy import special, stats
from ..analysis.estimates import z_of_t
from ..analysis.power_inputs import check_count, check_number
from ..checks import check_flags
from ..errors import ScenarioError
from ..mc import MonteCarloMean, MonteCarloProbability
from ..models.exactness import aggregate_unsupported
from ..models.outcomes import analysis_sd
from ..spec.bounds import MAX_ARM_SIZE, MAX_KEPT_TRIALS
from ..spec.scenario import Scenario
from .closed_sequential import design_of
from .decisions import benefit_sign
from .simulate import checked_seed

__all__ = ["PromisingZone", "simulate_promising_zone", "promising_zone_power", "second_stage_n"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PromisingZone:
    """A simulated two-look design with promising-zone re-estimation.

    Attributes
    ----------
    n1, n2_planned, n2_max : int
        Patients per arm in the first stage, planned and most in the second.
    cp_min, cp_target : float
        The promising zone of the conditional power (current trend).
    critical_values : tuple of float
        ``c1``, ``c2`` on the z scale.
    weights : tuple of float
        ``w1``, ``w2`` of the inverse normal combination.
    effect : float
        The true effect simulated.
    reject : MonteCarloProbability
        The weighted inverse normal test (Cui, Hung & Wang).
    reject_pooled : MonteCarloProbability
        The pooled t test of all patients at ``c2`` (ignores the adaptation).
    reject_planned : MonteCarloProbability
        The same trials without re-estimation (the planned second stage).
    stop_first : MonteCarloProbability
        Rejection at the interim.
    increased : MonteCarloProbability
        The second stage enlarged (in the promising zone).
    expected_n : MonteCarloMean
        Patients in both arms at the end.
    closed_form : float
        :func:`promising_zone_power` (t tests: the law simulated).
    """

    n1: int
    n2_planned: int
    n2_max: int
    cp_min: float
    cp_target: float
    critical_values: tuple[float, float]
    weights: tuple[float, float]
    effect: float
    reject: MonteCarloProbability
    reject_pooled: MonteCarloProbability
    reject_planned: MonteCarloProbability
    stop_first: MonteCarloProbability
    increased: MonteCarloProbability
    expected_n: MonteCarloMean
    closed_form: float

    def to_dict(self) -> dict[str, Any]:
        return {"promising_zone": {
            "n1": self.n1, "n2_planned": self.n2_planned, "n2_max": self.n2_max,
            "cp_min": self.cp_min, "cp_target": self.cp_target,
            "critical_values": list(self.critical_values), "weights": list(self.weights),
            "effect": self.effect,
            **self.reject.to_dict("reject"), **self.reject_pooled.to_dict("reject_pooled"),
            **self.reject_planned.to_dict("reject_planned"),
            **self.stop_first.to_dict("stop_first"), **self.increased.to_dict("increased"),
            **self.expected_n.to_dict("expected_n"),
            "closed_form_reject": self.closed_form if math.isfinite(self.closed_form) else None}}


def second_stage_n(z1: np.ndarray, n1: int, n2: int, n2_max: int, c2: float, w: tuple,
                   cp_min: float, cp_target: float) -> np.ndarray:
    """Per trial, the second stage's patients per arm after the interim ``z1``.

    The conditional power under the trend at ``m`` more per arm is
    ``1 - Phi((c2 - w1 z1) / w2 - z1 sqrt(m / n1))``; in ``[cp_min,
    cp_target)`` at ``m = n2`` the trial takes the ``m`` that reaches
    ``cp_target``, rounded up, within ``[n2, n2_max]``.

    Examples
    --------
    >>> w = (math.sqrt(0.5), math.sqrt(0.5))
    >>> # conditional power at the plan: 0.21, 0.58 (promising), 0.999
    >>> second_stage_n(np.array([1.0, 1.5, 3.0]), 100, 100, 200, 1.98, w, 0.36, 0.8).tolist()
    [100, 200, 100]
    """
    z1 = np.asarray(z1, float)
    need = (c2 - w[0] * z1) / w[1]
    cp = special.ndtr(z1 * np.sqrt(n2 / n1) - need)
    zone = (cp >= cp_min) & (cp < cp_target) & (z1 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        target = n1 * ((need - special.ndtri(1.0 - cp_target)) / z1) ** 2
    m = np.where(zone, np.clip(np.ceil(target - 1e-9), n2, n2_max), n2)
    return m.astype(np.int64)


def stage_sizes(scenario: Scenario) -> tuple[int, int]:
    """Patients per arm of the first stage (the first look's share) and of the second."""
    n = scenario.design.n_per_arm
    n1 = min(n - 1, max(2, round(float(design_of(scenario).information_rates[0]) * n)))
    return n1, n - n1


def _check(scenario: Scenario, max_factor: float, cp_min: float, cp_target: float) -> None:
    spec = scenario.interim
    if spec is None or len(spec.looks) != 2:
        looks = None if spec is None else list(spec.looks)
        raise ScenarioError(f"[interim] looks = {looks}: re-estimation needs a design with "
                            "2 looks")
    if scenario.analysis.sided != 1:
        raise ScenarioError(f"[analysis] sided = {scenario.analysis.sided}: the promising zone "
                            "needs a one-sided test (sided = 1)")
    sizes = scenario.design.group_sizes
    if len(sizes) != 2 or sizes[0] != sizes[1]:
        raise ScenarioError(f"[design] group sizes {list(sizes)}: re-estimation is simulated "
                            "for two arms of equal size")
    n1, n2 = stage_sizes(scenario)
    if min(n1, n2) < 2:
        raise ScenarioError(f"[design] n_per_arm = {scenario.design.n_per_arm}: the stages "
                            f"would have {n1} and {n2} patients per arm; each t test needs at "
                            "least 2 (a larger n_per_arm, or looks nearer the middle)")
    reason = aggregate_unsupported(scenario)
    if reason or scenario.pain.analysis == "ancova" or scenario.dropout.rate > 0:
        raise ScenarioError(f"{scenario.source}: re-estimation is simulated on the normal model "
                            "(follow-up or change score, no dropout): "
                            + (reason or "pain.analysis = 'ancova' or dropout.rate > 0"))
    if not (isinstance(max_factor, (int, float)) and 1.0 <= max_factor <= 10.0):
        raise ScenarioError(f"max_factor (--max-factor) = {max_factor!r}: must be a number in "
                            "[1, 10]")
    if not (all(isinstance(x, (int, float)) and not isinstance(x, bool)
                for x in (cp_min, cp_target)) and 0.0 < cp_min < cp_target < 1.0):
        raise ScenarioError(f"cp_min (--cp-min) = {cp_min!r}, cp_target (--cp-target) = "
                            f"{cp_target!r}: must satisfy 0 < cp_min < cp_target < 1")


def _stage(rng: np.random.Generator, n: np.ndarray, delta: float, sd: float, size: int):
    """Per arm means (in SD units, arm 1 shifted by ``delta``) and pooled SS of ``n`` per arm."""
    n = np.asarray(n, float)
    root = 1.0 / np.sqrt(np.maximum(n, 1.0))
    m0 = rng.standard_normal(size) * root
    m1 = delta / sd + rng.standard_normal(size) * root
    df = 2.0 * n - 2.0
    ss = np.zeros(size)
    ok = np.broadcast_to(df >= 1, (size,))
    ss[ok] = rng.chisquare(np.broadcast_to(df, (size,))[ok])
    return m0, m1, np.where(n > 0, ss, 0.0)


def _z_of_t(diff, ss, n0, n1) -> np.ndarray:
    """Student's t of a difference of means (SD units) as the normal quantile of its p-value."""
    df = n0 + n1 - 2.0
    return z_of_t(diff / np.sqrt(ss / df * (1.0 / n0 + 1.0 / n1)), df)


def simulate_promising_zone(scenario: Scenario, *, n_sims: int = 100_000, seed: int | None = None,
                            max_factor: float = 2.0, cp_min: float = 0.36,
                            cp_target: float = 0.8) -> PromisingZone:
    """Simulate the scenario's 2-look design with promising-zone re-estimation.

    Parameters
    ----------
    scenario : Scenario
        Two equal arms, ``[interim]`` with 2 looks, a one-sided test, the
        normal model without dropout. ``design.n_per_arm`` is the planned
        total per arm; the first look's share is the first stage.
    n_sims : int
    seed : int, optional
        Default: the scenario's.
    max_factor : float
        The second stage may grow to ``max_factor`` times its planned size.
    cp_min, cp_target : float
        The promising zone (Mehta & Pocock's 0.36 and 0.8 by default).
    """
    _check(scenario, max_factor, cp_min, cp_target)
    if not (isinstance(n_sims, int) and 100 <= n_sims <= MAX_KEPT_TRIALS):
        raise ScenarioError(f"n_sims (--n-sims) = {n_sims!r}: must be an integer in [100, "
                            f"{MAX_KEPT_TRIALS:,}] (every trial is held in memory)")
    design = design_of(scenario)
    n = scenario.design.n_per_arm
    n1, n2 = stage_sizes(scenario)
    n2_max = max(n2, math.floor(max_factor * n2))
    w = (math.sqrt(n1 / n), math.sqrt(n2 / n))
    c1, c2 = (float(c) for c in design.critical_values)
    sign, sd = benefit_sign(scenario), analysis_sd(scenario.pain)
    delta = sign * scenario.pain.effect  # benefit positive
    rng = np.random.default_rng(checked_seed(scenario, seed))
    a0, a1, ss1 = _stage(rng, np.full(n_sims, n1), delta, sd, n_sims)
    z1 = _z_of_t(a1 - a0, ss1, n1, n1)
    m = second_stage_n(z1, n1, n2, n2_max, c2, w, cp_min, cp_target)
    # second stage: its planned patients, then the extra ones (paired with the plan)
    b0, b1, ss2 = _stage(rng, np.full(n_sims, n2), delta, sd, n_sims)
    extra = m - n2
    e0, e1, sse = _stage(rng, extra, delta, sd, n_sims)
    both = n2 + extra
    g0, g1 = (n2 * b0 + extra * e0) / both, (n2 * b1 + extra * e1) / both
    between = n2 * extra / both
    ss_all2 = ss2 + sse + between * ((b0 - e0) ** 2 + (b1 - e1) ** 2)
    first = z1 >= c1
    reject = first | (w[0] * z1 + w[1] * _z_of_t(g1 - g0, ss_all2, both, both) >= c2)
    planned = first | (w[0] * z1 + w[1] * _z_of_t(b1 - b0, ss2, n2, n2) >= c2)
    total = n1 + both
    p0, p1 = (n1 * a0 + both * g0) / total, (n1 * a1 + both * g1) / total
    ss_pool = ss1 + ss_all2 + n1 * both / total * ((a0 - g0) ** 2 + (a1 - g1) ** 2)
    pooled = first | (_z_of_t(p1 - p0, ss_pool, total, total) >= c2)
    patients = np.where(first, 2 * n1, 2 * total).astype(float)
    prob = MonteCarloProbability.from_counts
    return PromisingZone(
        n1=n1, n2_planned=n2, n2_max=n2_max, cp_min=cp_min, cp_target=cp_target,
        critical_values=(c1, c2), weights=w, effect=scenario.pain.effect,
        reject=prob(int(reject.sum()), n_sims), reject_pooled=prob(int(pooled.sum()), n_sims),
        reject_planned=prob(int(planned.sum()), n_sims), stop_first=prob(int(first.sum()), n_sims),
        increased=prob(int(((m > n2) & ~first).sum()), n_sims),
        expected_n=MonteCarloMean.from_samples(patients),
        closed_form=promising_zone_power(delta / sd, n1, n2, n2_max, (c1, c2), w, cp_min,
                                         cp_target, t_tests=True))


#: The largest df at which the first stage's noncentral t density is evaluated (scipy's
#: overflows beyond about 340: its gamma function of df / 2).
PDF_DF_MAX = 300


def _check_zone_power(effect, n1, n2, n2_max, bounds, w, cp_min, cp_target, t_tests,
                      points) -> None:
    """:func:`promising_zone_power`'s arguments (ScenarioError naming the first bad one)."""
    check_number("standardized_effect", effect)
    for name, n in (("n1", n1), ("n2", n2), ("n2_max", n2_max)):
        check_count(name, n, least=2, most=MAX_ARM_SIZE)
    if n2_max < n2:
        raise ScenarioError(f"n2_max = {n2_max}: must be at least n2 = {n2}")
    for name, pair in (("bounds", bounds), ("w", w)):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise ScenarioError(f"{name} = {pair!r}: must be two finite numbers")
        check_number(name, pair, what="two finite numbers")
    check_number("w", w, 0.0, np.inf, closed=False, what="two weights > 0")
    check_number("cp_min", cp_min, 0.0, 1.0, closed=False, what="a probability in (0, 1)")
    check_number("cp_target", cp_target, cp_min, 1.0, closed=False,
                 what=f"a probability in (cp_min = {cp_min!r}, 1)")
    check_flags(t_tests=t_tests)
    check_count("points", points, least=101, most=10**6)


def promising_zone_power(standardized_effect: float, n1: int, n2: int, n2_max: int,
                         bounds: tuple[float, float], w: tuple[float, float], cp_min: float,
                         cp_target: float, *, t_tests: bool = False, points: int = 8001) -> float:
    """P(reject) of the weighted inverse normal test with re-estimation.

    ``P(z1 >= c1) + int_{z1 < c1} f(z1) P(z2 >= (c2 - w1 z1)/w2 | m(z1)) dz1``
    at the second stage's ``m(z1)`` per arm (:func:`second_stage_n`), by the
    trapezoidal rule on a fine grid. z tests: ``z1 ~ N(d sqrt(n1/2), 1)``,
    ``z2 ~ N(d sqrt(m/2), 1)``. ``t_tests``: each stage's z is the normal
    quantile of a Student t test's p-value, so ``f`` is the density of that
    transform of a noncentral t (``df = 2 n1 - 2``, noncentrality ``d
    sqrt(n1/2)``) and the second stage's probability a noncentral t's tail:
    the exact law of what :func:`simulate_promising_zone` simulates. Above
    :data:`PDF_DF_MAX` degrees of freedom (where scipy's noncentral t density
    overflows) the first stage enters through its distribution function:
    the sum runs over the increments of ``P(z1 <= z)`` on the grid.

    Examples
    --------
    >>> w = (math.sqrt(0.5), math.sqrt(0.5))
    >>> round(promising_zone_power(0.0, 100, 100, 200, (2.797, 1.977), w, 0.36, 0.8), 4)
    0.025
    """
    _check_zone_power(standardized_effect, n1, n2, n2_max, bounds, w, cp_min, cp_target,
                      t_tests, points)
    c1, c2 = bounds
    mean1 = standardized_effect * math.sqrt(n1 / 2.0)
    z1 = np.linspace(min(mean1, 0.0) - 9.0, c1, points)
    m = second_stage_n(z1, n1, n2, n2_max, c2, w, cp_min, cp_target)
    need = (c2 - w[0] * z1) / w[1]
    if not t_tests:
        later = special.ndtr(standardized_effect * np.sqrt(m / 2.0) - need)
        dens = np.exp(-0.5 * (z1 - mean1) ** 2) / math.sqrt(2.0 * math.pi)
        first = float(special.ndtr(mean1 - c1))
    else:
        df1 = 2.0 * n1 - 2.0
        t1 = special.stdtrit(df1, special.ndtr(z1))
        df2 = 2.0 * m - 2.0
        later = np.nan_to_num(stats.nct.sf(special.stdtrit(df2, special.ndtr(need)), df2,
                                           standardized_effect * np.sqrt(m / 2.0)))
        first = float(stats.nct.sf(special.stdtrit(df1, special.ndtr(c1)), df1, mean1))
        if df1 > PDF_DF_MAX:  # P(z1 <= z) on the grid; the sum over its increments
            cdf = stats.nct.cdf(t1, df1, mean1)  # NaN far in its lower tail: 1 - sf there
            cdf = np.where(np.isnan(cdf), 1.0 - stats.nct.sf(t1, df1, mean1), cdf)
            return first + float(np.sum((later[1:] + later[:-1]) * np.diff(cdf)) / 2.0)
        phi = np.exp(-0.5 * z1 * z1) / math.sqrt(2.0 * math.pi)
        with np.errstate(all="ignore"):  # far in a tail both vanish: 0, not 0/0
            dens = np.nan_to_num(stats.nct.pdf(t1, df1, mean1) * phi / stats.t.pdf(t1, df1))
    f = dens * later
    return first + float(np.sum((f[1:] + f[:-1]) * np.diff(z1)) / 2.0)
