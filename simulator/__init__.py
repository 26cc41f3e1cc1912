"""trialsim: plan trials of NMDA-receptor antagonists for chronic pain by simulation.

The public API. Everything a script needs is importable from here::

    from simulator import load_scenario, simulate
    result = simulate(load_scenario("scenarios/ketamine_iv_parallel.toml"), n_jobs=2)
    result.power.value, result.power.se, result.analytic_power
"""

from __future__ import annotations

from ._version import __version__
from .analysis.metaanalysis import meta_analyse
from .analysis.sequential import SequentialDesign, conditional_power, group_sequential_design
from .analysis.sequential_estimates import median_unbiased_z, stagewise_pvalue
from .analysis.power import (
    ancova_power,
    harm_detection_probability,
    t_test_power,
    two_proportion_power,
)
from .engine.dispatch import choose_path
from .errors import ConvergenceError, ScenarioError, SimulatorError
from .models.truth import true_effect
from .ops.recruitment import (
    RecruitmentResult,
    RecruitmentSolution,
    simulate_recruitment,
    solve_recruitment,
)
from .ops.sweep import run_sweep
from .planning.boundary_table import BoundaryTable, boundary_table, z_paths
from .planning.closed import AnalyticPower, analytic_assurance, analytic_power
from .planning.adaptive import PromisingZone, promising_zone_power, simulate_promising_zone
from .planning.closed_sequential import SequentialClosedForm, sequential_closed_form
from .planning.curves import PowerCurve, power_curve
from .planning.metric import Metric
from .planning.results import (
    AdverseEventResult,
    MonteCarloProbability,
    SimulationResult,
)
from .planning.simulate import simulate, simulate_grid
from .planning.solver import SampleSize, solve_sample_size
from .spec import (
    AdverseEvent,
    AnalysisSpec,
    Design,
    Dropout,
    EvidenceEntry,
    EvidenceTable,
    InterimSpec,
    NormalPrior,
    Pain,
    Scenario,
    SimulationSpec,
    default_evidence,
    evolve,
    load_evidence,
    load_scenario,
)

__all__ = [
    "AdverseEvent",
    "AdverseEventResult",
    "AnalysisSpec",
    "AnalyticPower",
    "BoundaryTable",
    "ConvergenceError",
    "Design",
    "Dropout",
    "EvidenceEntry",
    "EvidenceTable",
    "InterimSpec",
    "NormalPrior",
    "MonteCarloProbability",
    "PowerCurve",
    "RecruitmentResult",
    "RecruitmentSolution",
    "SampleSize",
    "SequentialClosedForm",
    "SequentialDesign",
    "Pain",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "SimulationSpec",
    "SimulatorError",
    "analytic_assurance",
    "analytic_power",
    "boundary_table",
    "conditional_power",
    "group_sequential_design",
    "median_unbiased_z",
    "stagewise_pvalue",
    "PromisingZone",
    "simulate_promising_zone",
    "promising_zone_power",
    "sequential_closed_form",
    "z_paths",
    "ancova_power",
    "choose_path",
    "default_evidence",
    "load_evidence",
    "harm_detection_probability",
    "load_scenario",
    "power_curve",
    "run_sweep",
    "simulate_recruitment",
    "solve_recruitment",
    "simulate",
    "simulate_grid",
    "solve_sample_size",
    "t_test_power",
    "true_effect",
    "two_proportion_power",
    "evolve",
    "meta_analyse",
    "Metric",
    "__version__",
]
