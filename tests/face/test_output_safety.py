"""Output safety: what a write may replace, atomic figures, output paths checked
before any work, one JSON encoder, and worker processes that exit with trialsim."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

import simulator._io as io_module
from simulator._io import to_json, write_atomic
from simulator.errors import ScenarioError
from simulator.face import commands_evidence, commands_ops, commands_planning, output
from simulator.face.cli import main
from simulator.face.output import figure_file, save_figure
from simulator.ops import store as store_module

FLAGSHIP = ROOT / "scenarios" / "ketamine_iv_parallel.toml"
FAST = ROOT / "scenarios" / "ketamine_iv_resolve.toml"  # aggregate path: quick
ENTRY = "ketamine-iv/pain/immediate"


# -- item 1: write in place to devices and FIFOs, never replace them or an input ----------

def char_device(tmp_path: Path) -> Path:
    """A null device (1, 3) made inside tmp_path; the test is skipped without the right."""
    dev = tmp_path / "null"
    try:
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("cannot make a device node here (needs CAP_MKNOD)")
    return dev


def test_a_character_device_is_written_in_place_and_stays_a_device(tmp_path, capsys):
    dev = char_device(tmp_path)
    write_atomic(dev, "{}\n")
    assert main(["evidence", "show", ENTRY, "--json", str(dev)]) == 0
    assert "Epocrates" in capsys.readouterr().out  # the table still prints
    info = os.stat(dev)
    assert stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no temporary files


def test_a_fifo_is_written_in_place_and_stays_a_fifo(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert main(["evidence", "show", ENTRY, "--json", str(fifo)]) == 0
    reader.join(10)
    assert json.loads(got[0])["entry"]["key"] == ENTRY
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    capsys.readouterr()


def test_standard_output_redirected_to_a_file_is_written_in_place(tmp_path):
    out = tmp_path / "out.txt"
    code = ("import sys; print('before', flush=True); from simulator._io import write_atomic; "
            "write_atomic('/dev/stdout', 'json\\n'); print('after')")
    with open(out, "w") as fh:
        inode = os.fstat(fh.fileno()).st_ino
        subprocess.run([sys.executable, "-c", code], stdout=fh, cwd=ROOT, check=True,
                       timeout=60)
    assert out.read_text() == "before\njson\nafter\n"  # nothing lost, in order
    assert out.stat().st_ino == inode  # not replaced


def test_regular_files_are_fsynced_before_the_rename_and_links_stay_links(tmp_path,
                                                                        monkeypatch):
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"),
                                                     real_replace(a, b))[1])
    target = tmp_path / "real.json"
    link = tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target.name)
    write_atomic(link, "new")
    assert calls[:2] == ["fsync", "replace"]
    assert link.is_symlink() and target.read_text() == "new"


def test_a_socket_is_refused_and_left_alone(tmp_path):
    import socket

    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(ScenarioError, match="s.sock: is a socket"):
            write_atomic(path, "x")
        assert stat.S_ISSOCK(os.stat(path).st_mode)


@pytest.fixture
def no_simulation(monkeypatch):
    """Every verb's work raises: a check that passes it would fail the test."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the run started before the output paths were checked")

    from simulator.face import report

    for module, name in ((commands_planning, "simulate"), (commands_planning, "power_curve"),
                         (commands_planning, "solve_sample_size"),
                         (commands_planning, "resolve_review"), (report, "gather_report"),
                         (commands_ops, "run_sweep"), (commands_evidence, "pool_studies")):
        monkeypatch.setattr(module, name, forbidden)


def inputs(tmp_path: Path) -> dict[str, Path]:
    scenario = tmp_path / "s.toml"
    scenario.write_text(FAST.read_text())
    evidence = tmp_path / "e.toml"
    evidence.write_text("")
    studies = tmp_path / "studies.csv"
    studies.write_text("estimate,se\n-1.2,0.5\n-0.8,0.4\n")
    (tmp_path / "file.txt").write_text("")
    (tmp_path / "folder").mkdir()
    return {"s": scenario, "e": evidence, "studies": studies}


SWEEP = ["sweep", "{s}", "--grid", "design.n_per_arm=20,40", "--grid",
         "pain.analysis=ancova,change", "--quiet"]


