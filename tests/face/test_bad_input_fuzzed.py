"""Bad input a fuzzing of the command line and the Python API found accepted, crashing or
answered wrongly: each now ends in a named error (exit 2, one line, no traceback; in the
API a ScenarioError naming the argument) before any work, or is handled."""

from __future__ import annotations

import re

import pytest

from simulator import Scenario, ScenarioError, solve_sample_size
from simulator.planning.adaptive import simulate_promising_zone
from simulator.planning.boundary_table import z_paths

from conftest import ROOT
from test_reproducers import assert_named_error, cli, scenario

SMALL = "[design]\nn_per_arm = 100\n\n[pain]\neffect = -1.0\n"
TWO_LOOKS = ("[design]\nn_per_arm = 100\n\n[pain]\neffect = -1.0\nanalysis = \"followup\"\n\n"
             "[analysis]\nsided = 1\nalpha = 0.025\n\n"
             "[interim]\nlooks = [0.5, 1.0]\nalpha_spending = \"asOF\"\n")


@pytest.mark.parametrize("verb, extra", [
    ("size", ["--n-sims", "200"]),
    ("run", ["--n-sims", "200"]),
    ("adaptive", ["--n-sims", "200"]),
    ("boundaries", []),
    ("boundaries", ["--plot", "{tmp}/b.png"]),
])
def test_a_negative_seed_is_a_named_error_in_every_verb(tmp_path, capsys, verb, extra):
    s = scenario(tmp_path, TWO_LOOKS if verb in ("adaptive", "boundaries") else SMALL)
    args = [a.format(tmp=tmp_path) for a in extra]
    code, _, err = cli(capsys, verb, s, *args, "--seed", "-1")
    assert_named_error(code, err, "--seed -1: must be an integer >= 0")
    assert not (tmp_path / "b.png").exists()


def test_a_negative_seed_is_a_named_error_in_the_api(tmp_path):
    two_looks = Scenario.from_toml(scenario(tmp_path, TWO_LOOKS))
    with pytest.raises(ScenarioError, match="seed = -1"):
        simulate_promising_zone(two_looks, n_sims=200, seed=-1)
    for bad in ({"cp_min": "a"}, {"cp_target": None}):  # TypeErrors from a comparison once
        with pytest.raises(ScenarioError, match="must satisfy 0 < cp_min < cp_target < 1"):
            simulate_promising_zone(two_looks, n_sims=200, **bad)
    s = Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {"effect": -1.0}})
    with pytest.raises(ScenarioError, match="seed = -1: must be an integer >= 0"):
        solve_sample_size(s, target=0.8, n_sims=200, seed=-1)
    looks = Scenario.from_toml(ROOT / "scenarios" / "ketamine_iv_interim.toml")
    with pytest.raises(ScenarioError, match="seed = -1"):
        z_paths(looks, 5, seed=-1)
    with pytest.raises(ScenarioError, match="seed = 1.5"):
        solve_sample_size(s, target=0.8, n_sims=200, seed=1.5)


RESOLVE = ROOT / "scenarios" / "ketamine_iv_resolve.toml"


@pytest.mark.parametrize("by", ["1201", "1e6", "1e9"])
def test_resolve_by_is_limited_as_settled_by_months(capsys, by):
    code, _, err = cli(capsys, "resolve", RESOLVE, "--n-sims", "200", "--time-reps", "50",
                       "--by", by, "--quiet")
    assert_named_error(code, err, f"--by {float(by):g}: must be a number of months in (0, 1200]")


@pytest.mark.parametrize("day", ["9999-01-01", '"20270101"', '"2027-W01-1"', '"2027-13-01"'])
def test_a_start_date_is_a_date_in_range_written_yyyy_mm_dd(capsys, day):
    code, _, err = cli(capsys, "validate", RESOLVE, "--set", f"meta_analysis.start_date={day}")
    assert_named_error(code, err, f"start_date = '{day.strip(chr(34))}'",
                       "must be a date 'YYYY-MM-DD' from 1900-01-01 to 2999-12-31")


def test_a_date_past_the_calendar_is_null_not_an_overflow():
    from simulator.ops.settle_time import SettleTime

    st = SettleTime.__new__(SettleTime)
    object.__setattr__(st, "start_date", "2999-12-31")
    assert st.date_of(12.0).startswith("3000-12")
    assert st.date_of(1e6) is None and st.date_of(1e12) is None


def _sweep(capsys, tmp_path, out, *extra):
    s = scenario(tmp_path, SMALL)
    return cli(capsys, "sweep", s, "--n-sims", "200", "--grid", "pain.effect=-1,-0.5",
               "--out", out, "--quiet", *extra)


