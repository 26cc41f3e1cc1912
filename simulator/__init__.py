"""trialsim: plan trials of NMDA-receptor antagonists for chronic pain by simulation.

The public API. Everything a script needs is importable from here::

    from simulator import load_scenario, simulate
    result = simulate(load_scenario("scenarios/ketamine_iv_parallel.toml"), n_jobs=2)
    result.power.value, result.power.se, result.analytic_power
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import ConvergenceError, ScenarioError, SimulatorError

if TYPE_CHECKING:  # pragma: no cover - what the lazy names below resolve to
    from .analysis.metaanalysis import meta_analyse
    from .analysis.sequential import SequentialDesign, conditional_power, group_sequential_design
    from .analysis.power import (
        ancova_power,
        harm_detection_probability,
        t_test_power,
        two_proportion_power,
    )
    from .engine.dispatch import choose_path
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
    from .ops.settle_time import SettleTime, settle_time
    from .planning.review_run import ReviewReport, resolve_review
    from .spec.evidence_checks import evidence_checks
    from .planning.value import optimal_design, value_of_information
    from .planning.value_results import OptimalDesign, ValuePoint, ValueResult
    from .spec import DecisionSpec
    from .analysis.sequential_estimates import final_interval_z, median_unbiased_z, stagewise_pvalue
    from .planning.adaptive import PromisingZone, promising_zone_power, simulate_promising_zone

#: Each public name and the module that defines it, imported on first use
#: (PEP 562), so that ``import simulator`` and ``trialsim validate`` do not
#: load the engine, the planning layer and their libraries.
_LAZY: dict[str, str] = {
    "meta_analyse": ".analysis.metaanalysis",
    "SequentialDesign": ".analysis.sequential",
    "conditional_power": ".analysis.sequential",
    "group_sequential_design": ".analysis.sequential",
    "ancova_power": ".analysis.power",
    "harm_detection_probability": ".analysis.power",
    "t_test_power": ".analysis.power",
    "two_proportion_power": ".analysis.power",
    "choose_path": ".engine.dispatch",
    "true_effect": ".models.truth",
    "RecruitmentResult": ".ops.recruitment",
    "RecruitmentSolution": ".ops.recruitment",
    "simulate_recruitment": ".ops.recruitment",
    "solve_recruitment": ".ops.recruitment",
    "run_sweep": ".ops.sweep",
    "BoundaryTable": ".planning.boundary_table",
    "boundary_table": ".planning.boundary_table",
    "z_paths": ".planning.boundary_table",
    "AnalyticPower": ".planning.closed",
    "analytic_assurance": ".planning.closed",
    "analytic_power": ".planning.closed",
    "SequentialClosedForm": ".planning.closed_sequential",
    "sequential_closed_form": ".planning.closed_sequential",
    "PowerCurve": ".planning.curves",
    "power_curve": ".planning.curves",
    "Metric": ".planning.metric",
    "AdverseEventResult": ".planning.results",
    "MonteCarloProbability": ".planning.results",
    "SimulationResult": ".planning.results",
    "simulate": ".planning.simulate",
    "simulate_grid": ".planning.simulate",
    "SampleSize": ".planning.solver",
    "solve_sample_size": ".planning.solver",
    "AdverseEvent": ".spec",
    "AnalysisSpec": ".spec",
    "Design": ".spec",
    "Dropout": ".spec",
    "EvidenceEntry": ".spec",
    "EvidenceTable": ".spec",
    "InterimSpec": ".spec",
    "NormalPrior": ".spec",
    "Pain": ".spec",
    "Scenario": ".spec",
    "SimulationSpec": ".spec",
    "default_evidence": ".spec",
    "evolve": ".spec",
    "load_evidence": ".spec",
    "load_scenario": ".spec",
    "SettleTime": ".ops.settle_time",
    "settle_time": ".ops.settle_time",
    "ReviewReport": ".planning.review_run",
    "resolve_review": ".planning.review_run",
    "evidence_checks": ".spec.evidence_checks",
    "optimal_design": ".planning.value",
    "value_of_information": ".planning.value",
    "OptimalDesign": ".planning.value_results",
    "ValuePoint": ".planning.value_results",
    "ValueResult": ".planning.value_results",
    "DecisionSpec": ".spec",
    "median_unbiased_z": ".analysis.sequential_estimates",
    "final_interval_z": ".analysis.sequential_estimates",
    "stagewise_pvalue": ".analysis.sequential_estimates",
    "PromisingZone": ".planning.adaptive",
    "promising_zone_power": ".planning.adaptive",
    "simulate_promising_zone": ".planning.adaptive",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


#: Every lazy name, the exceptions and the version (one list: _LAZY).
__all__ = sorted([*_LAZY, "ConvergenceError", "ScenarioError", "SimulatorError", "__version__"])
