"""Every field a scenario file can set has a human label (figures and reports use it)."""

from __future__ import annotations

import pytest

from simulator.spec import Scenario
from simulator.spec.decision import DecisionSpec
from simulator.spec.design import Design
from simulator.spec.events import AdverseEvent, Dropout
from simulator.spec.interim import InterimSpec
from simulator.spec.labels import FIELD_LABELS, axis_label, field_label, field_unit
from simulator.spec.meta import MetaSpec
from simulator.spec.pain import Pain
from simulator.spec.recruitment import RecruitmentSpec
from simulator.spec.schema import file_keys
from simulator.spec.settings import AnalysisSpec, SimulationSpec

SECTIONS = {"design": Design, "pain": Pain, "adverse_events.*": AdverseEvent,
            "dropout": Dropout, "analysis": AnalysisSpec, "simulation": SimulationSpec,
            "meta_analysis": MetaSpec, "recruitment": RecruitmentSpec, "interim": InterimSpec,
            "decision": DecisionSpec}


@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_file_key_has_a_label(section):
    missing = [f"{section}.{k}" for k in file_keys(SECTIONS[section])
               if f"{section}.{k}" not in FIELD_LABELS]
    assert not missing, f"add a label and unit to simulator/spec/labels.py: {missing}"


def test_top_level_keys_have_labels():
    keys = [k for k in file_keys(Scenario) if k not in SECTIONS and k != "adverse_events"
            and k not in ("source", "evidence", "sweep")]
    assert all(k in FIELD_LABELS for k in keys), keys


def test_labels_read_as_words_with_units():
    assert axis_label("pain.effect") == "true effect (NRS points)"
    assert axis_label("design.n_per_arm") == "patients randomised per arm (reference arm)"
    assert axis_label("adverse_events.nausea.placebo_risk") == \
        "risk on placebo of nausea (probability)"
    assert field_unit("analysis.alpha") is None and field_label("no.such") == "no.such"
    assert all("." not in label for label, _ in FIELD_LABELS.values())
