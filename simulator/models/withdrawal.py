"""Missing data mechanisms and the estimands that handle withdrawal (ICH E9(R1)).

Used by the per-patient path when dropout depends on the patient (``mar``:
on the observed baseline; ``mnar``: on the follow-up score itself), when the
estimand is not the hypothetical one, or with functional unblinding (patients
who have a named adverse event report their pain shifted by an expectancy
bias, in either arm). Each arm is simulated in full (every
patient's baseline and follow-up, including the follow-up a withdrawn patient
would have had), then withdrawal is applied and the estimand's analysis run:

* ``hypothetical``: complete cases, the scenario's analysis.
* ``treatment-policy-bocf``: every randomised patient; a withdrawn patient's
  follow-up is their baseline (baseline observation carried forward).
* ``treatment-policy-j2r``: jump to reference by multiple imputation. In
  each trial the placebo completers' regression of follow-up on baseline is
  fitted; each imputation draws its parameters from their posterior (the
  residual variance from a scaled inverse chi-square, the line given it from
  a normal) and imputes every withdrawn patient, in either arm, from it. The
  completed data sets are analysed as usual and combined by Rubin's rules,
  with Barnard-Rubin degrees of freedom. Vectorized over trials.
* ``composite``: responder analysis of every randomised patient, withdrawal
  counted as non-response.

:func:`estimand_truth` gives each estimand's value under the scenario from
the full data of a very large trial (exactly, where a closed form exists).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import special

from ..analysis.arms import analyse_arms, primary_analysis
from ..analysis.estimates import TrialEstimates
from ..engine.sample import TrialSample, split_sizes
from ..moments import ArmMoments, Prefix, column, observed_moments
from ..spec.scenario import Scenario
from ..spec.variants import without_unblinding
from .outcomes import draw_baseline_z, followup_mean, is_responder, observe
from .parameters import TrialParameters
from .truth import true_effect

__all__ = ["needs_missing_path", "simulate_missing_grid", "estimand_truth"]

_TRUTH_PATIENTS = 4_000_000  # per arm, for estimand_truth
_TRUTH_CHUNK = 250_000


def needs_missing_path(scenario: Scenario) -> bool:
    """Whether the scenario needs this module (not only complete cases under MCAR)."""
    return (scenario.dropout.mechanism in ("mar", "mnar")
            or scenario.analysis.estimand != "hypothetical"
            or scenario.pain.unblinding_ae is not None)


def _dropout_probability(scenario: Scenario, x: np.ndarray, y: np.ndarray) -> np.ndarray | float:
    d, pain = scenario.dropout, scenario.pain
    if d.rate == 0:
        return 0.0
    if d.mechanism == "mar":
        return special.expit(special.logit(d.rate) + d.slope * (x - pain.baseline_mean))
    if d.mechanism == "mnar":
        centre = pain.baseline_mean + pain.placebo_change
        return special.expit(special.logit(d.rate) + d.slope * (y - centre))
    return d.rate


def _arm(scenario: Scenario, rng: np.random.Generator, shape, mu_y, risk):
    """Full data of one arm: observed baseline and follow-up, who stays, AE flags."""
    pain = scenario.pain
    r = pain.correlation
    zx = draw_baseline_z(rng, shape, pain)
    zy = rng.standard_normal(shape)
    u = rng.random(shape) if scenario.dropout.rate > 0 else None
    flags, left = {}, np.zeros(shape, bool)
    for ae in scenario.adverse_events:
        flags[ae.name] = rng.random(shape) < column(risk[ae.name])
        q = scenario.dropout.after_ae.get(ae.name, 0.0)
        if q > 0:
            left |= flags[ae.name] & (rng.random(shape) < q)
    y = column(mu_y) + pain.sd * (r * zx + math.sqrt(1 - r * r) * zy)
    if pain.unblinding_ae is not None:  # expectancy: patients who can guess their arm
        y = y + pain.unblinding_shift * flags[pain.unblinding_ae]
    y = observe(y, pain.bounded)
    x = observe(pain.baseline_mean + pain.baseline_sd * zx, pain.bounded)
    if u is not None:
        left |= u < _dropout_probability(scenario, x, y)
    return x, y, ~left, flags


def simulate_missing_grid(scenario: Scenario, n_sims: int, rng: np.random.Generator,
                          grid: Sequence[tuple[int, ...]],
                          params: TrialParameters | None = None) -> list[TrialSample]:
    """Simulate trials with patient-dependent withdrawal and the scenario's estimand.

    Parameters and returns as :func:`simulator.patient.simulate_patient_grid`.
    """
    pain, spec = scenario.pain, scenario.analysis
    params = params or TrialParameters.fixed(scenario)
    arms, completers = [], []
    ae_counts: dict[str, list[np.ndarray]] = {ae.name: [] for ae in scenario.adverse_events}
    for arm in range(len(grid[0])):
        prefix = Prefix([g[arm] for g in grid])
        shape = (n_sims, prefix.size)
        risk = params.risks_of(scenario, arm)
        mu_y = followup_mean(pain, False) + params.effect_of(scenario, arm)
        x, y, keep, flags = _arm(scenario, rng, shape, mu_y, risk)
        for name, f in flags.items():
            ae_counts[name].append(prefix.sums(f))
        completers.append(prefix.sums(keep))
        arms.append((prefix, x, y, keep))

    estimand = spec.estimand
    if estimand == "treatment-policy-j2r":
        primary = _jump_to_reference(scenario, rng, arms, grid, n_sims)
        return [TrialSample(primary=primary[g], completers=tuple(c[:, g] for c in completers),
                            ae_counts={k: tuple(c[:, g] for c in v) for k, v in ae_counts.items()})
                for g in range(len(grid))]
    else:
        moments = []
        for prefix, x, y, keep in arms:
            if estimand == "composite":
                resp = is_responder(x, y, pain.responder_cutoff) & keep
                moments.append(ArmMoments(n=prefix.counts(n_sims), mean_y=prefix.sums(resp),
                                          cyy=prefix.sums(resp), responders=prefix.sums(resp)))
            elif estimand == "treatment-policy-bocf":
                moments.append(observed_moments(prefix, x, np.where(keep, y, x), None, n_sims))
            elif pain.is_responder:
                resp = is_responder(x, y, pain.responder_cutoff) & keep
                moments.append(ArmMoments(n=prefix.sums(keep), mean_y=prefix.sums(resp),
                                          cyy=prefix.sums(resp), responders=prefix.sums(resp)))
            else:
                moments.append(observed_moments(prefix, x, y, keep, n_sims))
        primary, comparisons = analyse_arms(pain.analysis, spec.test, moments)
        return split_sizes(primary, comparisons, completers, ae_counts, len(grid))


def _jump_to_reference(scenario, rng, arms, grid, n_sims) -> list[TrialEstimates]:
    """Multiple imputation from the placebo arm, Rubin's rules, one size at a time."""
    pain, spec = scenario.pain, scenario.analysis
    m_imp = spec.imputations
    out = []
    for g, sizes in enumerate(grid):
        data = [(x[:, :n], y[:, :n], keep[:, :n]) for (_, x, y, keep), n in zip(arms, sizes)]
        one = [Prefix([n]) for n in sizes]
        ref = observed_moments(one[0], data[0][0], data[0][1], data[0][2], n_sims)
        m = ref.n[:, 0]
        df = m - 2.0
        ok = (df >= 1) & (ref.cxx[:, 0] > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(ok, ref.cxy[:, 0] / ref.cxx[:, 0], 0.0)
            rss = np.where(ok, np.maximum(ref.cyy[:, 0] - slope * ref.cxy[:, 0], 0.0), 0.0)
        xbar, ybar = ref.mean_x[:, 0], ref.mean_y[:, 0]
        estimates, variances, dfs = [], [], []
        for _ in range(m_imp):
            sigma2 = rss / rng.chisquare(np.maximum(df, 1.0))
            b = slope + np.sqrt(sigma2 / np.where(ok, ref.cxx[:, 0], 1.0)) * rng.standard_normal(n_sims)
            a = ybar + np.sqrt(sigma2 / np.maximum(m, 1.0)) * rng.standard_normal(n_sims)
            completed = []
            for (x, y, keep), prefix in zip(data, one):
                imputed = (a[:, None] + b[:, None] * (x - xbar[:, None])
                           + np.sqrt(sigma2)[:, None] * rng.standard_normal(x.shape))
                completed.append(observed_moments(prefix, x, np.where(keep, y, imputed), None, n_sims))
            est = primary_analysis(pain.analysis, spec.test, completed[0], completed[1])
            estimates.append(est.estimate[:, 0])
            variances.append(est.se[:, 0] ** 2)
            dfs.append(est.df[:, 0] if np.ndim(est.df) else np.full(n_sims, est.df))
        q = np.array(estimates)
        qbar = q.mean(axis=0)
        within = np.mean(variances, axis=0)
        between = q.var(axis=0, ddof=1)
        total = within + (1 + 1 / m_imp) * between
        # Barnard & Rubin (1999) degrees of freedom
        with np.errstate(divide="ignore", invalid="ignore"):
            gamma = np.where(total > 0, (1 + 1 / m_imp) * between / total, 0.0)
            v_com = dfs[0]
            v_m = (m_imp - 1) / np.maximum(gamma, 1e-12) ** 2
            v_obs = (v_com + 1) / (v_com + 3) * v_com * (1 - gamma)
            v = 1.0 / (1.0 / v_m + 1.0 / np.maximum(v_obs, 1e-12))
        se = np.sqrt(total)
        valid = ok & np.isfinite(qbar)
        out.append(TrialEstimates(estimate=np.where(valid, qbar, np.nan),
                                  se=np.where(valid, se, np.nan),
                                  statistic=np.where(valid & (se > 0), qbar / np.where(se > 0, se, 1), 0.0),
                                  df=np.where(valid, np.maximum(v, 1.0), 1.0)))
    return out


def _truth_chunks(scenario: Scenario, arm: int):
    """The very large trial's arm, chunk by chunk (the same numbers on every call)."""
    pain = scenario.pain
    fixed = TrialParameters.fixed(scenario)
    rng = np.random.default_rng(np.random.SeedSequence(20251124, spawn_key=(arm,)))
    mu_y = followup_mean(pain, False) + (pain.effect if arm == 1 else 0.0)
    risk = fixed.active_risk if arm == 1 else {a.name: a.placebo_risk
                                               for a in scenario.adverse_events}
    for _ in range(_TRUTH_PATIENTS // _TRUTH_CHUNK):
        x, y, keep, _ = _arm(scenario, rng, (1, _TRUTH_CHUNK), mu_y, risk)
        yield x[0], y[0], keep[0]


@lru_cache(maxsize=32)
def _truth_cached(scenario: Scenario) -> tuple[float, float]:
    pain, estimand = scenario.pain, scenario.analysis.estimand
    slope = intercept = 0.0
    if estimand == "treatment-policy-j2r":  # the reference arm's full-data regression
        fit = np.zeros(5)
        for x, y, _ in _truth_chunks(scenario, 0):
            fit += [x.size, x.sum(), y.sum(), (x * x).sum(), (x * y).sum()]
        n, sx, sy, sxx, sxy = fit
        slope = (sxy - sx * sy / n) / (sxx - sx * sx / n)
        intercept = sy / n - slope * sx / n
    sums = np.zeros((2, 2))  # per arm: sum and sum of squares of the patient-level value
    for arm in (0, 1):
        for x, y, keep in _truth_chunks(scenario, arm):
            if estimand == "treatment-policy-bocf":
                value = np.where(keep, y, x)
            elif estimand == "treatment-policy-j2r":
                value = np.where(keep, y, intercept + slope * x)
            else:  # composite
                value = (is_responder(x, y, pain.responder_cutoff) & keep).astype(float)
            sums[arm] += [value.sum(), (value * value).sum()]
    means = sums[:, 0] / _TRUTH_PATIENTS
    variances = sums[:, 1] / _TRUTH_PATIENTS - means**2
    return float(means[1] - means[0]), float(math.sqrt(variances.sum() / _TRUTH_PATIENTS))


def estimand_truth(scenario: Scenario) -> tuple[float, float]:
    """The estimand's value under the scenario, and the Monte Carlo SE of that value.

    The hypothetical estimand and the others without withdrawal have closed
    forms (SE 0); otherwise the value comes from the full data of a trial of
    4,000,000 patients per arm (fixed seed), with withdrawal applied by the
    estimand's rule (jump to reference: the placebo arm's full-data
    regression of follow-up on baseline).
    """
    if scenario.analysis.estimand == "hypothetical" or not scenario.dropout.any:
        return true_effect(scenario.pain), 0.0
    # the treatment's effect, not the expectancy bias of unblinding
    return _truth_cached(without_unblinding(scenario))
