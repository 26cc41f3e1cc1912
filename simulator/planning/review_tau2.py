"""tau^2 in the futures: its distribution, when it is drawn rather than held.

``meta_analysis.tau2_prior`` names where each future's tau^2 comes from:

* ``"qprofile"``: the generalised Q-profile distribution of the existing
  studies (Bowden et al. 2011; Jackson 2013): what the studies say about
  tau^2, the frequentist analogue of its posterior;
* ``"rhodes"``: Rhodes, Turner & Higgins's (2015) empirical log-t prior for
  tau^2 of a standardized mean difference in pharmacological vs placebo
  comparisons of pain and similar outcomes, moved to NRS points by
  ``pain.sd^2`` (``tau2_MD = SD^2 tau2_SMD``);
* ``"turner"``: Turner et al.'s (2015) log-normal prior for tau^2 of a log
  odds ratio (pain; binary outcomes only, an approximation on the log risk
  ratio scale);
* ``"lognormal"``: ``ln tau2 ~ N(tau2_prior_mu, tau2_prior_sigma^2)``, given
  by the user, in the outcome's units squared.

The distributions are those of :mod:`simulator.analysis.tau2_priors`, whose
docstrings give the caveats (the empirical priors are transcribed from the R
package bayesmeta and were not checked against the printed tables).
"""

from __future__ import annotations

import numpy as np

from ..analysis.tau2_priors import (LogNormalTau2, LogTTau2, QProfileTau2, rhodes_prior,
                                    turner_prior)
from ..spec import Scenario

__all__ = ["tau2_distribution", "TAU2_SOURCES"]

#: How each tau2_prior is described in tables.
TAU2_SOURCES = {
    "qprofile": "the Q-profile distribution of the studies",
    "rhodes": "Rhodes et al. 2015 (SMD prior x pain.sd^2)",
    "turner": "Turner et al. 2015 (log odds ratio, pain)",
    "lognormal": "a log-normal prior",
}


def tau2_distribution(scenario: Scenario) -> LogNormalTau2 | LogTTau2 | QProfileTau2 | None:
    """The distribution each future draws its tau^2 from (None when tau^2 is held).

    Examples
    --------
    >>> from simulator import Scenario
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 50},
    ...     "pain": {"effect": -1.0, "sd": 2.5},
    ...     "meta_analysis": {"pooled": {"estimate": -1.5, "se": 0.8}, "tau2": 0.25,
    ...                       "tau2_prior": "rhodes"}})
    >>> round(tau2_distribution(s).median, 4)  # NRS points squared
    0.2652
    """
    spec = scenario.meta_analysis
    prior = spec.tau2_prior
    if prior == "fixed":
        return None
    if prior == "qprofile":
        y, se = np.array(spec.studies).T
        return QProfileTau2(tuple(y), tuple(se * se))
    if prior == "rhodes":
        return rhodes_prior(sd=scenario.pain.sd)
    if prior == "turner":
        return turner_prior("pain")
    return LogNormalTau2(spec.tau2_prior_mu, spec.tau2_prior_sigma, "user")
