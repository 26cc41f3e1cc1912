"""Promising-zone sample-size re-estimation with the weighted inverse normal test.

References, no random numbers: under H0 the Cui-Hung-Wang statistic is
standard normal whatever the second stage's size, so the rejection rate is
the design's alpha (the closed form gives alpha to 1e-6, and the simulation
within 4 MC SE on 10^5 trials); with an effect the simulated rejection rate
matches the closed form's integral over the interim z (the law of each
stage's t test: noncentral t) within 4 MC SE at 200 patients per arm.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import Z_TOL
from simulator import Scenario, ScenarioError, promising_zone_power, simulate_promising_zone
from simulator.face.cli import main
from simulator.planning.adaptive import second_stage_n

pytestmark = pytest.mark.statistical

N_SIMS = 100_000
ALPHA = 0.025


def scenario(effect: float, looks=(0.5, 1.0), spending: str = "asOF", n: int = 200,
             analysis: str = "followup") -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": n}, "pain": {"effect": effect, "sd": 2.0, "analysis": analysis},
        "analysis": {"alpha": ALPHA, "sided": 1},
        "interim": {"looks": list(looks), "alpha_spending": spending}})


CASES = {
    "OF-half": (dict(looks=(0.5, 1.0)), dict()),
    "Pocock-0.4-up-to-3x": (dict(looks=(0.4, 1.0), spending="asP"), dict(max_factor=3.0)),
    "OF-change-wide-zone": (dict(analysis="change"), dict(cp_min=0.1, cp_target=0.9)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_weighted_inverse_normal_keeps_alpha(case):
    design, options = CASES[case]
    r = simulate_promising_zone(scenario(0.0, **design), n_sims=N_SIMS, seed=21, **options)
    se = math.sqrt(ALPHA * (1 - ALPHA) / N_SIMS)
    assert abs(r.reject.value - ALPHA) < Z_TOL * se, r.reject
    assert r.closed_form == pytest.approx(ALPHA, abs=1e-6)
    assert r.increased.value > 0.01  # the re-estimation did act


@pytest.mark.parametrize("case", list(CASES))
def test_power_matches_the_closed_form(case):
    design, options = CASES[case]
    r = simulate_promising_zone(scenario(-0.4, **design), n_sims=N_SIMS, seed=22, **options)
    assert abs(r.reject.value - r.closed_form) < Z_TOL * r.reject.se, (r.reject, r.closed_form)
    # enlarging promising trials gains power over the plan, on the same trials
    assert r.reject.value > r.reject_planned.value + Z_TOL * r.reject.se
    assert r.expected_n.value > 2 * 200


def test_second_stage_reaches_the_target_conditional_power_when_not_capped():
    w = (math.sqrt(0.5), math.sqrt(0.5))
    z1 = np.array([1.3, 1.5, 1.7])
    m = second_stage_n(z1, 100, 100, 10_000, 1.98, w, 0.36, 0.8)
    from scipy.special import ndtr
    cp = ndtr(z1 * np.sqrt(m / 100) - (1.98 - w[0] * z1) / w[1])
    cp_less = ndtr(z1 * np.sqrt((m - 1) / 100) - (1.98 - w[0] * z1) / w[1])
    assert np.all(cp >= 0.8) and np.all(cp_less < 0.8)


def test_closed_form_without_re_estimation_is_the_group_sequential_power():
    """With max n equal to the plan the design is the plain 2-look design."""
    from simulator.analysis.crossing import exit_above, advance, point_mass
    w = (math.sqrt(0.5), math.sqrt(0.5))
    c = (2.797, 1.977)
    d = 0.3
    power = promising_zone_power(d, 100, 100, 100, c, w, 0.36, 0.8)
    theta = d * math.sqrt(200 / 2)  # drift at full information
    mass = point_mass()
    first = float(exit_above(mass, 0.5, c[0], theta))
    mass = advance(mass, 0.5, [(-np.inf, c[0])], theta, 64)
    assert power == pytest.approx(first + float(exit_above(mass, 1.0, c[1], theta)), abs=1e-6)


@pytest.mark.parametrize("overrides, options, words", [
    ({"interim.looks": [0.3, 0.6, 1.0]}, {}, "2 looks"),
    ({"analysis.sided": 2}, {}, "sided = 2"),
    ({"pain.analysis": "ancova"}, {}, "ancova"),
    ({"dropout.rate": 0.1}, {}, "dropout"),
    ({}, {"cp_min": 0.9}, "cp_min (--cp-min) = 0.9"),
    ({}, {"max_factor": 0.5}, "max_factor (--max-factor) = 0.5"),
])
def test_bad_input_names_the_field(overrides, options, words):
    s = scenario(-0.4).with_overrides(overrides) if overrides else scenario(-0.4)
    with pytest.raises(ScenarioError, match=words.replace("(", r"\(").replace(")", r"\)")):
        simulate_promising_zone(s, n_sims=1000, **options)


def test_cli_prints_the_table_and_exits_2_on_bad_input(tmp_path, capsys):
    path = tmp_path / "pz.toml"
    path.write_text('[design]\nn_per_arm = 100\n[pain]\neffect = -0.5\nsd = 2.0\n'
                    'analysis = "followup"\n[analysis]\nalpha = 0.025\nsided = 1\n'
                    '[interim]\nlooks = [0.5, 1.0]\n')
    assert main(["adaptive", str(path), "--n-sims", "2000", "--json", str(tmp_path / "o.json")]) == 0
    out = capsys.readouterr().out
    assert "weighted inverse normal (CHW)" in out and "second stage enlarged" in out
    assert '"reject"' in (tmp_path / "o.json").read_text()
    assert main(["adaptive", str(path), "--cp-target", "1.5"]) == 2
    assert "cp_target (--cp-target) = 1.5" in capsys.readouterr().err
