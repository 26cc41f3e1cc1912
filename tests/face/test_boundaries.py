"""``trialsim boundaries`` and the interim block of ``trialsim run``."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, csv_rows
from simulator import group_sequential_design
from simulator.face.cli import main

INTERIM = ROOT / "scenarios" / "ketamine_iv_interim.toml"
FIXED = ROOT / "scenarios" / "ketamine_iv_parallel.toml"


def test_boundaries_json_has_the_designs_bounds(capsys):
    assert main(["boundaries", str(INTERIM), "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    d = group_sequential_design([0.3333, 0.6667, 1.0], alpha=0.025, beta=0.1, sided=1,
                                alpha_spending="asOF", beta_spending="bsOF")
    assert [r["z"] for r in out["rows"]] == pytest.approx(d.critical_values.tolist())
    assert [r["futility_z"] for r in out["rows"][:-1]] == pytest.approx(
        d.futility_bounds.tolist())
    assert out["rows"][-1]["futility_z"] is None
    assert out["rows"][-1]["alpha_spent"] == pytest.approx(0.025, abs=1e-12)
    assert [r["group_sizes"] for r in out["rows"]] == [[59, 59], [118, 118], [177, 177]]
    # the effect-scale bound is the z bound times the look's SE (benefit negative)
    assert all(r["effect"] < 0 for r in out["rows"])


def test_boundaries_csv_table_and_plot(tmp_path, capsys):
    plot = tmp_path / "b.png"
    assert main(["boundaries", str(INTERIM), "--csv", "-", "--plot", str(plot),
                 "--paths", "5"]) == 0
    rows = csv_rows(capsys.readouterr().out)
    assert [r["look"] for r in rows] == ["1", "2", "3"]
    assert plot.stat().st_size > 1000
    assert main(["boundaries", str(INTERIM)]) == 0
    text = capsys.readouterr().out
    assert "asOF alpha spending" in text and "non-binding futility (bsOF)" in text


def test_boundaries_of_a_fixed_design_is_a_named_error(capsys):
    assert main(["boundaries", str(FIXED)]) == 2
    assert "no [interim] table" in capsys.readouterr().err
    assert main(["boundaries", str(INTERIM), "--paths", "-1"]) == 2
    assert "--paths = -1" in capsys.readouterr().err


def test_run_shows_the_sequential_trial(capsys):
    assert main(["run", str(INTERIM), "--n-sims", "1000", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "Interim analyses (3 looks" in text and "Expected patients" in text
    assert "Power, fixed design" in text
    assert main(["run", str(INTERIM), "--n-sims", "1000", "--quiet", "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    seq = out["sequential"]
    assert len(seq["p_stop_efficacy"]) == 3 and len(seq["p_stop_futility"]) == 2
    assert out["power"] == pytest.approx(sum(seq["p_stop_efficacy"]))


def test_interim_errors_name_the_field(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[design]\nn_per_arm = 50\n[pain]\neffect = -1.0\n'
                   '[interim]\nlooks = [0.5, 1.0]\nbeta_spending = "bsOF"\n')
    assert main(["validate", str(bad)]) == 2
    assert "[interim] beta_spending = 'bsOF': beta spending needs sided = 1" in \
        capsys.readouterr().err
    bad.write_text('[design]\nn_per_arm = 50\nkind = "crossover"\n[pain]\neffect = -1.0\n'
                   'analysis = "followup"\n[interim]\nlooks = 2\n')
    assert main(["validate", str(bad)]) == 2
    assert "[design] kind = 'crossover': interim analyses" in capsys.readouterr().err
