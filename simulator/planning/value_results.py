"""The results of ``trialsim value``: EVPI, EVPPI, and EVSI and ENBS by n."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..mc import MonteCarloProbability
from .value_model import ParameterValue

__all__ = ["ValuePoint", "ValueResult", "OptimalDesign"]

#: A result's JSON keys, in order (fields and the properties read from them).
_VALUE_KEYS = ("scenario_name", "unit", "trials", "n_sims", "seed", "prior_mean_inb", "decision",
               "population", "evpi", "evppi", "points", "optimal_n", "optimal_range",
               "optimal_share", "optimal_n_closed", "bootstraps", "worth_running", "method",
               "closed_form")


@dataclass(frozen=True, slots=True, kw_only=True)
class ValuePoint:
    """EVSI, the trial's cost and ENBS at one size.

    Attributes
    ----------
    n_per_arm, n_total : int
        Patients in the reference arm and in all arms, of one new trial.
    evsi, evsi_se : float
        EVSI per treated patient (regression estimator) and its MC SE.
    evsi_closed : float or None
        The normal-normal preposterior closed form, where it applies.
    p_change : MonteCarloProbability
        P(the new trials' data change the decision).
    p_change_closed : float or None
        Its normal-normal closed form.
    assurance : MonteCarloProbability
        P(a new trial shows a significant benefit), over the same futures.
    months_to_result : float
    population_evsi, population_evsi_se : float
        ``evsi * population * (1 + r)^-(months_to_result / 12)``.
    trial_cost : float
        Cost of all the new trials.
    enbs, enbs_se : float
        ``population_evsi - trial_cost``.
    enbs_closed : float or None
    """

    n_per_arm: int
    n_total: int
    evsi: float
    evsi_se: float
    evsi_closed: float | None
    p_change: MonteCarloProbability
    p_change_closed: float | None
    assurance: MonteCarloProbability
    months_to_result: float
    population_evsi: float
    population_evsi_se: float
    trial_cost: float
    enbs: float
    enbs_se: float
    enbs_closed: float | None

    def to_dict(self) -> dict[str, Any]:
        """The point as JSON-ready fields."""
        out = {name: getattr(self, name) for name in self.__slots__
               if name not in ("p_change", "assurance")}
        return {**out, **self.p_change.to_dict("p_change"),
                **self.assurance.to_dict("assurance")}

    def to_row(self) -> dict[str, Any]:
        """One CSV row (intervals as two columns)."""
        out = self.to_dict()
        for name in ("p_change_ci", "assurance_ci"):
            out[f"{name}_low"], out[f"{name}_high"] = out.pop(name)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ValueResult:
    """Value of information of a scenario's decision, and the trial size worth most.

    Attributes
    ----------
    scenario_name, unit : str
    trials : int
        New trials per future (k).
    n_sims : int
        Simulated futures.
    seed : int
    prior_mean_inb : float
        E[INB] per patient over the priors; its sign is the current decision
        (:attr:`decision`).
    population : float
        Discounted patients over the horizon (``decision.population``).
    evpi : ParameterValue
    evppi : tuple of ParameterValue
    points : tuple of ValuePoint
        By increasing n (:attr:`optimal_n`, :attr:`optimal_n_closed` and
        :attr:`worth_running` are read from them).
    optimal_range : tuple of int or None
        The 2.5 and 97.5 % points of the argmax over bootstrap resamples of
        the futures (the Monte Carlo range of the argmax); None when no
        resample was asked for (``bootstraps = 0``).
    optimal_share : float or None
        The share of resamples whose argmax is ``optimal_n``.
    bootstraps : int
        Resamples behind ``optimal_range``.
    method : str
        How EVSI was estimated.
    closed_form : str
        ``normal-normal preposterior`` where the closed form is beside EVSI,
        else why it is not (its fields are then null).
    """

    scenario_name: str
    unit: str
    trials: int
    n_sims: int
    seed: int
    prior_mean_inb: float
    population: float
    evpi: ParameterValue
    evppi: tuple[ParameterValue, ...]
    points: tuple[ValuePoint, ...]
    optimal_range: tuple[int, int] | None
    optimal_share: float | None
    bootstraps: int
    method: str
    closed_form: str

    @property
    def decision(self) -> str:
        """``adopt`` or ``do not adopt`` on current evidence (the sign of ``prior_mean_inb``)."""
        return "adopt" if self.prior_mean_inb > 0 else "do not adopt"

    @property
    def optimal_n(self) -> int:
        """The n per arm of the largest ENBS on the grid (the first, on a tie)."""
        return max(self.points, key=lambda p: p.enbs).n_per_arm

    @property
    def optimal_n_closed(self) -> int | None:
        """The argmax of the closed-form ENBS, where it applies at every size."""
        if any(p.enbs_closed is None for p in self.points):
            return None
        return max(self.points, key=lambda p: p.enbs_closed).n_per_arm

    @property
    def worth_running(self) -> bool:
        """Whether the largest ENBS is above 0."""
        return bool(max(p.enbs for p in self.points) > 0)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready fields."""
        out = {name: getattr(self, name) for name in _VALUE_KEYS}
        out["evpi"] = self.evpi.to_dict()
        out["evppi"] = [p.to_dict() for p in self.evppi]
        out["points"] = [p.to_dict() for p in self.points]
        out["optimal_range"] = None if self.optimal_range is None else list(self.optimal_range)
        return out

    def to_rows(self) -> list[dict[str, Any]]:
        """One CSV row per size."""
        return [p.to_row() for p in self.points]

    def point_at(self, n_per_arm: int) -> ValuePoint:
        """The point of one size."""
        return next(p for p in self.points if p.n_per_arm == n_per_arm)


@dataclass(frozen=True, slots=True, kw_only=True)
class OptimalDesign:
    """The n per arm and number of new trials of largest ENBS.

    Attributes
    ----------
    by_trials : dict of int to ValueResult
        One value run per number of new trials (each with its own futures);
        the design of largest ENBS over every run and size is read from them
        (:attr:`n_per_arm`, :attr:`trials`, :attr:`enbs`).
    """

    by_trials: dict[int, ValueResult]

    @property
    def trials(self) -> int:
        """The number of new trials of the largest ENBS (the fewest, on a tie)."""
        return max(self.by_trials, key=lambda k: (self._best(k).enbs, -k))

    @property
    def n_per_arm(self) -> int:
        """The n per arm of the largest ENBS."""
        return self.by_trials[self.trials].optimal_n

    @property
    def enbs(self) -> float:
        """The largest ENBS."""
        return self._best(self.trials).enbs

    def _best(self, k: int) -> ValuePoint:
        r = self.by_trials[k]
        return r.point_at(r.optimal_n)

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready fields (one result per number of trials)."""
        return {"optimal": {"n_per_arm": self.n_per_arm, "trials": self.trials,
                            "enbs": self.enbs},
                "by_trials": {str(k): r.to_dict() for k, r in self.by_trials.items()}}

    def to_rows(self) -> list[dict[str, Any]]:
        """One CSV row per number of trials and size."""
        return [{"trials": k, **row} for k, r in self.by_trials.items() for row in r.to_rows()]
