"""The clinical-relevance part against closed forms on the normal model.

On normal scores without dropout, a Student t-test of the follow-up score
estimates the effect by ``mean_1 - mean_0 ~ N(effect, sigma^2 (1/n0 + 1/n1))``,
so ``P(estimate <= -mcid) = Phi((-mcid - effect) / se)``; its detectable
difference is ``t_crit s sqrt(1/n0 + 1/n1)``, whose mean is ``t_crit sigma
sqrt(1/n0 + 1/n1) c4(df)`` with ``c4(df) = sqrt(2/df) Gamma((df+1)/2) /
Gamma(df/2)``, and whose SD is ``t_crit sigma sqrt(1/n0 + 1/n1) sqrt(1 - c4^2)``.
"""

from __future__ import annotations

import math

import pytest
from conftest import Z_TOL, make_scenario
from scipy import special, stats

from simulator import simulate

pytestmark = pytest.mark.statistical

N_SIMS = 20_000


def c4(df: int) -> float:
    return math.sqrt(2.0 / df) * math.exp(special.gammaln((df + 1) / 2) - special.gammaln(df / 2))


@pytest.mark.parametrize("path", ["aggregate", "patient"])
@pytest.mark.parametrize("n, effect, mcid", [(60, -1.0, 0.5), (30, -0.6, 1.0), (150, -1.0, 1.0)])
def test_probability_and_detectable_difference_match_the_closed_forms(path, n, effect, mcid):
    s = make_scenario(**{"design.n_per_arm": n, "pain.effect": effect, "pain.mcid": mcid,
                         "pain.analysis": "followup"})
    part = simulate(s, n_sims=N_SIMS, seed=5, path=path, closed_forms=False).relevance
    se = 2.5 * math.sqrt(2 / n)
    p = stats.norm.cdf((-mcid - effect) / se)
    assert abs(part.p_estimate_beyond_mcid.value - p) <= Z_TOL * math.sqrt(p * (1 - p) / N_SIMS)
    df = 2 * n - 2
    scale = stats.t.ppf(0.975, df) * se
    mdd_se = scale * math.sqrt(1 - c4(df) ** 2) / math.sqrt(N_SIMS)
    assert abs(part.minimal_detectable_difference - scale * c4(df)) <= Z_TOL * mdd_se
    assert part.mcid == mcid


def test_it_joins_the_json_and_is_absent_for_responder_analyses():
    d = simulate(make_scenario(), n_sims=200, seed=1).to_dict()
    assert {"mcid", "p_estimate_beyond_mcid", "p_estimate_beyond_mcid_se",
            "minimal_detectable_difference"} <= set(d)
    r = simulate(make_scenario(**{"pain.analysis": "responder30"}), n_sims=200, seed=1)
    assert "relevance" not in r.parts and "p_estimate_beyond_mcid" not in r.to_dict()
    with pytest.raises(AttributeError):
        r.relevance
