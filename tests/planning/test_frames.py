"""The scripting API: results as pandas DataFrames, readable reprs and summaries."""

from __future__ import annotations

import pytest
from conftest import ROOT, make_scenario

from simulator import (
    boundary_table,
    load_scenario,
    power_curve,
    simulate,
    simulate_recruitment,
    solve_sample_size,
)
from simulator._frames import data_frame, flat_row
from simulator.planning.review_run import resolve_review

pd = pytest.importorskip("pandas")  # in the test extra; a plain install lacks it


@pytest.fixture(scope="module")
def result():
    return simulate(load_scenario(ROOT / "scenarios" / "ketamine_iv_parallel.toml"),
                    n_sims=300, seed=4)


def test_a_result_is_one_row_whose_numbers_are_the_results(result):
    frame = result.to_frame()
    assert frame.shape[0] == 1
    row = frame.iloc[0]
    assert row["power"] == result.power.value and row["power_se"] == result.power.se
    assert (row["power_ci_low"], row["power_ci_high"]) == result.power.ci
    assert row["adverse_events.any.p_harm_detected"] == \
        result.adverse_events["any"].p_harm_detected.value
    both = pd.concat([result.to_frame(), simulate(make_scenario(), n_sims=200,
                                                  seed=1).to_frame()])
    assert both.shape[0] == 2 and "power" in both.columns


def test_repr_is_one_line_and_summary_reads(result):
    text = repr(result)
    assert "\n" not in text and len(text) < 200
    assert f"power={result.power.value:.4f}" in text and "n_per_arm=135" in text
    summary = result.summary()
    assert f"{100 * result.power.value:.1f} %" in summary and "P(harm detected)" in summary


def test_curve_size_review_boundaries_and_recruitment_frames():
    s = make_scenario()
    curve = power_curve(s, [20, 40], n_sims=200, seed=2)
    assert list(curve.to_frame()["n_per_arm"]) == [20, 40]
    assert "n =    20/arm" in curve.summary() and "\n" not in repr(curve)
    size = solve_sample_size(s, target=0.8, n_sims=2000, seed=2)
    row = size.to_frame().iloc[0]
    assert row["n_per_arm"] == size.n_per_arm
    assert (row["n_range_low"], row["n_range_high"]) == size.n_range
    assert f"n_per_arm={size.n_per_arm}" in repr(size) and str(size.n_per_arm) in size.summary()
    review = resolve_review(load_scenario(ROOT / "scenarios" / "ketamine_iv_resolve.toml"),
                            n_sims=200, seed=2)
    frame = review.to_frame()
    assert list(frame["rule"]) == list(review.result.resolve.rules)
    assert "k_min" in review.summary() and "\n" not in repr(review)
    table = boundary_table(load_scenario(ROOT / "scenarios" / "ketamine_iv_interim.toml"))
    assert list(table.to_frame()["look"]) == [1, 2, 3] and "look 3" in table.summary()
    rec = simulate_recruitment(load_scenario(ROOT / "scenarios" / "ketamine_iv_recruitment.toml"),
                               n_reps=20, seed=2, n_power_sims=50)
    assert rec.to_frame().shape[0] == 20 and "\n" not in repr(rec)
    assert "P(complete by 36 months)" in rec.summary()


def test_flat_row_splits_intervals_and_dots_nested_keys():
    row = flat_row({"a": {"b": 1}, "x_ci": None, "y_range": [1, 2], "l": [1, 2, 3],
                    "evidence": [{"k": 1}]})
    assert row == {"a.b": 1, "x_ci_low": None, "x_ci_high": None, "y_range_low": 1,
                   "y_range_high": 2, "l": (1, 2, 3)}
    assert list(data_frame([{"p": 1}, {"p": 2}])["p"]) == [1, 2]


def test_without_pandas_the_error_says_how_to_install_it(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("no pandas here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"trialsim\[frames\]"):
        data_frame([{"p": 1}])
