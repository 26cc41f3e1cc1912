"""What is asked: frozen scenario values that validate themselves, and the evidence table.

May import the leaves and :mod:`simulator.analysis`; nothing above.
"""
