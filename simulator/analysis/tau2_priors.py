"""Distributions of the between-study variance tau^2 for the futures, with quadrature.

Three kinds, each a frozen value with ``draw(rng, size)``, ``cdf(tau2)`` and
``nodes(n)`` (quadrature nodes and weights, so that ``sum w f(tau2)``
approximates ``E f(tau2)``; :func:`expect_over_tau2`):

* :class:`QProfileTau2`, the **generalised Q-profile distribution** of an
  existing meta-analysis (Bowden, Tierney, Copas & Burdett 2011, BMC Med Res
  Methodol 11:41; Jackson 2013, Stat Med): draw ``X ~ chi2(k - 1)`` and solve
  ``Q(tau2) = X`` for the generalised Q of :mod:`simulator.analysis.tau2`
  (tau^2 = 0 when ``Q(0) <= X``). Its quantiles are the Q-profile points: the
  median is the tau^2 where Q is the median of chi2(k - 1), and ``P(tau2 <=
  s) = P(X >= Q(s))``; it has an atom ``P(X >= Q(0))`` at 0.
  (:func:`draw_tau2_qprofile` is the plain function.)
* :class:`LogNormalTau2`: ``ln tau2 ~ N(mu, sigma^2)``, given by the user or
  the empirical priors of Turner et al. (2015) (:func:`turner_prior`).
* :class:`LogTTau2`: ``ln tau2 = location + scale T_df``, the form of the
  empirical priors of Rhodes, Turner & Higgins (2015) for standardized mean
  differences (:func:`rhodes_prior`, 5 df).

**Scales.** Turner et al.'s priors are for tau^2 of **log odds ratios**;
Rhodes et al.'s for tau^2 of **standardized mean differences**. A mean
difference in NRS points has ``tau2_MD = SD^2 tau2_SMD``: ``rescaled(sd**2)``
adds ``ln SD^2`` to the location. The project's pain outcome (an MD in NRS
points) therefore takes :func:`rhodes_prior` rescaled by the SD of the
scores; a responder or adverse-event analysis on the log-OR scale can take
:func:`turner_prior` (on the log risk ratio scale it is an approximation
that neither paper gives).

Quadrature: Gauss-Hermite on ``ln tau2`` for the log-normal (exact for
polynomials in ``ln tau2`` up to degree ``2n - 1``); Gauss-Legendre on the
probability scale for the log-t and on the continuous part of the Q-profile
distribution (plus its atom at 0). The planning layer can so compare a
simulated P(conclusive) with the conditional power integrated over tau^2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._lazy import stats
from ..errors import ScenarioError
from .tau2 import generalized_q, studies_iv, tau2_for_q

__all__ = ["LogNormalTau2", "LogTTau2", "QProfileTau2", "draw_tau2_qprofile",
           "turner_prior", "rhodes_prior", "expect_over_tau2", "TURNER_PHARMA_PLACEBO",
           "RHODES_PHARMA_PLACEBO"]


def _finite(value, name: str, positive: bool = False) -> float:
    ok = (not isinstance(value, bool) and isinstance(value, (int, float, np.floating))
          and math.isfinite(value) and (value > 0.0 or not positive))
    if not ok:
        raise ScenarioError(f"{name} = {value!r}: must be a finite number"
                            + (" > 0" if positive else ""))
    return float(value)


def _size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ScenarioError(f"size = {size!r}: must be an integer >= 1")
    return int(size)


def _legendre(n: int, a: float, b: float):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= 1000:
        raise ScenarioError(f"n = {n!r}: must be an integer in [2, 1000]")
    x, w = np.polynomial.legendre.leggauss(int(n))
    return a + 0.5 * (b - a) * (x + 1.0), 0.5 * (b - a) * w


@dataclass(frozen=True, slots=True)
class LogNormalTau2:
    """``ln tau2 ~ N(mu, sigma^2)`` (median ``exp(mu)``, mean ``exp(mu + sigma^2 / 2)``).

    Examples
    --------
    >>> prior = LogNormalTau2(-1.83, 1.52)
    >>> round(prior.median, 4), round(prior.rescaled(2.5 ** 2).median, 4)
    (0.1604, 1.0026)
    """

    mu: float
    sigma: float
    source: str = "user"

    def __post_init__(self):
        _finite(self.mu, "mu")
        _finite(self.sigma, "sigma", positive=True)

    @property
    def median(self) -> float:
        return math.exp(self.mu)

    def rescaled(self, factor: float) -> LogNormalTau2:
        """The distribution of ``factor x tau2`` (e.g. ``SD^2``: SMD to MD)."""
        factor = _finite(factor, "factor", positive=True)
        return LogNormalTau2(self.mu + math.log(factor), self.sigma,
                             f"{self.source} x {factor:g}")

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.exp(self.mu + self.sigma * rng.standard_normal(_size(size)))

    def cdf(self, tau2) -> np.ndarray:
        tau2 = np.asarray(tau2, float)
        with np.errstate(divide="ignore"):
            return stats.norm.cdf((np.log(np.maximum(tau2, 0.0)) - self.mu) / self.sigma)

    def nodes(self, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
        """Gauss-Hermite nodes on ``ln tau2`` and weights summing to 1."""
        _legendre(n, 0.0, 1.0)  # checks n
        x, w = np.polynomial.hermite.hermgauss(int(n))
        return np.exp(self.mu + math.sqrt(2.0) * self.sigma * x), w / math.sqrt(math.pi)


@dataclass(frozen=True, slots=True)
class LogTTau2:
    """``ln tau2 = location + scale T`` with ``T ~ t(df)`` (Rhodes et al. 2015 use 5 df).

    Its mean is infinite (a log-t has no exponential moments): integrate
    bounded quantities (probabilities) over it.

    Examples
    --------
    >>> prior = LogTTau2(-3.16, 2.50)
    >>> round(prior.median, 5)
    0.04243
    """

    location: float
    scale: float
    df: float = 5.0
    source: str = "user"

    def __post_init__(self):
        _finite(self.location, "location")
        _finite(self.scale, "scale", positive=True)
        _finite(self.df, "df", positive=True)

    @property
    def median(self) -> float:
        return math.exp(self.location)

    def rescaled(self, factor: float) -> LogTTau2:
        """The distribution of ``factor x tau2`` (e.g. ``SD^2``: SMD to MD)."""
        factor = _finite(factor, "factor", positive=True)
        return LogTTau2(self.location + math.log(factor), self.scale, self.df,
                        f"{self.source} x {factor:g}")

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.exp(self.location + self.scale * rng.standard_t(self.df, _size(size)))

    def cdf(self, tau2) -> np.ndarray:
        tau2 = np.asarray(tau2, float)
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(tau2, 0.0)) - self.location) / self.scale
        return stats.t.cdf(z, self.df)

    def nodes(self, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Gauss-Legendre nodes on the probability scale, weights summing to 1."""
        u, w = _legendre(n, 0.0, 1.0)
        return np.exp(self.location + self.scale * stats.t.ppf(u, self.df)), w


