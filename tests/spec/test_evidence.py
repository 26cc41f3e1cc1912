"""The evidence table: conversion, provenance, validation, user overrides."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from simulator import Scenario, ScenarioError, load_evidence
from simulator.spec.evidence import default_evidence
from simulator.spec.evidence_entry import TAGS

IV_IMMEDIATE = "ketamine-iv/pain/immediate"
IV_ANY_AE = "ketamine-iv/ae-any/any"


def test_review_md_on_0_100_converts_to_0_10_with_se_from_ci():
    # Cochrane IV ketamine immediate term: MD -15.79 (-32.09 to 0.51) on 0-100
    e = default_evidence()[IV_IMMEDIATE]
    assert e.estimate == pytest.approx(-1.579, abs=1e-12)
    assert e.ci == pytest.approx((-3.209, 0.051), abs=1e-12)
    assert e.se == pytest.approx(0.832, abs=5e-4)  # (0.51 + 32.09) / 3.92 / 10
    assert e.published_estimate == -15.79 and e.scale == "0-100"


def test_risk_ratio_se_is_on_the_log_scale():
    # Cochrane IV ketamine any AE: RR 3.26 (1.05 to 10.09)
    e = default_evidence()[IV_ANY_AE]
    assert e.estimate == pytest.approx(3.26)
    assert e.se == pytest.approx((math.log(10.09) - math.log(1.05)) / (2 * 1.959964), rel=1e-6)
    assert e.se == pytest.approx(0.577, abs=5e-4)
    assert e.log_estimate == pytest.approx(math.log(3.26))


def test_every_entry_has_provenance_for_every_number():
    table = default_evidence()
    assert len(table) >= 30
    for e in table.values():
        assert e.tag in TAGS and e.source
        assert set(e.provenance) == {"studies", "participants", "tau2", "i2", "grade"}, e.key
        for name, prov in e.provenance.items():
            # a number is absent exactly when its tag says it is missing
            assert (getattr(e, name) is None) == (prov.tag == "missing"), (e.key, name)
        if e.tag == "missing":
            assert e.estimate is None
        else:
            assert e.estimate is not None


def test_missing_review_numbers_name_what_stands_in():
    table = default_evidence()
    for key in ("ketamine-oral/pain/any", "memantine-oral/pain/any",
                "ketamine-iv/ae-psychotomimetic/any"):
        e = table[key]
        assert e.tag == "missing" and e.stands_in in table
        assert table[e.stands_in].estimate is not None


def test_weak_tags():
    table = default_evidence()
    assert table[IV_IMMEDIATE].weak  # secondary
    assert not table["ketamine-iv/pain/orhurhu-2019"].weak  # verified


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(textwrap.dedent(text))
    return path


ENTRY = '''
[entries."ketamine-iv/pain/immediate"]
drug = "ketamine"
route = "iv"
outcome = "pain"
measure = "MD"
window = "immediate"
comparator = "placebo"
study = "Cochrane CD015373.pub2, analysis 1.1 (read from the full review)"
scale = "0-100"
estimate = -12.0
ci = [-20.0, -4.0]
tau2 = 40.0          # on the 0-100 scale: 0.4 on 0-10
tag = "verified"
source = "CD015373.pub2 summary of findings table 1"
[entries."ketamine-iv/pain/immediate".provenance]
tau2 = { tag = "verified", source = "forest plot 1.1" }
'''


def test_user_file_replaces_entries_by_key(tmp_path):
    table = load_evidence([_write(tmp_path, ENTRY)])
    e = table[IV_IMMEDIATE]
    assert e.estimate == pytest.approx(-1.2) and e.tau2 == 0.4 and e.tag == "verified"
    assert e.se == pytest.approx(1.6 / (2 * 1.959964), rel=1e-6)
    assert IV_ANY_AE in table  # the rest of the built-in table is still there
    assert str(tmp_path) in e.origin


@pytest.mark.parametrize("patch, fragment", [
    (("tag = \"verified\"", "tag = \"solid\""), 'tag = \'solid\': must be one of'),
    (("estimate = -12.0", "estimate = -30.0"), "ci = [-20.0, -4.0]: must contain the estimate"),
    (("scale = \"0-100\"", "scale = \"ratio\""), "scale = 'ratio': must be one of '0-100', '0-10'"),
    (("window = \"immediate\"", "windw = \"immediate\""), "windw: unknown field (did you mean 'window'?)"),
    (("study = ", "# study = "), "study: required field is missing"),
    (("tau2 = { tag", "tau2 = { tg"), "provenance.tau2"),
    (("tau2 = 40.0", "tau2 = -0.4"), "tau2 = -0.4: must be a number >= 0"),
])
def test_malformed_entries_name_file_entry_and_field(tmp_path, patch, fragment):
    path = _write(tmp_path, ENTRY.replace(*patch))
    with pytest.raises(ScenarioError) as info:
        load_evidence([path])
    message = str(info.value)
    assert message.startswith(f'{path}: [entries."ketamine-iv/pain/immediate"]')
    assert fragment in message


def test_bad_toml_and_unknown_top_level(tmp_path):
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_evidence([_write(tmp_path, "[entries\n")])
    with pytest.raises(ScenarioError, match="extra: unknown top-level key"):
        load_evidence([_write(tmp_path, "[extra]\nx = 1\n")])


def test_scenario_effect_from_evidence():
    s = Scenario.from_dict({"design": {"n_per_arm": 50},
                            "pain": {"effect": {"from": "evidence", "key": IV_IMMEDIATE},
                                     "effect_prior": "pooled"}})
    assert s.pain.effect == pytest.approx(-1.579) and s.pain.effect_sd == pytest.approx(0.8316, abs=1e-4)
    assert s.pain.prior_sd == s.pain.effect_sd
    assert [e.key for e in s.evidence_used()] == [IV_IMMEDIATE]
    assert Scenario.from_dict(s.to_dict()) == s
    t = s.with_overrides({"pain.effect_prior": "predictive", "pain.tau2": 0.25})
    assert t.pain.prior_sd == pytest.approx(math.sqrt(0.8316**2 + 0.25), abs=1e-4)


def test_scenario_risk_ratio_from_evidence():
    s = Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {"effect": -1},
                            "adverse_events": {"any": {
                                "placebo_risk": 0.1,
                                "risk_ratio": {"from": "evidence", "key": IV_ANY_AE},
                                "risk_ratio_prior": "pooled"}}})
    ae = s.adverse_events[0]
    assert ae.risk_ratio == pytest.approx(3.26) and ae.log_rr_sd == pytest.approx(0.577, abs=5e-4)
    assert Scenario.from_dict(s.to_dict()) == s


def test_user_evidence_resolves_scenario_references(tmp_path):
    table = load_evidence([_write(tmp_path, ENTRY)])
    data = {"design": {"n_per_arm": 50},
            "pain": {"effect": {"from": "evidence", "key": IV_IMMEDIATE},
                     "effect_prior": "predictive"}}
    s = Scenario.from_dict(data, evidence=table)
    assert s.pain.effect == pytest.approx(-1.2) and s.pain.tau2 == 0.4
    assert s.with_overrides({"design.n_per_arm": 60}).pain.effect == pytest.approx(-1.2)


@pytest.mark.parametrize("pain, fragment", [
    ({"effect": {"from": "evidence", "key": "ketamine-oral/pain/any"}},
     "has no estimate (tagged missing); it names 'ketamine-oral/pain/proposed-prior'"),
    ({"effect": {"from": "evidence", "key": IV_ANY_AE}}, "is a RR; this field needs a MD entry"),
    ({"effect": {"from": "evidence", "key": "ketamine-iv/pain/immediat"}},
     "unknown evidence key 'ketamine-iv/pain/immediat'; did you mean"),
    ({"effect": {"from": "evidenc", "key": IV_IMMEDIATE}}, 'must be a number or { from = "evidence"'),
    ({"effect": {"from": "evidence", "key": IV_IMMEDIATE}, "effect_sd": 1.0},
     "[pain] effect_sd = 1.0: comes from the evidence entry"),
    ({"effect": {"from": "evidence", "key": IV_IMMEDIATE}, "effect_prior": "predictive"},
     "[pain] tau2 = (missing): required with effect_prior = 'predictive'"),
    ({"effect": -1.0, "effect_prior": "pooled"}, "set pain.effect_sd"),
    ({"effect": -1.0, "effect_prior": "bayes"}, "[pain] effect_prior = 'bayes'"),
])
def test_bad_references_and_priors_are_named(pain, fragment):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": pain}, source="s.toml")
    assert fragment in str(info.value)
    assert str(info.value).startswith("s.toml: ")
