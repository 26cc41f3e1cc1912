"""EVSI from the engine's simulated futures: the regression estimator and the closed form.

Each simulated future draws the true parameters from the priors on the
``prior`` stream, exactly as the assurance pass does (:class:`DrawFutures`:
with one new trial the futures *are* assurance's trials: the same effects,
the same data on the same ``data`` stream), then ``k`` new trials of the
scenario's full design (dropout, estimand, bounded scores) that share the
future's true values. :class:`ValueCollector` keeps, per future, the net
benefit at the true values and the trials' summary statistics: the
inverse-variance pooled estimate and its SE, and each weighted adverse
event's pooled proportions per arm.

The regression estimator (Strong, Oakley, Brennan & Breeze 2015, Med Decis
Making 35:570) fits E[INB | summary] by least squares on a fixed basis (a
linear, quadratic or cubic polynomial in the standardised estimate,
its SE and each weighted adverse event's proportions per arm, the one of
least BIC summed over the grid's sizes, so one basis draws the whole curve:
a stand-in for their GAM's choice of smoothness), then

    EVSI = mean_i max(g_i, 0) - max(mean_i g_i, 0)

over the futures' fitted values ``g_i``. Its Monte Carlo SE adds the
spread of ``max(g_i, 0)`` over the futures and the coefficients' sampling
variance through the delta method. Futures whose trials all failed to give
an estimate take the mean net benefit of such futures.

Where the model is normal-normal (a normal prior on the effect, the
follow-up or change score analysed on the aggregate path with no dropout,
no uncertain weighted adverse event) the preposterior distribution of the
posterior mean net benefit is normal with SD ``value_per_point * s^2 /
sqrt(s^2 + v / k)`` (``v`` the estimate's sampling variance), and EVSI is
its unit normal loss integral (:func:`closed_evsi`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._lazy import special
from ..engine.kernel import ChunkContext
from ..engine.sample import TrialSample
from ..models.parameters import TrialParameters, effect_prior
from ..spec import Scenario
from .decisions import decide_primary
from .value_model import net_benefit, normal_evpi, prior_mean_inb, uncertain_events

__all__ = ["DrawFutures", "ValueCollector", "Futures", "choose_degree", "RegressionEVSI",
           "regression_evsi", "fitted_values", "bootstrap_evsi",
           "closed_evsi", "closed_p_change", "estimate_variance", "closed_form_reason"]


@dataclass(frozen=True, slots=True)
class DrawFutures:
    """Per future, one draw of the true parameters, shared by its ``k`` trials."""

    scenario: Scenario
    k: int

    def __call__(self, rng: np.random.Generator, n: int) -> TrialParameters:
        p = TrialParameters.draw(self.scenario, n, rng)
        if self.k == 1:
            return p
        rep = (lambda v: v if np.isscalar(v) else np.repeat(v, self.k))
        return TrialParameters(effect=rep(p.effect),
                               active_risk={k: rep(v) for k, v in p.active_risk.items()})


@dataclass(frozen=True, slots=True)
class ValueCollector:
    """Per future: the net benefit at the true values and the trials' summaries.

    The values are tuples of arrays, which the kernel concatenates block by
    block (in block order), so each grid size gets every future in order.
    """

    scenario: Scenario
    k: int

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        n, k = chunk.n_sims, self.k
        params = chunk.params
        effect = np.broadcast_to(params.effect, (n * k,))[::k]
        risks = {name: np.broadcast_to(v, (n * k,))[::k] for name, v in params.active_risk.items()}
        est = sample.primary.estimate.reshape(n, k)
        se = sample.primary.se.reshape(n, k)
        valid = sample.primary.valid.reshape(n, k) & np.isfinite(se) & (se > 0)
        w = np.where(valid, 1.0 / np.where(valid, se, 1.0) ** 2, 0.0)
        total = w.sum(axis=1)
        ok = total > 0
        safe = np.where(ok, total, 1.0)
        pooled = np.where(ok, (w * np.where(valid, est, 0.0)).sum(axis=1) / safe, np.nan)
        out: dict[str, Any] = {
            "inb": (np.asarray(net_benefit(self.scenario, effect, risks), dtype=float),),
            "est": (pooled,), "se": (np.where(ok, 1.0 / np.sqrt(safe), np.nan),),
            "benefit": int(decide_primary(self.scenario, sample).reject_benefit.sum())}
        exposed = sample.ae_exposed
        for ae in uncertain_events(self.scenario):
            for arm, label in ((1, "active"), (0, "placebo")):
                events = np.asarray(sample.ae_counts[ae.name][arm]).reshape(n, k).sum(axis=1)
                size = (np.asarray(exposed[arm]).reshape(n, k).sum(axis=1)
                        if exposed is not None else chunk.sizes[arm] * k)
                out[f"ae:{ae.name}:{label}"] = (events / size,)
        return out


def _bases(columns: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Nested design matrices, linear to cubic (rows: futures with an estimate)."""
    def z(x):
        sd = x.std() if x.size > 1 else 0.0
        return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)
    e, s = z(columns["est"]), z(columns["se"])
    events = [z(x) for name, x in columns.items() if name.startswith("ae:")]
    linear = [np.ones_like(e), e, s, *events]
    quadratic = linear + [e * e, e * s] + [x * x for x in events]
    return [np.column_stack(linear), np.column_stack(quadratic),
            np.column_stack(quadratic + [e ** 3])]


