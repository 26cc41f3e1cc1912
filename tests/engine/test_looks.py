"""The sizes a pass simulates: the grid, and each grid size's interim looks."""

from __future__ import annotations

from simulator import Scenario
from simulator.engine.looks import look_sizes, run_grid


def interim(n: int = 100, allocation=(1, 1), looks=(0.3, 0.6, 1.0)) -> Scenario:
    return Scenario.from_dict({"design": {"n_per_arm": n, "allocation": list(allocation)},
                               "pain": {"effect": -1.0}, "interim": {"looks": list(looks)}})


def test_without_looks_the_grid_is_run_as_it_is():
    s = Scenario.from_dict({"design": {"n_per_arm": 10}, "pain": {"effect": -1.0}})
    r = run_grid([(10, 10), (20, 20)], s)
    assert r.sizes == [(10, 10), (20, 20)] and r.picks == [(0,), (1,)]


def test_looks_are_prefixes_of_the_reference_arm_with_the_others_by_allocation():
    s = interim(allocation=(1, 2))
    assert look_sizes(s, 100) == [(30, 60), (60, 120), (100, 200)]
    assert look_sizes(s, 3) == [(2, 4), (2, 4), (3, 6)]  # at least 2 a look


def test_a_curve_runs_the_union_of_its_looks_once_each_size_picks_its_own():
    s = interim()
    grid = [(50, 50), (100, 100)]
    r = run_grid(grid, s)
    assert r.sizes == sorted(set(r.sizes))  # increasing, no size twice
    for sizes, picks in zip(grid, r.picks):
        assert [r.sizes[i] for i in picks] == look_sizes(s, sizes[0])
        assert r.sizes[picks[-1]] == sizes
    # every arm grows with the position (the data paths add segments)
    for a, b in zip(r.sizes, r.sizes[1:]):
        assert all(x <= y for x, y in zip(a, b))


def test_unequal_allocation_keeps_every_arm_increasing():
    s = interim(allocation=(2, 3), looks=(0.25, 0.5, 0.75, 1.0))
    grid = [s.design.group_sizes_at(n) for n in range(7, 60, 3)]
    r = run_grid(grid, s)
    for a, b in zip(r.sizes, r.sizes[1:]):
        assert all(x <= y for x, y in zip(a, b)) and a != b
