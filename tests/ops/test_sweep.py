"""Sweeps: expansion, common random numbers, backends, and a store that survives SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from simulator import Scenario, ScenarioError, load_scenario
from simulator.engine.layout import default_block_size
from simulator.face.cli import main
from simulator.ops.store import ResultStore
from simulator.ops.sweep import expand_sweep, run_sweep
from simulator.spec import SweepSpec

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
    def data(path):  # the rows, not the provenance (its command and time differ)
        return sorted(line for line in path.read_text().splitlines() if not line.startswith("#"))
    assert data(out) == data(ref)
    assert out.read_text().startswith("# trialsim provenance\n")


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
    header = next(line for line in out.read_text().splitlines()
                  if not line.startswith("#")).split(",")
    assert header[:2] == ["pain.effect", "design.n_per_arm"]
    assert header.index("power") < header.index("seed_entropy") < header.index("scenario_hash")


def test_parquet_copy_when_pyarrow_is_installed(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    rows = run_sweep(BASE, spec(**{"pain.effect": [-1.0, -0.5]}), tmp_path / "p.csv", n_sims=300)
    table = pq.read_table(tmp_path / "p.parquet").to_pylist()
    assert [r["scenario_hash"] for r in table] == [r["scenario_hash"] for r in rows]


def test_a_second_writer_is_refused_at_once_naming_the_holders_pid(tmp_path, capsys):
    out = tmp_path / "locked.csv"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from simulator.ops.store import ResultStore\n"
         f"with ResultStore({str(out)!r}).locked():\n"
         "    print('locked', flush=True); sys.stdin.read()"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        scenario = ROOT / "scenarios" / "ketamine_iv_parallel.toml"
        argv = ["sweep", str(scenario), "--grid", "pain.effect=-1.5,-0.5", "--n-sims", "200",
                "--out", str(out), "--quiet"]
        started = time.perf_counter()
        assert main(argv + ["--resume"]) == 2
        assert time.perf_counter() - started < 5  # refused, not waiting
        err = capsys.readouterr().err
        assert f"in use by another sweep (PID {holder.pid}," in err and err.count("\n") == 1
        assert not out.exists() and not out.with_suffix(".jsonl").exists()
    finally:
        holder.communicate("", timeout=30)
    assert main(argv) == 0  # the lock is gone with its holder
    assert len(out.with_suffix(".jsonl").read_text().splitlines()) == 2


def test_resume_refuses_other_settings_naming_the_one_that_differs(tmp_path, capsys):
    scenario = ROOT / "scenarios" / "ketamine_iv_resolve.toml"
    out = tmp_path / "r.csv"
    base = ["sweep", str(scenario), "--grid", "design.n_per_arm=20,40", "--n-sims", "100",
            "--seed", "3", "--out", str(out), "--quiet"]
    assert main(base) == 0
    rows, table = out.with_suffix(".jsonl").read_text(), out.read_text()
    settings = json.loads(out.with_suffix(".meta.json").read_text())
    provenance = settings.pop("provenance")  # beside the settings, not compared on resume
    assert (provenance["seed"], provenance["n_sims"]) == (3, 100)
    assert provenance["command"].startswith("trialsim sweep ")
    block = min(default_block_size(p.scenario) for p in expand_sweep(
        load_scenario(scenario), SweepSpec(grid=(("design.n_per_arm", (20, 40)),))))
    assert settings == {"n_sims": 100, "seed": 3, "path": "auto", "block_size": block,
                        "grid": {"design.n_per_arm": [20, 40]}, "zip": {},
                        "scenario": settings["scenario"], "version": settings["version"]}
    assert "meta" not in table and "block_size" not in rows  # the rows are as they were
    for change, fragment in (
            (["--n-sims", "200"], "n_sims (--n-sims): 100 in the store, 200 in this run"),
            (["--seed", "4"], "seed (--seed): 3 in the store, 4 in this run"),
            (["--grid", "design.n_per_arm=20,40,60"],
             "grid (--grid) key design.n_per_arm: [20, 40] in the store, [20, 40, 60] in"),
            (["--zip", "pain.sd=2,3"], "zip (--zip) key pain.sd: absent in the store"),
            (["--set", "pain.sd=3"], "scenario (its file, --set and --evidence)")):
        argv = base + change + ["--resume"]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"--resume {out}: written with other settings: {fragment}" in err, err
    assert out.with_suffix(".jsonl").read_text() == rows and out.read_text() == table
    assert main(base + ["--resume"]) == 0  # the same settings resume


def test_the_store_files_never_collide(tmp_path):
    for name in ("r.jsonl", "r.parquet", "r.lock"):
        with pytest.raises(ScenarioError, match=f"--out {tmp_path / name}: its .* would be the "
                                                "same file"):
            ResultStore(tmp_path / name)
    store = ResultStore(tmp_path / "r.csv")
    assert len(set(store.files)) == 5
