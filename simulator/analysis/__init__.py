"""What is concluded: tests, estimand analyses, multiplicity, meta-analysis, closed forms.

Group-sequential designs: :mod:`.spending` (spending functions),
:mod:`.crossing` (recursive integration), :mod:`.boundaries` (bounds) and
:mod:`.sequential` (designs, characteristics, conditional power).

Arrays in, arrays out: nothing here knows a scenario. May import the leaves
(:mod:`simulator.errors`, :mod:`simulator.mc`, :mod:`simulator.moments`,
:mod:`simulator._io`) and numpy/scipy; nothing above.
"""
