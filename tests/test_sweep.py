"""Sweeps: expansion, common random numbers, backends, and a store that survives SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator import Scenario, ScenarioError
from simulator.face.cli import main
from simulator.ops.store import ResultStore
from simulator.ops.sweep import expand_sweep, run_sweep
from simulator.spec import SweepSpec

ROOT = Path(__file__).resolve().parents[1]

BASE = Scenario.from_dict({
    "design": {"n_per_arm": 30},
    "pain": {"effect": -1.0, "bounded": True},
    "adverse_events": {"psy": {"placebo_risk": 0.1, "risk_ratio": 3.0}}})


def spec(**grid) -> SweepSpec:
    return Scenario.from_dict({**BASE.to_dict(), "sweep": {"grid": grid}}).sweep


def test_expansion_crosses_grid_keys_and_zips_zip_keys():
    s = Scenario.from_dict({**BASE.to_dict(), "sweep": {
        "grid": {"pain.effect": [-1.5, -1.0], "design.n_per_arm": "20:60:20"},
        "zip": {"pain.sd": [2.0, 2.5], "pain.correlation": [0.2, 0.4]}}})
    points = expand_sweep(BASE, s.sweep)
    assert len(points) == 2 * 3 * 2
    pairs = {(p.scenario.pain.sd, p.scenario.pain.correlation) for p in points}
    assert pairs == {(2.0, 0.2), (2.5, 0.4)}
    assert BASE.pain.effect == -1.0  # nothing mutated


def test_invalid_points_are_rejected_before_running_naming_the_point(tmp_path):
    with pytest.raises(ScenarioError, match=r"sweep point \(dropout.rate=1.5\): .*\[dropout\] rate"):
        run_sweep(BASE, spec(**{"dropout.rate": [0.1, 1.5]}), tmp_path / "r.csv", n_sims=10)
    assert not (tmp_path / "r.csv").exists() and not (tmp_path / "r.jsonl").exists()
    with pytest.raises(ScenarioError, match="equal numbers of values"):
        Scenario.from_dict({**BASE.to_dict(), "sweep": {"zip": {"pain.sd": [1, 2],
                                                                "pain.mcid": [1]}}})


def test_common_random_numbers_across_points(tmp_path):
    rows = run_sweep(BASE, spec(**{"pain.mcid": [0.5, 1.0, 2.0],
                                   "design.n_per_arm": [30, 31]}), tmp_path / "r.csv",
                     n_sims=2000)
    by_n = {}
    for r in rows:
        by_n.setdefault(r["design.n_per_arm"], set()).add(r["power"])
    assert all(len(v) == 1 for v in by_n.values())  # identical across mcid
    assert len(rows) == 6 and len({r["scenario_hash"] for r in rows}) == 6


def test_one_and_two_loky_workers_give_identical_rows(tmp_path):
    grid = spec(**{"pain.effect": [-1.5, -0.5], "design.n_per_arm": [20, 40]})
    one = run_sweep(BASE, grid, tmp_path / "a.csv", n_sims=1500, n_jobs=1)
    two = run_sweep(BASE, grid, tmp_path / "b.csv", n_sims=1500, n_jobs=2)
    assert one == two
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


def test_dask_local_cluster_gives_the_same_numbers_as_loky(tmp_path):
    pytest.importorskip("distributed")
    grid = spec(**{"pain.effect": [-1.5, -0.5], "design.n_per_arm": [20, 40]})
    loky = run_sweep(BASE, grid, tmp_path / "loky.csv", n_sims=1500, n_jobs=2)
    dask = run_sweep(BASE, grid, tmp_path / "dask.csv", n_sims=1500, backend="dask-local",
                     workers=2)
    assert dask == loky


def test_store_drops_a_torn_line_and_resume_skips_done_points(tmp_path):
    grid = spec(**{"pain.effect": [-1.5, -1.0, -0.5]})
    full = run_sweep(BASE, grid, tmp_path / "full.csv", n_sims=800)
    part = tmp_path / "part.csv"
    store = ResultStore(part)
    store.append(full[0])
    with open(store.jsonl, "a") as fh:  # a write cut short by a kill
        fh.write(json.dumps(full[1])[:40])
    rows = run_sweep(BASE, grid, part, n_sims=800, resume=True)
    assert rows == full
    lines = store.jsonl.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(line) for line in lines)
    assert part.read_text() == (tmp_path / "full.csv").read_text()


def test_sigkill_midway_then_resume_loses_and_duplicates_nothing(tmp_path):
    scenario = ROOT / "scenarios" / "ketamine_iv_parallel.toml"
    args = [sys.executable, "-m", "simulator", "sweep", str(scenario), "--grid",
            "pain.effect=-1.5,-1.25,-1,-0.75,-0.5,-0.25", "--grid", "design.n_per_arm=60,90",
            "--n-sims", "6000", "--quiet"]
    ref = tmp_path / "ref.csv"
    assert subprocess.run(args + ["--out", str(ref)], cwd=ROOT, timeout=300).returncode == 0
    out = tmp_path / "killed.csv"
    proc = subprocess.Popen(args + ["--out", str(out)], cwd=ROOT)
    jsonl = out.with_suffix(".jsonl")
    deadline = time.time() + 120
    while time.time() < deadline:
        if jsonl.exists() and jsonl.read_text().count("\n") >= 3:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    written = jsonl.read_text().count("\n")
    assert 3 <= written < 12, "the sweep should have been killed midway"
    assert subprocess.run(args + ["--out", str(out), "--resume"], cwd=ROOT,
                          timeout=300).returncode == 0
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    hashes = [r["scenario_hash"] for r in rows]
    assert len(hashes) == 12 == len(set(hashes))
    reference = {json.loads(line)["scenario_hash"]: json.loads(line)
                 for line in ref.with_suffix(".jsonl").read_text().splitlines()}
    assert {r["scenario_hash"]: r for r in rows} == reference
    assert sorted(out.read_text().splitlines()) == sorted(ref.read_text().splitlines())


def test_cli_sweep_requires_resume_for_an_existing_store_and_plots(tmp_path, capsys):
    scenario = ROOT / "scenarios" / "ketamine_iv_parallel.toml"
    out = tmp_path / "s.csv"
    base = ["sweep", str(scenario), "--grid", "pain.effect=-1.5,-0.5", "--grid",
            "design.n_per_arm=40:80:40", "--n-sims", "300", "--out", str(out), "--quiet"]
    assert main(base + ["--plot", str(tmp_path / "s.png"), "--x", "design.n_per_arm",
                        "--by", "pain.effect"]) == 0
    assert (tmp_path / "s.png").stat().st_size > 10_000
    assert main(base) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main(["sweep", str(scenario), "--out", str(tmp_path / "x.csv")]) == 2
    assert "no sweep keys" in capsys.readouterr().err
    header = out.read_text().splitlines()[0].split(",")
    assert header[:2] == ["pain.effect", "design.n_per_arm"]
    assert header.index("power") < header.index("seed_entropy") < header.index("scenario_hash")


def test_parquet_copy_when_pyarrow_is_installed(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    rows = run_sweep(BASE, spec(**{"pain.effect": [-1.0, -0.5]}), tmp_path / "p.csv", n_sims=300)
    table = pq.read_table(tmp_path / "p.parquet").to_pylist()
    assert [r["scenario_hash"] for r in table] == [r["scenario_hash"] for r in rows]
