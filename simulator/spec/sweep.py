"""A sweep: a grid of scenario overrides."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ScenarioError
from .bounds import MAX_SWEEP_POINTS
from .schema import fail

__all__ = ["SweepSpec", "BACKENDS"]

#: Where a sweep's points run: loky processes here, a local Dask cluster, or a Dask scheduler.
BACKENDS = ("loky", "dask-local", "dask")


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepSpec:
    """A grid of scenario overrides (see :mod:`simulator.ops.sweep`).

    Attributes
    ----------
    grid : tuple of (dotted key, values)
        Crossed with each other (Cartesian product).
    zip : tuple of (dotted key, values)
        Vary together (equal lengths), crossed with ``grid``.
    """

    grid: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    zip: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def __post_init__(self) -> None:
        for name in ("grid", "zip"):
            object.__setattr__(self, name, tuple((str(k), tuple(v))
                                                 for k, v in getattr(self, name)))
        lengths = {len(v) for _, v in self.zip}
        if len(lengths) > 1:
            raise fail("[sweep] zip", {k: list(v) for k, v in self.zip},
                       "zipped keys vary together: give them equal numbers of values")
        dup = {k for k, _ in self.grid} & {k for k, _ in self.zip}
        if dup:
            raise fail("[sweep] zip", sorted(dup)[0], "a key is either in grid or in zip")
        if self.n_points > MAX_SWEEP_POINTS:
            sizes = [str(len(v)) for _, v in self.grid] + [str(n) for n in lengths]
            raise ScenarioError(f"[sweep] {', '.join(self.keys)}: {' x '.join(sizes)} = "
                                f"{self.n_points:,} points; a sweep has at most "
                                f"{MAX_SWEEP_POINTS:,}")

    @property
    def n_points(self) -> int:
        """Points of the sweep: the grid's values crossed, times the zipped values."""
        return math.prod(len(v) for _, v in self.grid) * max(
            (len(v) for _, v in self.zip), default=1)

    def merged(self, grid: Mapping[str, tuple], zip: Mapping[str, tuple]) -> SweepSpec:
        """A sweep with these grid and zip keys added, or replacing the same keys."""
        return SweepSpec(grid=tuple({**dict(self.grid), **grid}.items()),
                         zip=tuple({**dict(self.zip), **zip}.items()))

    @property
    def keys(self) -> tuple[str, ...]:
        """Every swept key, grid keys first."""
        return tuple(k for k, _ in self.grid) + tuple(k for k, _ in self.zip)
