"""The public API: every name a script imports from ``simulator`` is there."""

from __future__ import annotations

import tomllib

import simulator
from conftest import ROOT

#: The names of the API before the layers (scripts written against it keep working).
BEFORE_THE_LAYERS = (
    "AdverseEvent AdverseEventResult AnalysisSpec AnalyticPower ConvergenceError Design "
    "Dropout EvidenceEntry EvidenceTable NormalPrior MonteCarloProbability PowerCurve "
    "RecruitmentResult SampleSize Pain Scenario ScenarioError SimulationResult SimulationSpec "
    "SimulatorError analytic_assurance analytic_power ancova_power choose_path "
    "default_evidence load_evidence harm_detection_probability load_scenario power_curve "
    "run_sweep simulate_recruitment simulate simulate_grid solve_sample_size t_test_power "
    "true_effect two_proportion_power __version__").split()


def test_every_public_name_is_importable():
    missing = [name for name in simulator.__all__ if not hasattr(simulator, name)]
    assert missing == []
    assert set(BEFORE_THE_LAYERS) <= set(simulator.__all__)


def test_the_version_is_the_package_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert simulator.__version__ == project["version"]