@pytest.mark.parametrize("argv, fragment", [
    (["run", "{s}", "--json", "{s}"], "--json {s}: is the scenario file of this run"),
    (["run", "{s}", "--evidence", "{e}", "--json", "{e}"], "--json {e}: is an --evidence file"),
    (["meta", "{studies}", "--json", "{studies}"], "--json {studies}: is the study table"),
    (["run", "{s}", "--json", "{t}/folder"], "--json {t}/folder: is a directory"),
    (["run", "{s}", "--json", ""], "--json '': an empty path"),
    (["run", "{s}", "--json", "{t}/new/"], "--json {t}/new/: names a folder"),
    (["run", "{s}", "--json", "{t}/file.txt/r.json"], "{t}/file.txt is not a folder"),
    (["curve", "{s}", "--n", "20,40", "--plot", "{t}/c.xyz"],
     "--plot {t}/c.xyz: unknown figure format 'xyz'"),
    (["curve", "{s}", "--n", "20,40", "--csv", "{t}/c.png", "--plot", "{t}/c.png"],
     "--plot {t}/c.png: is also --csv {t}/c.png"),
    (["curve", "{s}", "--n", "20,40", "--plot", "{s}"],
     "--plot {s}: unknown figure format 'toml'"),
    (["resolve", "{s}", "--plot", "{t}/r.png"], "--plot {t}/r.png: trialsim resolve draws a "
                                                "curve only with --n"),
    (["resolve", "{s}", "--time-plot", "{t}/r.xyz"],
     "--time-plot {t}/r.xyz: unknown figure format 'xyz'"),
    (["resolve", "{s}", "--n", "20,40", "--plot", "{t}/r.png", "--time-plot", "{t}/r.png"],
     "--time-plot {t}/r.png: is also --plot {t}/r.png"),
    (["report", "{s}", "--evidence", "{e}", "--out", "{e}"], "--out {e}: is an --evidence file"),
    (["report", "{s}", "--out", "{s}"], "--out {s}: is the scenario file of this run"),
    (["report", "{s}", "--out", "{t}/folder"], "--out {t}/folder: is a directory"),
    (SWEEP + ["--out", ""], "--out '': an empty path"),
    (SWEEP + ["--out", "{t}/r.jsonl"], "--out {t}/r.jsonl: its JSON Lines twin would be"),
    (SWEEP + ["--out", "{s}", "--resume"], "--out {s}: is the scenario file of this run"),
    (SWEEP + ["--out", "{t}/r.csv", "--plot", "{t}/r.xyz"], "--plot {t}/r.xyz: unknown"),
    (SWEEP + ["--out", "{t}/r.csv", "--plot", "{t}/r.png", "--x", "pain.sd"],
     "--x pain.sd: not a sweep key: use one of design.n_per_arm, pain.analysis"),
    (SWEEP + ["--out", "{t}/r.csv", "--plot", "{t}/r.png", "--by", "pain.effect"],
     "--by pain.effect: not a sweep key"),
    (SWEEP + ["--out", "{t}/r.csv", "--plot", "{t}/r.png", "--x", "pain.analysis"],
     "--x pain.analysis: its values ['ancova', 'change'] are not numbers"),
    (SWEEP + ["--out", "{t}/r.csv", "--plot", "{t}/r.png", "--metric", "p_settled"],
     "--metric p_settled: not a column of this sweep's rows: use one of n_per_arm,"),
    (SWEEP + ["--out", "{t}/r.csv", "--plot", "{t}/r.png", "--metric", "p_harm_any"],
     "--metric p_harm_any: not a column"),
])
def test_bad_outputs_exit_2_before_any_work_naming_the_path(tmp_path, capsys, no_simulation,
                                                           argv, fragment):
    names = {**{k: str(v) for k, v in inputs(tmp_path).items()}, "t": str(tmp_path)}
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err
    assert fragment.format(**names) in err and err.count("\n") == 1, err
    assert not list(tmp_path.glob("r.*")) and not (tmp_path / "new").exists()


def test_an_unwritable_folder_exits_2(tmp_path, capsys, no_simulation):
    if os.geteuid() == 0:
        pytest.skip("root writes everywhere (access(2) says yes)")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["run", str(FAST), "--json", str(folder / "r.json")]) == 2
        assert f"cannot create files in {folder}" in capsys.readouterr().err
    finally:
        folder.chmod(0o700)


def test_the_sweep_metrics_offered_are_the_numeric_columns_of_its_rows():
    from simulator import load_scenario
    from simulator.ops.sweep import (
        expand_sweep,
        metric_columns,
        result_row,
        row_columns,
    )
    from simulator.planning.simulate import simulate
    from simulator.spec import SweepSpec

    for name in ("ketamine_iv_parallel", "ketamine_iv_assurance", "ketamine_iv_resolve"):
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        row = result_row({"design.n_per_arm": 20}, simulate(
            scenario.with_overrides({"design.n_per_arm": 20}), n_sims=20, seed=1))
        assert row_columns({"design.n_per_arm": 20}, scenario) == list(row)
        points = expand_sweep(scenario, SweepSpec(grid=(("design.n_per_arm", (20, 30)),)))
        metrics = metric_columns(points)
        assert "power" in metrics and "path" not in metrics and "design.n_per_arm" not in metrics
        assert ("assurance" in metrics) == (scenario.pain.effect_prior != "fixed")
        assert ("p_conclusive" in metrics) == (scenario.meta_analysis is not None)


