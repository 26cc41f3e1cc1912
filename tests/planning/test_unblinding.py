"""Functional unblinding: the drug's own power, the observed one, and false positives.

Reference (closed form). Patients who have the unblinding event (risk p0 on
placebo, p1 on the drug) report their follow-up pain shifted by ``s``, in
either arm. On the normal model with a follow-up t test, arm j's scores then
have mean ``mu_j + s p_j`` and variance ``sigma^2 + s^2 p_j (1 - p_j)``, so
the test sees the effect ``delta + s (p1 - p0)`` with standard error
``sqrt((v0 + v1) / n)``: its power is the noncentral t's with that
noncentrality and 2n - 2 degrees of freedom (the mixture is close to normal;
at n = 100 the difference is far below the Monte Carlo error). With no drug
effect (delta = 0) the same formula is the false-positive rate.
"""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats

from conftest import Z_TOL
from simulator import Scenario, simulate, solve_sample_size
from simulator.face.cli import main

pytestmark = pytest.mark.statistical

SD, SHIFT, P0, RR, EFFECT = 2.0, -1.0, 0.2, 3.0, -0.6
UNBLINDED = Scenario.from_dict({
    "design": {"n_per_arm": 100},
    "pain": {"effect": EFFECT, "sd": SD, "analysis": "followup",
             "unblinding_ae": "psy", "unblinding_shift": SHIFT},
    "adverse_events": {"psy": {"placebo_risk": P0, "risk_ratio": RR}}})


def t_power(delta: float, n: int, shift: float = SHIFT, alpha: float = 0.05) -> float:
    """Two-sided power of the follow-up t test with the expectancy shift (closed form)."""
    p0, p1 = P0, P0 * RR
    var = 2 * SD**2 + shift**2 * (p0 * (1 - p0) + p1 * (1 - p1))
    nc = abs(delta + shift * (p1 - p0)) / math.sqrt(var / n)
    df = 2 * n - 2
    crit = stats.t.ppf(1 - alpha / 2, df)
    # P(T > crit) + P(T < -crit); the lower tail as sf of the mirrored noncentrality
    return float(stats.nct.sf(crit, df, nc) + stats.nct.sf(crit, df, -nc))


def smallest_n(delta: float, target: float, shift: float = SHIFT) -> int:
    return next(n for n in range(2, 5000) if t_power(delta, n, shift) >= target)


def test_the_report_shows_observed_drug_alone_and_false_positive_power():
    n_sims = 20_000
    r = simulate(UNBLINDED, n_sims=n_sims, seed=4)
    part = r.unblinding
    for got, want in ((r.power, t_power(EFFECT, 100)),
                      (part.power_drug_alone, t_power(EFFECT, 100, shift=0.0)),
                      (part.false_positive_rate, t_power(0.0, 100))):
        se = math.sqrt(want * (1 - want) / n_sims)
        assert abs(got.value - want) <= Z_TOL * se, (got.value, want)
    # the bias is the shift times the risk difference, and the observed power exceeds
    # the drug's own: the sizing that ignores it is too small
    assert t_power(0.0, 100) > 0.05 + Z_TOL * math.sqrt(0.05 * 0.95 / n_sims)
    assert r.power.value > part.power_drug_alone.value


def test_equal_risks_remove_the_bias_and_the_false_positives_are_alpha():
    active_placebo = UNBLINDED.with_overrides({"adverse_events.psy.risk_ratio": 1.0})
    n_sims = 20_000
    part = simulate(active_placebo, n_sims=n_sims, seed=5).unblinding
    se = math.sqrt(0.05 * 0.95 / n_sims)
    assert abs(part.false_positive_rate.value - 0.05) <= Z_TOL * se


def test_without_unblinding_there_is_no_unblinding_part():
    plain = UNBLINDED.with_overrides({"pain.unblinding_ae": None, "pain.unblinding_shift": 0.0})
    r = simulate(plain, n_sims=500, seed=1)
    assert "unblinding" not in r.parts and r.unblinding_bias is None
    assert solve_sample_size(plain, target=0.8, n_sims=2000, seed=1).unblinding is None


@pytest.mark.parametrize("size_on", ["drug", "observed"])
def test_the_solver_sizes_on_the_drug_alone_and_reports_the_observed_answer(size_on):
    r = solve_sample_size(UNBLINDED, target=0.8, n_sims=4000, seed=7, size_on=size_on)
    u = r.unblinding
    drug_n, observed_n = smallest_n(EFFECT, 0.8, shift=0.0), smallest_n(EFFECT, 0.8)
    assert observed_n < drug_n  # the bias shrinks the observed answer
    assert u.sized_on == size_on
    # each range covers its closed-form answer, with a patient for its rounding up
    assert u.drug_alone_n_range[0] - 1 <= drug_n <= u.drug_alone_n_range[1] + 1
    assert u.observed_n_range[0] - 1 <= observed_n <= u.observed_n_range[1] + 1
    assert r.n_per_arm == (u.drug_alone_n_per_arm if size_on == "drug" else u.observed_n_per_arm)
    if size_on == "drug":
        assert r.analytic_n_per_arm == drug_n  # the closed form is the drug's own
    want = t_power(0.0, r.n_per_arm)
    fp = u.false_positive_rate
    assert abs(fp.value - want) <= Z_TOL * math.sqrt(want * (1 - want) / 4000)


def test_a_null_drug_effect_has_no_drug_answer_but_reports_the_observed_one():
    null = UNBLINDED.with_overrides({"pain.effect": 0.0})
    from simulator import ConvergenceError

    with pytest.raises(ConvergenceError):  # sized on the drug: nothing to find
        solve_sample_size(null, target=0.8, n_sims=2000, seed=1)
    r = solve_sample_size(null, target=0.8, n_sims=4000, seed=2, size_on="observed")
    assert r.unblinding.drug_alone_n_per_arm is None
    assert r.unblinding.notes and "drug effect alone" in r.unblinding.notes[0]
    # the bias alone "reaches" 80 % power: every one of those trials is a false positive
    assert r.unblinding.false_positive_rate.value >= 0.75


def test_cli_size_and_curve_show_both_answers(tmp_path, capsys):
    path = tmp_path / "unblinded.toml"
    path.write_text(
        '[design]\nn_per_arm = 100\n[pain]\neffect = -0.6\nsd = 2.0\nanalysis = "followup"\n'
        'unblinding_ae = "psy"\nunblinding_shift = -1.0\n'
        '[adverse_events.psy]\nplacebo_risk = 0.2\nrisk_ratio = 3.0\n')
    assert main(["size", str(path), "--n-sims", "2000", "--target", "0.8", "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["unblinding"]["sized_on"] == "drug"
    assert out["unblinding"]["drug_alone_n_per_arm"] == out["n_per_arm"]
    assert out["unblinding"]["observed_n_per_arm"] < out["n_per_arm"]
    assert main(["size", str(path), "--n-sims", "2000", "--target", "0.8"]) == 0
    text = capsys.readouterr().out
    assert "drug effect alone:" in text and "as observed:" in text and "false positives" in text
    assert main(["curve", str(path), "--n-sims", "1000", "--n", "50,100"]) == 0
    text = capsys.readouterr().out
    assert "drug" in text.splitlines()[2] and "false+" in text.splitlines()[2]
    with pytest.raises(SystemExit) as info:
        main(["size", str(path), "--size-on", "bogus"])
    assert info.value.code == 2
    assert "--size-on: invalid choice: 'bogus'" in capsys.readouterr().err
