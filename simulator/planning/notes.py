"""Warnings a reader of a result needs, in words."""

from __future__ import annotations

from ..spec.evidence_checks import evidence_checks
from ..analysis.power import two_proportion_accuracy
from ..models.truth import arm_truth
from ..spec.scenario import Scenario
from .closed import completion_probabilities

__all__ = ["notes"]


def notes(scenario: Scenario) -> tuple[str, ...]:
    """The notes printed under a result, for the scenario's settings."""
    out = []
    if scenario.dropout.mechanism == "mnar" and scenario.dropout.rate > 0:
        out.append("dropout depends on the outcome (mnar): no analysis of the observed data "
                   "is unbiased for the hypothetical estimand; complete-case results are "
                   "biased (see bias)")
    if scenario.analysis.estimand == "treatment-policy-bocf":
        out.append("baseline observation carried forward breaks the analysis model's "
                   "equal-variance assumption; check ci_coverage")
    if scenario.design.kind == "crossover" and scenario.design.carryover != 0:
        out.append("carry-over biases the within-patient comparison by -carryover / 2")
    harmful = [scenario.pain.effect_of(j) for j in range(1, len(scenario.design.arms))
               if scenario.pain.effect_of(j) > 0]
    if harmful:
        what = ("the prior mean of the effect" if scenario.pain.effect_prior != "fixed"
                else "the true effect")
        out.append(f"{what} (+{max(harmful):g}) is harm, not benefit (negative = benefit): "
                   "power counts rejections in either direction, here mostly for harm; "
                   "power_benefit is the probability of showing a benefit")
    if scenario.interim is not None:
        out.append("interim analyses: power (and assurance) are the sequential trial's; the "
                   "estimate, its coverage, the MCID rows and the adverse-event table "
                   "describe every trial analysed at its maximum n (see the interim block "
                   "for the trial as run)")
    small = _small_responder_trial(scenario)
    if small:
        out.append(small)
    return tuple(out) + evidence_checks(scenario)


#: Completers per arm up to which a responder analysis' exact accuracy is checked
#: (beyond, the normal approximation holds well; the enumeration grows as m^2).
RESPONDER_CHECK_MAX = 200


def _small_responder_trial(scenario: Scenario) -> str | None:
    """A note when a two-arm responder analysis is too small for its nominal level.

    At the expected completers (rounded), the exact type I error and interval
    coverage of the responder test (:func:`two_proportion_accuracy`) are
    compared with ``alpha`` and ``1 - alpha``: the note gives them, and the
    continuity-corrected test's, when the type I error exceeds ``alpha`` by
    more than a tenth (and 0.001) or the coverage falls short by more than
    one percentage point.
    """
    pain, spec, design = scenario.pain, scenario.analysis, scenario.design
    if not pain.is_responder or design.kind != "parallel":
        return None
    m0, m1 = (round(n * c) for n, c in zip(design.group_sizes,
                                           completion_probabilities(scenario)))
    if min(m0, m1) < 2 or max(m0, m1) > RESPONDER_CHECK_MAX:
        return None
    c = pain.responder_cutoff
    p0, p1 = (arm_truth(pain, active).responder_rate[c] for active in (False, True))
    common = dict(alpha=spec.alpha, sided=spec.sided)
    corrected = spec.responder_test == "z-cc"
    size, coverage = two_proportion_accuracy(p0, p1, m0, m1, continuity=corrected, **common)
    if size <= max(1.1 * spec.alpha, spec.alpha + 1e-3) and coverage >= 1 - spec.alpha - 0.01:
        return None
    name = "continuity-corrected z-test" if corrected else "z-test"
    text = (f"a responder analysis of about {m0} and {m1} completers per arm is too small for "
            f"the normal approximation: the {name}'s exact type I error is {size:.3f} (nominal "
            f"{spec.alpha:g}) and its interval covers the true difference in "
            f"{100 * coverage:.1f} % of trials (nominal {100 * (1 - spec.alpha):g} %)")
    if not corrected:
        size_cc, coverage_cc = two_proportion_accuracy(p0, p1, m0, m1, continuity=True,
                                                       **common)
        text += (f"; the continuity-corrected test ([analysis] responder_test = \"z-cc\") "
                 f"has {size_cc:.3f} and {100 * coverage_cc:.1f} %")
    return text
