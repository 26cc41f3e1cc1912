"""``trialsim value``: bad input exits 2 before any work; the table, strict JSON and the figure."""

from __future__ import annotations

import json

from conftest import ROOT

from simulator.face.cli import main

VALUE = ROOT / "scenarios" / "ketamine_iv_value.toml"
FLAGSHIP = ROOT / "scenarios" / "ketamine_iv_parallel.toml"


def test_a_scenario_without_a_decision_exits_2_naming_the_table(capsys):
    assert main(["value", str(FLAGSHIP), "--n-sims", "100"]) == 2
    err = capsys.readouterr().err
    assert "[decision]: missing" in err and "docs/value.md" in err


def test_bad_flags_and_fields_exit_2(capsys, tmp_path):
    assert main(["value", str(VALUE), "--trials", "0", "--n-sims", "100"]) == 2
    assert "trials = 0: must be an integer >= 1" in capsys.readouterr().err
    assert main(["value", str(VALUE), "--set", "decision.discount_rate=1.5"]) == 2
    assert "[decision] discount_rate = 1.5: must be in [0, 1)" in capsys.readouterr().err
    assert main(["value", str(VALUE), "--set", "decision.months_to_result=3"]) == 2
    assert "comes from the [recruitment] table" in capsys.readouterr().err


def test_table_json_and_figure(tmp_path, capsys):
    out, plot = tmp_path / "v.json", tmp_path / "v.png"
    assert main(["value", str(VALUE), "--n", "20:60:20", "--n-sims", "1000", "--seed", "3",
                 "--quiet", "--json", str(out), "--plot", str(plot)]) == 0
    text = capsys.readouterr().out
    assert "perfect information (EVPI)" in text and "Optimal n" in text
    assert "value judgements" in text
    raw = out.read_text()
    assert "NaN" not in raw and "Infinity" not in raw
    data = json.loads(raw)
    assert [p["n_per_arm"] for p in data["points"]] == [20, 40, 60]
    assert data["points"][0]["evsi_closed"] is None  # bounded scores: no closed form
    assert "bounded, rounded scores" in data["closed_form"]  # null with its reason
    assert data["unit"] == "GBP" and data["decision"] in ("adopt", "do not adopt")
    assert data["optimal_range"][0] <= data["optimal_n"] <= data["optimal_range"][1]
    from PIL import Image

    assert Image.open(plot).text["trialsim.command"].startswith("trialsim value ")


def test_max_trials_reports_the_design_of_largest_enbs(tmp_path, capsys):
    out = tmp_path / "d.json"
    assert main(["value", str(VALUE), "--n", "20,40", "--max-trials", "2", "--n-sims", "500",
                 "--bootstraps", "0", "--quiet", "--json", str(out)]) == 0
    assert "Optimal design" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert set(data["by_trials"]) == {"1", "2"} and data["optimal"]["trials"] in (1, 2)
    assert main(["value", str(VALUE), "--trials", "2", "--max-trials", "2"]) == 2
