"""The rules of the review's update: which futures are conclusive, per rule and direction.

Each future's updated meta-analysis (:func:`simulator.planning.review.update`)
is judged by the scenario's rules (:data:`simulator.spec.RULES`; the
directions of each are :data:`simulator.planning.review.DIRECTIONS`), and by
GRADE's imprecision (:func:`simulator.planning.review.grade_imprecision`).
The ``tsa`` rule is a full trial sequential analysis
(:mod:`simulator.planning.review_tsa`).
"""

from __future__ import annotations

import numpy as np

from ..spec import Scenario
from .review import existing_evidence, grade_imprecision, margin, update
from .review_tsa import tsa_decisions

__all__ = ["conclusive", "assess"]


def conclusive(scenario: Scenario, est: np.ndarray, se: np.ndarray
               ) -> dict[str, dict[str, np.ndarray]]:
    """Per rule and direction, the futures whose updated meta-analysis is conclusive.

    Parameters
    ----------
    scenario : Scenario
        With a ``meta_analysis`` table.
    est, se : ndarray, shape (futures, k)
        The new trials' estimates and standard errors.
    """
    return assess(scenario, est, se)[0]


def assess(scenario: Scenario, est: np.ndarray, se: np.ndarray, tau2: np.ndarray | None = None
           ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """The rules by direction (as :func:`conclusive`) and GRADE's imprecision of each future.

    ``tau2``: each future's drawn tau^2 (None: held). The second part also
    holds ``pi-low`` and ``pi-high``, the update's prediction interval, and
    with the ``tsa`` rule ``tsa-ci-low`` and ``tsa-ci-high``, the TSA-adjusted
    CI of each future's last look.
    """
    spec, alpha = scenario.meta_analysis, scenario.analysis.alpha
    up = update(existing_evidence(scenario), spec, est, se, alpha, tau2)
    lo, hi, m = up.ci_low, up.ci_high, margin(scenario)
    out: dict[str, dict[str, np.ndarray]] = {}
    for rule in spec.rules:
        if rule == "settled" and spec.binary:  # harm shown, or important harm ruled out
            harm = lo > 0
            out[rule] = {"harm": harm, "no-important-harm": (hi < m) & ~harm}
        elif rule == "settled":  # harm shown (lo > 0) takes precedence: disjoint directions
            harm = lo > 0
            out[rule] = {"benefit": hi < -m, "no-important-effect": (lo > -m) & (hi < m) & ~harm,
                         "harm": harm}
        elif rule == "ci-excludes-0":
            out[rule] = {"benefit": hi < 0, "harm": lo > 0}
        elif rule == "mcid":
            out[rule] = {"benefit": hi < -m, "no-important-effect": (lo > -m) & (hi < m),
                         "harm": lo > m}
        elif rule == "precision":
            out[rule] = {"precise": (hi - lo) / 2 < spec.precision}
        else:  # tsa: the full trial sequential analysis of the future
            out[rule], tsa_ci = tsa_decisions(scenario, est, se, tau2)
    extra = grade_imprecision(scenario, up)
    extra["pi-low"], extra["pi-high"] = up.prediction(alpha)
    if "tsa" in out:
        extra.update({"tsa-ci-low": tsa_ci[0], "tsa-ci-high": tsa_ci[1]})
    return out, extra
