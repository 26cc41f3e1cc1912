"""The trialsim command line, end to end (in-process and as a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "ketamine_iv_parallel.toml"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


def test_run_flagship_json_has_the_stable_keys():
    proc = run_cli("run", str(FLAGSHIP), "--n-sims", "2000", "--json", "-")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for key in ("power", "power_se", "power_ci", "power_benefit", "analytic_power", "n_per_arm",
                "n_sims", "path", "adverse_events", "seed_entropy", "mean_estimate", "bias"):
        assert key in out
    assert out["n_sims"] == 2000 and out["path"] == "patient" and out["n_per_arm"] == 135
    assert 0 <= out["power_ci"][0] <= out["power"] <= out["power_ci"][1] <= 1
    assert set(out["adverse_events"]) == {"psychotomimetic", "nausea_vomiting", "any"}
    assert 0 <= out["adverse_events"]["psychotomimetic"]["p_harm_detected"] <= 1


def test_run_prints_a_table_and_writes_json(tmp_path, capsys):
    target = tmp_path / "out" / "result.json"
    code = main(["run", str(FLAGSHIP), "--n-sims", "500", "--seed", "7", "--json", str(target),
                 "--set", "design.n_per_arm=40", "--quiet"])
    assert code == 0
    table = capsys.readouterr().out
    assert "Power" in table and "psychotomimetic" in table and "placebo 40" in table
    data = json.loads(target.read_text())
    assert data["n_per_arm"] == 40 and data["seed_entropy"] == 7
    assert not list(target.parent.glob(".*.tmp"))  # no half-written leftovers


def test_run_is_reproducible_and_jobs_do_not_change_numbers(capsys):
    outs = []
    for jobs in ("1", "2"):
        assert main(["run", str(FLAGSHIP), "--n-sims", "3000", "--jobs", jobs, "--json", "-",
                     "--set", "simulation.chunk_mb=1"]) == 0
        outs.append(json.loads(capsys.readouterr().out))
    assert outs[0] == outs[1]


def test_validate(capsys):
    assert main(["validate", str(FLAGSHIP)]) == 0
    assert "valid" in capsys.readouterr().out


@pytest.mark.parametrize("args, fragment", [
    (["--set", "dropout.rate=1.5"], "[dropout] rate = 1.5: must be in [0, 1)"),
    (["--set", "pain.analyss=change"], "[pain] analyss: unknown key (did you mean 'analysis'?)"),
    (["--set", "novalue"], "expected KEY=VALUE"),
])
def test_bad_input_exits_2_with_one_line_naming_the_field(args, fragment):
    proc = run_cli("validate", str(FLAGSHIP), *args)
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_forced_aggregate_path_on_bounded_scenario_exits_2(capsys):
    assert main(["run", str(FLAGSHIP), "--n-sims", "10", "--path", "aggregate"]) == 2
    assert "not exact here" in capsys.readouterr().err


def test_negative_seed_exits_2(capsys):
    assert main(["run", str(FLAGSHIP), "--n-sims", "10", "--seed", "-1"]) == 2
    assert "seed = -1: must be an integer >= 0" in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "cannot read scenario file" in capsys.readouterr().err


def test_console_script_entry_point_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'trialsim = "simulator.cli:main"' in text
