"""The estimate at stopping, the median-unbiased estimate and the conditional power, simulated.

References, no random numbers of their own:

* the median-unbiased estimate under stage-wise ordering has median equal
  to the true effect when the ordering is the design that was run (efficacy
  bounds only, or binding futility bounds): P(estimate <= truth) = 1/2;
* the mean conditional power of the trials that go on past look ``j`` is
  the integral of :func:`~simulator.analysis.sequential.conditional_power`
  over the sub-density of ``Z_j`` on those trials (recursive integration at
  the scenario's drift, futility applied as the simulation applies it).

Both within 4 Monte Carlo SE at 10^5 trials, on the normal model (t tests
at 150 patients per arm and more, where a look's z is normal to well within
that).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import Z_TOL
from simulator import Scenario, simulate
from simulator.analysis.crossing import advance, point_mass
from simulator.analysis.sequential import conditional_power
from simulator.engine.dispatch import simulate_sizes
from simulator.engine.looks import run_grid
from simulator.planning.closed_sequential import design_of, drift
from simulator.planning.sequential import look_tables, stagewise_at_stop, t_bound

pytestmark = pytest.mark.statistical

N_SIMS = 100_000
EFFECT = -0.5


def scenario(interim: dict, n: int = 150, dropout: float = 0.0) -> Scenario:
    return Scenario.from_dict({"design": {"n_per_arm": n},
                               "pain": {"effect": EFFECT, "sd": 2.0, "analysis": "followup"},
                               "dropout": {"rate": dropout},
                               "analysis": {"alpha": 0.025, "sided": 1}, "interim": interim})


def stopping_looks(samples, design) -> np.ndarray:
    """The look each trial stops at (efficacy, or futility where the bounds bind)."""
    n = len(samples[0].primary.estimate)
    stop_at, active = np.full(n, design.kmax - 1), np.ones(n, bool)
    for j, s in enumerate(samples[:-1]):
        t = -np.asarray(s.primary.statistic, float)  # benefit is a negative effect
        df = np.broadcast_to(s.primary.df, t.shape)
        stop = t >= t_bound(df, design.critical_values[j])
        if design.binding:
            stop |= t <= t_bound(df, design.futility_bounds[j])
        stop_at[active & stop] = j
        active &= ~stop
    return stop_at


@pytest.mark.parametrize("interim, dropout", [
    ({"looks": 3}, 0.0),
    ({"looks": [0.3, 0.6, 1.0], "futility_bounds": [0.0, 0.5], "binding": True}, 0.0),
    ({"looks": 3, "alpha_spending": "asP"}, 0.15),
], ids=["OF-3", "OF-3-binding-futility", "Pocock-3-dropout"])
def test_median_unbiased_estimate_has_the_true_effect_as_its_median(interim, dropout):
    s = scenario(interim, dropout=dropout)
    design = design_of(s)
    grid = run_grid([s.design.group_sizes], s)
    samples = simulate_sizes(s, N_SIMS, np.random.default_rng(11), "aggregate", grid.sizes)
    samples = [samples[i] for i in grid.picks[0]]
    stop_at = stopping_looks(samples, design)
    mue = stagewise_at_stop(samples, stop_at, -1, look_tables(s)).median
    naive = np.choose(stop_at, [x.primary.estimate for x in samples])
    below = float(np.mean(mue <= EFFECT))
    se = math.sqrt(0.25 / N_SIMS)
    assert abs(below - 0.5) < Z_TOL * se, below
    # the estimate at stopping is not (efficacy stops pull it away from zero,
    # futility stops towards it)
    assert abs(float(np.mean(naive <= EFFECT)) - 0.5) > Z_TOL * se


def test_run_reports_the_biases_with_their_monte_carlo_error():
    s = scenario({"looks": 3})
    part = simulate(s, n_sims=N_SIMS, seed=12, path="aggregate").sequential
    assert part.bias_at_stop.value == pytest.approx(part.estimate_at_stop.value - EFFECT)
    assert part.bias_at_stop.value < -Z_TOL * part.bias_at_stop.se  # away from zero
    assert part.median_unbiased_bias.value == pytest.approx(part.median_unbiased.value - EFFECT)
    # closer to the truth than the estimate at stopping
    assert abs(part.median_unbiased_bias.value) < abs(part.bias_at_stop.value)
    out = part.to_dict()["sequential"]
    for key in ("bias_at_stop", "median_unbiased", "median_unbiased_bias"):
        assert isinstance(out[key], float) and isinstance(out[f"{key}_se"], float)


def reference_cp(s: Scenario, look: int) -> tuple[float, float]:
    """Mean conditional power (design, trend) of the trials going on past ``look``."""
    design = design_of(s)
    theta, rates = drift(s), design.information_rates
    mass = point_mass()
    for j in range(look + 1):
        mass = advance(mass, rates[j], [(design.futility_bounds[j], design.critical_values[j])],
                       theta, 64)
    t = float(rates[look])
    cp = [np.array([conditional_power(float(z), t, design, which) for z in mass.z])
          for which in (None, "trend")]
    return tuple(float(c @ mass.h / mass.h.sum()) for c in cp)


@pytest.mark.parametrize("n", [150, 300])
def test_mean_conditional_power_of_continuing_trials_matches_the_integral(n):
    s = scenario({"looks": 3, "beta_spending": "bsOF", "beta": 0.1}, n=n)
    part = simulate(s, n_sims=N_SIMS, seed=13, path="aggregate").sequential
    for look in range(2):
        design_ref, trend_ref = reference_cp(s, look)
        got_design = part.conditional_power_design[look]
        got_trend = part.conditional_power_trend[look]
        assert abs(got_design.value - design_ref) < Z_TOL * got_design.se, (look, design_ref)
        assert abs(got_trend.value - trend_ref) < Z_TOL * got_trend.se, (look, trend_ref)
