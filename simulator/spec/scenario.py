"""The scenario: one trial design and the model of its data, validated as a whole.

Each section (:class:`Design`, :class:`Pain`, ...) validates its own fields
when it is built; :class:`Scenario` adds the rules that span sections (a
crossover's analysis, the estimand a responder analysis allows, adverse
events named elsewhere). So any way of building a scenario, from a file or
with :func:`~simulator.spec.schema.evolve`, yields a valid one or a
:class:`~simulator.errors.ScenarioError` naming the field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._io import read_toml
from ..errors import ScenarioError
from .convert import apply_overrides, scenario_parts, scenario_to_dict
from .decision import DecisionSpec
from .design import Design
from .events import AdverseEvent, Dropout
from .evidence import default_evidence
from .evidence_entry import EvidenceEntry, EvidenceTable
from .interim import InterimSpec
from .meta import MetaSpec
from .pain import Pain
from .recruitment import RecruitmentSpec
from .rules import check_scenario
from .schema import check_fields, integer, text
from .settings import AnalysisSpec, SimulationSpec
from .sweep import SweepSpec

__all__ = ["Scenario", "load_scenario", "require_scenario"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A planning question: one trial design and the model of its data.

    Build one with :func:`load_scenario` (a TOML file), :meth:`Scenario.from_dict`
    or the constructor; derive variants with :func:`~simulator.spec.schema.evolve`
    (values) or :meth:`with_overrides` (dotted keys with file values).

    Examples
    --------
    >>> from simulator import Scenario
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 100}, "pain": {"effect": -1.0}})
    >>> s.design.group_sizes
    (100, 100)
    >>> s.with_overrides({"design.n_per_arm": 120}).design.n_total
    240
    """

    name: str = text("unnamed")
    seed: int = integer(2025, check=lambda v: v >= 0, allowed="must be an integer >= 0")
    design: Design
    pain: Pain
    adverse_events: tuple[AdverseEvent, ...] = ()
    dropout: Dropout = dataclasses.field(default_factory=Dropout)
    analysis: AnalysisSpec = dataclasses.field(default_factory=AnalysisSpec)
    simulation: SimulationSpec = dataclasses.field(default_factory=SimulationSpec)
    meta_analysis: MetaSpec | None = None
    recruitment: RecruitmentSpec | None = None
    interim: InterimSpec | None = None
    sweep: SweepSpec | None = None
    decision: DecisionSpec | None = None
    source: str = dataclasses.field(default="<dict>", compare=False)
    evidence: EvidenceTable | None = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_fields(self, "")
        object.__setattr__(self, "adverse_events", tuple(self.adverse_events))
        check_scenario(self, self.evidence or default_evidence())

    # -- constructors -------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>",
                  evidence: EvidenceTable | None = None) -> Scenario:
        """Validate a nested mapping (the shape of a scenario file).

        Parameters
        ----------
        data : mapping
            Top-level keys ``name``, ``seed`` and the tables ``design``,
            ``pain``, ``adverse_events``, ``dropout``, ``analysis``,
            ``simulation``, ``meta_analysis``, ``recruitment``, ``interim``, ``sweep``, ``decision``.
        source : str
            Where the data came from; it starts every error message.
        evidence : EvidenceTable, optional
            The table that ``{ from = "evidence", key = ... }`` references
            resolve against; default the built-in one.

        Raises
        ------
        ScenarioError
            Naming the source, the field, the value and what is allowed.
        """
        try:
            parts = scenario_parts(data, evidence or default_evidence())
            return cls(**parts, source=source, evidence=evidence)
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: {exc}") from None

    @classmethod
    def from_toml(cls, path: str | Path, overrides: Mapping[str, Any] | None = None,
                  evidence: EvidenceTable | None = None) -> Scenario:
        """Load and validate a TOML scenario file, applying dotted overrides."""
        data = read_toml(path, "scenario file")
        if overrides:
            try:
                data = apply_overrides(data, overrides)
            except ScenarioError as exc:
                raise ScenarioError(f"{path}: {exc}") from None
        return cls.from_dict(data, source=str(path), evidence=evidence)

    # -- derived variants ---------------------------------------------------
    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new, validated scenario with dotted keys replaced by file values.

        Parameters
        ----------
        overrides : mapping
            ``{"pain.effect": -1.0, "design.n_per_arm": 120}``; values as a
            scenario file gives them (an evidence reference, a table by arm).
        """
        try:
            data = apply_overrides(self.to_dict(), overrides)
        except ScenarioError as exc:
            raise ScenarioError(f"{self.source}: {exc}") from None
        return Scenario.from_dict(data, source=self.source, evidence=self.evidence)

    def evidence_used(self) -> list[EvidenceEntry]:
        """The evidence entries this scenario's numbers come from."""
        keys = [self.pain.effect_evidence] + [ae.risk_ratio_evidence for ae in self.adverse_events]
        table = self.evidence or default_evidence()
        return [table[k] for k in dict.fromkeys(k for k in keys if k is not None)]

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a nested dictionary (the shape of the TOML file)."""
        return scenario_to_dict(self, self.evidence or default_evidence())


def require_scenario(scenario) -> None:
    """ScenarioError unless ``scenario`` is a :class:`~simulator.spec.scenario.Scenario`
    (a dict or a path is not: they are read by ``Scenario.from_dict`` and
    ``load_scenario``)."""
    if not isinstance(scenario, Scenario):
        shown = repr(scenario)
        raise ScenarioError(f"scenario = {shown if len(shown) <= 60 else shown[:57] + '...'}: "
                            "must be a Scenario (Scenario.from_dict, Scenario.from_toml or "
                            "load_scenario make one)")


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None,
                  evidence: EvidenceTable | None = None) -> Scenario:
    """Load a scenario file.

    Parameters
    ----------
    path : str or Path
        A TOML scenario file (see ``docs/scenarios.md``).
    overrides : mapping, optional
        Dotted keys to replace before validation, e.g.
        ``{"pain.effect": -1.0, "design.n_per_arm": 120}``.
    evidence : EvidenceTable, optional
        Resolves ``{ from = "evidence", key = ... }`` references; default the
        built-in table (:func:`simulator.load_evidence` adds user files).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        If the file cannot be read, is not TOML, or any field is invalid.
    """
    return Scenario.from_toml(path, overrides, evidence)
