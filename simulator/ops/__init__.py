"""Many runs: sweeps and their result store, recruitment over calendar time.

May import every layer below (up to :mod:`simulator.planning`); not
:mod:`simulator.face`.
"""