def test_a_sweep_leaves_a_users_settings_and_lock_files_alone(tmp_path, capsys):
    meta, lock = tmp_path / "v.meta.json", tmp_path / "u.lock"
    meta.write_text("USERDATA\n")
    lock.write_text("USERDATA\n")
    code, _, err = _sweep(capsys, tmp_path, tmp_path / "v.csv")
    assert_named_error(code, err, "v.meta.json) exists")
    code, _, err = _sweep(capsys, tmp_path, tmp_path / "u.csv")
    assert_named_error(code, err, "u.lock exists and is not a sweep's lock file")
    assert meta.read_text() == lock.read_text() == "USERDATA\n"
    # nothing made beside them: no CSV, and no lock file for the refused v
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml", "u.lock", "v.meta.json"]


def test_a_lock_that_is_not_a_regular_file_is_refused(tmp_path, capsys):
    import os

    os.mkfifo(tmp_path / "f.lock")
    code, _, err = _sweep(capsys, tmp_path, tmp_path / "f.csv")
    assert_named_error(code, err, "f.lock exists and is not a sweep's lock file")


def test_a_store_whose_first_row_was_cut_short_resumes(tmp_path, capsys):
    """Killed while writing its first row: the settings file and a torn line, no CSV."""
    out = tmp_path / "t.csv"
    assert _sweep(capsys, tmp_path, out)[0] == 0
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(jsonl.read_text()[:100])
    out.unlink()
    code, _, err = _sweep(capsys, tmp_path, out, "--resume")
    assert code == 0, err
    assert len(jsonl.read_text().splitlines()) == 2 and out.exists()


def test_a_sweep_that_cannot_start_its_backend_writes_nothing(tmp_path, capsys):
    """(The scheduler is checked before the 'distributed' package: the test holds
    without the dask extra.)"""
    code, _, err = _sweep(capsys, tmp_path, tmp_path / "d.csv", "--backend", "dask")
    assert_named_error(code, err, "backend 'dask' needs --scheduler")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


@pytest.mark.parametrize("name", ["b.csv", "b.jsonl"])
def test_resume_refuses_files_that_are_not_a_store(tmp_path, capsys, name):
    (tmp_path / name).write_text("PRECIOUS\n")
    code, _, err = _sweep(capsys, tmp_path, tmp_path / "b.csv", "--resume")
    assert_named_error(code, err, "not a sweep's store")
    assert (tmp_path / name).read_text() == "PRECIOUS\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["s.toml", name])


@pytest.mark.parametrize("grid", ["seed=1,2", "simulation.n_sims=200,400"])
def test_run_settings_cannot_be_swept(tmp_path, capsys, grid):
    s = scenario(tmp_path, SMALL)
    code, _, err = cli(capsys, "sweep", s, "--grid", grid, "--out", tmp_path / "g.csv")
    assert_named_error(code, err, f"[sweep] {grid.split('=')[0]}: cannot be swept")


def test_the_whole_simulation_table_cannot_be_swept_either(tmp_path, capsys):
    s = scenario(tmp_path, SMALL + '\n[sweep.grid]\nsimulation = [{n_sims = 100}, '
                 '{n_sims = 300}]\n')
    code, _, err = cli(capsys, "validate", s)
    assert_named_error(code, err, "[sweep] simulation: cannot be swept")


