"""How data arise: the pain model, true parameters and priors, the samplers.

Models return per-arm moments and counts on a size grid; they never run a
test. May import the leaves, :mod:`simulator.analysis` and
:mod:`simulator.spec`; nothing above.
"""
