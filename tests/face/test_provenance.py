"""Provenance on every output: every verb's JSON and CSV carry it, figures too, and
the recorded command with the recorded seed reproduces the numbers."""

from __future__ import annotations

import hashlib
import json
import shlex

import pytest
from conftest import ROOT, csv_rows

from simulator import __version__
from simulator.face.cli import main
from simulator.provenance import RunProvenance

FLAGSHIP = ROOT / "scenarios" / "ketamine_iv_parallel.toml"
RESOLVE = ROOT / "scenarios" / "ketamine_iv_resolve.toml"
FIXED = ROOT / "tests" / "backtest" / "resolve_fixed_effect.toml"  # a grid over pain.effect
INTERIM = ROOT / "scenarios" / "ketamine_iv_interim.toml"
RECRUIT = ROOT / "scenarios" / "ketamine_iv_recruitment.toml"
VALUE = ROOT / "scenarios" / "ketamine_iv_value.toml"
KEYS = ["trialsim_version", "command", "created", "scenario", "scenario_sha256", "seed",
        "n_sims", "python", "numpy", "scipy"]

#: verb: (arguments with {out} and {csv} in the folder, scenario, seed, n_sims recorded)
VERBS = {
    "run": (["run", str(FLAGSHIP), "--n-sims", "300", "--quiet", "--json", "{out}"],
            FLAGSHIP, 2025, 300),
    "curve": (["curve", str(FLAGSHIP), "--n", "40,80", "--n-sims", "200", "--seed", "5",
               "--quiet", "--json", "{out}", "--csv", "{csv}"], FLAGSHIP, 5, 200),
    "size": (["size", str(RESOLVE), "--target", "0.8", "--n-sims", "500", "--quiet",
              "--json", "{out}"], RESOLVE, 2025, 500),
    "resolve": (["resolve", str(RESOLVE), "--n-sims", "300", "--seed", "3", "--quiet",
                 "--json", "{out}"], RESOLVE, 3, 300),
    "value": (["value", str(VALUE), "--n", "20,40", "--n-sims", "500", "--seed", "4",
               "--quiet", "--json", "{out}", "--csv", "{csv}"], VALUE, 4, 500),
    "boundaries": (["boundaries", str(INTERIM), "--json", "{out}", "--csv", "{csv}"],
                   INTERIM, 2025, None),
    "recruit": (["recruit", str(RECRUIT), "--reps", "20", "--n-sims", "100", "--json",
                 "{out}"], RECRUIT, 2025, 100),
    "sweep": (["sweep", str(FIXED), "--grid", "pain.effect=-1,-0.5", "--n-sims", "200",
               "--quiet", "--out", "{csv}"], FIXED, 2025, 200),
    "meta": (["meta", "{studies}", "--json", "{out}"], None, None, None),
    "evidence": (["evidence", "--json", "{out}"], None, None, None),
    "evidence-show": (["evidence", "show", "ketamine-iv/pain/immediate", "--json", "{out}"],
                      None, None, None),
}

STUDIES = "# a study table written by hand\nestimate,se\n-1.2,0.5\n-0.4,0.6\n-0.9,0.4\n"


def _run_verb(argv: list[str], folder) -> tuple[dict, list[str] | None]:
    """Run a verb writing into ``folder``; its JSON (the settings file for a sweep) and
    the lines of its CSV, if any."""
    folder.mkdir(exist_ok=True)
    studies = folder / "studies.csv"
    studies.write_text(STUDIES)
    names = {"{out}": str(folder / "out.json"), "{csv}": str(folder / "out.csv"),
             "{studies}": str(studies)}
    assert main([names.get(a, a) for a in argv]) == 0
    csv_path = folder / "out.csv"
    lines = csv_path.read_text().splitlines() if csv_path.exists() else None
    json_path = folder / ("out.meta.json" if argv[0] == "sweep" else "out.json")
    return json.loads(json_path.read_text()), lines


