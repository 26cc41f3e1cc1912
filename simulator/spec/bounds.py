"""The bounds of a scenario's numbers, and of what one command may ask for.

Every number a scenario gives is checked against a range that keeps its
computations finite and its answers right (a standard deviation of 1e-200
underflows the t statistic; an allocation ratio of 1e300 overflows the arm
sizes). The ranges are those of the problem, not of floating point:

* NRS quantities live on the 0-10 scale: a score (a mean, an inclusion
  limit) in [0, 10]; a difference of two scores (an effect, a change, a
  shift) in [-10, 10]; a standard deviation in [0.01, 10]; a variance in
  [0, 100].
* A ratio (allocation weights, a risk ratio) within a factor 1000 of 1.
* A type I error rate in [1e-10, 0.5), and so a type II error rate (power at
  most 1 - 1e-10).
* A spending family's parameter (Kim-DeMets rho, Hwang-Shih-DeCani gamma)
  within [-40, 40]: beyond it the spending is a step (exp(40) = 2e17), and
  exp(-gamma) overflows.
* Sizes: at most 100,000 patients in any arm and 20 arms; at most 10^9
  simulated trials.
* Calendar quantities within 100 years (1200 months).

The resource limits of the command line (curve points, sweep points,
workers, recruitment replications) are here too, so that one module says
what a run may cost.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["LONG_SECONDS", "NRS_MAX", "MIN_SD", "MAX_RATIO", "MIN_ALPHA", "MAX_ARM_SIZE", "MAX_ARMS",
           "MAX_N_SIMS", "MAX_MONTHS", "MAX_CURVE_POINTS", "MAX_SWEEP_POINTS",
           "MAX_PATIENT_REPLICATIONS", "MAX_SOLVE_REPS", "MAX_KEPT_TRIALS", "MAX_BOOTSTRAPS",
           "MAX_AMOUNT", "MAX_SPENDING_PARAMETER",
           "SPENDING_PARAMETER", "DIFFERENCE", "SCORE", "AMOUNT", "MONTHS", "HORIZON", "SEED", "N_SIMS",
           "is_difference", "is_score", "is_sd", "is_ratio", "is_spending_parameter",
           "is_amount", "is_months", "is_horizon", "is_real", "is_seed", "is_n_sims"]

#: The top of the 0-10 numerical rating scale.
NRS_MAX = 10.0
#: The smallest standard deviation of a score (NRS points).
MIN_SD = 0.01
#: Ratios (allocation weights to the reference arm's, risk ratios) lie in [1/MAX_RATIO, MAX_RATIO].
MAX_RATIO = 1000.0
#: The smallest type I error rate (and type II error rate).
MIN_ALPHA = 1e-10
#: The largest magnitude of a spending family's parameter (rho, gamma).
MAX_SPENDING_PARAMETER = 40.0
SPENDING_PARAMETER = "must be a number in [-40, 40] (rho of a KD family: in (0, 40])"
#: Patients randomised to any one arm.
MAX_ARM_SIZE = 100_000
#: Arms of a design.
MAX_ARMS = 20
#: Simulated trials of one run (per size of a curve).
MAX_N_SIMS = 10**9
#: Runs estimated to take longer than this (seconds) are announced before they start.
LONG_SECONDS = 60.0
#: Calendar quantities (site openings, follow-up, deadlines), in months.
MAX_MONTHS = 1200.0
#: Sizes one curve (``--n``) may give.
MAX_CURVE_POINTS = 1000
#: Points one sweep may have.
MAX_SWEEP_POINTS = 10_000
#: Replications times patients of one recruitment run (every patient's timeline is kept).
MAX_PATIENT_REPLICATIONS = 20_000_000
#: Draws of the site rates of one recruitment solve (``recruit --solve --reps``).
MAX_SOLVE_REPS = 100_000
#: Trials of a run that keeps every trial's values in memory (``value``'s futures for its
#: regression, ``adaptive``'s trials): about 8 bytes per trial and array.
MAX_KEPT_TRIALS = 10_000_000
#: Bootstrap resamples of the value of information's optimal n.
MAX_BOOTSTRAPS = 10_000
#: Money (values, costs) and people (a population a year): within 1e12.
MAX_AMOUNT = 1e12

DIFFERENCE = "must be a number in [-10, 10] (NRS points)"
SCORE = "must be an NRS score in [0, 10]"
AMOUNT = f"must be a number in [0, {MAX_AMOUNT:g}]"
MONTHS = f"must be a number of months in [0, {MAX_MONTHS:g}]"
HORIZON = f"must be a number of months in (0, {MAX_MONTHS:g}]"
SEED = "must be an integer >= 0"


def is_n_sims(v) -> bool:
    """Simulated trials of a run: an integer (not a bool) in [2, 1e9]; one trial has no
    Monte Carlo error."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and 2 <= v <= MAX_N_SIMS


N_SIMS = "must be an integer in [2, 1e9] (one trial has no Monte Carlo error)"


def is_seed(v) -> bool:
    """A root seed: an integer >= 0 (not a bool), what ``numpy.random.SeedSequence`` takes."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0


def is_horizon(v) -> bool:
    """A date asked about, in months from the start: a real number in (0, 1200]."""
    return is_real(v) and 0 < v <= MAX_MONTHS


def is_real(x) -> bool:
    """A finite real number (not a bool)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def is_amount(v: float) -> bool:
    """Money (a value, a cost, a weight): in [0, 1e12], so that products stay finite."""
    return 0 <= v <= MAX_AMOUNT


def is_months(v: float) -> bool:
    """A time in months: in [0, 1200]."""
    return 0 <= v <= MAX_MONTHS


def is_difference(v: float) -> bool:
    """A difference of two NRS scores: in [-10, 10]."""
    return -NRS_MAX <= v <= NRS_MAX


def is_score(v: float) -> bool:
    """An NRS score: in [0, 10]."""
    return 0 <= v <= NRS_MAX


def is_sd(v: float) -> bool:
    """A standard deviation of NRS scores: in [0.01, 10]."""
    return MIN_SD <= v <= NRS_MAX


def is_ratio(v: float) -> bool:
    """A ratio within a factor 1000 of 1."""
    return 1.0 / MAX_RATIO <= v <= MAX_RATIO


def is_spending_parameter(v: float) -> bool:
    """A spending family's parameter: in [-40, 40]."""
    return -MAX_SPENDING_PARAMETER <= v <= MAX_SPENDING_PARAMETER
