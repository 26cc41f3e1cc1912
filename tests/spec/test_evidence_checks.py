"""Issue 16 item 7: the evidence's time window against the trial's follow-up, and its scale."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from simulator import Scenario, ScenarioError, load_evidence, load_scenario, simulate
from simulator.face.cli import main
from simulator.spec.evidence_checks import evidence_checks, is_evidence_warning

CRPS_SMD = "ketamine-iv/pain/collins-2010-crps"   # Hedges' g -0.65 (-1.47 to 0.16)
MORADI = "ketamine-any/pain/moradi-3-5wk"          # 0-10, window 3-5 weeks


def pain_from(key: str, **pain) -> Scenario:
    return Scenario.from_dict({"design": {"n_per_arm": 50},
                               "pain": {"effect": {"from": "evidence", "key": key}, **pain}})


def test_follow_up_inside_the_window_and_a_0_10_entry_give_no_warning():
    assert evidence_checks(pain_from(MORADI, followup_weeks=4)) == ()
    assert evidence_checks(pain_from(MORADI, followup_weeks=3)) == ()   # the window's edges
    assert evidence_checks(pain_from(MORADI, followup_weeks=5)) == ()
    assert evidence_checks(pain_from(MORADI)) == ()   # no follow-up stated: nothing to check


@pytest.mark.parametrize("weeks", [2.9, 5.1, 12])
def test_follow_up_outside_the_window_warns(weeks):
    (warning,) = evidence_checks(pain_from(MORADI, followup_weeks=weeks))
    assert warning.startswith("evidence window: pain.effect comes from " + MORADI)
    assert "'3-5 weeks' (3-5 weeks" in warning and f"at {weeks:g} weeks" in warning


def test_a_window_not_given_in_weeks_warns_and_so_does_the_0_100_scale():
    window, scale = evidence_checks(pain_from("ketamine-iv/pain/immediate", followup_weeks=4))
    assert "window 'immediate' is not given in weeks" in window and "at 4 weeks" in window
    assert scale == ("evidence scale: pain.effect comes from ketamine-iv/pain/immediate, "
                     "published on 0-100 (-15.79); converted to the trial's 0-10 NRS by "
                     "dividing by 10 (-1.579)")


def test_an_smd_converts_with_the_stated_sd():
    s = Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {
        "effect": {"from": "evidence", "key": CRPS_SMD, "sd": 2.5}, "effect_prior": "pooled"}})
    se_smd = (0.16 + 1.47) / (2 * 1.959963985)   # the SE of g from its published CI
    assert s.pain.effect == pytest.approx(-0.65 * 2.5, rel=1e-12)
    assert s.pain.effect_sd == pytest.approx(se_smd * 2.5, rel=1e-9)
    assert Scenario.from_dict(s.to_dict()) == s   # the reference keeps its sd
    (scale,) = evidence_checks(s)
    assert "an SMD (-0.65); converted to NRS points with the stated SD 2.5: -1.625" in scale


@pytest.mark.parametrize("effect, fragment", [
    ({"from": "evidence", "key": CRPS_SMD}, "is an SMD: give the SD that converts it"),
    ({"from": "evidence", "key": CRPS_SMD, "sd": 0},
     "[pain] effect.sd = 0: must be a number in [0.01, 10]: the SD"),
    ({"from": "evidence", "key": CRPS_SMD, "sd": 1e6},  # was accepted, then 'effect' refused
     "[pain] effect.sd = 1000000.0: must be a number in [0.01, 10]: the SD"),
    ({"from": "evidence", "key": MORADI, "sd": 2.5}, "is a MD; this field needs a SMD entry"),
])
def test_bad_smd_references_are_named(effect, fragment):
    with pytest.raises(ScenarioError, ) as info:
        Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {"effect": effect}})
    assert fragment in str(info.value)


def test_window_weeks_is_validated(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text('[entries."x"]\ndrug = "d"\nroute = "iv"\noutcome = "pain"\nmeasure = "MD"\n'
                    'window = "w"\ncomparator = "placebo"\nstudy = "s"\nscale = "0-10"\n'
                    'estimate = -1.0\ntag = "proposed"\nsource = "s"\nwindow_weeks = [5, 3]\n')
    with pytest.raises(ScenarioError, match=r'\[entries."x"\] window_weeks = \[5, 3\]: must be'):
        load_evidence([path])


def test_the_checks_reach_the_result_the_cli_and_the_resolve_json(tmp_path, capsys):
    scenario = ROOT / "scenarios" / "ketamine_iv_resolve.toml"
    s = load_scenario(scenario)
    assert s.pain.followup_weeks is not None
    r = simulate(s, n_sims=200, closed_forms=False, comparisons=False)
    checks = [n for n in r.notes if is_evidence_warning(n)]
    assert len(checks) == 2 and checks == list(evidence_checks(s))
    out = tmp_path / "r.json"
    assert main(["resolve", str(scenario), "--n-sims", "200", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"WARNING: {checks[0]}" in printed and f"WARNING: {checks[1]}" in printed
    assert json.loads(out.read_text())["notes"][-2:] == checks
