"""Figures fit for a grant: every title and caption fits the figure (no text
clipped: the figure's tight bounding box lies within it), the Monte Carlo band
has a legend entry, axes are named in words with units, and a size plot marks
the solved n and the target."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from conftest import ROOT  # noqa: E402

from simulator import (  # noqa: E402
    boundary_table,
    load_scenario,
    power_curve,
    simulate_recruitment,
    solve_sample_size,
    z_paths,
)
from simulator.face.output import add_footer  # noqa: E402
from simulator.face.plot_text import BAND_LABEL  # noqa: E402
from simulator.face.plots import (  # noqa: E402
    plot_conclusive_curves,
    plot_harm_curve,
    plot_metric_curve,
    plot_power_curve,
    plot_sweep,
)
from simulator.face.plots_recruitment import plot_chair_utilisation, plot_enrolment  # noqa: E402
from simulator.face.plots_sequential import plot_boundaries  # noqa: E402
from simulator.planning.curves import conclusive_curves  # noqa: E402
from simulator.provenance import RunProvenance  # noqa: E402
from simulator.spec.schema import evolve  # noqa: E402

SCENARIOS = ROOT / "scenarios"
LONG_NAME = ("ketamine-iv-vs-placebo-in-complex-regional-pain-syndrome-and-neuropathic-pain-"
             "a-multicentre-randomised-double-blind-trial")


@pytest.fixture(scope="module")
def flagship():
    return evolve(load_scenario(SCENARIOS / "ketamine_iv_parallel.toml"), {"name": LONG_NAME})


@pytest.fixture(scope="module")
def curve(flagship):
    return power_curve(flagship, [40, 80, 120], n_sims=200, seed=3, closed_forms=True)


@pytest.fixture(scope="module")
def solved():
    s = load_scenario(SCENARIOS / "ketamine_iv_resolve.toml")
    answer = solve_sample_size(s, target=0.8, n_sims=500, seed=3)
    return power_curve(s, answer.plot_sizes(9), n_sims=300, seed=3, closed_forms=True), answer


@pytest.fixture(scope="module")
def recruitment():
    return simulate_recruitment(load_scenario(SCENARIOS / "ketamine_iv_recruitment.toml"),
                                n_reps=30, seed=3, n_power_sims=100)


def _fits(ax) -> None:
    """Every text of the figure lies inside it (the tight bbox within the figure)."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    tight, full = fig.get_tightbbox(renderer), fig.bbox_inches
    tol = 0.02  # inches
    assert tight.x0 >= full.x0 - tol and tight.y0 >= full.y0 - tol, (tight, full)
    assert tight.x1 <= full.x1 + tol and tight.y1 <= full.y1 + tol, (tight, full)
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
    for text in texts:
        if text.get_visible() and text.get_text().strip():
            box = text.get_window_extent(renderer)
            assert box.x0 >= -1 and box.x1 <= fig.bbox.x1 + 1, text.get_text()
            assert box.y0 >= -1 and box.y1 <= fig.bbox.y1 + 1, text.get_text()


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _human_axes(ax) -> None:
    for label in (ax.get_xlabel(), ax.get_ylabel()):
        assert label and "." not in label.replace("P(", "").split("(")[0], label


def _caption(ax) -> str:
    captions = [t for t in ax.texts if t.get_text() and t.get_fontsize() < 9]
    assert captions, "no caption line"
    return captions[0].get_text().replace("\n", " ")


def _close(ax):
    plt.close(ax.figure)


def test_power_curve_title_wraps_and_fits_with_band_legend_and_caption(curve):
    ax = plot_power_curve(curve, target=0.9, chosen_n=80)
    add_footer(ax.figure, RunProvenance.collect(command="trialsim curve x", seed=3,
                                                n_sims=200).footer())
    try:
        assert "\n" in ax.get_title()  # the long name wraps
        _fits(ax)
        assert BAND_LABEL in _legend(ax) and "planned n = 80 per arm" in _legend(ax)
        assert "ancova analysis, alpha 0.05 two-sided" in _caption(ax)
        assert "200 simulated trials per n" in _caption(ax)
        _human_axes(ax)
    finally:
        _close(ax)


def test_harm_curve_fits_with_band_legend(curve):
    ax = plot_harm_curve(curve)
    try:
        _fits(ax)
        assert BAND_LABEL in _legend(ax) and "log risk ratio test" in _caption(ax)
    finally:
        _close(ax)


def test_size_plot_marks_the_solved_n_and_the_target(solved):
    curve, answer = solved
    for ax in (plot_power_curve(curve, target=0.8, solved=answer),
               plot_metric_curve(curve, "power_benefit", target=0.8, solved=answer)):
        try:
            _fits(ax)
            legend = _legend(ax)
            assert "target 0.8" in legend and BAND_LABEL in legend
            marked = [line for line in ax.get_lines()
                      if line.get_label().startswith(f"solved n = {answer.n_per_arm} per arm")]
            assert marked and list(marked[0].get_xdata()) == [answer.n_per_arm] * 2
            assert [line for line in ax.get_lines() if line.get_label() == "target 0.8"
                    and list(line.get_ydata()) == [0.8, 0.8]]
            _human_axes(ax)
        finally:
            _close(ax)


def test_conclusive_curves_fit_with_band_legend():
    s = evolve(load_scenario(SCENARIOS / "ketamine_iv_resolve.toml"),
               {"meta_analysis.new_trials": 2})
    ax = plot_conclusive_curves(conclusive_curves(s, [40, 120, 200], n_sims=300, seed=3),
                                target=0.8)
    try:
        _fits(ax)
        assert BAND_LABEL in _legend(ax) and "rule settled" in _caption(ax)
    finally:
        _close(ax)


def test_sweep_plot_names_keys_in_words_with_units():
    rows = [{"pain.effect": e, "design.n_per_arm": n, "power": p, "power_se": 0.01,
             "n_sims": 500, "path": "aggregate", "seed_entropy": 7}
            for e, n, p in ((-1.0, 60, 0.6), (-0.5, 60, 0.2), (-1.0, 120, 0.9),
                            (-0.5, 120, 0.4))]
    ax = plot_sweep(rows, x="pain.effect", by="design.n_per_arm", metric="power")
    try:
        _fits(ax)
        assert ax.get_xlabel() == "true effect (NRS points)"
        assert "pain.effect" not in ax.get_title() and "design.n_per_arm" not in str(_legend(ax))
        assert BAND_LABEL in _legend(ax) and "4 points; 500 simulated trials per point" in _caption(ax)
    finally:
        _close(ax)


def test_recruitment_plots_fit(recruitment):
    for plot in (plot_enrolment, plot_chair_utilisation):
        ax = plot(recruitment)
        try:
            _fits(ax)
            assert "30 simulated trials" in _caption(ax)
            _human_axes(ax)
        finally:
            _close(ax)


def test_boundaries_plot_fits():
    s = load_scenario(SCENARIOS / "ketamine_iv_interim.toml")
    ax = plot_boundaries(boundary_table(s), z_paths(s, 5, 1))
    try:
        _fits(ax)
        assert "non-binding futility (bsOF)" in _caption(ax)
    finally:
        _close(ax)


def test_a_clipped_title_is_caught():
    """The check can fail: an unwrapped title wider than the figure is reported."""
    _, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.set_title("x" * 200)
    try:
        with pytest.raises(AssertionError):
            _fits(ax)
    finally:
        _close(ax)