def test_a_resumed_store_still_resumes(tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert _sweep(capsys, tmp_path, out)[0] == 0
    code, _, err = _sweep(capsys, tmp_path, out, "--resume")
    assert code == 0, err
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 2


def test_validate_checks_every_sweep_point(tmp_path, capsys):
    good = scenario(tmp_path, SMALL + '\n[sweep.grid]\n"pain.effect" = [-1.0, -0.5]\n'
                    '"design.n_per_arm" = [50, 60, 70]\n', "good.toml")
    code, out, _ = cli(capsys, "validate", good)
    assert code == 0 and "6 sweep points, each valid" in out
    bad = scenario(tmp_path, SMALL + '\n[sweep.grid]\n"pain.effect" = [-1.0, nan]\n', "bad.toml")
    code, _, err = cli(capsys, "validate", bad)
    assert_named_error(code, err, "sweep point (pain.effect=nan)")
    unknown = scenario(tmp_path, SMALL + '\n[sweep.grid]\n"x" = [1, 2]\n', "unknown.toml")
    code, _, err = cli(capsys, "validate", unknown)
    assert_named_error(code, err, "sweep point (x=1)")


@pytest.mark.parametrize("target", ["nan", "inf", "1.5", "-0.1", "0", "1"])
def test_curve_target_is_a_probability(tmp_path, capsys, target):
    s = scenario(tmp_path, SMALL)
    code, _, err = cli(capsys, "curve", s, "--n-sims", "200", "--n", "20:100:20",
                       "--target", target)
    assert_named_error(code, err, f"--target {float(target)!r}: must be a probability in (0, 1)")


def test_only_one_output_goes_to_standard_output(tmp_path, capsys):
    s = scenario(tmp_path, SMALL)
    code, out, err = cli(capsys, "curve", s, "--n-sims", "200", "--n", "20:40:20",
                         "--csv", "-", "--json", "-")
    assert_named_error(code, err, "--json - and --csv -: only one output")
    assert out == ""


def test_a_plot_named_as_a_folder_is_refused(tmp_path, capsys):
    s = scenario(tmp_path, SMALL)
    (tmp_path / "adir").mkdir()
    code, _, err = cli(capsys, "curve", s, "--n-sims", "200", "--n", "20:40:20",
                       "--plot", tmp_path / "adir")
    assert_named_error(code, err, "--plot", "is a directory")
    assert not (tmp_path / "adir.png").exists()


def test_the_report_goes_to_standard_output_with_out_dash(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = scenario(tmp_path, SMALL)
    code, out, err = cli(capsys, "report", s, "--out", "-", "--n-sims", "200", "--quiet")
    assert code == 0, err
    assert out.lstrip().lower().startswith("<!doctype html") and out.rstrip().endswith("</html>")
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("effect, sd", [(-1.0, 1e-20), (-1.0, 1e-300), (0.0, 5e-324)])
def test_a_prior_narrower_than_double_precision_is_its_mean(effect, sd):
    """The closed-form assurance of an (allowed) effect_sd of 1e-20 was 0.0, of 5e-324
    null with warnings: it is that of a prior at its mean, P(significant benefit) at the
    mean effect: the benefit tail of Student's noncentral t (scipy)."""
    import math
    import warnings

    from scipy import stats

    from simulator import analytic_assurance

    n, sigma = 100, 2.5
    s = Scenario.from_dict({"design": {"n_per_arm": n},
                            "pain": {"effect": effect, "sd": sigma, "analysis": "followup",
                                     "effect_prior": "pooled", "effect_sd": sd},
                            "analysis": {"test": "student"}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = analytic_assurance(s)
    df = 2 * n - 2
    benefit_ncp = -effect / (sigma * math.sqrt(2 / n))
    expected = stats.nct.sf(stats.t.isf(0.025, df), df, benefit_ncp)
    assert got == pytest.approx(expected, abs=1e-9)


def test_a_study_table_in_toml_has_no_other_key(tmp_path, capsys):
    table = scenario(tmp_path, "foo = 1\nstudies = [[-1.0, 0.5], [-0.4, 0.7]]\n", "st.toml")
    code, _, err = cli(capsys, "meta", table)
    assert_named_error(code, err, "foo: unknown key; allowed: studies")


INTERIM = ROOT / "scenarios" / "ketamine_iv_interim.toml"


def test_messages_name_what_the_user_set(capsys):
    code, _, err = cli(capsys, "validate", INTERIM, "--set", "interim.alpha_spending=asKD")
    assert_named_error(code, err, "gamma_a = (missing): alpha_spending = 'asKD' needs")
    code, _, err = cli(capsys, "validate", INTERIM, "--set", "interim.beta_spending=none",
                       "--set", "interim.futility_conditional_power=0.999999")
    assert_named_error(code, err, "futility_conditional_power = 0.999999: at look 1",
                       "give a lower threshold")
    assert "futility_bounds" not in err


def test_a_toml_date_is_the_same_start_date_as_its_text(tmp_path):
    text = RESOLVE.read_text()
    quoted = 'start_date = "2027-01-01"'
    assert quoted in text
    native = scenario(tmp_path, text.replace(quoted, "start_date = 2027-01-01"), "native.toml")
    day = Scenario.from_toml(native).meta_analysis.start_date
    assert day == Scenario.from_toml(RESOLVE).meta_analysis.start_date


SIMPLE = Scenario.from_dict({"design": {"n_per_arm": 20}, "pain": {"effect": -1.0}})


@pytest.mark.parametrize("n_sims", [2.5, True, "200", 1, 10**10, float("nan"), [200]])
def test_the_api_checks_n_sims_as_the_scenario_does(n_sims):
    from simulator import simulate

    with pytest.raises(ScenarioError, match=r"n_sims = .*: must be an integer in \[2, 1e9\]"):
        simulate(SIMPLE, n_sims=n_sims, seed=1)


@pytest.mark.parametrize("grid", [[], [float("nan")], [10.5], "10", [True, 10]])
def test_a_grid_is_one_or_more_integer_sizes(grid):
    from simulator import power_curve, value_of_information

    with pytest.raises(ScenarioError, match="n_per_arm = .*: must be one or more sizes"):
        power_curve(SIMPLE, grid, n_sims=200, seed=1)
    valued = SIMPLE.with_overrides({"pain.effect_sd": 0.5, "pain.effect_prior": "pooled",
                                    "decision.value_per_point": 100.0,
                                    "decision.treatment_cost": 40.0,
                                    "decision.population_per_year": 1000})
    with pytest.raises(ScenarioError, match="n_per_arm = .*: must be one or more sizes"):
        value_of_information(valued, grid, n_sims=200, seed=1)


@pytest.mark.parametrize("n", [0, 1, -5, True, 1.5, 10**6, "50"])
def test_a_closed_form_at_another_size_names_it(n):
    """n_per_arm = 0 silently meant the scenario's own size, 1 gave power 0 marked exact."""
    from simulator import analytic_power

    with pytest.raises(ScenarioError, match="n_per_arm = .*: must be an integer in"):
        analytic_power(SIMPLE, n_per_arm=n)


def test_stagewise_estimates_name_a_bad_look_or_z():
    from simulator.analysis.sequential import group_sequential_design
    from simulator.analysis.sequential_estimates import (final_interval_z, median_unbiased_z,
                                                         stagewise_pvalue)

    d = group_sequential_design(3, alpha=0.025, alpha_spending="asOF")
    for look in (3, -1, 1.0, None, True):  # -1 once read the last look, 3 an IndexError
        with pytest.raises(ScenarioError, match=r"look = .*: must be an integer in \[0, 2\]"):
            final_interval_z(d, look, 2.0)
    for z in (float("nan"), None):
        with pytest.raises(ScenarioError, match="z = .*: must be a finite number"):
            median_unbiased_z(d, 1, z)
    with pytest.raises(ScenarioError, match="so extreme that no drift"):
        median_unbiased_z(d, 1, -50.0)
    with pytest.raises(ScenarioError, match="theta = None"):
        stagewise_pvalue(d, 1, 2.0, None)


def test_promising_zone_power_checks_its_arguments():
    """points = 2 once gave a probability of 2.09, n1 = 0 a ZeroDivisionError."""
    import math

    from simulator.planning.adaptive import promising_zone_power

    w = (math.sqrt(0.5), math.sqrt(0.5))
    good = dict(standardized_effect=0.3, n1=100, n2=100, n2_max=200, bounds=(2.797, 1.977),
                w=w, cp_min=0.36, cp_target=0.8)
    assert 0.0 < promising_zone_power(**good) < 1.0
    for change, fragment in [({"points": 2}, "points = 2"), ({"n1": 0}, "n1 = 0"),
                             ({"standardized_effect": float("nan")}, "standardized_effect"),
                             ({"bounds": (2.8,)}, "bounds = (2.8,)"),
                             ({"n2_max": 50}, "n2_max = 50"),
                             ({"cp_min": 0.9}, "cp_min = 0.9")]:
        args = {**good, **change}
        effect = args.pop("standardized_effect")
        with pytest.raises(ScenarioError, match=re.escape(fragment)):
            promising_zone_power(effect, *(args.pop(k) for k in ("n1", "n2", "n2_max", "bounds",
                                                                 "w", "cp_min", "cp_target")),
                                 **args)


def test_the_api_names_a_wrong_scenario_flag_or_callback(tmp_path):
    import numpy as np

    from simulator import (analytic_assurance, analytic_power, simulate, solve_sample_size,
                           value_of_information)
    from simulator.ops.sweep import run_sweep
    from simulator.spec.sweep import SweepSpec

    for call in (lambda: simulate(None), lambda: simulate({"design": {}}),
                 lambda: analytic_power(None), lambda: analytic_assurance("s.toml"),
                 lambda: solve_sample_size(None, target=0.8)):
        with pytest.raises(ScenarioError, match="scenario = .*: must be a Scenario"):
            call()
    with pytest.raises(ScenarioError, match="closed_forms = 'no': must be True or False"):
        simulate(SIMPLE, n_sims=200, closed_forms="no")
    with pytest.raises(ScenarioError, match="average_completers = 'no'"):
        analytic_power(SIMPLE, average_completers="no")
    with pytest.raises(ScenarioError, match="progress = 5: must be a callable"):
        simulate(SIMPLE, n_sims=200, progress=5)
    spec = SweepSpec(grid=(("pain.effect", (-1.0, -0.5)),))
    with pytest.raises(ScenarioError, match="n_jobs = 0"):
        run_sweep(SIMPLE, spec, tmp_path / "s.csv", n_sims=200, n_jobs=0)
    with pytest.raises(ScenarioError, match="resume = 'yes'"):
        run_sweep(SIMPLE, spec, tmp_path / "s.csv", n_sims=200, resume="yes")
    assert not any(tmp_path.iterdir())
    # numpy integers are integers: the value run's layout once failed on np.int64 trials
    valued = SIMPLE.with_overrides({"pain.effect_sd": 0.5, "pain.effect_prior": "pooled",
                                    "decision.value_per_point": 100.0,
                                    "decision.treatment_cost": 40.0,
                                    "decision.population_per_year": 1000})
    r = value_of_information(valued, [25], trials=np.int64(2), n_sims=np.int64(500), seed=1,
                             bootstraps=0)
    assert r.trials == 2 and isinstance(r.trials, int)


def test_options_and_keys_that_do_not_exist_are_named():
    from simulator import resolve_review
    from simulator.planning.value import optimal_design
    from simulator.spec import load_scenario
    from simulator.spec.schema import evolve

    review = load_scenario(ROOT / "tests" / "backtest" / "resolve_fixed_effect.toml")
    with pytest.raises(ScenarioError, match="foo: not an option of resolve_review"):
        resolve_review(review, n_sims=200, foo=1)
    with pytest.raises(ScenarioError, match=r"rules = \[\]: must be one or more rules"):
        resolve_review(review, n_sims=200, rules=[])
    one = resolve_review(review, n_sims=200, seed=1, rules="mcid")
    assert one.scenario.meta_analysis.rules == ("mcid",)
    valued = SIMPLE.with_overrides({"pain.effect_sd": 0.5, "pain.effect_prior": "pooled",
                                    "decision.value_per_point": 100.0,
                                    "decision.treatment_cost": 40.0,
                                    "decision.population_per_year": 1000})
    with pytest.raises(ScenarioError, match="trials: not an option of optimal_design"):
        optimal_design(valued, [25], trials=2)
    for key in ("design.bogus", "", "design.", "bogus"):
        with pytest.raises(ScenarioError, match="unknown key of"):
            evolve(SIMPLE, {key: 1})


def test_input_paths_are_paths():
    from simulator.spec import load_evidence, load_scenario

    with pytest.raises(ScenarioError, match="scenario file = 5: must be a path"):
        Scenario.from_toml(5)
    with pytest.raises(ScenarioError, match="scenario file = None: must be a path"):
        load_scenario(None)
    # one evidence file given alone is that file, not the characters of its name
    builtin = load_evidence(builtin=False, extra=str(ROOT / "simulator" / "data" / "evidence.toml"))
    assert builtin.entries and len(builtin.files) == 1


def test_the_remaining_entry_points_name_a_wrong_object(tmp_path):
    from simulator.models.truth import true_effect
    from simulator.ops.settle_time import settle_time
    from simulator.planning.boundary_table import boundary_table
    from simulator.planning.closed_sequential import sequential_closed_form

    with pytest.raises(ScenarioError, match="scenario = None: must be a Scenario"):
        boundary_table(None)
    with pytest.raises(ScenarioError, match="report = None: must be the ReviewReport"):
        settle_time(None)
    with pytest.raises(ScenarioError, match="pain = Scenario: must be a Pain"):
        true_effect(SIMPLE)
    assert true_effect(SIMPLE.pain) == pytest.approx(-1.0)
    # a sequential design whose first look expects under one completer per arm has no
    # closed form (the normal approximation gave 0.047 against a simulated 0.009)
    heavy = Scenario.from_toml(scenario(tmp_path, TWO_LOOKS + "\n[dropout]\nrate = 0.99\n"))
    assert sequential_closed_form(heavy) is None
    assert sequential_closed_form(heavy.with_overrides({"dropout.rate": 0.3})) is not None


def test_settle_time_names_bad_sites():
    from simulator import resolve_review
    from simulator.ops.settle_time import settle_time

    from simulator.spec import load_scenario

    report = resolve_review(load_scenario(RESOLVE), n_sims=200, seed=1)
    for sites in ([1.5], "10", [], [0]):
        with pytest.raises(ScenarioError, match="sites = .*: must be one or more numbers"):
            settle_time(report, sites=sites, n_reps=20)
