"""Output safety: what a write may replace, atomic figures, output paths checked
before any work, one JSON encoder, and worker processes that exit with trialsim."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import simulator._io as io_module
from simulator._io import to_json
from simulator.face import output
from simulator.face.cli import main
from simulator.ops import store as store_module

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "ketamine_iv_parallel.toml"
FAST = ROOT / "scenarios" / "ketamine_iv_resolve.toml"  # aggregate path: quick
ENTRY = "ketamine-iv/pain/immediate"


# -- item 4: one JSON encoder, every verb's --json ------------------------------------

def strict(text: str):
    def refuse(name: str):
        raise AssertionError(f"non-finite number {name} in the JSON output")

    return json.loads(text, parse_constant=refuse)


def test_one_json_encoder_for_every_verb_and_the_sweep_store(tmp_path):
    assert output.to_json is io_module.to_json is store_module.to_json
    row = {"n": np.int64(3), "p": np.float64(0.25), "a": np.array([1, 2]), "scenario_hash": "h"}
    store = store_module.ResultStore(tmp_path / "s.csv")
    store.append(row)
    assert store.jsonl.read_text() == to_json(row) + "\n" == (
        '{"n": 3, "p": 0.25, "a": [1, 2], "scenario_hash": "h"}\n')
    output.emit_json(str(tmp_path / "r.json"), row)
    assert json.loads((tmp_path / "r.json").read_text()) == json.loads(store.jsonl.read_text())


def test_every_verb_writes_finite_json(tmp_path, capsys):
    studies = tmp_path / "studies.csv"
    studies.write_text("estimate,se\n-1.2,0.5\n-0.8,0.4\n-1.5,0.6\n")
    sims = ["--n-sims", "200", "--seed", "1", "--quiet"]
    verbs = {
        "run": ["run", str(FLAGSHIP), *sims],
        "curve": ["curve", str(FAST), "--n", "20,60", *sims],
        "size": ["size", str(FAST), "--target", "0.5", "--n-max", "55", *sims],
        "resolve": ["resolve", str(FAST), "--trials", "2", "--n", "40,80", *sims],
        "recruit": ["recruit", str(ROOT / "scenarios" / "ketamine_iv_recruitment.toml"),
                    "--reps", "10", "--n-sims", "100", "--seed", "1"],
        "meta": ["meta", str(studies)],
        "evidence": ["evidence"],
        "evidence show": ["evidence", "show", ENTRY],
    }
    for name, argv in verbs.items():
        target = tmp_path / f"{name.replace(' ', '_')}.json"
        assert main(argv + ["--json", str(target)]) == 0, name
        data = strict(target.read_text())
        assert data, name
        if name == "size":  # the Monte Carlo range reaches the grid's edge, n_max
            assert data["n_range"][1] == 55
    capsys.readouterr()
