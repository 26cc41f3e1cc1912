"""The reproducers of issue 12 (items 7 to 10), each through the command line.

Every one ends either in a named error (exit 2, one line, no traceback) or in
a completed run whose JSON is strict (no NaN or Infinity), with what could
not be computed as ``null`` and a reason in ``notes``.
"""

from __future__ import annotations

import json
from pathlib import Path

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
