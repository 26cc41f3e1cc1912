"""Scenario loading and validation: defaults, overrides, errors that name the field."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT

from simulator import Scenario, ScenarioError, SimulatorError, load_scenario
from simulator.spec.parse import parse_override


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_minimal_file_is_valid_and_takes_documented_defaults(tmp_path):
    s = load_scenario(write(tmp_path, """
        [design]
        n_per_arm = 50
        [pain]
        effect = -1.0
    """))
    assert s.design.group_sizes == (50, 50)
    assert (s.pain.sd, s.pain.correlation, s.pain.analysis) == (2.5, 0.3, "ancova")
    assert (s.analysis.alpha, s.analysis.sided, s.simulation.n_sims) == (0.05, 2, 10_000)
    assert s.adverse_events == () and s.dropout.rate == 0.0


def test_flagship_scenario_loads():
    s = load_scenario(ROOT / "scenarios" / "ketamine_iv_parallel.toml")
    assert s.design.arms == ("placebo", "ketamine")
    assert {ae.name for ae in s.adverse_events} >= {"psychotomimetic"}
    assert s.dropout.after_ae["psychotomimetic"] == pytest.approx(0.3)


def test_allocation_sets_arm_sizes():
    s = Scenario.from_dict({"design": {"n_per_arm": 40, "allocation": [1, 2]},
                            "pain": {"effect": -1}})
    assert s.design.group_sizes == (40, 80)
    assert s.design.n_total == 120


def test_to_dict_round_trips():
    s = load_scenario(ROOT / "scenarios" / "ketamine_iv_parallel.toml")
    assert Scenario.from_dict(s.to_dict()) == s


def test_specs_are_frozen():
    s = Scenario.from_dict({"design": {"n_per_arm": 10}, "pain": {"effect": 0}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.design.n_per_arm = 20  # type: ignore[misc]


def test_overrides_make_a_new_validated_scenario():
    s = Scenario.from_dict({"design": {"n_per_arm": 10}, "pain": {"effect": 0}})
    t = s.with_overrides({"design.n_per_arm": 120, "pain.effect": -1.5,
                          "adverse_events.nausea.placebo_risk": 0.1})
    assert (t.design.n_per_arm, t.pain.effect) == (120, -1.5)
    assert t.adverse_events[0].name == "nausea" and t.adverse_events[0].risk_ratio == 1.0
    assert s.design.n_per_arm == 10  # the original is untouched


@pytest.mark.parametrize("text, expected", [
    ("pain.effect=-1.0", ("pain.effect", -1.0)),
    ("design.n_per_arm=120", ("design.n_per_arm", 120)),
    ("pain.bounded=true", ("pain.bounded", True)),
    ("design.allocation=[1, 2]", ("design.allocation", [1, 2])),
    ("pain.analysis=change", ("pain.analysis", "change")),
])
def test_parse_override(text, expected):
    assert parse_override(text) == expected


# Each invalid value must be rejected with a message naming the field, the
# value and what is allowed.
BAD = [
    ({"design": {"n_per_arm": 1}}, "[design] n_per_arm = 1", "[2, 100000]"),
    ({"design": {"n_per_arm": 10**9}}, "[design] n_per_arm = 1000000000", "[2, 100000]"),
    ({"design": {"allocation": [0.5, 1e300]}}, "[design] allocation", "[1e-06, 1e+06]"),
    ({"design": {"allocation": [0.5, 600]}}, "[design] allocation", "within a factor 1000"),
    ({"design": {"allocation": [1, 900], "n_per_arm": 200}}, "[design] allocation",
     "no arm may have more than 100000 patients"),
    ({"design": {"n_per_arm": 10.5}}, "[design] n_per_arm = 10.5", "integer"),
    ({"design": {"kind": "factorial"}}, "[design] kind = 'factorial'", "'parallel', 'crossover', 'multiarm'"),
    ({"design": {"arms": ["a"]}}, "[design] arms", "2 distinct names"),
    ({"design": {"allocation": [1, 0]}}, "[design] allocation", "[1e-06, 1e+06]"),
    ({"design": {"allocation": [30, 1]}}, "[design] allocation", "at least 2 patients"),
    ({"pain": {"effect": "big"}}, "[pain] effect = 'big'", "a number in [-10, 10]"),
    ({"pain": {"sd": -2}}, "[pain] sd = -2", "[0.01, 10]"),
    ({"pain": {"sd": 1e-163}}, "[pain] sd = 1e-163", "[0.01, 10]"),
    ({"pain": {"baseline_sd": 0}}, "[pain] baseline_sd = 0", "[0.01, 10]"),
    ({"pain": {"baseline_sd": 1e155}}, "[pain] baseline_sd = 1e+155", "[0.01, 10]"),
    ({"pain": {"effect": 1e300}}, "[pain] effect = 1e+300", "[-10, 10]"),
    ({"pain": {"baseline_mean": -1}}, "[pain] baseline_mean = -1", "[0, 10]"),
    ({"pain": {"correlation": 1.0}}, "[pain] correlation = 1.0", "(-1, 1)"),
    ({"pain": {"mcid": -1}}, "[pain] mcid = -1", "[0, 10]"),
    ({"pain": {"mcid": 1e300}}, "[pain] mcid = 1e+300", "[0, 10]"),
    ({"pain": {"bounded": "yes"}}, "[pain] bounded = 'yes'", "true or false"),
    ({"pain": {"analysis": "anova"}}, "[pain] analysis = 'anova'", "'ancova'"),
    ({"pain": {"bounded": True, "inclusion_min": 11}}, "[pain] inclusion_min = 11", "[0, 10]"),
    ({"pain": {"inclusion_min": 6, "inclusion_max": 5}}, "[pain] inclusion_max = 5", "> inclusion_min"),
    ({"pain": {"inclusion_min": 30}}, "[pain] inclusion_min = 30", "[0, 10]"),
    ({"pain": {"baseline_sd": 0.5, "inclusion_min": 10}}, "[pain] inclusion_min = 10",
     "widen the range"),
    ({"pain": {"baseline_sd": 0.5, "inclusion_max": 0}}, "[pain] inclusion_max = 0",
     "widen the range"),
    ({"adverse_events": {"nausea": {"placebo_risk": 1.5}}},
     "[adverse_events.nausea] placebo_risk = 1.5", "[0, 1]"),
    ({"adverse_events": {"nausea": {"placebo_risk": 0.5, "risk_ratio": 3}}},
     "[adverse_events.nausea] risk_ratio = 3", "<= 1"),
    ({"adverse_events": {"nausea": {"placebo_risk": 0.1, "risk_ratio": 0}}},
     "[adverse_events.nausea] risk_ratio = 0", "[0.001, 1000]"),
    ({"adverse_events": {"nausea": {"risk_ratio": 2}}},
     "[adverse_events.nausea] placebo_risk = (missing)", "required"),
    ({"dropout": {"rate": 1.2}}, "[dropout] rate = 1.2", "[0, 1)"),
    ({"dropout": {"after_ae": {"nausea": 0.3}}}, "[dropout.after_ae] nausea = 0.3",
     "unknown adverse event"),
    ({"analysis": {"alpha": 0.7}}, "[analysis] alpha = 0.7", "[1e-10, 0.5)"),
    ({"analysis": {"alpha": 1e-300}}, "[analysis] alpha = 1e-300", "[1e-10, 0.5)"),
    ({"analysis": {"sided": 3}}, "[analysis] sided = 3", "1, 2"),
    ({"analysis": {"sided": 2.0}}, "[analysis] sided = 2.0", "1, 2"),
    ({"analysis": {"test": "z"}}, "[analysis] test = 'z'", "'student', 'welch'"),
    ({"simulation": {"n_sims": 1}}, "[simulation] n_sims = 1", "[2, 1e9]"),
    ({"simulation": {"chunk_mb": 0.1}}, "[simulation] chunk_mb = 0.1", "[1, 65536]"),
    ({"seed": -3}, "seed = -3", ">= 0"),
    ({"name": ""}, "name = ''", "non-empty"),
]


@pytest.mark.parametrize("patch, where, allowed", BAD, ids=[b[1] for b in BAD])
def test_every_bad_value_is_named(patch, where, allowed):
    data = {"design": {"n_per_arm": 20}, "pain": {"effect": -1.0}}
    for section, values in patch.items():
        if isinstance(values, dict) and isinstance(data.get(section), dict):
            data[section] = {**data[section], **values}
        else:
            data[section] = values
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data, source="x.toml")
    message = str(info.value)
    assert message.startswith("x.toml: ")
    assert where in message
    assert allowed in message


@pytest.mark.parametrize("data, fragment", [
    ({"design": {"n_per_arm": 20}, "pain": {"effect": -1, "efect": 2}},
     "[pain] efect: unknown key (did you mean 'effect'?)"),
    ({"design": {"n_per_arm": 20}, "pain": {"effect": -1}, "dropuot": {}},
     "top level dropuot: unknown key (did you mean 'dropout'?)"),
    ({"design": {"n_per_arm": 20}, "pain": {"effect": -1},
      "adverse_events": {"n": {"placebo_risk": 0.1, "rr": 2}}},
     "[adverse_events.n] rr: unknown key"),
])
def test_unknown_keys_are_errors(data, fragment):
    with pytest.raises(ScenarioError, match=None) as info:
        Scenario.from_dict(data, source="f.toml")
    assert fragment in str(info.value)


def test_required_fields_are_named():
    with pytest.raises(ScenarioError, match=r"\[design\] n_per_arm = \(missing\): required"):
        Scenario.from_dict({"pain": {"effect": -1}})
    with pytest.raises(ScenarioError, match=r"\[pain\] effect = \(missing\): required"):
        Scenario.from_dict({"design": {"n_per_arm": 5}})


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "absent.toml")
    bad = write(tmp_path, "[design\nn_per_arm = 3")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad)
    path = write(tmp_path, "[design]\nn_per_arm = 3\n[pain]\neffect = -1\n[dropout]\nrate = 2\n")
    with pytest.raises(ScenarioError, match=rf"^{path}: \[dropout\] rate = 2"):
        load_scenario(path)


def test_error_hierarchy():
    assert issubclass(ScenarioError, SimulatorError)
    assert issubclass(ScenarioError, ValueError)
