"""Multi-arm trials: each active arm's comparison with the reference.

The ``main`` pass already counts each comparison's multiplicity-adjusted
rejections (see :mod:`simulator.planning.primary`) and harms (see
:mod:`simulator.planning.harms`); this feature reports them per arm, with
each comparison's closed-form marginal power.
"""

from __future__ import annotations

from typing import Any

from ..mc import MonteCarloProbability
from .closed import comparison_powers, too_few_completers
from .plan import Plan, Point

__all__ = ["MultiArm"]


class MultiArm:
    """``per_comparison``: power, benefit and harm of each arm against the reference."""

    def passes(self, plan: Plan) -> list:
        return []

    def collectors(self, plan: Plan) -> dict:
        return {}

    def summarise(self, point: Point) -> dict[str, Any]:
        main = point.counts["main"]
        if "arm_reject" not in main:
            return {"per_comparison": None}
        scenario, n = point.scenario, point.n_sims
        closed = comparison_powers(scenario) if point.plan.closed_forms else None
        harms = {k.removeprefix("arm_harm:"): v for k, v in main.items()
                 if k.startswith("arm_harm:")}
        prob = MonteCarloProbability.from_counts
        out = {}
        for j, arm in enumerate(scenario.design.arms[1:]):
            out[arm] = {
                **prob(int(main["arm_reject"][j]), n).to_dict("power"),
                **prob(int(main["arm_benefit"][j]), n).to_dict("power_benefit"),
                "analytic_power": None if closed is None else closed[j],
                "effect": scenario.pain.effect_of(j + 1),
                "p_harm_detected": {k: int(v[j]) / n for k, v in harms.items()},
            }
        why = too_few_completers(scenario) if closed is not None else None
        notes = (f"per_comparison analytic_power is null: {why}",) if why else ()
        return {"per_comparison": out, "notes": notes}
