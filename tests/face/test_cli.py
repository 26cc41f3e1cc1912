"""The trialsim command line, end to end (in-process and as a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from simulator.face.cli import main

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
    assert outs[0].pop("provenance")["command"] != outs[1].pop("provenance")["command"]
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
    assert "--seed -1: must be an integer >= 0" in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "cannot read scenario file" in capsys.readouterr().err


def test_console_script_entry_point_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'trialsim = "simulator.face.cli:main"' in text


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.toml")),
                         ids=lambda p: p.name)
def test_every_shipped_scenario_validates_and_runs(path, capsys):
    assert main(["validate", str(path)]) == 0
    assert main(["run", str(path), "--n-sims", "300", "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert out["n_sims"] == 300 and 0 <= out["power"] <= 1
    if out["effect_prior"] != "fixed":
        assert 0 <= out["assurance"] <= 1 and out["assurance_se"] > 0
        assert 0 < out["assurance_ceiling"] <= 1
    for entry in out["evidence"]:
        assert entry["key"] and entry["tags"]


def test_evidence_list_and_show(capsys):
    assert main(["evidence", "--json", "-"]) == 0
    entries = json.loads(capsys.readouterr().out)["entries"]
    by_key = {e["key"]: e for e in entries}
    iv = by_key["ketamine-iv/pain/immediate"]
    assert iv["estimate"] == pytest.approx(-1.579) and iv["se"] == pytest.approx(0.832, abs=5e-4)
    assert "secondary" in iv["tags"]
    assert by_key["ketamine-iv/ae-any/any"]["se_scale"] == "log"
    assert main(["evidence", "show", "ketamine-iv/pain/immediate"]) == 0
    text = capsys.readouterr().out
    assert "-15.79" in text and "Epocrates" in text and "tau2: missing" in text


def test_evidence_show_unknown_key_exits_2(capsys):
    assert main(["evidence", "show", "ketamine-iv/pain/immediat"]) == 2
    assert "did you mean 'ketamine-iv/pain/immediate'" in capsys.readouterr().err


def test_run_prints_provenance_footer_with_warning(capsys):
    assert main(["run", str(ROOT / "scenarios" / "ketamine_iv_assurance.toml"),
                 "--n-sims", "500"]) == 0
    out = capsys.readouterr().out
    assert "Evidence used" in out and "ketamine-iv/pain/immediate" in out
    assert "WARNING" in out and "secondary" in out
    assert "Assurance (predictive prior)" in out


def test_user_evidence_file_on_the_command_line(tmp_path, capsys):
    from spec.test_evidence import ENTRY  # tests/ is on the path (its conftest)

    mine = tmp_path / "mine.toml"
    mine.write_text(ENTRY)
    assert main(["run", str(ROOT / "scenarios" / "ketamine_iv_assurance.toml"), "--n-sims",
                 "300", "--evidence", str(mine), "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    used = {e["key"]: e for e in out["evidence"]}
    assert used["ketamine-iv/pain/immediate"]["estimate"] == pytest.approx(-1.2)
    assert used["ketamine-iv/pain/immediate"]["tag"] == "verified"
    bad = tmp_path / "bad.toml"
    bad.write_text(ENTRY.replace('tag = "verified"', 'tag = "great"'))
    assert main(["evidence", "--evidence", str(bad)]) == 2
    assert f'{bad}: [entries."ketamine-iv/pain/immediate"] tag' in capsys.readouterr().err


def test_non_utf8_scenario_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe[design]")
    assert main(["validate", str(bad)]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err


def test_coverage_counts_analysable_trials_only(capsys):
    assert main(["run", str(FLAGSHIP), "--n-sims", "200", "--set", "dropout.rate=0.999",
                 "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_not_analysable"] == 200 and out["ci_coverage"] is None


def test_parser_has_every_verb_and_the_tables_print_what_the_verbs_print(capsys):
    from simulator.face.cli import build_parser
    from simulator.face.tables_evidence import format_entry, format_evidence_list
    from simulator.spec.evidence import default_evidence

    listed = [line.split()[0] for line in build_parser().format_help().splitlines()
              if line.startswith("    ") and not line.startswith("     ")]
    assert listed == ["run", "validate", "curve", "size", "resolve", "value", "boundaries",
                      "adaptive", "recruit", "sweep", "meta", "evidence", "report"]
    table = default_evidence()
    assert main(["evidence"]) == 0
    assert capsys.readouterr().out == format_evidence_list(table) + "\n"
    key = "ketamine-iv/pain/immediate"
    assert main(["evidence", "show", key]) == 0
    assert capsys.readouterr().out == format_entry(table.lookup(key, where="test")) + "\n"


def test_evidence_show_names_the_weeks_an_entry_covers(capsys):
    """An entry with ``window_weeks`` says which weeks it covers (the scenario
    check compares them with ``pain.followup_weeks``); one without says nothing."""
    assert main(["evidence", "show", "ketamine-iv/pain/orhurhu-2019"]) == 0
    assert "  window: weeks 0.29 to 2 after the start of treatment" in capsys.readouterr().out
    assert main(["evidence", "show", "ketamine-iv/pain/immediate"]) == 0
    assert "window: weeks" not in capsys.readouterr().out


def test_progress_line_counts_and_clears(capsys):
    from simulator.face.progress import Progress, progress_line

    assert progress_line(quiet=True) is None
    bar = Progress(unit="points")
    bar(3, 4)
    bar.close()
    err = capsys.readouterr().err
    assert "]  75 %  3/4 points" in err and err.endswith("\r")


def test_read_studies_csv_and_toml(tmp_path):
    from simulator.errors import ScenarioError
    from simulator.face.inputs import read_studies

    csv_file = tmp_path / "s.csv"
    csv_file.write_text("estimate,se\n-1.2,0.5\n-0.8,0.4\n")
    toml_file = tmp_path / "s.toml"
    toml_file.write_text("studies = [[-1.2, 0.5], [-0.8, 0.4]]\n")
    assert read_studies(csv_file) == read_studies(toml_file) == ([-1.2, -0.8], [0.5, 0.4])
    toml_file.write_text("studies = [[-1.2, 0.5], [-0.8, true]]\n")
    with pytest.raises(ScenarioError, match="se > 0"):
        read_studies(toml_file)


def test_validate_loads_only_the_scenario_layer():
    """`trialsim validate` imports no planning, engine kernel, scipy, joblib or simpy
    (start-up is the cost of validate; benchmarks/bench_startup.py times it)."""
    import subprocess
    import sys

    probe = ("import sys\nfrom simulator.face.cli import main\n"
             f"main(['validate', {str(ROOT / 'scenarios' / 'ketamine_iv_parallel.toml')!r}])\n"
             "heavy = ('scipy', 'joblib', 'simpy', 'matplotlib', 'simulator.planning', "
             "'simulator.engine.kernel', 'simulator.ops.sweep')\n"
             "print(sorted(m for m in sys.modules if m.startswith(heavy)))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()
    assert out[-1] == "[]"
