"""What is asked: frozen scenario values that validate themselves, and the evidence table.

May import the leaves and :mod:`simulator.analysis`; nothing above. The
names below are the package's public ones (each module holds one concept).
"""

from .decision import DecisionSpec
from .design import Design
from .events import AdverseEvent, Dropout
from .evidence import default_evidence, load_evidence
from .evidence_entry import EvidenceEntry, EvidenceTable
from .interim import InterimSpec, sequential_design
from .meta import RULES, MetaSpec
from .pain import ANALYSES, Pain
from .parse import parse_n_grid, parse_override, parse_sweep_values
from .priors import NormalPrior
from .recruitment import RecruitmentSpec
from .scenario import Scenario, load_scenario
from .schema import evolve
from .settings import ESTIMANDS, AnalysisSpec, SimulationSpec
from .sweep import SweepSpec

__all__ = ["ANALYSES", "AdverseEvent", "AnalysisSpec", "DecisionSpec", "Design", "Dropout", "ESTIMANDS",
           "EvidenceEntry", "EvidenceTable", "InterimSpec", "MetaSpec", "NormalPrior", "Pain",
           "RULES", "RecruitmentSpec", "Scenario", "SimulationSpec", "SweepSpec",
           "default_evidence", "evolve", "load_evidence", "load_scenario", "parse_n_grid",
           "parse_override", "parse_sweep_values", "sequential_design"]
