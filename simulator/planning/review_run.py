"""``trialsim resolve`` as one planning call: the review's update, its target, its curves.

:func:`resolve_review` runs the simulation of the next trial(s), optionally
solves the n per arm that reaches a target P(conclusive) (an unreachable
target is recorded with its reason, not raised), with ``k`` new trials and,
when ``k > 1``, with each smaller number of trials too (the fewer trials,
the larger each must be, until one cannot reach the target at any size),
and optionally computes P(conclusive) over n for 1 .. k new trials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._frames import data_frame
from ..checks import check_options
from ..engine.kernel import staged
from ..errors import ConvergenceError, ScenarioError
from ..spec.meta import RULES
from ..spec.scenario import Scenario, require_scenario
from ..spec.schema import evolve
from .curves import PowerCurve, conclusive_curves
from .results import SimulationResult
from .simulate import simulate
from .solver import SampleSize, solve_sample_size

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ReviewReport", "TrialsAnswer", "review_scenario", "resolve_review"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialsAnswer:
    """The n per arm of each of ``trials`` new trials that reaches the target.

    Attributes
    ----------
    trials : int
    target : float
    size : SampleSize or None
        The solve, when the target can be reached with that many trials.
    unreachable : str or None
        Why it cannot, when it cannot.
    """

    trials: int
    target: float
    size: SampleSize | None = None
    unreachable: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``trials`` and the keys of ``resolve --json``'s ``target`` for that many."""
        if self.size is not None:
            return {"trials": self.trials, **self.size.to_dict()}
        return {"trials": self.trials, "target": self.target, "n_per_arm": None,
                "reason": self.unreachable}


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ReviewReport:
    """What ``trialsim resolve`` reports.

    Attributes
    ----------
    scenario : Scenario
        With the number of new trials and the rules asked for.
    result : SimulationResult
        Its ``resolve`` part holds P(conclusive) by rule and direction.
    target : float or None
    answers : tuple of TrialsAnswer
        With ``target``: the answer with 1 .. k new trials, k the scenario's
        (empty without a target).
    curves : dict of int to PowerCurve or None
        P(conclusive) over n, per number of new trials.
    size, unreachable, by_trials
        Read from ``answers`` (below).
    """

    scenario: Scenario
    result: SimulationResult
    target: float | None = None
    answers: tuple[TrialsAnswer, ...] = ()
    curves: dict[int, PowerCurve] | None = None

    @property
    def size(self) -> SampleSize | None:
        """The n per arm of each of the k new trials that reaches ``target``, when it can."""
        return self.answers[-1].size if self.answers else None

    @property
    def unreachable(self) -> str | None:
        """Why ``target`` cannot be reached with k new trials, when it cannot."""
        return self.answers[-1].unreachable if self.answers else None

    @property
    def by_trials(self) -> tuple[TrialsAnswer, ...]:
        """The answers with 1 .. k new trials when k > 1; empty otherwise."""
        return self.answers if len(self.answers) > 1 else ()

    def to_dict(self) -> dict[str, Any]:
        """The ``trialsim resolve --json`` output."""
        r = self.result
        out = {"scenario": self.scenario.name, "n_per_arm": r.n_per_arm, "n_sims": r.n_sims,
               "path": r.path, "seed_entropy": r.seed_entropy, **r.resolve.to_dict(),
               "notes": list(r.notes)}
        if self.target is not None:
            out["target"] = (self.size.to_dict() if self.size is not None else
                             {"target": self.target, "n_per_arm": None,
                              "reason": self.unreachable})
        if self.by_trials:
            out["target_by_trials"] = [a.to_dict() for a in self.by_trials]
        if self.curves is not None:
            out["curves"] = {str(k): [{"n_per_arm": p.n_per_arm,
                                       **p.resolve.p_conclusive[p.resolve.rules[0]].to_dict(
                                           "p_conclusive")} for p in c.points]
                             for k, c in self.curves.items()}
        if r.notes:
            out["notes"] = list(r.notes)
        return out


    def __repr__(self) -> str:
        res = self.result.resolve
        shown = ", ".join(f"{r}: {p.value:.3f}" for r, p in res.p_conclusive.items())
        return (f"ReviewReport(scenario={self.scenario.name!r}, new_trials={res.new_trials}, "
                f"n_per_arm={self.result.n_per_arm}, p_conclusive={{{shown}}})")

    def summary(self) -> str:
        """P(conclusive) by rule, the closed forms and the target, in words."""
        res = self.result.resolve
        lines = [f"{self.scenario.name}: {res.new_trials} new trial(s) of "
                 f"{self.result.n_per_arm} per arm, {self.result.n_sims:,} futures"]
        lines += [f"P(conclusive, {r}) {p.value:.3f} (SE {p.se:.3f})"
                  for r, p in res.p_conclusive.items()]
        if res.closed is not None:
            lines.append(f"k_min {res.closed.k_min}; required information "
                         f"{res.closed.required_information:.2f}, existing "
                         f"{res.closed.existing_information:.2f}")
        if self.size is not None:
            lines.append(f"target {self.target:g}: {self.size.n_per_arm} per arm")
        elif self.unreachable is not None:
            lines.append(f"target {self.target:g}: not reachable. {self.unreachable}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per conclusive rule: P(conclusive) overall and by direction (needs pandas)."""
        res = self.result.resolve
        return data_frame([{"scenario": self.scenario.name, "new_trials": res.new_trials,
                            "n_per_arm": self.result.n_per_arm, "rule": rule,
                            **p.to_dict("p_conclusive"),
                            **{f"p_conclusive_{d}": q.value
                               for d, q in res.by_direction[rule].items()}}
                           for rule, p in res.p_conclusive.items()])


def review_scenario(scenario: Scenario, *, trials: int | None = None,
                    rules: Sequence[str] | None = None) -> Scenario:
    """The scenario with ``trials`` new trials and ``rules`` (None: the scenario's; one
    rule may be a string; an empty sequence is refused, not read as None); it needs
    ``[meta_analysis]``."""
    require_scenario(scenario)
    if isinstance(rules, str):
        rules = (rules,)
    if rules is not None and not list(rules):
        raise ScenarioError(f"rules = {rules!r}: must be one or more rules ({', '.join(RULES)})"
                            ", or None for the scenario's")
    if scenario.meta_analysis is None:
        raise ScenarioError(f"{scenario.source}: [meta_analysis]: required to resolve the "
                            "review (the existing evidence: studies, pooled or evidence)")
    changes: dict[str, Any] = {}
    if trials is not None:
        changes["meta_analysis.new_trials"] = trials
    if rules:
        unknown = [r for r in rules if r not in RULES]
        if unknown:
            raise ScenarioError(f"rule = {unknown[0]!r}: must be one of {', '.join(RULES)}")
        changes["meta_analysis.rules"] = tuple(dict.fromkeys(rules))
    return evolve(scenario, changes) if changes else scenario


#: The options resolve_review passes on to every run.
_RUN_OPTIONS = frozenset({"n_sims", "seed", "n_jobs", "path", "progress"})


def resolve_review(scenario: Scenario, *, trials: int | None = None,
                   rules: Sequence[str] | None = None, target: float | None = None,
                   n_per_arm: Sequence[int] | None = None, **options: Any) -> ReviewReport:
    """Simulate the review's update by the next trial(s), with its target and curves.

    Parameters
    ----------
    scenario : Scenario
        With a ``[meta_analysis]`` table.
    trials : int, optional
        New trials (default ``meta_analysis.new_trials``).
    rules : sequence of str, optional
        Conclusive rules (default the scenario's).
    target : float, optional
        Also solve the n per arm that reaches this P(conclusive): with the
        scenario's (or ``trials``) new trials, and with each smaller number.
    n_per_arm : sequence of int, optional
        Also P(conclusive) over these sizes, for 1 .. ``trials`` new trials.
    **options
        ``n_sims``, ``seed``, ``n_jobs``, ``path``, ``progress`` as in
        :func:`~simulator.planning.simulate.simulate`. A ``progress`` with a
        ``stage(label)`` method is told each step (the update, each solve, the
        curves) as it starts (:func:`~simulator.engine.kernel.staged`).

    Returns
    -------
    ReviewReport
    """
    check_options("resolve_review", options, _RUN_OPTIONS,
                  " (and trials, rules, target, n_per_arm)")
    scenario = review_scenario(scenario, trials=trials, rules=rules)
    progress = options.get("progress")
    staged(progress, "the update")
    result = simulate(scenario, comparisons=False, **options)
    answers: tuple[TrialsAnswer, ...] = ()
    if target is not None:
        k = scenario.meta_analysis.new_trials
        answers = tuple(_answer(scenario if j == k else evolve(
            scenario, {"meta_analysis.new_trials": j}), j, target, options)
            for j in range(1, k + 1))
    curves = None
    if n_per_arm is not None:
        staged(progress, "P(conclusive) over n")
        curves = conclusive_curves(scenario, n_per_arm, **options)
    return ReviewReport(scenario=scenario, result=result, target=target, answers=answers,
                        curves=curves)


def _answer(scenario: Scenario, trials: int, target: float, options: dict[str, Any]
            ) -> TrialsAnswer:
    """The solve with ``trials`` new trials, or why it cannot reach ``target``."""
    staged(options.get("progress"), f"size for {trials} new trial{'s' if trials > 1 else ''}")
    try:
        return TrialsAnswer(trials=trials, target=target, size=solve_sample_size(
            scenario, target=target, metric="conclusive", **options))
    except ConvergenceError as exc:
        return TrialsAnswer(trials=trials, target=target, unreachable=str(exc))