@dataclass(frozen=True, slots=True)
class Futures:
    """One grid size's futures: net benefits and the candidate design matrices.

    Attributes
    ----------
    inb : ndarray
        Net benefit at each future's true values.
    ok : ndarray of bool
        Futures with an estimate (the others take the mean INB of their kind).
    bases : list of ndarray
        Linear, quadratic and cubic design matrices of the ``ok`` futures.
    """

    inb: np.ndarray
    ok: np.ndarray
    bases: list[np.ndarray]

    @classmethod
    def of(cls, counts: dict[str, Any]) -> Futures:
        """From the collector's totals at one size."""
        inb = np.concatenate(counts["inb"])
        columns = {name: np.concatenate(v) for name, v in counts.items()
                   if name in ("est", "se") or name.startswith("ae:")}
        ok = np.isfinite(columns["est"])
        return cls(inb, ok, _bases({name: v[ok] for name, v in columns.items()}))

    def bic(self, degree: int) -> float:
        """BIC of the least-squares fit of one basis (1 linear, 2 quadratic, 3 cubic)."""
        x, y = self.bases[degree - 1], self.inb[self.ok]
        if y.size <= x.shape[1]:
            return math.inf
        xty = x.T @ y
        try:  # the normal equations: cheap, and exact enough to rank three bases
            beta = np.linalg.solve(x.T @ x, xty)
        except np.linalg.LinAlgError:
            beta = np.linalg.lstsq(x, y, rcond=None)[0]
        rss = float(((y - x @ beta) ** 2).sum())
        return y.size * math.log(max(rss, 1e-300) / y.size) + x.shape[1] * math.log(y.size)


def choose_degree(grid: list[Futures]) -> int:
    """The basis of least BIC summed over the grid's sizes: one basis for the whole curve."""
    return min((1, 2, 3), key=lambda d: (sum(f.bic(d) for f in grid), d))


@dataclass(frozen=True, slots=True)
class RegressionEVSI:
    """The regression estimator at one size.

    Attributes
    ----------
    evsi, se : float
        Per treated patient, and its Monte Carlo SE.
    fitted : ndarray
        E[INB | the future's data] per future.
    p_change : float
        The share of futures whose data change the decision (the sign of the
        fitted net benefit differs from that of the prior mean).
    degree : int
        The basis: 1 linear, 2 quadratic, 3 cubic.
    """

    evsi: float
    se: float
    fitted: np.ndarray
    p_change: float
    degree: int


