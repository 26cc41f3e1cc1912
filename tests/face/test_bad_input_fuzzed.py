"""Bad input a fuzzing of the command line found accepted or crashing: each now ends in
a named error (exit 2, one line, no traceback) before any work, or is handled."""

from __future__ import annotations

import pytest

from simulator import Scenario, ScenarioError, solve_sample_size
from simulator.planning.adaptive import simulate_promising_zone
from simulator.planning.boundary_table import z_paths

from conftest import ROOT
from test_reproducers import assert_named_error, cli, scenario

SMALL = "[design]\nn_per_arm = 100\n\n[pain]\neffect = -1.0\n"
TWO_LOOKS = ("[design]\nn_per_arm = 100\n\n[pain]\neffect = -1.0\nanalysis = \"followup\"\n\n"
             "[analysis]\nsided = 1\nalpha = 0.025\n\n"
             "[interim]\nlooks = [0.5, 1.0]\nalpha_spending = \"asOF\"\n")


@pytest.mark.parametrize("verb, extra", [
    ("size", ["--n-sims", "200"]),
    ("run", ["--n-sims", "200"]),
    ("adaptive", ["--n-sims", "200"]),
    ("boundaries", []),
    ("boundaries", ["--plot", "{tmp}/b.png"]),
])
def test_a_negative_seed_is_a_named_error_in_every_verb(tmp_path, capsys, verb, extra):
    s = scenario(tmp_path, TWO_LOOKS if verb in ("adaptive", "boundaries") else SMALL)
    args = [a.format(tmp=tmp_path) for a in extra]
    code, _, err = cli(capsys, verb, s, *args, "--seed", "-1")
    assert_named_error(code, err, "--seed -1: must be an integer >= 0")
    assert not (tmp_path / "b.png").exists()


def test_a_negative_seed_is_a_named_error_in_the_api(tmp_path):
    two_looks = Scenario.from_toml(scenario(tmp_path, TWO_LOOKS))
    with pytest.raises(ScenarioError, match="seed = -1"):
        simulate_promising_zone(two_looks, n_sims=200, seed=-1)
    s = Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {"effect": -1.0}})
    with pytest.raises(ScenarioError, match="seed = -1: must be an integer >= 0"):
        solve_sample_size(s, target=0.8, n_sims=200, seed=-1)
    looks = Scenario.from_toml(ROOT / "scenarios" / "ketamine_iv_interim.toml")
    with pytest.raises(ScenarioError, match="seed = -1"):
        z_paths(looks, 5, seed=-1)
    with pytest.raises(ScenarioError, match="seed = 1.5"):
        solve_sample_size(s, target=0.8, n_sims=200, seed=1.5)
