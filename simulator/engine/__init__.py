"""How many and where: blocks and tasks, named seed streams, dispatch, the pass runner.

The engine knows no feature: a feature contributes passes and collectors.
May import the leaves, :mod:`simulator.analysis`, :mod:`simulator.spec` and
:mod:`simulator.models`; nothing above.
"""
