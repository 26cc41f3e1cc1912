"""The data path a scenario takes: aggregate where it is exact, else per patient.

Apart from the dispatch so that choosing a path (``trialsim validate``)
imports no sampler.
"""

from __future__ import annotations

from typing import Literal

from ..errors import ScenarioError
from ..models.exactness import aggregate_unsupported
from ..spec.scenario import Scenario

__all__ = ["PathName", "choose_path"]

PathName = Literal["auto", "aggregate", "patient"]


def choose_path(scenario: Scenario, path: PathName = "auto") -> Literal["aggregate", "patient"]:
    """The data path for a scenario.

    ``auto`` takes the aggregate path whenever it is exact for the scenario;
    forcing ``aggregate`` where it is not raises :class:`ScenarioError`.
    """
    reason = aggregate_unsupported(scenario)
    if path == "auto":
        return "patient" if reason else "aggregate"
    if path == "aggregate" and reason:
        raise ScenarioError(f"{scenario.source}: path 'aggregate' is not exact here: {reason}; "
                            "use path 'patient' or 'auto'")
    if path not in ("aggregate", "patient"):
        raise ScenarioError(f"path = {path!r}: must be one of 'auto', 'aggregate', 'patient'")
    return path
