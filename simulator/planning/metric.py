"""The metrics a curve or a solve reads from a result, parsed once into a value.

The metric language: ``power``, ``power_benefit``, ``assurance``,
``harm:<adverse event>`` and ``conclusive`` / ``conclusive:<rule>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import ScenarioError
from ..mc import MonteCarloProbability
from .results import SimulationResult

__all__ = ["Metric", "metric_of", "METRIC_HELP"]

MetricKind = Literal["power", "power_benefit", "assurance", "harm", "conclusive"]
METRIC_HELP = ("must be 'power', 'power_benefit', 'assurance', 'harm:<adverse event>' or "
               "'conclusive[:<rule>]'")


@dataclass(frozen=True, slots=True)
class Metric:
    """A metric of a simulation result.

    Attributes
    ----------
    kind : {"power", "power_benefit", "assurance", "harm", "conclusive"}
    name : str or None
        The adverse event of ``harm``; the rule of ``conclusive`` (None: the
        scenario's first rule).

    Examples
    --------
    >>> Metric.parse("harm:nausea")
    Metric(kind='harm', name='nausea')
    >>> str(Metric.parse("conclusive"))
    'conclusive'
    """

    kind: MetricKind
    name: str | None = None

    @classmethod
    def parse(cls, text: str | Metric) -> Metric:
        """A metric from its text; a :class:`ScenarioError` for anything else."""
        if isinstance(text, Metric):
            return text
        head, sep, name = str(text).partition(":")
        if head in ("power", "power_benefit", "assurance") and not sep:
            return cls(head)
        if head == "harm" and name:
            return cls("harm", name)
        if head == "conclusive":
            return cls("conclusive", name or None)
        raise ScenarioError(f"metric = {text!r}: {METRIC_HELP}")

    def __str__(self) -> str:
        return self.kind if self.name is None else f"{self.kind}:{self.name}"

    def of(self, result: SimulationResult) -> MonteCarloProbability:
        """The Monte Carlo estimate of the metric in a result."""
        if self.kind == "power":
            return result.power
        if self.kind == "power_benefit":
            return result.power_benefit
        if self.kind == "assurance":
            if result.assurance is None:
                raise ScenarioError("metric 'assurance' needs a prior: set pain.effect_prior "
                                    "to 'pooled' or 'predictive'")
            return result.assurance
        if self.kind == "conclusive":
            return self._conclusive(result)
        if self.name not in result.adverse_events:
            known = ", ".join(result.adverse_events) or "none are defined"
            raise ScenarioError(f"metric {str(self)!r}: unknown adverse event {self.name!r}; "
                                f"defined: {known}")
        return result.adverse_events[self.name].p_harm_detected

    def _conclusive(self, result: SimulationResult) -> MonteCarloProbability:
        if result.resolve is None:
            raise ScenarioError(f"metric {str(self)!r} needs a [meta_analysis] table")
        rule = self.name or result.resolve.rules[0]
        if rule not in result.resolve.p_conclusive:
            raise ScenarioError(f"metric {str(self)!r}: rule {rule!r} is not among the "
                                f"scenario's rules {list(result.resolve.rules)}")
        return result.resolve.p_conclusive[rule]


def metric_of(result: SimulationResult, metric: str | Metric) -> MonteCarloProbability:
    """The Monte Carlo estimate of ``metric`` (text or :class:`Metric`) in a result."""
    return Metric.parse(metric).of(result)
