"""The boundary table of a scenario's interim analyses, and sample z paths.

:func:`boundary_table` lists, per look, the patients analysed, the efficacy
and futility bounds on the z scale, as nominal p-values and on the effect
scale (NRS points: the bound times the look's expected standard error), and
the cumulative alpha and beta spent; with the design's characteristics
(maximum-information inflation, expected information under H0 and H1).
:func:`z_paths` simulates a few trials and returns their z at every look,
for a plot of the boundaries with the paths that cross them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..mc import finite
from .._frames import data_frame
from ..engine.dispatch import choose_path, simulate_sizes
from ..engine.looks import look_sizes
from ..errors import ScenarioError
from ..models.outcomes import analysis_sd
from ..spec.scenario import Scenario, require_scenario
from .closed import completion_probabilities
from .closed_sequential import closed_form_undefined, design_of, sequential_closed_form
from .decisions import benefit_sign
from .simulate import checked_seed
from .sequential import look_z

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["BoundaryRow", "BoundaryTable", "boundary_table", "z_paths"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundaryRow:
    """One look of a group-sequential design.

    Attributes
    ----------
    look : int
        1-based.
    information : float
        Planned information fraction.
    group_sizes : tuple of int
        Patients per arm analysed at the look.
    z : float or None
        Efficacy bound on the z scale (benefit positive; two-sided designs
        also reject at ``-z``); None where the look spends no alpha.
    nominal_p : float
        The bound as a p-value of the analysis' sidedness.
    effect : float or None
        The bound on the effect scale at the look's expected standard error
        (NRS points): an estimate at least this far in the benefit direction
        stops the trial (None for responder analyses).
    futility_z, futility_effect : float or None
        The futility bound (one-sided designs), on both scales.
    alpha_spent, beta_spent : float
        Cumulative type I error and futility probability under the design's
        alternative by this look.
    """

    look: int
    information: float
    group_sizes: tuple[int, ...]
    z: float | None
    nominal_p: float
    effect: float | None
    futility_z: float | None
    futility_effect: float | None
    alpha_spent: float
    beta_spent: float

    def to_dict(self) -> dict[str, Any]:
        return {"look": self.look, "information": self.information,
                "group_sizes": list(self.group_sizes), "n_total": sum(self.group_sizes),
                "z": self.z, "nominal_p": self.nominal_p, "effect": self.effect,
                "futility_z": self.futility_z, "futility_effect": self.futility_effect,
                "alpha_spent": self.alpha_spent, "beta_spent": self.beta_spent}


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class BoundaryTable:
    """The boundaries of a scenario's interim analyses, look by look.

    Attributes
    ----------
    scenario_name : str
    alpha_spending, beta_spending : str
    binding : bool
    alpha : float
    sided : int
    rows : tuple of BoundaryRow
    inflation_factor : float
        Maximum information over a fixed design's at the same alpha and
        power ``1 - interim.beta``.
    expected_information_h0, expected_information_h1 : float
        Expected information relative to the fixed design.
    power, expected_n : float or None
        Closed-form power and expected patients at the scenario's n and effect
        (None where the closed form is undefined: see ``notes``).
    notes : tuple of str
        Why a value is None.
    """

    scenario_name: str
    alpha_spending: str
    beta_spending: str
    binding: bool
    alpha: float
    sided: int
    rows: tuple[BoundaryRow, ...]
    inflation_factor: float
    expected_information_h0: float
    expected_information_h1: float
    power: float | None
    expected_n: float | None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario_name, "alpha_spending": self.alpha_spending,
                "beta_spending": self.beta_spending, "binding": self.binding,
                "alpha": self.alpha, "sided": self.sided,
                "inflation_factor": self.inflation_factor,
                "expected_information_h0": self.expected_information_h0,
                "expected_information_h1": self.expected_information_h1,
                "power": self.power, "expected_n": self.expected_n,
                "rows": [r.to_dict() for r in self.rows],
                **({"notes": list(self.notes)} if self.notes else {})}

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat row per look (the CSV)."""
        return [{**r.to_dict(), "group_sizes": " ".join(str(n) for n in r.group_sizes)}
                for r in self.rows]

    def to_frame(self) -> pd.DataFrame:
        """:meth:`to_rows` as a pandas DataFrame, one row per look (needs pandas)."""
        return data_frame(self.to_rows())

    def __repr__(self) -> str:
        z = ", ".join("-" if r.z is None else f"{r.z:.3f}" for r in self.rows)
        return (f"BoundaryTable(scenario={self.scenario_name!r}, looks={len(self.rows)}, "
                f"alpha_spending={self.alpha_spending!r}, z=[{z}], power={_num(self.power)})")

    def summary(self) -> str:
        """One line per look: information, patients, the bounds and what is spent."""
        lines = [f"{self.scenario_name}: {self.alpha_spending} alpha spending, alpha "
                 f"{self.alpha:g} ({self.sided}-sided); power {_num(self.power)}, expected n "
                 f"{_num(self.expected_n, '.1f')}, inflation {self.inflation_factor:.4f}"]
        for r in self.rows:
            z = "-" if r.z is None else f"{r.z:.3f}"
            fut = "" if r.futility_z is None else f", futility z {r.futility_z:.3f}"
            lines.append(f"look {r.look}: information {r.information:.3f}, "
                         f"{sum(r.group_sizes)} patients, z {z}{fut}, alpha spent "
                         f"{r.alpha_spent:.5f}")
        return "\n".join(lines)