# -- item 2: figures through the atomic writer -----------------------------------------

def axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return ax


def test_a_figure_killed_while_saving_leaves_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "curve.png"
    save_figure(axes(), str(target))
    before = target.read_bytes()
    assert before.startswith(b"\x89PNG")

    def killed(src, dst):
        raise KeyboardInterrupt  # a signal arriving between the write and the rename

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        save_figure(axes(), str(target))
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curve.png"]  # no temporary file


def test_figure_formats_follow_the_suffix_as_savefig_does(tmp_path):
    assert figure_file("a/b.SVG") == (Path("a/b.SVG"), "svg")
    assert figure_file("plain") == (Path("plain.png"), "png")
    save_figure(axes(), str(tmp_path / "f.pdf"))
    save_figure(axes(), str(tmp_path / "g"))
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ScenarioError, match=r"--plot x.xyz: unknown figure format 'xyz'"):
        figure_file("x.xyz")


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
    two_looks = tmp_path / "two_looks.toml"
    two_looks.write_text('[design]\nn_per_arm = 60\n[pain]\neffect = -1.0\n'
                         'analysis = "followup"\n[analysis]\nalpha = 0.025\nsided = 1\n'
                         '[interim]\nlooks = [0.5, 1.0]\n')
    sims = ["--n-sims", "200", "--seed", "1", "--quiet"]
    verbs = {
        "run": ["run", str(FLAGSHIP), *sims],
        "curve": ["curve", str(FAST), "--n", "20,60", *sims],
        # a high target with few trials per run: the solve stops at its trial budget
        # and says so in its notes (the JSON must still be strict)
        "size": ["size", str(FAST), "--target", "0.985", "--n-max", "300", *sims],
        "resolve": ["resolve", str(FAST), "--trials", "2", "--n", "40,80", *sims],
        "recruit": ["recruit", str(ROOT / "scenarios" / "ketamine_iv_recruitment.toml"),
                    "--reps", "10", "--n-sims", "100", "--seed", "1"],
        "meta": ["meta", str(studies)],
        "adaptive": ["adaptive", str(two_looks), "--n-sims", "200", "--seed", "1"],
        "evidence": ["evidence"],
        "evidence show": ["evidence", "show", ENTRY],
    }
    for name, argv in verbs.items():
        target = tmp_path / f"{name.replace(' ', '_')}.json"
        assert main(argv + ["--json", str(target)]) == 0, name
        data = strict(target.read_text())
        assert data, name
        if name == "size":
            assert data["n_range"][0] <= data["n_per_arm"] <= data["n_range"][1] <= 300
            assert all(isinstance(n, int) for n in data["n_range"])
    capsys.readouterr()


# -- item 6: worker processes exit with trialsim --------------------------------------

def descendants(pid: int) -> list[int]:
    """The PIDs of every process below ``pid`` (psutil if installed, else /proc)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return [p.pid for p in psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        kids = [c for c, p in parents.items() if p in frontier]
        found += kids
        frontier = kids
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


API_RUN = ("from simulator import load_scenario, simulate; "
           f"simulate(load_scenario({str(FLAGSHIP)!r}), n_sims=2_000_000, n_jobs=2)")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("command", [
    ["-m", "simulator", "run", str(FLAGSHIP), "--n-sims", "2000000", "--jobs", "2", "--quiet"],
    ["-c", API_RUN]], ids=["cli", "python-api"])
def test_workers_exit_when_trialsim_is_killed(tmp_path, command):
    proc = subprocess.Popen([sys.executable, *command], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        workers: list[int] = []
        while time.time() < deadline and len(workers) < 2:
            workers = [p for p in descendants(proc.pid) if b"popen_loky" in cmdline(p)]
            time.sleep(0.05)
        assert len(workers) >= 2, "the workers never started"
        time.sleep(0.5)  # let them take their first chunks
        children = descendants(proc.pid)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.time() + 20
    while time.time() < deadline and any(alive(p) for p in children):
        time.sleep(0.1)
    left = [p for p in children if alive(p)]
    clean_up(left)
    assert not left, f"processes left after SIGKILL: {left}"


def clean_up(left: list[int]) -> None:
    """End processes a failing test left: the workers first, so that the resource
    trackers (which ignore SIGTERM) remove the shared memory before they go."""
    for pid in sorted(left, key=lambda p: b"resource_tracker" in cmdline(p)):
        if b"resource_tracker" in cmdline(pid):
            deadline = time.time() + 5
            while time.time() < deadline and alive(pid):
                time.sleep(0.1)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
