"""What is concluded: tests, estimand analyses, multiplicity, meta-analysis, closed forms.

Group-sequential designs: :mod:`.spending` (spending functions),
:mod:`.crossing` (recursive integration), :mod:`.boundaries` (bounds) and
:mod:`.sequential` (designs, characteristics, conditional power).

Trial sequential analysis and heterogeneity (docs/tsa.md):

* :mod:`.information_size`: ``required_information``, ``required_participants``,
  ``diversity``, ``diversity_adjusted_ris``, ``inconsistency_adjusted_ris``,
  ``binary_information_size`` (``BinaryInformationSize``);
* :mod:`.tsa`: ``tsa_boundaries`` (``TSABoundaries``), ``tsa_adjusted_ci``,
  ``boundary_quantile``, ``grid_for``; :mod:`.tsa_wedge` (two-sided futility,
  ``inner_wedge_bounds``); :mod:`.tsa_inputs` (input checks);
  :mod:`.tsa_cumulative`: ``trial_sequential_analysis``
  (``TrialSequentialAnalysis``);
* :mod:`.tau2`: ``generalized_q``, ``tau2_for_q``, ``tau2_qprofile_ci``
  (``Tau2Interval``);
* :mod:`.tau2_priors`: ``QProfileTau2``, ``draw_tau2_qprofile``,
  ``LogNormalTau2``, ``LogTTau2``, ``turner_prior``, ``rhodes_prior``,
  ``expect_over_tau2``;
* :mod:`.metaanalysis`: ``meta_analyse(..., hksj=True, hksj_truncate=True)``,
  the modified HKSJ; :mod:`.twosample`: ``log_risk_ratio`` (escalc's zero
  cells) for a binary update.

Arrays in, arrays out: nothing here knows a scenario. May import the leaves
(:mod:`simulator.errors`, :mod:`simulator.mc`, :mod:`simulator.moments`,
:mod:`simulator._io`) and numpy/scipy; nothing above.
"""
