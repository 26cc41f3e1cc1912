"""How the review was analysed: a t-based (HKSJ) CI holds more information than a z one."""

from __future__ import annotations

import pytest

from simulator import Scenario, ScenarioError, load_evidence
from simulator.planning.resolve_closed import closed_forms
from simulator.planning.review import existing_evidence

# R 4.2.2: (qt(0.975, 2) / qnorm(0.975))^2 -> 4.81921618243 (3 studies, HKSJ t(2))
RATIO_3 = 4.81921618243
# 1 / (0.8316479347871861 / sqrt(RATIO_3))^2 -> I0 of the IV immediate-term entry
I0_Z = 1 / 0.8316479347871861**2


def iv(tau2: float, **meta) -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": 114},
        "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup", "mcid": 1.0},
        "meta_analysis": {"evidence": "ketamine-iv/pain/immediate", "tau2": tau2, **meta}})


@pytest.mark.parametrize("tau2, z_kmin, hksj_kmin", [(0.25, 3, 1), (0.5, 5, 2), (1.0, 10, 4)])
def test_an_hksj_ci_on_three_studies_moves_k_min(tau2, z_kmin, hksj_kmin):
    """I* = 10.5074; the z-derived I0 = 1.4458 leaves a gap of 9.06 (k_min > tau^2 x gap);
    an HKSJ CI on 3 studies holds 4.82 x that, I0 = 6.968, a gap of 3.54."""
    z = closed_forms(iv(tau2))
    hksj = closed_forms(iv(tau2, ci_method="hksj", ci_studies=3))
    assert z.k_min == z_kmin and hksj.k_min == hksj_kmin
    assert hksj.existing_information == pytest.approx(RATIO_3 * I0_Z, rel=1e-9)
    assert existing_evidence(iv(tau2, ci_method="t", ci_studies=3)).information_ratio \
        == pytest.approx(RATIO_3, rel=1e-9)


def test_the_evidence_entry_records_how_the_review_analysed(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('''
[entries."ketamine-iv/pain/immediate"]
drug = "ketamine"
route = "iv"
outcome = "pain"
measure = "MD"
window = "immediate"
comparator = "placebo"
study = "a review"
scale = "0-100"
estimate = -15.79
ci = [-32.09, 0.51]
studies = 3
ci_method = "hksj"
tau2_method = "reml"
tag = "secondary"
source = "test"
''')
    table = load_evidence([path])
    entry = table["ketamine-iv/pain/immediate"]
    assert (entry.ci_method, entry.tau2_method) == ("hksj", "reml")
    s = Scenario.from_dict({
        "design": {"n_per_arm": 114}, "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup"},
        "meta_analysis": {"evidence": "ketamine-iv/pain/immediate", "tau2": 0.25}}, evidence=table)
    assert s.meta_analysis.ci_method == "hksj" and s.meta_analysis.tau2_method == "reml"
    assert closed_forms(s).k_min == 1  # 3 studies from the entry
    bad = path.read_text().replace('ci_method = "hksj"', 'ci_method = "knha"')
    path.write_text(bad)
    with pytest.raises(ScenarioError, match="ci_method = 'knha': must be one of 'z', 'hksj', 't'"):
        load_evidence([path])


@pytest.mark.parametrize("meta, fragment", [
    ({"ci_method": "hksj"}, "[meta_analysis] ci_studies = (missing): required by ci_method"),
    ({"ci_method": "t", "ci_studies": 1}, "[meta_analysis] ci_studies = 1: must be an integer"),
])
def test_ci_method_needs_the_number_of_studies(meta, fragment):
    with pytest.raises(ScenarioError) as info:
        iv(0.25, **meta)
    assert fragment in str(info.value)


def test_ci_method_is_for_a_pooled_summary():
    with pytest.raises(ScenarioError, match="describes a pooled summary's CI"):
        Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {"effect": -1.0},
                            "meta_analysis": {"studies": [[-1, 0.5], [-0.5, 0.4]],
                                              "ci_method": "hksj", "ci_studies": 2}})
