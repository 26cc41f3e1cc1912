"""The progress bar advances during the work: after every block of a run in this
process, and through every run of a solve, never backwards."""

from __future__ import annotations

from conftest import make_scenario

from simulator import simulate, solve_sample_size
from simulator.engine.layout import default_block_size
from simulator.face.progress import WIDTH, Progress


class Recorder:
    def __init__(self):
        self.calls: list[tuple[int, int]] = []

    def __call__(self, done, total):
        self.calls.append((done, total))


def test_a_run_reports_after_every_block_even_in_one_task():
    s = make_scenario(**{"simulation.chunk_mb": 65536})  # every block in one task
    block = default_block_size(s)
    rec = Recorder()
    simulate(s, n_sims=3 * block, seed=1, progress=rec, closed_forms=False)
    assert [d for d, _ in rec.calls] == [block, 2 * block, 3 * block]
    assert all(t == 3 * block for _, t in rec.calls)


def test_a_solve_reports_through_its_runs_and_never_goes_back():
    rec = Recorder()
    # no closed form for harm with a risk-ratio prior: the solve starts with a curve
    s = make_scenario(**{"adverse_events.nausea.placebo_risk": 0.1,
                         "adverse_events.nausea.risk_ratio": 3.0,
                         "adverse_events.nausea.risk_ratio_prior": "pooled",
                         "adverse_events.nausea.log_rr_sd": 0.2})
    answer = solve_sample_size(s, target=0.8, metric="harm:nausea", n_sims=400, seed=2,
                               progress=rec)
    done = [d for d, _ in rec.calls]
    assert len(rec.calls) > len(answer.evaluations)  # the curve first, then every run
    assert done == sorted(done) and done[0] > 0
    assert all(d <= t for d, t in rec.calls)
    curves = done[-1] - answer.n_sims  # the bracketing curves' trials, then every run's
    assert curves > 0 and curves % 400 == 0


def test_the_bar_shows_the_stage_share_count_and_time_left(capsys):
    bar = Progress("trials", stage="power curve")
    bar(250, 1000)
    bar(1000, 1000)
    bar.close()
    err = capsys.readouterr().err
    assert "power curve [" + "#" * (WIDTH // 4) + "." * (WIDTH - WIDTH // 4) + "]  25 %" in err
    assert "1,000/1,000 trials" in err and "s left" in err
    assert bar.line(0, 0).count("#") == WIDTH  # nothing to do is done
