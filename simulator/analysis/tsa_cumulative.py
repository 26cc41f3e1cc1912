"""A trial sequential analysis of studies in order: the cumulative meta-analysis and its bounds.

Look k is the meta-analysis of the first k studies (the existing studies in
order, then each new trial), fitted by
:func:`simulator.analysis.metaanalysis.meta_analyse`. Its statistic is the
pooled estimate over its SE: a Z, or with HKSJ a t with k - 1 degrees of
freedom (a single study is always a Z). Its information is, by choice:

* ``"fixed"`` (default): the cumulative fixed-effect information ``sum 1 /
  v_i``, the inverse-variance analogue of the TSA software's accumulated
  participants; compare it with a heterogeneity-adjusted RIS (DARIS or the
  I^2-adjusted RIS of :mod:`simulator.analysis.information_size`);
* ``"random"``: ``1 / V_R``, the information of the look's own random-effects
  fit, against the unadjusted RIS. It can fall when a new study raises the
  tau^2 estimate, and a group-sequential test needs it to grow: that is a
  named error.

The boundaries come from :func:`simulator.analysis.tsa.tsa_boundaries`; a t
statistic is compared with them at the same nominal level
(:func:`simulator.analysis.tsa.boundary_quantile`). Arrays in, arrays out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import ScenarioError
from .metaanalysis import Method, meta_analyse
from .tsa import TSABoundaries, boundary_quantile, tsa_adjusted_ci, tsa_boundaries

__all__ = ["TrialSequentialAnalysis", "trial_sequential_analysis"]


@dataclass(frozen=True, slots=True)
class TrialSequentialAnalysis:
    """A trial sequential analysis of a cumulative meta-analysis, one entry a look.

    Attributes
    ----------
    boundaries : TSABoundaries
        The boundaries on the Z scale, with the information and the RIS.
    estimate, se : ndarray
        Pooled estimate and SE of each look's meta-analysis.
    statistic : ndarray
        ``estimate / se`` (a Z, or a t with HKSJ).
    df : ndarray
        Degrees of freedom of each statistic (``inf`` for a Z).
    critical_values, futility_bounds : ndarray
        The boundaries moved to each statistic's scale (equal to the Z-scale
        ones for a Z); NaN futility where there is none.
    crossed : tuple of str
        Per look: ``"benefit"`` or ``"harm"`` (an efficacy boundary crossed in
        that direction), ``"futility"``, or ``""``.
    adjusted_ci : tuple of float
        The TSA-adjusted CI at the last look.
    ci : tuple of float
        The last look's plain CI (``1 - alpha``, normal or t).
    benefit_sign : int
        -1 when a negative effect is a benefit (the project's convention).
    """

    boundaries: TSABoundaries
    estimate: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    df: np.ndarray
    critical_values: np.ndarray
    futility_bounds: np.ndarray
    crossed: tuple[str, ...]
    adjusted_ci: tuple[float, float]
    ci: tuple[float, float]
    benefit_sign: int

    def to_dict(self) -> dict:
        """JSON-ready values (lists for arrays; the boundaries as a nested dictionary)."""
        out = {}
        for name in self.__slots__:
            value = getattr(self, name)
            out[name] = (value.to_dict() if isinstance(value, TSABoundaries) else
                         value.tolist() if isinstance(value, np.ndarray) else
                         list(value) if isinstance(value, tuple) else value)
        out["first_crossing"] = self.first_crossing
        return out

    @property
    def first_crossing(self) -> int | None:
        """The index of the first look that crossed a boundary (None if none did)."""
        hits = [k for k, c in enumerate(self.crossed) if c]
        return hits[0] if hits else None


def _looks(y, v, method, hksj, tau2, alpha):
    """Each look's (estimate, se, df, fixed information, random information, ci)."""
    rows = []
    for k in range(1, y.size + 1):
        t2 = None if tau2 is None else tau2
        fit = meta_analyse(y[:k], v=v[:k], method=method, hksj=hksj and k > 1, alpha=alpha,
                           tau2=t2)
        w = 1.0 / (v[:k] + float(fit.tau2))
        rows.append((float(fit.estimate), float(fit.se), k - 1.0 if hksj and k > 1 else np.inf,
                     float(np.sum(1.0 / v[:k])), float(np.sum(w)),
                     (float(fit.ci_low), float(fit.ci_high))))
    return rows


def _crossed(stat, crit, fut, sided, benefit_sign) -> tuple[str, ...]:
    out = []
    for z, c, a in zip(benefit_sign * stat, crit, fut, strict=True):
        if z >= c:
            out.append("benefit")
        elif sided == 2 and -z >= c:
            out.append("harm")
        elif not np.isnan(a) and (abs(z) < a if sided == 2 else z <= a):
            out.append("futility")
        else:
            out.append("")
    return tuple(out)


def trial_sequential_analysis(y, se, required_information: float, *,
                              information: Literal["fixed", "random"] = "fixed",
                              method: Method = "dl", hksj: bool = False, tau2=None,
                              benefit_sign: int = -1, alpha: float = 0.05, beta: float = 0.1,
                              sided: int = 2, alpha_spending: str = "asOF",
                              beta_spending: str | None = None, binding: bool = False,
                              gamma_a: float | None = None, gamma_b: float | None = None,
                              grid_points: int = 32) -> TrialSequentialAnalysis:
    """Monitor a cumulative meta-analysis of ``y`` (in order) against TSA boundaries.

    Parameters
    ----------
    y, se : array_like, shape (k,)
        Study estimates and standard errors, in the order they arrived.
    required_information : float
        The RIS in the units of ``information`` (inverse variance).
    information : {"fixed", "random"}
        Cumulative fixed-effect information (against a DARIS or I^2-adjusted
        RIS) or each look's random-effects information (against the RIS).
    method, hksj, tau2
        As in :func:`simulator.analysis.metaanalysis.meta_analyse`.
    benefit_sign : {-1, 1}
        The sign of a beneficial effect; a one-sided design monitors benefit.
    alpha, beta, sided, alpha_spending, beta_spending, binding, gamma_a, gamma_b, grid_points
        The design, as in :func:`simulator.analysis.tsa.tsa_boundaries`.

    Returns
    -------
    TrialSequentialAnalysis

    Examples
    --------
    >>> tsa = trial_sequential_analysis([-1.2, -0.4, -2.1, 0.3, -0.9],
    ...                                 [0.5, 0.7, 0.9, 0.6, 0.4], 18.0)
    >>> tsa.boundaries.fractions.round(3).tolist()
    [0.222, 0.336, 0.404, 0.559, 0.906]
    >>> tsa.crossed, [round(x, 3) for x in tsa.adjusted_ci]
    (('', '', '', '', 'benefit'), [-1.487, -0.094])
    """
    y = np.asarray(y, float)
    v = np.asarray(se, float) ** 2
    if y.ndim != 1 or y.shape != v.shape:
        raise ScenarioError(f"y, se: must be two sequences of the same length (got shapes "
                            f"{y.shape} and {v.shape})")
    if information not in ("fixed", "random"):
        raise ScenarioError(f"information = {information!r}: must be 'fixed' or 'random'")
    if benefit_sign not in (-1, 1) or isinstance(benefit_sign, bool):
        raise ScenarioError(f"benefit_sign = {benefit_sign!r}: must be -1 or 1")
    rows = _looks(y, v, method, hksj, tau2, alpha)
    estimate, se_k, df, fixed, random = (np.array([r[i] for r in rows]) for i in range(5))
    info = fixed if information == "fixed" else random
    if np.any(np.diff(info) <= 0.0):
        raise ScenarioError(f"information = 'random': the random-effects information "
                            f"{np.round(info, 6).tolist()} does not grow at every look (a new "
                            "study raised tau^2); use information = 'fixed' with an adjusted RIS")
    bounds = tsa_boundaries(info, required_information, alpha=alpha, beta=beta, sided=sided,
                            alpha_spending=alpha_spending, beta_spending=beta_spending,
                            binding=binding, gamma_a=gamma_a, gamma_b=gamma_b,
                            grid_points=grid_points)
    scale = np.where(np.isfinite(df), df, np.inf)
    crit = boundary_quantile(bounds.critical_values, scale)
    fut = np.where(np.isnan(bounds.futility_bounds), np.nan,
                   boundary_quantile(np.nan_to_num(bounds.futility_bounds), scale))
    statistic = estimate / se_k
    low, high = tsa_adjusted_ci(estimate[-1], se_k[-1], bounds.critical_values[-1],
                                None if np.isinf(df[-1]) else df[-1])
    for x in (estimate, se_k, statistic, df, crit, fut):
        x.setflags(write=False)
    return TrialSequentialAnalysis(bounds, estimate, se_k, statistic, df, crit, fut,
                                   _crossed(statistic, crit, fut, sided, benefit_sign),
                                   (float(low), float(high)), rows[-1][5], benefit_sign)