def _se(scenario: Scenario, sizes: tuple[int, ...]) -> float:
    keep = completion_probabilities(scenario)
    m0, m1 = sizes[0] * keep[0], sizes[1] * keep[1]
    if min(m0, m1) <= 0:  # nobody expected to complete in an arm: no standard error
        return math.inf
    return analysis_sd(scenario.pain) * math.sqrt(1 / m0 + 1 / m1)


def _num(x: float | None, spec: str = ".4f") -> str:
    return "n/a" if x is None else format(x, spec)


def boundary_table(scenario: Scenario) -> BoundaryTable:
    """The boundary table of ``scenario``'s ``[interim]`` design.

    Raises
    ------
    ScenarioError
        When the scenario has no ``[interim]`` table.

    Examples
    --------
    >>> from simulator import Scenario
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 100}, "pain": {"effect": -1.0},
    ...                         "interim": {"looks": [0.5, 1.0]}})
    >>> [round(r.z, 4) for r in boundary_table(s).rows]
    [2.9626, 1.9686]
    """
    require_scenario(scenario)
    if scenario.interim is None:
        raise ScenarioError(f"{scenario.source}: no [interim] table: a fixed design has no "
                            "boundaries")
    d = design_of(scenario)
    looks = look_sizes(scenario, scenario.design.n_per_arm)
    sign = benefit_sign(scenario)
    rows = []
    for k, sizes in enumerate(looks):
        se = _se(scenario, sizes) if not scenario.pain.is_responder else None
        fut = float(d.futility_bounds[k]) if k < len(looks) - 1 and d.sided == 1 else -np.inf
        rows.append(BoundaryRow(
            look=k + 1, information=float(d.information_rates[k]), group_sizes=sizes,
            z=finite(d.critical_values[k]), nominal_p=float(d.nominal_p[k]),
            effect=None if se is None or not np.isfinite(d.critical_values[k])
            else sign * float(d.critical_values[k]) * se,
            futility_z=finite(fut),
            futility_effect=None if se is None or not np.isfinite(fut) else sign * fut * se,
            alpha_spent=float(d.alpha_spent[k]), beta_spent=float(d.beta_spent[k])))
    closed = sequential_closed_form(scenario)
    why = closed_form_undefined(scenario)
    i = scenario.interim
    return BoundaryTable(
        scenario_name=scenario.name, alpha_spending=i.alpha_spending,
        beta_spending=i.beta_spending, binding=i.binding, alpha=scenario.analysis.alpha,
        sided=scenario.analysis.sided, rows=tuple(rows),
        inflation_factor=float(d.inflation_factor),
        expected_information_h0=float(d.expected_information_h0),
        expected_information_h1=float(d.expected_information_h1),
        power=None if closed is None else closed.power,
        expected_n=None if closed is None else closed.expected_n,
        notes=() if why is None else (f"power and expected_n are null: the closed form is "
                                      f"undefined here ({why})",))


def z_paths(scenario: Scenario, n_trials: int = 20, seed: int | None = None) -> np.ndarray:
    """The z (benefit positive) of ``n_trials`` simulated trials at every look.

    Returns
    -------
    ndarray
        Shape ``(n_trials, looks)``; NaN where a look cannot be analysed.
    """
    if scenario.interim is None:
        raise ScenarioError(f"{scenario.source}: no [interim] table: no looks to trace")
    rng = np.random.default_rng(np.random.SeedSequence(checked_seed(scenario, seed)))
    looks = look_sizes(scenario, scenario.design.n_per_arm)
    samples = simulate_sizes(scenario, n_trials, rng, choose_path(scenario), looks)
    return np.column_stack([look_z(s, benefit_sign(scenario)) for s in samples])
