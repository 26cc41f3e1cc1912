"""What is concluded: tests, estimand analyses, multiplicity, meta-analysis, closed forms.

Arrays in, arrays out: nothing here knows a scenario. May import the leaves
(:mod:`simulator.errors`, :mod:`simulator.mc`, :mod:`simulator.moments`,
:mod:`simulator._io`) and numpy/scipy; nothing above.
"""
