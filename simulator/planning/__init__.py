"""The questions: simulate, results, closed forms, assurance, resolve, curves, the solver.

May import every layer below (the leaves, analysis, spec, models, engine);
nothing above.
"""
