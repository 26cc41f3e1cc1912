"""The sizes a pass simulates: its grid, and the interim looks of each grid size.

A scenario with ``[interim]`` analyses every trial at each look as a prefix
of its own patients: look ``k`` of a trial with ``n`` patients in the
reference arm analyses its first ``round(t_k n)`` (the other arms by the
allocation), the last look all of them. A pass simulates the union of the looks of every grid size once
(the data paths already give each size as the first patients of the next:
common random numbers), and each grid size picks its looks from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..spec.scenario import Scenario

__all__ = ["RunGrid", "look_sizes", "run_grid"]

Sizes = tuple[int, ...]


def look_sizes(scenario: Scenario, n_per_arm: int) -> list[Sizes]:
    """Patients per arm at each look of the scenario's trial with ``n_per_arm``.

    Look ``k`` has ``round(t_k n)`` patients in the reference arm (at least
    enough for 2 in every arm) and the other arms by the allocation, so the
    sizes grow in every arm together.

    Examples
    --------
    >>> from simulator import Scenario
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 100, "allocation": [1, 2]},
    ...                         "pain": {"effect": -1}, "interim": {"looks": [0.5, 1.0]}})
    >>> look_sizes(s, 100)
    [(50, 100), (100, 200)]
    """
    design = scenario.design
    smallest = next(m for m in range(2, 10**9) if min(design.group_sizes_at(m)) >= 2)
    refs = [min(n_per_arm, max(smallest, round(t * n_per_arm)))
            for t in scenario.interim.looks[:-1]] + [n_per_arm]
    return [design.group_sizes_at(m) for m in refs]


@dataclass(frozen=True, slots=True)
class RunGrid:
    """The sizes a pass simulates, and where each grid size's looks lie in them.

    Attributes
    ----------
    sizes : list of tuple of int
        Every size simulated, increasing in every arm.
    picks : list of tuple of int
        Per grid size, the positions in ``sizes`` of its looks (the last is
        the grid size itself).
    """

    sizes: list[Sizes]
    picks: list[tuple[int, ...]]


def run_grid(grid: Sequence[Sizes], scenario: Scenario) -> RunGrid:
    """The sizes a pass of ``scenario`` simulates for ``grid`` (its looks included).

    Without ``[interim]`` that is the grid itself. With it, the union of every
    grid size's looks, in increasing order (``grid`` holds the design's
    group sizes at its reference-arm sizes, as a curve's does).

    Examples
    --------
    >>> from simulator import Scenario
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 10}, "pain": {"effect": -1},
    ...                         "interim": {"looks": [0.5, 1.0]}})
    >>> r = run_grid([(10, 10), (20, 20)], s)
    >>> r.sizes, r.picks
    ([(5, 5), (10, 10), (20, 20)], [(0, 1), (1, 2)])
    """
    if scenario.interim is None:
        return RunGrid(sizes=list(grid), picks=[(g,) for g in range(len(grid))])
    per_size = [look_sizes(scenario, sizes[0]) for sizes in grid]
    union = sorted({s for looks in per_size for s in looks})
    position = {s: i for i, s in enumerate(union)}
    return RunGrid(sizes=union, picks=[tuple(position[s] for s in looks) for looks in per_size])
