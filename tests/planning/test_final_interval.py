"""The final confidence interval after a group-sequential stop, in the simulation.

The stage-wise interval (tests/analysis/test_sequential_estimates.py checks
its ends against rpact) is an exact confidence interval of the drift under a
normal model: over simulated trials it covers the true effect in ``1 - 2a``
of them (95 % here). The fixed-design interval of the look at which a trial
stopped ignores the stopping rule and covers less. With 1,500 patients per
arm the t statistic is nearly normal (df >= 998: a z interval of t data
covers 0.9497), so the simulated coverage is tested against 0.95 at 4
Monte Carlo SE.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import Scenario, simulate
from simulator.analysis.estimates import TrialEstimates
from simulator.engine.sample import TrialSample
from simulator.planning.look_tables import look_tables, stagewise_at_stop

pytestmark = pytest.mark.statistical

LARGE = Scenario.from_dict({
    "design": {"n_per_arm": 1500},
    "pain": {"effect": -0.32, "sd": 2.5, "analysis": "followup"},
    "analysis": {"alpha": 0.025, "sided": 1},
    "interim": {"looks": [0.3333, 0.6667, 1.0], "alpha_spending": "asOF"},
})


def test_the_final_interval_covers_the_truth_at_its_level_and_the_naive_one_does_not():
    n = 40_000
    part = simulate(LARGE, n_sims=n, seed=11, closed_forms=False).parts["sequential"]
    final, naive = part.final_ci_coverage, part.naive_ci_coverage_at_stop
    assert final.n_sims == naive.n_sims == n
    se = math.sqrt(0.95 * 0.05 / n)
    assert abs(final.value - 0.95) < 4 * se, final
    # stopping at a bound selects extreme estimates: the naive interval misses more often
    assert naive.value < 0.95 - 4 * se, naive
    # a 95 % interval of an effect estimated with SE 2.5 sqrt(2 / n) at 1,000-1,500 per arm
    low, high = (2 * 1.96 * 2.5 * math.sqrt(2 / m) for m in (1500, 500))
    assert low < part.final_ci_width.value < high


@pytest.mark.parametrize("effect", [-0.32, 0.32], ids=["benefit", "harm"])
def test_a_two_sided_design_covers_at_its_level_in_either_direction(effect):
    """Two-sided bounds stop trials for harm as well: the ordering counts the lower
    bounds as stopping (a trial below -c_j does not go on), so a trial stopped for harm
    gets an interval as exact as one stopped for benefit."""
    scenario = Scenario.from_dict({
        "design": {"n_per_arm": 1500},
        "pain": {"effect": effect, "sd": 2.5, "analysis": "followup"},
        "analysis": {"alpha": 0.05, "sided": 2},
        "interim": {"looks": [0.3333, 0.6667, 1.0], "alpha_spending": "asOF"},
    })
    n = 40_000
    final = simulate(scenario, n_sims=n, seed=5, closed_forms=False
                     ).parts["sequential"].final_ci_coverage
    assert abs(final.value - 0.95) < 4 * math.sqrt(0.95 * 0.05 / n), final


def _samples(estimates, ses, t):
    """Two looks of three trials: estimate, SE and t statistic per look."""
    return [TrialSample(primary=TrialEstimates(estimate=np.array(e, float),
                                               se=np.array(s, float),
                                               statistic=np.array(x, float),
                                               df=np.full(3, np.inf)),
                        completers=(), ae_counts={})
            for e, s, x in zip(estimates, ses, t)]


def test_stagewise_at_stop_orients_the_interval_by_the_benefit_sign():
    """Benefit negative (pain): the ends are those of the mirrored trial, negated and
    swapped. At the first look the interval is the estimate -+ 1.96 SE (as rpact)."""
    tables = look_tables(LARGE)
    stop_at = np.array([0, 1, 1])
    up = _samples([[0.9, 0.5, 0.1], [0.8, 0.6, 0.2]], [[0.3] * 3, [0.2] * 3],
                  [[3.0, 5 / 3, 1 / 3], [4.0, 3.0, 1.0]])
    down = _samples([[-0.9, -0.5, -0.1], [-0.8, -0.6, -0.2]], [[0.3] * 3, [0.2] * 3],
                    [[-3.0, -5 / 3, -1 / 3], [-4.0, -3.0, -1.0]])
    a = stagewise_at_stop(up, stop_at, 1, tables)
    b = stagewise_at_stop(down, stop_at, -1, tables)
    np.testing.assert_allclose(b.median, -a.median, rtol=1e-12)
    np.testing.assert_allclose(b.lower, -a.upper, rtol=1e-12)
    np.testing.assert_allclose(b.upper, -a.lower, rtol=1e-12)
    assert a.lower[0] == pytest.approx(0.9 - 1.959964 * 0.3, abs=1e-6)
    assert a.upper[0] == pytest.approx(0.9 + 1.959964 * 0.3, abs=1e-6)
    assert np.all(a.lower < a.median) and np.all(a.median < a.upper)


def test_the_table_names_the_interval_level_of_the_test():
    """A one-sided test at alpha goes with a 1 - 2 alpha interval (90 % at 0.05)."""
    from simulator.face.tables_sequential import sequential_rows

    scenario = Scenario.from_dict({
        "design": {"n_per_arm": 100},
        "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup"},
        "analysis": {"alpha": 0.05, "sided": 1},
        "interim": {"looks": [0.5, 1.0], "alpha_spending": "asOF"},
    })
    result = simulate(scenario, n_sims=2000, seed=1, closed_forms=False)
    assert result.interval_level == pytest.approx(0.9)
    text = "\n".join(sequential_rows(result))
    assert "(90.0 % stage-wise interval" in text and "fixed-design 90.0 % interval" in text
