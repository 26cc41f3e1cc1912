"""Test settings and Monte Carlo settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .bounds import MIN_ALPHA, N_SIMS, is_n_sims
from .schema import check_fields, choice, integer, number

__all__ = ["AnalysisSpec", "SimulationSpec", "ESTIMANDS", "MULTIPLICITY_METHODS",
           "RESPONDER_TESTS", "N_TOLERANCE"]

#: Default widest range of n (as a share of n) the sample-size solver accepts.
N_TOLERANCE = 0.02

ESTIMANDS = ("hypothetical", "treatment-policy-bocf", "treatment-policy-j2r", "composite")
MULTIPLICITY_METHODS = ("dunnett", "holm", "bonferroni", "none")
RESPONDER_TESTS = ("z", "z-cc")


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalysisSpec:
    """Test settings.

    Attributes
    ----------
    alpha : float
        Type I error rate.
    sided : {1, 2}
        2: two-sided test at ``alpha``; 1: one-sided test at ``alpha`` in the
        benefit direction.
    test : {"student", "welch"}
        Variance assumption of the t-test (followup and change analyses).
    estimand : {"hypothetical", "treatment-policy-bocf", "treatment-policy-j2r", "composite"}
        How withdrawal is handled (ICH E9(R1)): the effect had nobody
        withdrawn, estimated from complete cases; treatment policy with the
        baseline carried forward, or with jump-to-reference multiple
        imputation (withdrawn patients follow the placebo arm given their
        baseline; Rubin's rules); or composite, withdrawal counted as
        non-response (responder analyses).
    imputations : int
        Imputations per trial for jump-to-reference.
    multiplicity : {"dunnett", "holm", "bonferroni", "none"}
        Multi-arm: how the family-wise error of the comparisons with the
        reference is controlled.
    responder_test : {"z", "z-cc"}
        Responder analyses: the pooled two-proportion z-test with the Wald
        interval, or both with Yates' continuity correction (the difference
        shrunk by, and the interval widened by, ``(1/m0 + 1/m1) / 2``):
        conservative where the uncorrected test is liberal, at a few
        completers per arm.

    Examples
    --------
    >>> AnalysisSpec(alpha=0.7)
    Traceback (most recent call last):
    ...
    simulator.errors.ScenarioError: [analysis] alpha = 0.7: must be in [1e-10, 0.5)
    """

    alpha: float = number(0.05, check=lambda v: MIN_ALPHA <= v < 0.5,
                          allowed=f"must be in [{MIN_ALPHA:g}, 0.5)")
    sided: Literal[1, 2] = choice((1, 2), 2)
    test: Literal["student", "welch"] = choice(("student", "welch"), "student")
    estimand: Literal["hypothetical", "treatment-policy-bocf", "treatment-policy-j2r",
                      "composite"] = choice(ESTIMANDS, "hypothetical")
    imputations: int = integer(20, check=lambda v: 2 <= v <= 1000,
                               allowed="must be an integer in [2, 1000]")
    multiplicity: Literal["dunnett", "holm", "bonferroni", "none"] = choice(
        MULTIPLICITY_METHODS, "dunnett")
    responder_test: Literal["z", "z-cc"] = choice(RESPONDER_TESTS, "z")

    def __post_init__(self) -> None:
        check_fields(self, "analysis")


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationSpec:
    """Monte Carlo settings.

    Attributes
    ----------
    n_sims : int
        Number of simulated trials.
    chunk_mb : float
        Memory budget of one chunk of simulated trials, in MB. It fixes the
        chunk layout (and so the random streams), never the worker count.
    """

    n_sims: int = integer(10_000, check=is_n_sims, allowed=N_SIMS)
    chunk_mb: float = number(64.0, check=lambda v: 1 <= v <= 65536,
                             allowed="must be a number of MB in [1, 65536]")

    def __post_init__(self) -> None:
        check_fields(self, "simulation")