@pytest.mark.parametrize("verb", list(VERBS))
def test_every_json_and_csv_carries_the_provenance(verb, tmp_path, capsys):
    argv, scenario, seed, n_sims = VERBS[verb]
    data, lines = _run_verb(argv, tmp_path)
    capsys.readouterr()
    prov = data["provenance"]
    assert list(prov) == KEYS
    assert prov["trialsim_version"] == __version__
    assert prov["command"].startswith(f"trialsim {argv[0]} ")
    assert prov["created"].endswith("Z") and len(prov["created"]) == 20
    assert (prov["seed"], prov["n_sims"]) == (seed, n_sims)
    if verb == "meta":
        scenario = tmp_path / "studies.csv"
    if scenario is None:
        assert prov["scenario"] is None and prov["scenario_sha256"] is None
    else:
        assert prov["scenario"] == str(scenario)
        assert prov["scenario_sha256"] == hashlib.sha256(scenario.read_bytes()).hexdigest()
    if verb == "evidence-show":  # the entry keeps its own numbers' provenance beside it
        assert data["entry"]["key"] == "ketamine-iv/pain/immediate"
        assert data["entry"]["provenance"] and "command" not in data["entry"]["provenance"]
    if lines is not None:  # the same provenance as '#' lines, then the table
        head = [line for line in lines if line.startswith("#")]
        assert lines[:len(head)] == head and head[0] == "# trialsim provenance"
        assert head[1:] == [f"# {k}: {'' if v is None else v}" for k, v in prov.items()]
        assert csv_rows("\n".join(lines))  # the rows still read


@pytest.mark.parametrize("verb", ["run", "curve", "size", "resolve", "value", "boundaries",
                                  "recruit", "sweep"])
def test_the_recorded_command_and_seed_reproduce_the_numbers(verb, tmp_path, capsys):
    argv, *_ = VERBS[verb]
    first, first_csv = _run_verb(argv, tmp_path / "a")
    prov = first.pop("provenance")
    again = shlex.split(prov["command"])[1:]
    if "--seed" not in again and prov["seed"] is not None:
        again += ["--seed", str(prov["seed"])]
    again = [a.replace(str(tmp_path / "a"), str(tmp_path / "b")) for a in again]
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "studies.csv").write_text(STUDIES)
    assert main(again) == 0
    capsys.readouterr()
    second_path = tmp_path / "b" / ("out.meta.json" if verb == "sweep" else "out.json")
    second = json.loads(second_path.read_text())
    assert second.pop("provenance")["seed"] == prov["seed"]
    assert second == first
    if verb == "sweep":  # the rows themselves
        rows = [(tmp_path / d / "out.jsonl").read_text() for d in "ab"]
        assert rows[0] == rows[1]
    if first_csv is not None:
        data = [[line for line in (tmp_path / d / "out.csv").read_text().splitlines()
                 if not line.startswith("#")] for d in "ab"]
        assert data[0] == data[1]


def test_figures_carry_the_provenance_in_their_metadata(tmp_path, capsys):
    from PIL import Image

    png, svg = tmp_path / "c.png", tmp_path / "c.svg"
    for plot in (png, svg):
        assert main(["curve", str(FLAGSHIP), "--n", "40,80", "--n-sims", "100", "--seed", "9",
                     "--quiet", "--plot", str(plot)]) == 0
    capsys.readouterr()
    text = Image.open(png).text
    assert text["trialsim.seed"] == "9" and text["trialsim.n_sims"] == "100"
    assert text["trialsim.command"].startswith("trialsim curve ")
    assert text["trialsim.scenario_sha256"] == hashlib.sha256(
        FLAGSHIP.read_bytes()).hexdigest()
    assert "seed=9; n_sims=100" in svg.read_text()


def test_the_footer_names_version_file_hash_seed_and_trials():
    p = RunProvenance.collect(command="trialsim run x.toml", scenario=FLAGSHIP, seed=7,
                              n_sims=2000, created="2025-01-02T03:04:05Z")
    sha = hashlib.sha256(FLAGSHIP.read_bytes()).hexdigest()
    assert p.footer() == (f"trialsim {__version__} | ketamine_iv_parallel.toml (sha256 "
                          f"{sha[:12]}) | seed 7 | n_sims 2,000 | 2025-01-02T03:04:05Z")


def test_the_study_table_reader_skips_provenance_lines_and_counts_lines_right(tmp_path,
                                                                               capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("# trialsim provenance\n# seed: 1\nestimate,se\n-1.0,0.5\nx,0.4\n")
    assert main(["meta", str(bad)]) == 2
    assert "line 5: estimate = 'x'" in capsys.readouterr().err
