"""A sweep that solves the sample size at every point (``sweep --target``)."""

from __future__ import annotations

import pytest
from conftest import ROOT, csv_rows

from simulator import load_scenario, run_sweep, solve_sample_size
from simulator.errors import ScenarioError
from simulator.face.cli import main
from simulator.spec import SweepSpec

# The built-in resolve scenario with a fixed effect (its own takes a predictive
# prior, which a grid over pain.effect cannot keep without pain.effect_sd).
RESOLVE = ROOT / "tests" / "backtest" / "resolve_fixed_effect.toml"


def test_each_row_is_the_solve_of_its_point_and_an_unreachable_point_is_kept(tmp_path):
    base = load_scenario(RESOLVE)
    spec = SweepSpec(grid=(("pain.effect", (-1.5, 0.5)),))
    rows = run_sweep(base, spec, tmp_path / "s.csv", n_sims=1000, seed=4, target=0.85,
                     metric="power")
    direct = solve_sample_size(base.with_overrides({"pain.effect": -1.5}), target=0.85,
                               n_sims=1000, seed=4)
    first, harm = rows
    assert (first["n_per_arm"], tuple((first["n_range_low"], first["n_range_high"]))) == \
        (direct.n_per_arm, direct.n_range)
    assert first["achieved"] == direct.achieved and first["metric"] == "power"
    assert first["unreachable"] is None and first["n_sims"] == direct.n_sims
    assert harm["n_per_arm"] is None and "cannot reach 0.85" in harm["unreachable"]
    assert [r["pain.effect"] for r in csv_rows((tmp_path / "s.csv").read_text())] == \
        ["-1.5", "0.5"]


def test_a_metric_a_point_cannot_be_asked_is_refused_before_anything_runs(tmp_path):
    base = load_scenario(RESOLVE)
    spec = SweepSpec(grid=(("pain.effect", (-1.5, -1.0)),))
    for metric, fragment in (("harm:nausea", r"sweep point \(pain.effect=-1.5\): metric "
                                             "'harm:nausea': unknown adverse event 'nausea'"),
                             ("assurance", "metric 'assurance' needs a prior"),
                             ("conclusive:nosuchrule", r"sweep point \(pain.effect=-1.5\): "
                              "metric 'conclusive:nosuchrule': rule 'nosuchrule' is not among"),
                             ("powr", "--metric powr: must be 'power'")):
        with pytest.raises(ScenarioError, match=fragment):
            run_sweep(base, spec, tmp_path / f"{metric}.csv", n_sims=100, target=0.8,
                      metric=metric)
        assert not (tmp_path / f"{metric}.csv").exists()
    with pytest.raises(ScenarioError, match=r"--target 1.5: must be a probability"):
        run_sweep(base, spec, tmp_path / "t.csv", n_sims=100, target=1.5)


def test_cli_solving_sweep_plots_n_and_refuses_to_resume_with_another_target(tmp_path,
                                                                             capsys):
    out, plot = tmp_path / "n.csv", tmp_path / "n.png"
    argv = ["sweep", str(RESOLVE), "--grid", "pain.effect=-1.5,-1", "--n-sims", "500",
            "--quiet", "--out", str(out), "--metric", "power", "--target"]
    assert main(argv + ["0.8", "--plot", str(plot)]) == 0
    assert plot.stat().st_size > 10_000
    rows = csv_rows(out.read_text())
    assert [int(r["n_per_arm"]) > 0 for r in rows] == [True, True]
    assert int(rows[0]["n_per_arm"]) < int(rows[1]["n_per_arm"])  # a smaller effect needs more
    assert main(argv + ["0.9", "--resume"]) == 2
    assert "solve (--metric, --target, --n-max) key target: 0.8 in the store, 0.9 in this run" in \
        capsys.readouterr().err
