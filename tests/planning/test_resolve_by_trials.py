"""``resolve --target`` with k new trials answers for 1 .. k trials too.

Each row is the solve with that many trials (the same as asking with
``--trials j``), or the reason that number cannot reach the target. The
reference for the sizes is the closed form (Roloff's conditional power of
the updated meta-analysis, tau^2 fixed): the Monte Carlo range of each
answer must hold it.
"""

from __future__ import annotations

import json

import pytest

from simulator import resolve_review
from simulator.face.cli import main
from simulator.spec import load_scenario
from conftest import ROOT

FIXED = ROOT / "tests" / "backtest" / "resolve_fixed_effect.toml"  # effect -1, tau^2 0.25
OPTIONS = dict(n_sims=10_000, seed=3)


@pytest.fixture(scope="module")
def report():
    return resolve_review(load_scenario(FIXED), trials=3, target=0.9, **OPTIONS)


def test_each_number_of_trials_is_the_solve_with_that_many(report):
    assert [a.trials for a in report.by_trials] == [1, 2, 3]
    assert report.by_trials[-1].size is report.size
    two = resolve_review(load_scenario(FIXED), trials=2, target=0.9, **OPTIONS)
    assert report.by_trials[1].size.to_dict() == two.size.to_dict()


def test_one_trial_cannot_reach_the_target_and_more_trials_need_fewer_patients(report):
    one, two, three = report.by_trials
    assert one.size is None and "plateaus at" in one.unreachable
    assert two.size.n_per_arm > three.size.n_per_arm
    for answer in (two, three):
        low, high = answer.size.n_range
        assert low <= answer.size.analytic_n_per_arm <= high
    # Two trials reach 0.9 where the curve flattens towards its plateau (0.904 at 225
    # per arm, 0.905 at 250): the runs bend away from one probit line, so the solver
    # fits those near the answer, whose range is wide, and says it did not converge.
    assert not two.size.converged and three.size.converged


def test_a_single_trial_gives_no_rows(tmp_path):
    single = resolve_review(load_scenario(FIXED), trials=1, target=0.5, **OPTIONS)
    assert single.by_trials == () and single.size is not None


def test_the_cli_prints_and_writes_the_rows(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["resolve", str(FIXED), "--trials", "3", "--target", "0.9", "--n-sims",
                 "10000", "--seed", "3", "--quiet", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "by number of new trials" in text and "not reachable" in text
    # a row whose solve has notes is marked, and its notes follow the table (here: two
    # trials, where the curve is flat, end at the budget with a range wider than 2 %)
    assert "(see the note)" in text and "NOTE (2 trials): the range is" in text
    rows = json.loads(out.read_text())["target_by_trials"]
    assert [r["trials"] for r in rows] == [1, 2, 3]
    assert rows[0] == {"trials": 1, "target": 0.9, "n_per_arm": None,
                       "reason": rows[0]["reason"]} and "plateaus at" in rows[0]["reason"]
    assert rows[2]["n_per_arm"] == json.loads(out.read_text())["target"]["n_per_arm"]


def test_a_saw_tooth_metric_gets_no_lack_of_fit_note():
    """P(harm detected) jumps with n: Pearson's test rejects the smooth curve at n ~ 17 in
    most seeds, but direct runs set the answer (17, the exact binomial one), so the note
    would be wrong there."""
    from simulator import solve_sample_size
    s = load_scenario(ROOT / "scenarios" / "ketamine_iv_parallel.toml")
    for seed in range(4):
        r = solve_sample_size(s, target=0.9, metric="harm:psychotomimetic", seed=seed,
                              n_sims=4000)
        assert r.n_range[0] <= r.analytic_n_per_arm == 17 <= r.n_range[1] + 1
        assert not any("depart from the fitted probit curve" in n for n in r.notes)


def test_where_the_curve_is_flat_the_ranges_hold_the_answer():
    """Two trials: the answer moves by tens of patients from seed to seed (the curve rises
    0.001 over 25 per arm), and the ranges must say so. A range misses the closed form's
    221 (give or take one, as above) only if the solve says it did not converge, or at
    the rate of a 95 % interval: at most one miss in 6 seeds (two or more: probability
    0.033). Fitting one probit line to every run missed at seeds 3, 5 and 9 with ranges of
    +-2 at 232, 244 and 261; the local refit misses at seed 16 by two (223-227)."""
    s = load_scenario(FIXED)
    misses = 0
    for seed in (1, 3, 5, 9, 16, 17):
        size = resolve_review(s, trials=2, target=0.9, n_sims=10_000, seed=seed).size
        low, high = size.n_range
        assert size.analytic_n_per_arm == 221
        misses += not (low - 1 <= 221 <= high + 1 or not size.converged)
    assert misses <= 1


class _Recorder:
    """A progress callback with stages, as the CLI's bar: the labels and the calls."""

    def __init__(self):
        self.calls = []

    def stage(self, label):
        self.calls.append(label)

    def __call__(self, done, total):
        self.calls.append((done, total))


def test_progress_is_told_each_step_as_it_starts():
    rec = _Recorder()
    resolve_review(load_scenario(FIXED), trials=2, target=0.9, n_per_arm=[50, 100],
                   n_sims=2000, seed=1, progress=rec)
    labels = [c for c in rec.calls if isinstance(c, str)]
    assert labels == ["the update", "size for 1 new trial", "size for 2 new trials",
                      "P(conclusive) over n"]
    # each step's counts follow its label and end complete (the bar counts it from zero);
    # one trial is answered by its closed-form plateau, without simulating
    steps = {}
    for c in rec.calls:
        if isinstance(c, str):
            label = c
            steps[label] = []
        else:
            steps[label].append(c)
    assert steps["size for 1 new trial"] == []
    for label in ("the update", "size for 2 new trials", "P(conclusive) over n"):
        done, total = steps[label][-1]
        assert done == total >= 2000 and all(d <= t for d, t in steps[label])


def test_the_announced_time_says_it_leaves_out_the_solves(capsys, monkeypatch):
    import simulator.face.flags as flags

    monkeypatch.setattr(flags, "LONG_SECONDS", 0.0)
    assert main(["resolve", str(FIXED), "--n-sims", "500", "--seed", "1"]) == 0
    plain = capsys.readouterr().err
    assert "this run will take about" in plain and "besides" not in plain
    main(["resolve", str(FIXED), "--trials", "2", "--target", "0.5", "--n-sims", "500",
          "--seed", "1"])
    assert "(a rough estimate, besides the --target solves)" in capsys.readouterr().err