@dataclass(frozen=True, slots=True)
class QProfileTau2:
    """The generalised Q-profile distribution of tau^2 for studies ``y`` with variances ``v``.

    ``tau2 = Q^{-1}(X)``, ``X ~ chi2(k - 1)``, and 0 when ``Q(0) <= X``
    (Bowden et al. 2011; Jackson 2013). ``y`` and ``v`` are kept as tuples.

    Examples
    --------
    >>> d = QProfileTau2((-1.2, -0.4, -2.1, 0.3, -0.9), (0.25, 0.49, 0.81, 0.36, 0.16))
    >>> round(d.median, 6), round(d.atom, 6)
    (0.420097, 0.16628)
    """

    y: tuple
    v: tuple

    def __post_init__(self):
        y, v = studies_iv(self.y, v=self.v)
        object.__setattr__(self, "y", tuple(float(x) for x in y))
        object.__setattr__(self, "v", tuple(float(x) for x in v))

    @property
    def k(self) -> int:
        return len(self.y)

    @property
    def q0(self) -> float:
        """Cochran's Q, ``Q(0)``."""
        return float(generalized_q(0.0, self.y, self.v))

    @property
    def atom(self) -> float:
        """``P(tau2 = 0) = P(chi2(k - 1) >= Q(0))``."""
        return float(stats.chi2.sf(self.q0, self.k - 1))

    @property
    def median(self) -> float:
        """The Q-profile point where ``Q`` equals the median of chi2(k - 1)."""
        return self.quantile(0.5)

    def quantile(self, p) -> np.ndarray | float:
        """``tau2`` at probability ``p``: ``Q^{-1}(chi2_{k-1, 1-p})`` (0 inside the atom)."""
        p = np.asarray(p, float)
        out = tau2_for_q(stats.chi2.isf(p, self.k - 1), self.y, self.v)
        return float(out) if out.ndim == 0 else out

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return tau2_for_q(rng.chisquare(self.k - 1, _size(size)), self.y, self.v)

    def cdf(self, tau2) -> np.ndarray:
        tau2 = np.asarray(tau2, float)
        inside = stats.chi2.sf(generalized_q(np.maximum(tau2, 0.0), self.y, self.v), self.k - 1)
        return np.where(tau2 < 0.0, 0.0, inside)

    def nodes(self, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """The atom at 0, then Gauss-Legendre on the probability scale of its continuous part."""
        top = 1.0 - self.atom  # P(tau2 > 0) = P(X < Q(0))
        u, w = _legendre(n, 0.0, top)
        tau2 = tau2_for_q(stats.chi2.ppf(u, self.k - 1), self.y, self.v)
        return np.concatenate([[0.0], tau2]), np.concatenate([[self.atom], w])


def draw_tau2_qprofile(y, v, rng: np.random.Generator, size: int) -> np.ndarray:
    """Draws of tau^2 from the generalised Q-profile distribution (Bowden et al. 2011).

    Each draw inverts the generalised Q statistic at a chi-square(k - 1)
    draw; 0 when ``Q(0)`` is below it.

    Parameters
    ----------
    y, v : array_like, shape (k,)
        Study estimates and within-study variances (k >= 2).
    rng : numpy.random.Generator
    size : int

    Examples
    --------
    >>> draws = draw_tau2_qprofile([-1.2, -0.4, -2.1, 0.3, -0.9],
    ...                            [0.25, 0.49, 0.81, 0.36, 0.16],
    ...                            np.random.default_rng(1), 20000)
    >>> round(float(np.median(draws)), 2)
    0.43
    """
    return QProfileTau2(tuple(np.asarray(y, float)), tuple(np.asarray(v, float))).draw(rng, size)


#: Turner et al. (2015), Stat Med 34:984-998, Table IV, "pharmacological vs placebo /
#: control" column: ``(mu, sigma)`` of ``ln tau2`` for log odds ratios, by outcome type.
#: Transcribed from the R package bayesmeta (``TurnerEtAlPrior``), which cites Table IV;
#: not checked here against the printed table.
TURNER_PHARMA_PLACEBO = {
    "all-cause mortality": (-3.95, 1.34),
    "obstetric outcomes": (-3.52, 1.74),
    "cause-specific mortality / major morbidity event / composite": (-3.71, 1.74),
    "resource use / hospital stay / process": (-2.34, 1.74),
    "surgical / device related success / failure": (-2.14, 1.74),
    "withdrawals / drop-outs": (-2.99, 1.74),
    "internal / structure-related outcomes": (-2.71, 1.74),
    "general physical health indicators": (-2.29, 1.53),
    "adverse events": (-1.87, 1.52),
    "infection / onset of new disease": (-2.49, 1.52),
    "signs / symptoms reflecting continuation / end of condition": (-2.06, 1.51),
    "pain": (-1.83, 1.52),
    "quality of life / functioning (dichotomized)": (-2.54, 1.54),
    "mental health indicators": (-2.12, 1.53),
    "biological markers (dichotomized)": (-1.77, 1.52),
    "subjective outcomes (various)": (-2.70, 1.52),
}

#: Rhodes, Turner & Higgins (2015), J Clin Epidemiol 68:52-60, Table 3, "pharmacological vs
#: placebo / control", medical areas other than respiratory and cancer: ``(location, scale)``
#: of the log-t (5 df) distribution of ``ln tau2`` for standardized mean differences.
#: Transcribed from the R package bayesmeta (``RhodesEtAlPrior``), which cites Table 3; not
#: checked here against the printed table. "any" is the general setting (-3.44, 2.59).
RHODES_PHARMA_PLACEBO = {
    "any": (-3.44, 2.59),
    "obstetric outcome": (-4.13, 2.34),
    "resource use and hospital stay / process": (-2.55, 2.73),
    "internal and external structure-related outcome": (-2.43, 2.50),
    "general physical health and adverse event and pain and quality of life / functioning":
        (-3.16, 2.50),
    "signs / symptoms reflecting continuation / end of condition and infection / onset of "
    "new acute / chronic disease": (-3.00, 2.50),
    "mental health outcome": (-2.99, 2.16),
    "biological marker": (-3.41, 2.83),
    "various subjectively measured outcomes": (-2.76, 2.58),
}


def turner_prior(outcome: str = "pain") -> LogNormalTau2:
    """Turner et al.'s (2015) log-normal prior for tau^2 of a **log odds ratio**.

    Pharmacological vs placebo / control (Table IV); ``outcome`` is a key of
    :data:`TURNER_PHARMA_PLACEBO` (``"pain"``: ``ln tau2 ~ N(-1.83, 1.52^2)``,
    median tau^2 0.16; ``"subjective outcomes (various)"``: ``N(-2.70,
    1.52^2)``). The values are as the R package bayesmeta transcribes them
    (not verified against the printed table here). The scale is the log odds
    ratio: not a mean difference, and only approximately a log risk ratio.

    Examples
    --------
    >>> turner_prior("pain")
    LogNormalTau2(mu=-1.83, sigma=1.52, source='Turner 2015 Table IV: pain (log OR)')
    """
    if outcome not in TURNER_PHARMA_PLACEBO:
        raise ScenarioError(f"outcome = {outcome!r}: must be one of "
                            f"{', '.join(map(repr, TURNER_PHARMA_PLACEBO))}")
    mu, sigma = TURNER_PHARMA_PLACEBO[outcome]
    return LogNormalTau2(mu, sigma, f"Turner 2015 Table IV: {outcome} (log OR)")


def rhodes_prior(outcome: str = "general physical health and adverse event and pain and "
                 "quality of life / functioning", sd: float | None = None) -> LogTTau2:
    """Rhodes et al.'s (2015) log-t(5) prior for tau^2 of a **standardized mean difference**.

    Pharmacological vs placebo / control (Table 3); pain falls in "general
    physical health and adverse event and pain and quality of life /
    functioning": ``ln tau2_SMD = -3.16 + 2.50 T_5``. With ``sd`` (the SD of
    the outcome, e.g. of NRS scores) the prior is moved to the mean-difference
    scale, ``tau2_MD = sd^2 tau2_SMD``. Values as transcribed by the R
    package bayesmeta (not verified against the printed table here).

    Examples
    --------
    >>> prior = rhodes_prior(sd=2.5)  # tau^2 of a mean difference in NRS points
    >>> round(prior.location, 4), prior.scale, round(prior.median, 4)
    (-1.3274, 2.5, 0.2652)
    """
    if outcome not in RHODES_PHARMA_PLACEBO:
        raise ScenarioError(f"outcome = {outcome!r}: must be one of "
                            f"{', '.join(map(repr, RHODES_PHARMA_PLACEBO))}")
    location, scale = RHODES_PHARMA_PLACEBO[outcome]
    prior = LogTTau2(location, scale, 5.0, f"Rhodes 2015 Table 3: {outcome} (SMD)")
    return prior if sd is None else prior.rescaled(_finite(sd, "sd", positive=True) ** 2)


def expect_over_tau2(f, distribution, n: int | None = None):
    """``E f(tau2)`` over a tau^2 distribution, by its quadrature nodes.

    Parameters
    ----------
    f : callable
        Vectorized: an array of tau^2 values (axis 0) to an array of results
        with the same leading axis (any trailing shape, e.g. one per size).
    distribution : LogNormalTau2, LogTTau2 or QProfileTau2
    n : int, optional
        Number of nodes (the distribution's default if None).

    Examples
    --------
    >>> prior = LogNormalTau2(-1.0, 0.5)
    >>> round(float(expect_over_tau2(lambda t: t, prior)), 10), round(math.exp(-0.875), 10)
    (0.4168620197, 0.4168620197)
    """
    if not isinstance(distribution, (LogNormalTau2, LogTTau2, QProfileTau2)):
        raise ScenarioError(f"distribution = {distribution!r}: must be a LogNormalTau2, "
                            "LogTTau2 or QProfileTau2")
    tau2, w = distribution.nodes() if n is None else distribution.nodes(n)
    values = np.asarray(f(tau2), float)
    if values.shape[:1] != tau2.shape:
        raise ScenarioError(f"f: must map {tau2.size} tau^2 values to an array with "
                            f"{tau2.size} rows (got shape {values.shape})")
    return np.tensordot(w, values, axes=(0, 0))
