"""Meta-analysis against R metafor, and the vectorized fit against a loop."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.analysis.metaanalysis import meta_analyse
from simulator.errors import ScenarioError

SETS = {
    "a": ([-1.2, -0.4, -2.1, 0.3, -0.9], [0.5, 0.7, 0.9, 0.6, 0.4]),
    "b": ([-1.579, -0.532, -0.8], [0.832, 0.520, 0.7]),
    "c": ([0.10, -0.35, -0.52, -1.40, 0.22, -0.80, -0.05, -0.61],
          [0.30, 0.25, 0.40, 0.55, 0.35, 0.28, 0.20, 0.45]),
    "flat": ([0.50, 0.51, 0.49, 0.50], [0.3, 0.3, 0.3, 0.3]),
}

# R 4.2, metafor 3.8-1:
#   for each set s, m in c("FE","DL","REML","PM"), hk in c(FALSE, TRUE):
#     f <- rma(yi=s$y, sei=s$se, method=m, test=if (hk) "knha" else "z",
#              control=list(threshold=1e-14, tol=1e-14, maxiter=10000))
#     c(f$b, f$se, f$ci.lb, f$ci.ub, f$tau2, f$I2/100, f$QE, f$pval)
METAFOR = [
    ("a", "FE", False, -0.797427258924, 0.247664681477, -1.282841114862, -0.312013402986, 0.000000000000, 0.382378031539, 6.476453565868, 0.001282863511),
    ("a", "DL", False, -0.790295207460, 0.330792231941, -1.438636068430, -0.141954346490, 0.204606263954, 0.382378031539, 6.476453565868, 0.016889775884),
    ("a", "DL", True, -0.790295207460, 0.347631889366, -1.755476065100, 0.174885650180, 0.204606263954, 0.382378031539, 6.476453565868, 0.085409385895),
    ("a", "REML", False, -0.789787815912, 0.312422603679, -1.402124867078, -0.177450764745, 0.151910655646, 0.314910341344, 6.476453565868, 0.011473163653),
    ("a", "REML", True, -0.789787815912, 0.342204735418, -1.739900478539, 0.160324846715, 0.151910655646, 0.314910341344, 6.476453565868, 0.082218209477),
    ("a", "PM", False, -0.791853222465, 0.353363295510, -1.484432555122, -0.099273889808, 0.274903572384, 0.454096146297, 6.476453565868, 0.025032294081),
    ("a", "PM", True, -0.791853222465, 0.353363295510, -1.772947014639, 0.189240569709, 0.274903572384, 0.454096146297, 6.476453565868, 0.088533142345),
    ("b", "FE", False, -0.818686018032, 0.373101596616, -1.549951709973, -0.087420326090, 0.000000000000, 0.000000000000, 1.139767091584, 0.028215932112),
    ("b", "DL", False, -0.818686018032, 0.373101596616, -1.549951709973, -0.087420326090, 0.000000000000, 0.000000000000, 1.139767091584, 0.028215932112),
    ("b", "DL", True, -0.818686018032, 0.281656751759, -2.030557209841, 0.393185173778, 0.000000000000, 0.000000000000, 1.139767091584, 0.100783540690),
    ("b", "REML", False, -0.818686018032, 0.373101596616, -1.549951709973, -0.087420326090, 0.000000000000, 0.000000000000, 1.139767091584, 0.028215932112),
    ("b", "REML", True, -0.818686018032, 0.281656751759, -2.030557209841, 0.393185173778, 0.000000000000, 0.000000000000, 1.139767091584, 0.100783540690),
    ("b", "PM", False, -0.818686018032, 0.373101596616, -1.549951709973, -0.087420326090, 0.000000000000, 0.000000000000, 1.139767091584, 0.028215932112),
    ("b", "PM", True, -0.818686018032, 0.281656751759, -2.030557209841, 0.393185173778, 0.000000000000, 0.000000000000, 1.139767091584, 0.100783540690),
    ("c", "FE", False, -0.286065878775, 0.106890122423, -0.495566669027, -0.076565088523, 0.000000000000, 0.482878650732, 13.536474581654, 0.007444861646),
    ("c", "DL", False, -0.335822455029, 0.157325485433, -0.644174740327, -0.027470169731, 0.090062503417, 0.482878650732, 13.536474581654, 0.032796049529),
    ("c", "DL", True, -0.335822455029, 0.164941196321, -0.725846407938, 0.054201497879, 0.090062503417, 0.482878650732, 13.536474581654, 0.081189150436),
    ("c", "REML", False, -0.333859980176, 0.154617838277, -0.636905374566, -0.030814585786, 0.083936292125, 0.465316289127, 13.536474581654, 0.030830068365),
    ("c", "REML", True, -0.333859980176, 0.164342669259, -0.722468641478, 0.054748681126, 0.083936292125, 0.465316289127, 13.536474581654, 0.081733251567),
    ("c", "PM", False, -0.342341616828, 0.166891846151, -0.669443624597, -0.015239609060, 0.112812875811, 0.539098608973, 13.536474581654, 0.040239855753),
    ("c", "PM", True, -0.342341616828, 0.166891846151, -0.736978123629, 0.052294889973, 0.112812875811, 0.539098608973, 13.536474581654, 0.079380484229),
]
METHOD = {"FE": "fixed", "DL": "dl", "REML": "reml", "PM": "pm"}


@pytest.mark.parametrize("row", METAFOR, ids=[f"{r[0]}-{r[1]}-{'hksj' if r[2] else 'z'}"
                                              for r in METAFOR])
def test_matches_metafor(row):
    name, method, hksj, est, se, lo, hi, tau2, i2, q, p = row
    y, s = SETS[name]
    fit = meta_analyse(y, s, method=METHOD[method], hksj=hksj)
    got = [fit.estimate, fit.se, fit.ci_low, fit.ci_high, fit.tau2, fit.i2, fit.q, fit.pvalue]
    np.testing.assert_allclose(np.array(got, dtype=float), [est, se, lo, hi, tau2, i2, q, p],
                               atol=1e-6, rtol=0)


@pytest.mark.parametrize("method", ["fixed", "dl", "reml", "pm"])
@pytest.mark.parametrize("hksj", [False, True])
def test_vectorized_fit_equals_a_loop_of_single_fits(method, hksj):
    rng = np.random.default_rng(5)
    y = rng.normal(-0.5, 0.6, (40, 6))
    se = rng.uniform(0.2, 0.8, (40, 6))
    fit = meta_analyse(y, se, method=method, hksj=hksj)
    for i in range(40):
        one = meta_analyse(y[i], se[i], method=method, hksj=hksj)
        assert fit.estimate[i] == pytest.approx(float(one.estimate), abs=1e-12)
        assert fit.tau2[i] == pytest.approx(float(one.tau2), abs=1e-10)
        assert fit.ci_high[i] == pytest.approx(float(one.ci_high), abs=1e-10)


def test_held_tau2_gives_the_random_effects_weights():
    y, s = SETS["a"]
    fit = meta_analyse(y, s, tau2=0.25)
    w = 1 / (np.square(s) + 0.25)
    assert float(fit.estimate) == pytest.approx(np.dot(w, y) / w.sum())
    assert float(fit.se) == pytest.approx(1 / np.sqrt(w.sum()))


def test_reml_where_scoring_is_slow_is_solved_by_bisection():
    """Fisher scoring needs ~700 steps here (it once stopped at 500 with a ConvergenceError,
    which ended simulated reviews with exit 3): the fit reaches the fixed point."""
    from simulator.analysis.metaanalysis import _reml_step

    y = np.array([1.14657184, -1.11488133, 0.588248998, -9.26366585e-206, 0.224498292])
    v = np.array([0.34603688, 0.73543648, 0.73543648, 2.90910146, 0.01620656])
    t = np.array(0.0)
    for _ in range(20_000):
        t = _reml_step(y, v, t)
    # Each future stops once its step is below 1e-12; scoring contracts slowly here (about
    # 0.97 a step), so what is left is about step / (1 - 0.97) = 3e-11 (1e-9 relative).
    fit = meta_analyse(y, v=v, method="reml")
    assert float(fit.tau2) == pytest.approx(float(t), rel=1e-8)
    both = meta_analyse(np.stack([y, y[::-1]]), v=np.stack([v, v[::-1]]), method="reml")
    assert both.tau2 == pytest.approx([float(t)] * 2, rel=1e-8)


# Modified HKSJ (Roever, Knapp & Friede 2015): the factor q truncated at 1, by hand in R 4.2.2,
# metafor 3.8-1 (and equal to metafor's test = "adhoc" in every digit printed):
#   f <- rma(yi = y, sei = s, method = m, test = "knha",
#            control = list(threshold = 1e-14, tol = 1e-14, maxiter = 10000))
#   w <- 1 / (s^2 + f$tau2); b <- sum(w * y) / sum(w); q <- sum(w * (y - b)^2) / (k - 1)
#   se <- sqrt(max(1, q) / sum(w)); ci <- b + c(-1, 1) * qt(0.975, k - 1) * se
#   pv <- 2 * pt(-abs(b / se), k - 1)
MODIFIED = [  # set, method, estimate, se, ci low, ci high, p
    ("a", "DL", -0.79029520746, 0.347631889366, -1.7554760651, 0.17488565018, 0.0854093858947),
    ("a", "REML", -0.789787815912, 0.342204735418, -1.73990047854, 0.160324846715,
     0.0822182094767),
    ("a", "PM", -0.791853222465, 0.35336329551, -1.77294701464, 0.189240569709, 0.0885331423453),
    ("b", "DL", -0.818686018032, 0.373101596616, -2.42401262118, 0.786640585122, 0.159451256869),
    ("b", "REML", -0.818686018032, 0.373101596616, -2.42401262118, 0.786640585122,
     0.159451256869),
    ("c", "DL", -0.335822455029, 0.164941196321, -0.725846407938, 0.0542014978795,
     0.0811891504365),
    ("c", "PM", -0.342341616828, 0.166891846151, -0.736978123629, 0.0522948899726,
     0.0793804842293),
    ("flat", "DL", 0.5, 0.15, 0.0226330542074, 0.977366945793, 0.0446082789944),  # q = 0.0007
    ("flat", "REML", 0.5, 0.15, 0.0226330542074, 0.977366945793, 0.0446082789944),
]


@pytest.mark.parametrize("row", MODIFIED, ids=[f"{r[0]}-{r[1]}" for r in MODIFIED])
def test_modified_hksj_matches_metafor_with_the_factor_truncated_by_hand(row):
    name, method, est, se, lo, hi, p = row
    y, s = SETS[name]
    fit = meta_analyse(y, s, method=METHOD[method], hksj=True, hksj_truncate=True)
    got = [fit.estimate, fit.se, fit.ci_low, fit.ci_high, fit.pvalue]
    np.testing.assert_allclose(np.array(got, dtype=float), [est, se, lo, hi, p], atol=1e-6,
                               rtol=0)
    assert fit.hksj_truncated
    plain = meta_analyse(y, s, method=METHOD[method])
    assert float(fit.se) >= float(plain.se) - 1e-12


def test_truncation_needs_hksj():
    with pytest.raises(ScenarioError, match="hksj_truncate = True: .* needs hksj = True"):
        meta_analyse([0.1, 0.2], [0.3, 0.3], hksj_truncate=True)


@pytest.mark.parametrize("args, kwargs, fragment", [
    (([1.0, 2.0], [0.5]), {}, "must have the same shape"),
    (([1.0, 2.0],), {}, "standard errors (se) or their variances (v), one of them"),
    (([1.0, 2.0], [0.5, 0.5]), {"v": [0.25, 0.25]}, "one of them"),
    (([1.0, 2.0], [0.5, -0.5]), {}, "finite positive standard errors"),
    ((1.0, [0.5]), {}, "must have the same shape"),
    (([1.0, 2.0], [0.5, 0.5]), {"alpha": 1.5}, "alpha = 1.5"),
    (([1.0, 2.0], [0.5, 0.5]), {"tau2": -1.0}, "tau2 = -1.0"),
    (([1.0, 2.0], [0.5, 0.5]), {"tau2": float("nan")}, "tau2 = nan"),
    (("ab", [0.5]), {}, "y = 'ab'"),
    (([1.0, 2.0], [0.5, 0.5]), {"hksj": "yes"}, "hksj = 'yes'"),
])
def test_bad_studies_and_options_are_named(args, kwargs, fragment):
    """A length mismatch was broadcast, a missing se gave NaN, se < 0 was squared away."""
    import re

    with pytest.raises(ScenarioError, match=re.escape(fragment)):
        meta_analyse(*args, **kwargs)


def test_a_batch_of_fits_is_strict_json_lists():
    import json

    y = np.array([[-1.2, -0.4, -2.1], [0.3, -0.9, 0.1]])
    se = np.array([[0.5, 0.7, 0.9], [0.6, 0.4, 0.5]])
    batch = json.loads(json.dumps(meta_analyse(y, se).to_dict(), allow_nan=False))
    for i in range(2):
        one = meta_analyse(y[i], se[i]).to_dict()
        assert batch["estimate"][i] == pytest.approx(one["estimate"], rel=1e-12)
        assert [batch["ci"][0][i], batch["ci"][1][i]] == pytest.approx(one["ci"], rel=1e-12)
