"""The reproducers of issue 12 (items 7 to 10), each through the command line.

Every one ends either in a named error (exit 2, one line, no traceback) or in
a completed run whose JSON is strict (no NaN or Infinity), with what could
not be computed as ``null`` and a reason in ``notes``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulator.face.cli import main

AE_WITHDRAWAL = """
[adverse_events.ae1]
placebo_risk = 1.0
[dropout]
after_ae = { ae1 = 1.0 }
"""


def strict_json(text: str):
    """JSON as a strict parser (JavaScript's JSON.parse) reads it: no NaN, no Infinity."""
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def scenario(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def assert_named_error(code: int, err: str, *fragments: str, status: int = 2) -> None:
    assert code == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trialsim: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def all_notes(data) -> str:
    return " ".join(data.get("notes", []))


# -- item 7: accepted scenarios that ended in tracebacks ---------------------------------


@pytest.mark.parametrize("alpha", ["1e-300", "5e-324"])
def test_a_tiny_alpha_is_refused(tmp_path, capsys, alpha):
    s = scenario(tmp_path, f"[design]\nn_per_arm = 20\n[pain]\neffect = -1.0\n"
                           f"[analysis]\nalpha = {alpha}\n")
    code, _, err = cli(capsys, "run", s, "--n-sims", "50", "--quiet")
    assert_named_error(code, err, "[analysis] alpha", "must be in [1e-10, 0.5)")


def test_an_mcid_beyond_the_scale_is_refused_by_size_and_recruit(tmp_path, capsys):
    s = scenario(tmp_path, """
[design]
n_per_arm = 100
[pain]
effect = -1.0
analysis = "followup"
mcid = 1e300
[meta_analysis]
studies = [[-1.0, 0.5], [-0.5, 0.4], [0.2, 0.6]]
rules = ["ci-excludes-0", "mcid", "precision", "tsa"]
precision = 0.5
[recruitment]
sites = 5
rate_per_site_month = 3
deadline_months = 12
""")
    for verb in (["size", s, "--json", "-"], ["recruit", s]):
        code, _, err = cli(capsys, *verb, "--n-sims", "50")
        assert_named_error(code, err, "[pain] mcid = 1e+300", "[0, 10]")


def test_an_allocation_ratio_of_1e300_is_refused(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 100\nallocation = [0.5, 1e300]\n"
                           "[pain]\neffect = -1.0\ninclusion_min = 4\n")
    code, _, err = cli(capsys, "run", s, "--n-sims", "50", "--quiet")
    assert_named_error(code, err, "[design] allocation", "[1e-06, 1e+06]")
    s = scenario(tmp_path, "[design]\nn_per_arm = 100\nallocation = [0.5, 1000]\n"
                           "[pain]\neffect = -1.0\n", "ratio.toml")
    code, _, err = cli(capsys, "run", s, "--n-sims", "50", "--quiet")
    assert_named_error(code, err, "[design] allocation", "within a factor 1000")


def test_a_list_as_the_meta_analysis_evidence_is_refused(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 100\n[pain]\neffect = -1.0\n"
                           "[meta_analysis]\nevidence = [[], 0]\n")
    code, _, err = cli(capsys, "validate", s)
    assert_named_error(code, err, "[meta_analysis] evidence = [[], 0]", "evidence key")


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [400, 1000, 5000])
def test_deeply_nested_values_are_refused_in_every_toml_input(tmp_path, capsys, depth):
    body = "[design]\nn_per_arm = 20\n[pain]\neffect = -1.0\n"
    s = scenario(tmp_path, f"x = {_nested(depth)}\n{body}")
    code, _, err = cli(capsys, "validate", s)
    assert_named_error(code, err)
    evidence = scenario(tmp_path, f"entries = {_nested(depth)}\n", "evidence.toml")
    code, _, err = cli(capsys, "evidence", "--evidence", evidence)
    assert_named_error(code, err, str(evidence))
    studies = scenario(tmp_path, f"studies = {_nested(depth)}\n", "studies.toml")
    code, _, err = cli(capsys, "meta", studies)
    assert_named_error(code, err, str(studies))
    good = scenario(tmp_path, body, "good.toml")
    code, _, err = cli(capsys, "validate", good, "--set", f"pain.effect={_nested(depth)}")
    assert_named_error(code, err, "pain.effect")


@pytest.mark.parametrize("verb", ["run", "validate"])
@pytest.mark.parametrize("values", ["0:1e308:1e-300", "0:1e9:1e-3"])
def test_a_sweep_range_of_too_many_values_is_refused(tmp_path, capsys, verb, values):
    s = scenario(tmp_path, "[design]\nn_per_arm = 20\n[pain]\neffect = -1.0\n"
                           f'[sweep.grid]\n"pain.effect" = "{values}"\n')
    code, _, err = cli(capsys, verb, s, *(["--n-sims", "50", "--quiet"] if verb == "run" else []))
    assert_named_error(code, err, "more than 100,000 values")


def run_json(capsys, *args) -> dict:
    """A completed run's strict JSON (``--json -``)."""
    quiet = ["--quiet"] if args[0] not in ("meta", "evidence", "recruit", "boundaries",
                                           "adaptive") else []
    code, out, err = cli(capsys, *args, "--json", "-", *quiet)
    assert code == 0, err
    assert "Traceback" not in err and "Warning" not in err
    return strict_json(out)


def test_assurance_with_every_patient_withdrawn_completes_with_notes(tmp_path, capsys):
    s = scenario(tmp_path, """
[design]
n_per_arm = 135
[pain]
effect = { from = "evidence", key = "magnesium-iv/pain/proposed-prior" }
effect_prior = "pooled"
""" + AE_WITHDRAWAL)
    data = run_json(capsys, "run", s, "--n-sims", "50")
    assert data["analytic_assurance"] is None and data["mean_estimate"] is None
    assert data["bias"] is None and data["n_not_analysable"] == 50
    assert "analytic_assurance is null" in all_notes(data)
    assert "none of the 50 trials could be analysed" in all_notes(data)
    curve = run_json(capsys, "curve", s, "--n", "3", "--n-sims", "50")
    assert curve["rows"][0]["analytic_assurance"] is None
    assert "analytic_assurance is null" in all_notes(curve)


@pytest.mark.parametrize("loss", [AE_WITHDRAWAL, "[dropout]\nrate = 0.999999\n"])
def test_multiarm_dunnett_without_completers_completes_with_notes(tmp_path, capsys, loss):
    s = scenario(tmp_path, "[design]\nkind = \"multiarm\"\nn_per_arm = 20\n"
                           "[pain]\neffect = -1.0\n" + loss)
    data = run_json(capsys, "run", s, "--n-sims", "50")
    assert all(c["analytic_power"] is None for c in data["per_comparison"].values())
    assert "per_comparison analytic_power is null" in all_notes(data)


def test_resolve_closed_forms_without_completers_complete_with_notes(tmp_path, capsys):
    s = scenario(tmp_path, """
[design]
n_per_arm = 100
[pain]
effect = -1.0
[meta_analysis]
evidence = "ketamine-iv/pain/immediate"
tau2 = 0.25
""" + AE_WITHDRAWAL)
    data = run_json(capsys, "run", s, "--n-sims", "50")
    assert data["resolve"]["conditional_power"] is None and data["resolve"]["plateau"] is None
    assert "conditional_power and plateau are null" in all_notes(data)
    report = run_json(capsys, "resolve", s, "--n-sims", "50")
    assert report["conditional_power"] is None
    assert "conditional_power and plateau are null" in " ".join(report["notes"])


def test_a_meta_analysis_with_a_multiarm_design_is_refused(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nkind = \"multiarm\"\nn_per_arm = 20\n[pain]\n"
                           "effect = -1.0\n[meta_analysis]\nevidence = "
                           "\"ketamine-iv/pain/immediate\"\ntau2 = 0.25\n")
    code, _, err = cli(capsys, "validate", s)
    assert_named_error(code, err, "[design] kind = 'multiarm'", "two-arm trial")


def test_dropout_inflation_of_a_target_near_alpha_is_solved(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 100\n[pain]\neffect = { from = "
                           "\"evidence\", key = \"ketamine-iv/pain/immediate\" }\n"
                           "[dropout]\nrate = 0.11\n")
    data = run_json(capsys, "size", s, "--target", "0.05", "--n-sims", "200")
    assert 2 <= data["inflation_n_per_arm"] <= 4


def test_the_analytic_harm_probability_is_at_most_one():
    from simulator.analysis.power import harm_detection_probability

    assert harm_detection_probability(0.5, 0.6, 10_000, 10_000) == 1.0  # was 1.0000000000000002


def test_the_closed_form_power_of_a_large_trial_with_dropout_is_quick():
    import time

    from simulator import Scenario
    from simulator.planning.closed import analytic_power

    s = Scenario.from_dict({"design": {"n_per_arm": 100_000}, "pain": {"effect": -0.02},
                            "dropout": {"rate": 0.3}})
    started = time.perf_counter()
    value = analytic_power(s).value
    assert time.perf_counter() - started < 10  # was 5 minutes (every pair of completers)
    assert 0 < value < 1


# -- item 8: resource limits, named before any work --------------------------------------


def test_input_files_are_capped_in_size(capsys):
    code, _, err = cli(capsys, "validate", "/dev/zero")
    assert_named_error(code, err, "/dev/zero", "larger than 16 MiB")


def test_n_per_arm_of_a_billion_is_refused(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 1000000000\n[pain]\neffect = -1.0\n")
    code, _, err = cli(capsys, "run", s, "--quiet")
    assert_named_error(code, err, "[design] n_per_arm = 1000000000", "[2, 100000]")


# -- item 9: no NaN or Infinity in any output ---------------------------------------------


@pytest.mark.parametrize("ci", ["[-inf, 1.0]", "[-1.0, inf]", "[-1e308, 1e308]"])
def test_an_evidence_ci_that_is_not_finite_is_refused(tmp_path, capsys, ci):
    evidence = scenario(tmp_path, f"""
[entries."my/pain/x"]
drug = "my"
route = "iv"
outcome = "pain"
measure = "MD"
window = "x"
comparator = "placebo"
study = "me"
scale = "0-10"
estimate = -0.5
ci = {ci}
tag = "proposed"
source = "a guess"
""", "evidence.toml")
    code, _, err = cli(capsys, "evidence", "show", "my/pain/x", "--evidence", evidence)
    assert_named_error(code, err, '[entries."my/pain/x"] ci', "finite numbers")


# -- item 8 (continued): the flags -------------------------------------------------------

SMALL = "[design]\nn_per_arm = 20\n[pain]\neffect = -1.0\n"


@pytest.mark.parametrize("args, fragments", [
    (["run", "--n-sims", "10000000000"], ["--n-sims 10000000000", "[2, 1e9]"]),
    (["run", "--n-sims", "1"], ["--n-sims 1", "[2, 1e9]"]),
    (["run", "--jobs", "10000"], ["--jobs 10000", "CPU cores"]),
    (["run", "--jobs", "-100000"], ["--jobs -100000"]),
    (["curve", "--n", "2:20000:10"], ["--n '2:20000:10'", "2,000 sizes", "at most 1,000"]),
    (["curve", "--n", "2:10000000:1"], ["--n = '2:10000000:1'", "more than 100,000 values"]),
    (["size", "--n-max", "1000000000"], ["--n-max 1000000000", "[2, 100000]"]),
    (["sweep", "--grid", "pain.effect=-2:-0.001:0.001", "--grid",
      "design.n_per_arm=20:400:1"], ["[sweep] pain.effect, design.n_per_arm", "at most 10,000"]),
    (["sweep", "--grid", "pain.effect=-1,-0.5", "--scheduler", "tcp://localhost:8786"],
     ["--scheduler tcp://localhost:8786", "only with --backend dask"]),
])
def test_resource_limits_are_named_before_any_work(tmp_path, capsys, args, fragments):
    s = scenario(tmp_path, SMALL)
    verb, *rest = args
    extra = ["--out", str(tmp_path / "sweep.csv")] if verb == "sweep" else []
    code, _, err = cli(capsys, verb, s, *rest, *extra, "--quiet")
    assert_named_error(code, err, *fragments)
    assert not (tmp_path / "sweep.csv").exists()


def test_recruit_caps_replications_times_patients(tmp_path, capsys):
    s = scenario(tmp_path, SMALL + "[recruitment]\nsites = 2\nrate_per_site_month = 5\n")
    code, _, err = cli(capsys, "recruit", s, "--reps", "10000000")
    assert_named_error(code, err, "n_reps = 10000000", "patient timelines")
    code, _, err = cli(capsys, "recruit", s, "--n-sims", "1")
    assert_named_error(code, err, "--n-sims 1")


def test_a_long_run_announces_its_estimated_time(tmp_path, capsys, monkeypatch):
    import simulator.face.flags as flags

    monkeypatch.setattr(flags, "LONG_SECONDS", 0.0)
    s = scenario(tmp_path, SMALL)
    code, _, err = cli(capsys, "run", s, "--n-sims", "50")
    assert code == 0 and "this run will take about" in err and "Ctrl-C stops it" in err
    code, _, err = cli(capsys, "run", s, "--n-sims", "50", "--quiet")
    assert code == 0 and err == ""


def test_the_estimate_grows_with_the_work():
    from simulator import Scenario
    from simulator.planning.cost import estimated_seconds

    small = Scenario.from_dict({"design": {"n_per_arm": 20}, "pain": {"effect": -1.0,
                                                                      "bounded": True}})
    big = small.with_overrides({"design.n_per_arm": 100_000})
    assert estimated_seconds(big, n_sims=10_000) > 60 > estimated_seconds(small, n_sims=10_000)
    assert estimated_seconds(small, n_sims=10**9) > 100 * estimated_seconds(small, n_sims=10**6)


def test_meta_with_huge_standard_errors_is_computed_stably(tmp_path, capsys):
    table = scenario(tmp_path, "estimate,se\n-1e150,1e200\n3e180,2e200\n1,1e199\n",
                     "big.csv")
    data = run_json(capsys, "meta", table)
    assert data["se"] > 1e198 and data["ci"][0] < 0 < data["ci"][1]
    small = scenario(tmp_path, "estimate,se\n-1e-150,1e-200\n3e-180,2e-200\n", "small.csv")
    assert 0 < run_json(capsys, "meta", small)["se"] < 1e-149  # tau^2 dominates
    span = scenario(tmp_path, "estimate,se\n-1,1e-200\n3,2e200\n", "span.csv")
    code, _, err = cli(capsys, "meta", span)
    assert_named_error(code, err, str(span), "cannot be pooled in double precision")


def test_meta_scaling_leaves_ordinary_tables_unchanged():
    from simulator.analysis.metaanalysis import meta_analyse, pool_studies

    y, se = [-1.2, -0.4, -2.1, 0.3, -0.9], [0.5, 0.7, 0.9, 0.6, 0.4]
    for method in ("fixed", "dl", "reml", "pm"):
        assert pool_studies(y, se, method=method).to_dict() == \
            meta_analyse(y, se, method=method).to_dict()
    scaled = pool_studies([v * 2.0**100 for v in y], [v * 2.0**100 for v in se], method="dl")
    assert scaled.estimate == meta_analyse(y, se, method="dl").estimate * 2.0**100


def test_recruit_when_nobody_completes_reports_that(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 10\n[pain]\neffect = -1.0\n[dropout]\n"
                           "rate = 0.999999\n[recruitment]\nsites = 2\n"
                           "rate_per_site_month = 4\ndeadline_months = 6\n")
    code, out, err = cli(capsys, "recruit", s, "--reps", "20", "--n-sims", "50", "--json", "-")
    assert code == 0, err
    data = strict_json(out)
    assert data["months_to_last_outcome"]["mean"] is None and data["n_completed"] == 0
    assert "no patient had a primary outcome" in " ".join(data["notes"])


# -- item 14: the smaller ones ------------------------------------------------------------


def test_a_harmful_true_effect_is_noted(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 100\n[pain]\neffect = 0.8\n")
    data = run_json(capsys, "run", s, "--n-sims", "200")
    assert "is harm, not benefit" in all_notes(data)
    code, out, _ = cli(capsys, "run", s, "--n-sims", "200", "--quiet")
    assert code == 0 and "NOTE: the true effect (+0.8) is harm" in out
    good = scenario(tmp_path, "[design]\nn_per_arm = 100\n[pain]\neffect = -0.8\n", "good.toml")
    assert "harm" not in all_notes(run_json(capsys, "run", good, "--n-sims", "200"))


def test_meta_hksj_on_identical_studies_says_the_interval_has_zero_width(tmp_path, capsys):
    table = scenario(tmp_path, "estimate,se\n-0.5,0.2\n-0.5,0.2\n-0.5,0.2\n", "same.csv")
    plain = run_json(capsys, "meta", table, "--hksj")
    assert plain["se"] == 0 and plain["pvalue"] is None
    assert "zero width" in " ".join(plain["notes"])
    modified = run_json(capsys, "meta", table, "--hksj-truncate")
    assert modified["hksj"] and modified["hksj_truncate"] and "notes" not in modified
    assert modified["se"] == pytest.approx(0.2 / 3**0.5)  # the factor 1: the fixed-effect SE
    assert modified["ci"][0] < -0.5 < modified["ci"][1]


def test_a_csv_with_a_byte_order_mark_is_read(tmp_path, capsys):
    table = tmp_path / "excel.csv"
    table.write_bytes(b"\xef\xbb\xbfestimate,se\r\n-1.2,0.5\r\n-0.4,0.7\r\n")
    assert run_json(capsys, "meta", table)["k"] == 2


def test_evidence_show_gives_the_numbers_of_a_user_entry_without_provenance(tmp_path, capsys):
    evidence = scenario(tmp_path, """
[entries."my/pain/x"]
drug = "my"
route = "iv"
outcome = "pain"
measure = "MD"
window = "x"
comparator = "placebo"
study = "me"
scale = "0-100"
estimate = -5.0
ci = [-9.0, -1.0]
studies = 4
participants = 300
tau2 = 12.5
i2 = 0.4
tag = "proposed"
source = "a guess"
""", "evidence.toml")
    code, out, _ = cli(capsys, "evidence", "show", "my/pain/x", "--evidence", evidence)
    assert code == 0
    for line in ("studies: 4", "participants: 300", "tau2: 0.125", "i2: 0.4"):
        assert f"  {line}" in out


def test_an_unknown_key_lists_only_the_keys_a_file_may_give(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 20\n[pain]\neffect = -1.0\nefect_sd = 1\n")
    code, _, err = cli(capsys, "validate", s)
    assert_named_error(code, err, "[pain] efect_sd: unknown key (did you mean 'effect_sd'?)")
    assert "effect_evidence" not in err and "risk_ratio_evidence" not in err


def test_tables_never_print_a_negative_zero(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 20\n[pain]\neffect = 0.0\n"
                           "[dropout]\nrate = 0.2\n")
    for seed in range(1, 6):
        code, out, _ = cli(capsys, "run", s, "--n-sims", "50", "--seed", str(seed), "--quiet")
        assert code == 0
        assert "-0.0 " not in out and "-0 %" not in out and "-0.000" not in out


# -- after the merge with main: its verbs and sections, found by the fuzz test ------------


def test_existing_hksj_studies_that_agree_exactly_are_refused(tmp_path, capsys):
    """The HKSJ factor of identical studies is 0: the existing SE would be 0 (it divided by
    zero in the resolve closed forms)."""
    s = scenario(tmp_path, SMALL + "[meta_analysis]\nstudies = [[-0.5, 0.3], [-0.5, 0.3]]\n"
                                   "hksj = true\n")
    code, _, err = cli(capsys, "resolve", s, "--n-sims", "50", "--quiet")
    assert_named_error(code, err, "standard error of 0", "hksj_truncate = true")
    fixed = scenario(tmp_path, SMALL + "[meta_analysis]\nstudies = [[-0.5, 0.3], [-0.5, 0.3]]\n"
                                       "hksj = true\nhksj_truncate = true\n", "t.toml")
    assert run_json(capsys, "resolve", fixed, "--n-sims", "50")["existing"]["se"] > 0


def test_a_binary_update_of_an_event_without_risk_is_refused(tmp_path, capsys):
    s = scenario(tmp_path, SMALL + "[adverse_events.nausea]\nplacebo_risk = 0.0\n"
                                   "risk_ratio = 2.0\n[meta_analysis]\npooled = { estimate = "
                                   "0.5, se = 0.3 }\ntau2 = 0.0\noutcome = \"nausea\"\n"
                                   "harm_margin = 1.5\n")
    code, _, err = cli(capsys, "resolve", s, "--n-sims", "50", "--quiet")
    assert_named_error(code, err, "[adverse_events.nausea] placebo_risk = 0.0", "at least 1e-06")


def test_a_tsa_look_that_spends_no_alpha_is_null_with_a_note(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 50\n[pain]\neffect = -1.0\n"
                           "analysis = \"followup\"\n[meta_analysis]\nstudies = [[-0.5, 10.0]]\n"
                           "rules = [\"tsa\"]\n")
    data = run_json(capsys, "resolve", s, "--n-sims", "50")
    assert data["tsa"]["critical_values"][0] is None
    assert "no alpha is spent" in " ".join(data["tsa"]["notes"])
    assert "no alpha is spent" in " ".join(data["notes"])
    code, out, _ = cli(capsys, "resolve", s, "--n-sims", "50", "--quiet")
    assert code == 0 and "NOTE: tsa: a critical value is null" in out


INTERIM = "[interim]\nlooks = [0.33, 0.67, 1.0]\n"


def test_a_sequential_trial_without_completers_reports_nulls(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 2\n[pain]\neffect = 0.0\n"
                           "analysis = \"ancova\"\n[dropout]\nrate = 0.999999\n" + INTERIM)
    data = run_json(capsys, "run", s, "--n-sims", "50")
    seq = data["sequential"]
    nulls = ("estimate_at_stop", "median_unbiased", "final_ci_width", "final_ci_coverage",
             "naive_ci_coverage_at_stop")
    assert all(seq[k] is None for k in nulls)
    notes = all_notes(data)
    assert "no trial could be analysed at the look where it stopped" in notes
    assert all(k in notes for k in nulls)


def test_a_sequential_closed_form_without_spread_is_null(tmp_path, capsys):
    """Baselines of about 0 cannot fall by 30 %: no responder in either arm, so the
    responder z has no variance (the closed form divided by zero)."""
    s = scenario(tmp_path, "[design]\nn_per_arm = 6\n[pain]\neffect = -1.0\n"
                           "analysis = \"responder30\"\ninclusion_max = 1e-300\n"
                           "baseline_sd = 1.7\n" + INTERIM)
    table = run_json(capsys, "boundaries", s, "--paths", "5")
    assert table["power"] is None and table["expected_n"] is None
    assert "responder rates are 0 and 0" in " ".join(table["notes"])
    data = run_json(capsys, "run", s, "--n-sims", "50")
    assert data["sequential"]["analytic"] is None
    assert "the sequential closed form (analytic) is null" in all_notes(data)


def test_a_solve_whose_runs_sit_in_the_tails_is_unreachable_not_a_traceback(tmp_path, capsys):
    """The probit fit's information matrix was singular (every run at 0 or 1)."""
    s = scenario(tmp_path, "[design]\nkind = \"crossover\"\nn_per_arm = 2\n"
                           "crossover_analysis = \"within\"\n[pain]\neffect = -1.0\n"
                           "analysis = \"followup\"\n[adverse_events.ae1]\nplacebo_risk = 0.0\n"
                           "risk_ratio = 0.5\n")
    code, out, err = cli(capsys, "size", s, "--target", "0.999999", "--n-max", "300",
                         "--n-sims", "50", "--json", "-", "--quiet")
    assert code in (0, 3), err
    assert "Traceback" not in err
    if code == 3:
        assert err.strip().splitlines()[-1].startswith("trialsim: cannot solve")


def test_recruit_solve_caps_its_rate_draws(tmp_path, capsys):
    s = scenario(tmp_path, SMALL + "[recruitment]\nsites = 3\nrate_per_site_month = 1\n"
                                   "deadline_months = 24\n")
    code, _, err = cli(capsys, "recruit", s, "--solve", "sites", "--reps", "10000000")
    assert_named_error(code, err, "n_reps = 10000000", "[2, 100000]")


def test_sweep_n_max_bounds_each_solve(tmp_path, capsys):
    s = scenario(tmp_path, SMALL)
    out = tmp_path / "sweep.csv"
    code, _, err = cli(capsys, "sweep", s, "--grid", "pain.effect=-1,-0.5", "--n-max", "50",
                       "--out", out, "--quiet")
    assert_named_error(code, err, "--n-max 50: only with --target")
    code, _, err = cli(capsys, "sweep", s, "--grid", "pain.effect=-1,-0.05", "--target", "0.8",
                       "--n-max", "300", "--n-sims", "200", "--out", out, "--quiet")
    assert code == 0, err
    rows = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]
    assert rows[0]["n_per_arm"] is not None and rows[0]["n_per_arm"] <= 300
    assert rows[1]["n_per_arm"] is None and "n_max = 300" in rows[1]["unreachable"]


def test_a_long_report_announces_its_estimated_time(tmp_path, capsys, monkeypatch):
    import simulator.face.flags as flags

    monkeypatch.setattr(flags, "LONG_SECONDS", 0.0)
    s = scenario(tmp_path, SMALL)
    code, _, err = cli(capsys, "report", s, "--out", tmp_path / "r.html", "--n-sims", "20")
    assert code == 0 and "this run will take about" in err


def test_a_report_of_a_trial_without_completers_is_written(tmp_path, capsys):
    """The report formatted a null mean estimate as a number (TypeError after every run)."""
    s = scenario(tmp_path, "[design]\nn_per_arm = 6\n[pain]\neffect = -1.0\n"
                           "analysis = \"change\"\n[dropout]\nrate = 0.999999\n")
    out = tmp_path / "r.html"
    code, _, err = cli(capsys, "report", s, "--out", out, "--n-sims", "20", "--quiet")
    assert code == 0, err
    assert 'mean estimate (NRS points)</td><td class="num">n/a</td>' in out.read_text()


def test_a_mean_of_one_replication_has_no_standard_error():
    from simulator.mc import MonteCarloMean

    one = MonteCarloMean.from_sums(2.0, 4.0, 1)
    assert one.value == 2.0 and one.to_dict("m") == {"m": 2.0, "m_se": None}
    assert MonteCarloMean.from_sums(0.0, 0.0, 0).to_dict("m") == {"m": None, "m_se": None}


def test_a_summary_of_one_finite_replication_writes_strict_json():
    """A distribution over replications of which one is finite (a settle date
    reached in one recruitment future) has a mean but no SE: null, not NaN."""
    from simulator._io import to_json
    from simulator.mc import DistributionSummary

    one = DistributionSummary.from_samples(np.array([1.5, np.inf, np.nan]))
    assert one.n == 1 and one.mean == 1.5
    out = json.loads(to_json(one.to_dict()))
    assert out["mean"] == 1.5 and out["mean_se"] is None


def test_new_numbers_of_main_are_bounded(tmp_path, capsys):
    for section, text, fragment in [
        ("interim", "looks = [0.5, 1.0]\nalpha_spending = \"asHSD\"\ngamma_a = -1e300\n",
         "[interim] gamma_a = -1e+300"),
        ("interim", "looks = [0.5, 1.0]\nbeta = 1e-162\n", "[interim] beta = 1e-162"),
    ]:
        s = scenario(tmp_path, SMALL + f"[{section}]\n{text}")
        code, _, err = cli(capsys, "boundaries", s)
        assert_named_error(code, err, fragment)


# -- item 14: small responder trials -------------------------------------------------------


RESPONDER = "[design]\nn_per_arm = 6\n[pain]\neffect = -1.0\nanalysis = \"responder30\"\n"


def test_a_small_responder_trial_is_noted_with_its_exact_level_and_coverage(tmp_path, capsys):
    s = scenario(tmp_path, RESPONDER)
    data = run_json(capsys, "run", s, "--n-sims", "200")
    note = all_notes(data)
    assert "too small for the normal approximation" in note and "z-cc" in note
    corrected = run_json(capsys, "run", s, "--n-sims", "200", "--set",
                         "analysis.responder_test=z-cc")
    assert "too small" not in all_notes(corrected)
    big = scenario(tmp_path, RESPONDER.replace("n_per_arm = 6", "n_per_arm = 150"), "b.toml")
    assert "too small" not in all_notes(run_json(capsys, "run", big, "--n-sims", "200"))


# -- main's newer verbs and sections (value, adaptive, settle time), found by the fuzz test --


def test_a_multiarm_solve_without_completers_is_unreachable(tmp_path, capsys):
    """The multi-arm first guess divided by zero expected completers."""
    s = scenario(tmp_path, "[design]\nkind = \"multiarm\"\nn_per_arm = 20\n[pain]\n"
                           "effect = -1.0\n" + AE_WITHDRAWAL)
    code, _, err = cli(capsys, "size", s, "--n-sims", "50", "--n-max", "300", "--quiet")
    assert code == 3 and err.strip().splitlines()[-1].startswith("trialsim: cannot solve")


ADAPTIVE = ("[design]\nn_per_arm = 50\n[pain]\neffect = -0.4\nanalysis = \"followup\"\n"
            "[analysis]\nsided = 1\nalpha = 0.025\n[interim]\nlooks = [0.5, 1.0]\n")


def test_adaptive_limits_and_stages_are_named(tmp_path, capsys):
    s = scenario(tmp_path, ADAPTIVE)
    code, _, err = cli(capsys, "adaptive", s, "--n-sims", "10000000000")
    assert_named_error(code, err, "--n-sims", "10,000,000", "held in memory")
    code, _, err = cli(capsys, "adaptive", s, "--n-sims", "200", "--set", "design.n_per_arm=2")
    assert_named_error(code, err, "[design] n_per_arm = 2", "at least 2")


def test_adaptive_closed_form_of_a_large_trial_is_finite(tmp_path, capsys):
    """scipy's noncentral t density overflowed at a large df (OverflowError)."""
    s = scenario(tmp_path, ADAPTIVE.replace("n_per_arm = 50", "n_per_arm = 100000"))
    data = run_json(capsys, "adaptive", s, "--n-sims", "200")
    assert 0.99 < data["promising_zone"]["closed_form_reject"] <= 1.0


def test_the_adaptive_closed_form_is_continuous_where_it_leaves_the_density():
    import math

    from simulator.planning.adaptive import promising_zone_power

    w = (math.sqrt(0.5), math.sqrt(0.5))
    values = [promising_zone_power(0.2, n, n, 2 * n, (2.797, 1.977), w, 0.36, 0.8,
                                   t_tests=True) for n in (150, 151, 152, 153)]
    steps = np.diff(values)
    assert np.all(steps > 0) and steps.max() < 1.5 * steps.min()


VALUE = ("[design]\nn_per_arm = 40\n[pain]\neffect = -1.0\neffect_prior = \"pooled\"\n"
         "effect_sd = 0.5\n[decision]\nvalue_per_point = 1000.0\npopulation_per_year = 3000\n")


@pytest.mark.parametrize("args, fragments", [
    (["--bootstraps", "1000000000"], ["bootstraps = 1000000000", "[0, 10,000]"]),
    (["--n-sims", "1000000000"], ["n_sims = 1000000000", "[2, 10,000,000]"]),
    (["--set", "decision.value_per_point=1e300"], ["[decision] value_per_point = 1e+300",
                                                   "[0, 1e+12]"]),
])
def test_value_limits_are_named_before_any_work(tmp_path, capsys, args, fragments):
    s = scenario(tmp_path, VALUE)
    code, _, err = cli(capsys, "value", s, "--n", "20", *args, "--quiet")
    assert_named_error(code, err, *fragments)


def test_extreme_allocation_weights_and_close_looks_are_refused(tmp_path, capsys):
    s = scenario(tmp_path, SMALL.replace("n_per_arm = 20", "n_per_arm = 20\nallocation = "
                                         "[1.7976931348623157e308, 1.7976931348623157e308]"))
    code, _, err = cli(capsys, "validate", s)  # 20 x 1.8e308 overflowed the arm sizes
    assert_named_error(code, err, "[design] allocation", "[1e-06, 1e+06]")
    s = scenario(tmp_path, SMALL + "[interim]\nlooks = [1e-6, 1.0]\n", "l.toml")
    code, _, err = cli(capsys, "validate", s)  # the look tables asked for 19 GiB
    assert_named_error(code, err, "[interim] looks", "at least 0.01")


def test_settle_time_without_completers_has_no_date(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 2\n[pain]\neffect = 0.0\n"
                           "analysis = \"change\"\n[dropout]\nrate = 0.999999\n"
                           "[meta_analysis]\npooled = { estimate = -1.0, se = 0.3 }\ntau2 = 0.0\n"
                           "[recruitment]\nsites = 3\nrate_per_site_month = 0.5\n")
    data = run_json(capsys, "resolve", s, "--time-reps", "20", "--sites", "2,4", "--by", "24",
                    "--n-sims", "50")
    when = data["settle_time"]
    assert when["update_months"]["q50"] is None and when["curve"]["months"] == []
    assert "no update has a date" in " ".join(when["notes"])
    code, out, _ = cli(capsys, "resolve", s, "--time-reps", "20", "--n-sims", "50", "--quiet")
    assert code == 0 and "no update date" in out


def test_a_held_tau2_near_zero_has_a_finite_plateau(tmp_path, capsys):
    s = scenario(tmp_path, "[design]\nn_per_arm = 6\n[pain]\neffect = -1.0\n"
                           "[meta_analysis]\nstudies = [[0.56, 0.62], [-2.34, 1.34]]\n"
                           "rules = [\"settled\", \"ci-excludes-0\"]\ntau2 = 5e-324\n")
    data = run_json(capsys, "resolve", s, "--n-sims", "50")
    assert 0 <= data["plateau"] <= 1


def test_recruitment_estimates_count_the_sites():
    from simulator import Scenario
    from simulator.planning.cost import timeline_seconds

    s = Scenario.from_dict({"design": {"n_per_arm": 2}, "pain": {"effect": -1.0},
                            "recruitment": {"sites": 10_000, "rate_per_site_month": 0.5,
                                            "chairs_per_site": 1}})
    # 100 replications of 10,000 sites through simpy took 25 s on this machine
    assert timeline_seconds(s, 100) > 20