def fitted_values(f: Futures, degree: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fitted E[INB | data] per future, by least squares.

    Returns the fitted values, the coefficients and the design matrix of the
    futures with an estimate (a bootstrap resample's fit is
    :func:`bootstrap_evsi`'s, vectorised over the resamples).
    """
    ok, x = f.ok, f.bases[degree - 1]
    w = np.ones(f.inb.size)  # (the weights of one future each, as bootstrap_evsi's counts)
    if (w[ok] > 0).sum() <= x.shape[1]:  # too few estimates to learn from: no information
        return np.full(f.inb.size, w @ f.inb / w.sum()), np.zeros(x.shape[1]), x
    wx = x * w[ok][:, None]
    try:
        beta = np.linalg.solve(wx.T @ x, wx.T @ f.inb[ok])
    except np.linalg.LinAlgError:  # a constant summary (a column of zeros)
        beta = np.linalg.lstsq(wx.T @ x, wx.T @ f.inb[ok], rcond=None)[0]
    bad = ~ok
    rest = (w[bad] @ f.inb[bad] / w[bad].sum() if (w[bad] > 0).any()
            else w @ f.inb / w.sum())
    fitted = np.full(f.inb.size, rest)
    fitted[ok] = x @ beta
    return fitted, beta, x


def bootstrap_evsi(f: Futures, degree: int, counts: np.ndarray) -> np.ndarray:
    """EVSI of each bootstrap resample, the regression refitted on it (vectorised).

    Parameters
    ----------
    f : Futures
    degree : int
    counts : ndarray of shape (resamples, futures)
        How often each future is drawn in each resample.
    """
    ok, x = f.ok, f.bases[degree - 1]
    n, p = f.inb.size, x.shape[1]
    if ok.sum() <= p:
        return np.zeros(counts.shape[0])
    w_ok, w_bad = counts[:, ok], counts[:, ~ok]
    upper = np.triu_indices(p)  # the Gram matrix is symmetric: its upper triangle
    gram = np.zeros((counts.shape[0], p, p))
    gram[:, upper[0], upper[1]] = w_ok @ (x[:, upper[0]] * x[:, upper[1]])
    gram = gram + np.triu(gram, 1).transpose(0, 2, 1)
    xtwy = w_ok @ (x * f.inb[ok][:, None])
    try:
        beta = np.linalg.solve(gram, xtwy[..., None])[..., 0]
    except np.linalg.LinAlgError:
        beta = (np.linalg.pinv(gram) @ xtwy[..., None])[..., 0]
    fitted = beta @ np.ascontiguousarray(x.T)  # (resamples, ok futures)
    bad_n = w_bad.sum(axis=1)
    rest = np.where(bad_n > 0, w_bad @ f.inb[~ok] / np.maximum(bad_n, 1.0),
                    counts @ f.inb / n)
    mean = (np.einsum("bn,bn->b", w_ok, fitted) + bad_n * rest) / n
    high = (np.einsum("bn,bn->b", w_ok, np.maximum(fitted, 0.0))
            + bad_n * np.maximum(rest, 0.0)) / n
    return high - np.maximum(mean, 0.0)


def regression_evsi(f: Futures, degree: int, prior_mean: float) -> RegressionEVSI:
    """EVSI by regression on the futures' summaries (see the module docstring)."""
    fitted, beta, x = fitted_values(f, degree)
    n, ok = f.inb.size, f.ok
    mean = fitted.mean()
    gain = np.maximum(fitted, 0.0) - (fitted if mean > 0 else 0.0)
    resid = f.inb[ok] - x @ beta
    dof = max(ok.sum() - x.shape[1], 1)
    cov = (resid @ resid / dof) * np.linalg.pinv(x.T @ x)
    grad = (x * ((fitted[ok] > 0).astype(float) - float(mean > 0))[:, None]).sum(axis=0) / n
    var = gain.var(ddof=1) / n + float(grad @ cov @ grad)
    return RegressionEVSI(evsi=float(gain.mean()), se=math.sqrt(max(var, 0.0)), fitted=fitted,
                          p_change=float(((fitted > 0) != (prior_mean > 0)).mean()),
                          degree=degree)


def closed_form_reason(scenario: Scenario) -> str | None:
    """Why the normal-normal closed form does not apply (None where it does)."""
    s, pain = scenario, scenario.pain
    checks = (
        (effect_prior(pain) is None, "the effect is fixed"),
        (bool(uncertain_events(s)), "a weighted adverse event's risk ratio is uncertain"),
        (s.design.kind != "parallel" or len(s.design.arms) != 2,
         "not a parallel two-arm design"),
        (pain.analysis not in ("followup", "change"),
         f"the {pain.analysis} analysis (the closed form is for follow-up or change scores)"),
        (s.dropout.rate > 0 or bool(s.dropout.after_ae), "dropout"),
        (s.interim is not None, "interim looks"),
        (pain.unblinding_ae is not None, "functional unblinding"),
        (pain.bounded, "bounded, rounded scores"),
        (pain.inclusion_min is not None or pain.inclusion_max is not None,
         "an inclusion range on the baseline"),
        (s.analysis.estimand != "hypothetical", f"the {s.analysis.estimand} estimand"),
    )
    reasons = [why for failed, why in checks if failed]
    return None if not reasons else "not normal-normal: " + ", ".join(reasons)


def estimate_variance(scenario: Scenario) -> float | None:
    """The estimate's exact sampling variance where the model is normal-normal, else None."""
    if closed_form_reason(scenario) is not None:
        return None
    s, pain = scenario, scenario.pain
    var = pain.sd ** 2
    if pain.analysis == "change":
        var += pain.baseline_sd ** 2 - 2 * pain.correlation * pain.sd * pain.baseline_sd
    n0, n1 = s.design.group_sizes
    return var * (1.0 / n0 + 1.0 / n1)


def _preposterior_sd(scenario: Scenario, k: int) -> float | None:
    v = estimate_variance(scenario)
    if v is None:
        return None
    s2 = effect_prior(scenario.pain).sd ** 2
    return scenario.decision.value_per_point * s2 / math.sqrt(s2 + v / k)


def closed_evsi(scenario: Scenario, k: int = 1) -> float | None:
    """The normal-normal preposterior EVSI per patient, or None where it does not apply."""
    sd = _preposterior_sd(scenario, k)
    return None if sd is None else normal_evpi(prior_mean_inb(scenario), sd)


def closed_p_change(scenario: Scenario, k: int = 1) -> float | None:
    """P(the posterior mean net benefit crosses 0), normal-normal, or None."""
    sd = _preposterior_sd(scenario, k)
    if sd is None:
        return None
    return float(special.ndtr(-abs(prior_mean_inb(scenario)) / sd)) if sd > 0 else 0.0
