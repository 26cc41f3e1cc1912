"""The Monte Carlo estimates' intervals against R."""

from __future__ import annotations

import pytest

from simulator.mc import MonteCarloProbability

# R 4.2: the Wilson score interval is prop.test's without continuity correction:
#   for (x in list(c(800, 1000), c(3, 50), c(0, 200), c(199, 200)))
#     print(prop.test(x[1], x[2], correct = FALSE)$conf.int[1:2], digits = 15)
#   prop.test(800, 1000, conf.level = 0.9, correct = FALSE)$conf.int
R_WILSON = [(800, 1000, 0.95, 0.774081035351865, 0.823622909556802),
            (3, 50, 0.95, 0.020614970348974, 0.162170916888382),
            (0, 200, 0.95, 0.0, 0.0188453263772666),
            (199, 200, 0.95, 0.972226295602107, 0.999116831284399),
            (800, 1000, 0.90, 0.778396918277930, 0.819984135778213)]


@pytest.mark.parametrize("successes, n, level, low, high", R_WILSON)
def test_wilson_interval_matches_r_prop_test(successes, n, level, low, high):
    p = MonteCarloProbability.from_counts(successes, n, level=level)
    assert p.ci == pytest.approx((low, high), abs=1e-12)
    assert p.value == successes / n
    assert p.se == pytest.approx((p.value * (1 - p.value) / n) ** 0.5, rel=1e-15)
