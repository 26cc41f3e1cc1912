"""Power, assurance and harm-detection curves over n, on common random numbers.

Curves come from :func:`simulator.planning.simulate.simulate_grid`: every
trial is simulated once at the largest n and smaller sizes analyse its first
patients (common random numbers), so a curve is smooth, nearly monotone and
costs about one evaluation at its largest n.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .._frames import data_frame
from ..engine.dispatch import PathName
from ..mc import MonteCarloProbability
from ..spec.scenario import Scenario
from .metric import Metric
from .results import SimulationResult
from .simulate import ProgressCallback, simulate_grid

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["PowerCurve", "power_curve", "conclusive_curves"]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PowerCurve:
    """Operating characteristics over a grid of sample sizes.

    Attributes
    ----------
    scenario_name : str
    n_per_arm : tuple of int
    points : tuple of SimulationResult
        One full result per size (power, assurance, harms, closed forms).
    """

    scenario_name: str
    n_per_arm: tuple[int, ...]
    points: tuple[SimulationResult, ...]

    def metric(self, name: str | Metric) -> tuple[MonteCarloProbability, ...]:
        """The metric at every size (see :class:`~simulator.planning.metric.Metric`)."""
        metric = Metric.parse(name)
        return tuple(metric.of(p) for p in self.points)

    @property
    def has_assurance(self) -> bool:
        return self.points[0].assurance is not None

    def __repr__(self) -> str:
        power = ", ".join(f"{n}: {p.power.value:.3f}" for n, p in zip(self.n_per_arm, self.points))
        return (f"PowerCurve(scenario={self.scenario_name!r}, n_sims={self.points[0].n_sims}, "
                f"power by n per arm {{{power}}})")

    def summary(self) -> str:
        """One line per n: power with its MC SE, the closed form, assurance, harms."""
        lines = [f"{self.scenario_name}: {self.points[0].n_sims:,} simulated trials per n "
                 f"(common random numbers), seed {self.points[0].seed_entropy}"]
        for p in self.points:
            line = f"n = {p.n_per_arm:>5}/arm: power {p.power.value:.3f} (SE {p.power.se:.3f})"
            if p.analytic_power is not None:
                line += f", closed form {p.analytic_power:.3f}"
            if p.assurance is not None:
                line += f", assurance {p.assurance.value:.3f}"
            line += "".join(f", harm {k} {v.p_harm_detected.value:.3f}"
                            for k, v in p.adverse_events.items())
            lines.append(line)
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """:meth:`to_rows` as a pandas DataFrame, one row per n (needs pandas)."""
        return data_frame(self.to_rows())

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat row per size (the ``trialsim curve --csv`` rows)."""
        rows = []
        for p in self.points:
            row: dict[str, Any] = {
                "n_per_arm": p.n_per_arm, "n_total": sum(p.group_sizes),
                "power": p.power.value, "power_se": p.power.se,
                "power_benefit": p.power_benefit.value, "power_benefit_se": p.power_benefit.se,
                "analytic_power": p.analytic_power,
            }
            if p.assurance is not None:
                row.update(assurance=p.assurance.value, assurance_se=p.assurance.se,
                           analytic_assurance=p.analytic_assurance)
            if "unblinding" in p.parts:
                row.update(p.parts["unblinding"].to_dict())
            for name, ae in p.adverse_events.items():
                row[f"p_harm_{name}"] = ae.p_harm_detected.value
                row[f"p_harm_{name}_se"] = ae.p_harm_detected.se
            rows.append(row)
        return rows

    @property
    def notes(self) -> tuple[str, ...]:
        """The notes of every size, each once, in order."""
        return tuple(dict.fromkeys(note for p in self.points for note in p.notes))

    def to_dict(self) -> dict[str, Any]:
        """The ``trialsim curve --json`` output (``notes`` only when there are any)."""
        first = self.points[0]
        out = {"scenario": self.scenario_name, "n_sims": first.n_sims, "path": first.path,
               "seed_entropy": first.seed_entropy, "analysis": first.analysis,
               "assurance_ceiling": first.assurance_ceiling, "rows": self.to_rows()}
        return {**out, "notes": list(self.notes)} if self.notes else out


def power_curve(
    scenario: Scenario,
    n_per_arm: Sequence[int],
    *,
    n_sims: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    path: PathName = "auto",
    progress: ProgressCallback | None = None,
    closed_forms: bool = False,
    comparisons: bool = False,
) -> PowerCurve:
    """Power, assurance and P(harm detected) over a grid of n, on common random numbers.

    Parameters
    ----------
    scenario : Scenario
    n_per_arm : sequence of int
        Sizes of the reference arm.
    n_sims, seed, n_jobs, path, progress
        As in :func:`simulator.simulate`.
    closed_forms : bool
        Compute the closed forms at every size (default False: a curve is
        read for its simulated metrics; a report asks for them).
    comparisons : bool
        Run the comparison runs of a report at every size (power without
        dropout; with functional unblinding, the power of the drug effect
        alone and the false-positive rate); default False.

    Returns
    -------
    PowerCurve

    Examples
    --------
    >>> from simulator import Scenario, power_curve
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 10}, "pain": {"effect": -1.0}})
    >>> c = power_curve(s, [25, 50, 100], n_sims=20_000, seed=1, closed_forms=True)
    >>> [abs(p.power.value - p.analytic_power) < 4 * p.power.se for p in c.points]
    [True, True, True]
    """
    points = simulate_grid(scenario, n_per_arm, n_sims=n_sims, seed=seed, n_jobs=n_jobs,
                           path=path, progress=progress, closed_forms=closed_forms,
                           comparisons=comparisons)
    return PowerCurve(scenario_name=scenario.name, n_per_arm=tuple(p.n_per_arm for p in points),
                      points=tuple(points))


def conclusive_curves(scenario: Scenario, n_per_arm: Sequence[int], **kwargs
                      ) -> dict[int, PowerCurve]:
    """P(conclusive) over n for 1, 2, ..., ``meta_analysis.new_trials`` new trials.

    One pass over ``K = new_trials`` new trials per future: the curve for ``k``
    trials judges the update by the first ``k`` of the same futures' trials
    (``Plan.trial_prefixes``), so the curves share their futures (K trials
    each, not 1 + 2 + ... + K). The curve for K is the one :func:`power_curve`
    gives. ``kwargs`` are those of :func:`power_curve`.
    """
    k_max = scenario.meta_analysis.new_trials
    options = {"closed_forms": False, "comparisons": False, **kwargs}
    points = simulate_grid(scenario, n_per_arm, trial_prefixes=True, **options)
    grid = tuple(p.n_per_arm for p in points)
    return {k: PowerCurve(scenario_name=scenario.name, n_per_arm=grid, points=tuple(
        p if k == k_max else replace(p, resolve=p.resolve.by_trials[k]) for p in points))
        for k in range(1, k_max + 1)}
